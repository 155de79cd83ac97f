/*
 * cli.h -- the egov executable's internal interface: subcommands and the
 * list of modules a node runs.  Nothing includes this but src/cli/.
 */
#ifndef EGOV_CLI_H
#define EGOV_CLI_H

#include <stdio.h>

#include "core/core.h"
#include "http/http.h"
#include "store/store.h"

/** One subcommand: "serve", "db", ... */
struct egov_cli_command {
    const char *name;
    const char *summary; /**< one line for `egov --help` */
    int (*run)(int argc, char **argv);
};

/** `egov serve`: runs a platform node until SIGINT/SIGTERM. */
int egov_cli_serve(int argc, char **argv);
/** `egov demo`: runs a node with demo settings and prints its URL. */
int egov_cli_demo(int argc, char **argv);
/** `egov db migrate|status`: database schema. */
int egov_cli_db(int argc, char **argv);
/** `egov config check FILE` / `egov config show`: configuration. */
int egov_cli_config(int argc, char **argv);
/** `egov version`: prints the version and the libraries in use. */
int egov_cli_version(int argc, char **argv);

/**
 * Loads configuration the documented way: defaults, then the INI file
 * (if @p file is not NULL), then EGOV_* environment variables.  Prints
 * every problem to stderr and returns false if there was any.
 */
bool egov_cli_load_config(struct egov_config *cfg, const char *file);

/** Registers the migrations of every module this node runs (once). */
void egov_cli_register_modules(void);
/** Calls every module's init in layer order; false if one failed (named on stderr). */
bool egov_cli_init_modules(const struct egov_module_env *env);
/** Calls every module's fini in reverse layer order. */
void egov_cli_fini_modules(void);
/** The module verb called @p name (`egov NAME ...`), or NULL. */
const struct egov_module_cli *egov_cli_find_module_verb(const char *name);
/** Lists the module verbs for `egov --help`. */
void egov_cli_list_module_verbs(FILE *out);
/**
 * Runs a module verb: takes --config FILE and --db URL out of argv,
 * loads the configuration and calls the verb.  Returns its exit code.
 */
int egov_cli_run_module_verb(const struct egov_module_cli *verb, int argc, char **argv);

/** Adds the route tables of every module this node runs to @p s. */
bool egov_cli_add_routes(struct egov_server *s);

/**
 * Opens the configured database, printing one clear message to stderr on
 * failure.  Returns NULL then.
 */
struct egov_db *egov_cli_open_db(const struct egov_config *cfg);

/** Routes of the node itself: GET /api/version, POST /api/time/roc-date. */
extern const struct egov_route_table egov_cli_node_routes;

#endif /* EGOV_CLI_H */
