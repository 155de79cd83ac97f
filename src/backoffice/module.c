/*
 * module.c -- the backoffice module's descriptor.
 */
#include "backoffice/backoffice.h"

const struct egov_module egov_backoffice_module = {
    .name = "backoffice",
};
