/*
 * hanzi_routes.h -- internal: the hanzi module's HTTP handlers, listed in
 * the route table in module.c.
 */
#ifndef EGOV_HANZI_ROUTES_H
#define EGOV_HANZI_ROUTES_H

#include "hanzi/hanzi.h"

/** POST /api/hanzi/convert (conv_api.c). */
void egov_hanzi_handle_convert(struct egov_req *req);
/** GET /api/hanzi/chars/{c} (conv_api.c). */
void egov_hanzi_handle_char(struct egov_req *req);
/** `egov hanzi ...` (cli.c). */
int egov_hanzi_cli_run(int argc, char **argv, const struct egov_module_env *env);

#endif /* EGOV_HANZI_ROUTES_H */
