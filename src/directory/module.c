/*
 * module.c -- the directory module's descriptor.  It also offers the
 * `egov oid` verb, because importing the official OID list creates
 * agencies as well as arcs.
 */
#include "directory/directory_int.h"

const struct egov_module egov_directory_module = {
    .name = "directory",
    .migrations = &dir_migrations,
    .routes = &dir_routes,
    .cli = dir_cli,
};
