/*
 * modules.c -- the modules a node runs: their migrations and route tables,
 * in layer order.  A new module adds one line to each list.
 */
#include "cli/cli.h"
#include "portal/portal.h"

static const struct egov_db_module_migrations *const migrations[] = {
    &egov_store_migrations,
};

static const struct egov_route_table *const route_tables[] = {
    &egov_http_core_routes,
    &egov_cli_node_routes,
    &egov_portal_routes,
};

void egov_cli_register_modules(void)
{
    static bool done;
    if (done)
        return;
    done = true;
    /* job handlers of the modules, so that any node's workers can run any job */
    egov_webhook_register();
    for (size_t i = 0; i < sizeof(migrations) / sizeof(migrations[0]); i++)
        egov_db_register_migrations(migrations[i]);
}

bool egov_cli_add_routes(struct egov_server *s)
{
    for (size_t i = 0; i < sizeof(route_tables) / sizeof(route_tables[0]); i++)
        if (!egov_server_add_routes(s, route_tables[i]))
            return false;
    return true;
}
