/*
 * module.c -- the oid module's descriptor.
 */
#include "oid/oid.h"

const struct egov_module egov_oid_module = {
    .name = "oid",
};
