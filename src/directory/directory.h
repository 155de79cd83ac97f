/*
 * directory.h -- agencies, units, staff, citizens, businesses and foreign residents.
 */
#ifndef EGOV_DIRECTORY_H
#define EGOV_DIRECTORY_H

#include "http/http.h"

/** The directory module: its migrations, routes, start-up and CLI verbs. */
extern const struct egov_module egov_directory_module;

#endif /* EGOV_DIRECTORY_H */
