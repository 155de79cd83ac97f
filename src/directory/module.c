/*
 * module.c -- the directory module's descriptor.  It also offers the
 * `egov oid` verb, because importing the official OID list creates
 * agencies as well as arcs, and tells the registry how an agency code
 * (the name authz gives agencies) maps to the agency id arcs are owned by.
 */
#include "directory/directory_int.h"

/* An agency named by its code (as authz names agencies) owns its arcs by its id. */
static bool agency_key(struct egov_db *db, const char *key, char id[37])
{
    struct egov_directory_agency a;
    if (key == NULL || !egov_directory_agency_code_valid(key) ||
        egov_directory_agency_by_code(db, key, &a) != EGOV_DB_ONE_ROW)
        return false;
    egov_utf8_copy(id, 37, a.id);
    return true;
}

static bool dir_init(const struct egov_module_env *env)
{
    (void)env;
    egov_oid_set_agency_key_resolver(agency_key);
    return true;
}

const struct egov_module egov_directory_module = {
    .name = "directory",
    .migrations = &dir_migrations,
    .routes = &dir_routes,
    .init = dir_init,
    .cli = dir_cli,
};
