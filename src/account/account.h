/*
 * account.h -- accounts, passwords, second factors, sessions, login pages.
 */
#ifndef EGOV_ACCOUNT_H
#define EGOV_ACCOUNT_H

#include "http/http.h"

/** The account module: its migrations, routes, start-up and CLI verbs. */
extern const struct egov_module egov_account_module;

#endif /* EGOV_ACCOUNT_H */
