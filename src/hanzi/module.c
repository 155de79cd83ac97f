/*
 * module.c -- the hanzi module's descriptor: routes, start-up (loading the
 * character tables) and the `egov hanzi` verb.
 */
#include "hanzi/hanzi.h"
#include "hanzi/hanzi_routes.h"
#include "hanzi/table.h"

static const struct egov_route hanzi_routes[] = {
    {EGOV_M_POST, "/api/hanzi/convert", egov_hanzi_handle_convert, 4 * 1024 * 1024,
     EGOV_ROUTE_JSON_BODY, "hanzi-convert"},
    {EGOV_M_GET, "/api/hanzi/chars/{c}", egov_hanzi_handle_char, 0, 0, "hanzi-char"},
    {EGOV_M_GET, "/api/hanzi/lookup", egov_hanzi_handle_lookup, 0, 0, "hanzi-lookup"},
    {EGOV_M_POST, "/api/hanzi/match", egov_hanzi_handle_match, 16384, EGOV_ROUTE_JSON_BODY,
     "hanzi-match"},
    {EGOV_M_GET, "/hanzi/lookup", egov_hanzi_handle_lookup_page, 0, 0, "hanzi-lookup-page"},
    EGOV_ROUTE_END,
};

static const struct egov_route_table hanzi_route_table = {"hanzi", hanzi_routes};

static bool hanzi_init(const struct egov_module_env *env)
{
    char err[256];
    unsigned int copied = 0;
    /* tables imported on another node arrive through the database */
    if (env->db && !egov_hanzi_tables_fetch(env->db, env->cfg->vardir, &copied, err, sizeof err))
        egov_warn("hanzi: keeping the local character tables: %s", err);
    else if (copied)
        egov_info("hanzi: %u imported table file(s) copied from the database", copied);
    if (!egov_hanzi_tables_load(env->cfg->vardir, err, sizeof err)) {
        egov_error("hanzi: cannot load the character tables: %s", err);
        return false;
    }
    egov_info("hanzi: character tables loaded (%s)", egov_hanzi_tables_source());
    /* properties are optional: without them search keys fold only width and case */
    if (!egov_hanzi_props_load(env->cfg->vardir, NULL, err, sizeof err))
        egov_warn("hanzi: no character properties: %s", err);
    else
        egov_info("hanzi: character properties loaded (%s, %zu characters)",
                  egov_hanzi_props_source(), egov_hanzi_props_count());
    return true;
}

static void hanzi_fini(void)
{
    egov_hanzi_props_unload();
    egov_hanzi_tables_unload();
}

static const struct egov_module_cli hanzi_cli[] = {
    {"hanzi", "Chinese characters: conv, info, import (CNS 11643, Big5, agency codes)",
     egov_hanzi_cli_run},
    {NULL, NULL, NULL},
};

const struct egov_module egov_hanzi_module = {
    .name = "hanzi",
    .migrations = &egov_hanzi_migrations,
    .routes = &hanzi_route_table,
    .init = hanzi_init,
    .fini = hanzi_fini,
    .cli = hanzi_cli,
};
