/*
 * authz.h -- roles, permissions, service grants and the decision API.
 */
#ifndef EGOV_AUTHZ_H
#define EGOV_AUTHZ_H

#include "http/http.h"

/** The authz module: its migrations, routes, start-up and CLI verbs. */
extern const struct egov_module egov_authz_module;

#endif /* EGOV_AUTHZ_H */
