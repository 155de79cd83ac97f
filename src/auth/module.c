/*
 * module.c -- the auth module's descriptor.
 */
#include "auth/auth.h"

const struct egov_module egov_auth_module = {
    .name = "auth",
};
