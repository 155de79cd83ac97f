/*
 * module.c -- the oid module's descriptor.  Its command-line verb
 * `egov oid` is offered by the directory module, because importing the
 * official OID list creates agencies as well as arcs.
 */
#include "oid/oid_int.h"

static bool oid_init(const struct egov_module_env *env)
{
    return oid_load_admin_token(env->cfg != NULL ? env->cfg->oid_admin_token_file : NULL);
}

const struct egov_module egov_oid_module = {
    .name = "oid",
    .migrations = &oid_migrations,
    .routes = &oid_routes,
    .init = oid_init,
};
