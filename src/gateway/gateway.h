/*
 * gateway.h -- the common gateway between agencies: services, grants, signed calls, audit, events.
 */
#ifndef EGOV_GATEWAY_H
#define EGOV_GATEWAY_H

#include "http/http.h"

/** The gateway module: its migrations, routes, start-up and CLI verbs. */
extern const struct egov_module egov_gateway_module;

#endif /* EGOV_GATEWAY_H */
