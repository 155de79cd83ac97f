/*
 * backoffice.h -- reference back-office systems of the agencies and their synthetic data.
 */
#ifndef EGOV_BACKOFFICE_H
#define EGOV_BACKOFFICE_H

#include "http/http.h"

/** The backoffice module: its migrations, routes, start-up and CLI verbs. */
extern const struct egov_module egov_backoffice_module;

#endif /* EGOV_BACKOFFICE_H */
