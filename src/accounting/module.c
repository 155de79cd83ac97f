/*
 * module.c -- the accounting module's descriptor.
 */
#include "accounting/accounting.h"

const struct egov_module egov_accounting_module = {
    .name = "accounting",
};
