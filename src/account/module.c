/*
 * module.c -- the account module's descriptor.
 */
#include "account/account.h"

const struct egov_module egov_account_module = {
    .name = "account",
};
