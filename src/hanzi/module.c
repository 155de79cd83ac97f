/*
 * module.c -- the hanzi module's descriptor.
 */
#include "hanzi/hanzi.h"

const struct egov_module egov_hanzi_module = {
    .name = "hanzi",
};
