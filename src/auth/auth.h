/*
 * auth.h -- OpenID Connect provider and certificate login.
 */
#ifndef EGOV_AUTH_H
#define EGOV_AUTH_H

#include "http/http.h"

/** The auth module: its migrations, routes, start-up and CLI verbs. */
extern const struct egov_module egov_auth_module;

#endif /* EGOV_AUTH_H */
