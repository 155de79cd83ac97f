/*
 * accounting.h -- usage accounting per principal, agency and service, with daily aggregates.
 */
#ifndef EGOV_ACCOUNTING_H
#define EGOV_ACCOUNTING_H

#include "http/http.h"

/** The accounting module: its migrations, routes, start-up and CLI verbs. */
extern const struct egov_module egov_accounting_module;

#endif /* EGOV_ACCOUNTING_H */
