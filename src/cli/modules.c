/*
 * modules.c -- the modules a node runs, in layer order (lowest first).
 * A new module adds one line to `modules` below.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "hanzi/hanzi.h"
#include "accounting/accounting.h"
#include "oid/oid.h"
#include "directory/directory.h"
#include "authz/authz.h"
#include "account/account.h"
#include "pki/pki.h"
#include "auth/auth.h"
#include "gateway/gateway.h"
#include "backoffice/backoffice.h"
#include "portal/portal.h"

static bool http_init(const struct egov_module_env *env)
{
    (void)env;
    /* job handlers must exist on every node, so any node can run any job */
    return egov_webhook_register();
}

static const struct egov_module http_module = {
    .name = "http",
    .migrations = &egov_store_migrations,
    .routes = &egov_http_core_routes,
    .init = http_init,
};

static const struct egov_module node_module = {
    .name = "node",
    .routes = &egov_cli_node_routes,
};

static const struct egov_module portal_module = {
    .name = "portal",
    .routes = &egov_portal_routes,
};

static const struct egov_module *const modules[] = {
    &http_module,
    &node_module,
    &egov_hanzi_module,
    &egov_accounting_module,
    &egov_oid_module,
    &egov_directory_module,
    &egov_authz_module,
    &egov_account_module,
    &egov_pki_module,
    &egov_auth_module,
    &egov_gateway_module,
    &egov_backoffice_module,
    &portal_module,
};

#define NMODULES (sizeof(modules) / sizeof(modules[0]))

void egov_cli_register_modules(void)
{
    static bool done;
    if (done)
        return;
    done = true;
    for (size_t i = 0; i < NMODULES; i++)
        if (modules[i]->migrations != NULL)
            egov_db_register_migrations(modules[i]->migrations);
}

bool egov_cli_init_modules(const struct egov_module_env *env)
{
    for (size_t i = 0; i < NMODULES; i++) {
        if (modules[i]->init != NULL && !modules[i]->init(env)) {
            fprintf(stderr, "egov: module %s failed to start\n", modules[i]->name);
            return false;
        }
    }
    return true;
}

void egov_cli_fini_modules(void)
{
    for (size_t i = NMODULES; i > 0; i--)
        if (modules[i - 1]->fini != NULL)
            modules[i - 1]->fini();
}

bool egov_cli_add_routes(struct egov_server *s)
{
    for (size_t i = 0; i < NMODULES; i++)
        if (modules[i]->routes != NULL && !egov_server_add_routes(s, modules[i]->routes))
            return false;
    return true;
}

const struct egov_module_cli *egov_cli_find_module_verb(const char *name)
{
    for (size_t i = 0; i < NMODULES; i++)
        for (const struct egov_module_cli *c = modules[i]->cli; c != NULL && c->name != NULL; c++)
            if (strcmp(c->name, name) == 0)
                return c;
    return NULL;
}

void egov_cli_list_module_verbs(FILE *out)
{
    for (size_t i = 0; i < NMODULES; i++)
        for (const struct egov_module_cli *c = modules[i]->cli; c != NULL && c->name != NULL; c++)
            fprintf(out, "  %-10s %s\n", c->name, c->summary);
}
