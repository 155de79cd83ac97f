/*
 * oid.h -- the government OID registry under 2.16.886.
 */
#ifndef EGOV_OID_H
#define EGOV_OID_H

#include "http/http.h"

/** The oid module: its migrations, routes, start-up and CLI verbs. */
extern const struct egov_module egov_oid_module;

#endif /* EGOV_OID_H */
