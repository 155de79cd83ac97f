/*
 * module.c -- the authz module's descriptor.
 */
#include "authz/authz.h"

const struct egov_module egov_authz_module = {
    .name = "authz",
};
