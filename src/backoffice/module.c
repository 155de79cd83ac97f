/*
 * module.c -- the backoffice module's descriptor.  The back offices run
 * as processes of their own (`egov backoffice NAME`), so the module adds
 * no migrations or routes to a platform node, only its verb.
 */
#include "backoffice/bo_int.h"

static const struct egov_module_cli cli_verbs[] = {
    {"backoffice", "run an agency's reference back-office system (household, land, tax, ...)",
     bo_cli_run},
    {NULL, NULL, NULL},
};

const struct egov_module egov_backoffice_module = {
    .name = "backoffice",
    .cli = cli_verbs,
};
