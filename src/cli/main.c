/*
 * main.c -- the egov executable: dispatches to subcommands.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

static const struct egov_cli_command commands[] = {
    {"serve", "run a platform node (HTTP server, job workers)", egov_cli_serve},
    {"demo", "run a node with demo settings on SQLite under var/", egov_cli_demo},
    {"db", "database schema: migrate, status", egov_cli_db},
    {"config", "configuration: check FILE, show", egov_cli_config},
    {"version", "print the version", egov_cli_version},
    {NULL, NULL, NULL},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: egov COMMAND [OPTIONS]\n\n"
                 "egov is a national e-government platform.  Commands:\n");
    for (const struct egov_cli_command *c = commands; c->name != NULL; c++)
        fprintf(out, "  %-10s %s\n", c->name, c->summary);
    egov_cli_list_module_verbs(out);
    fprintf(out, "\nRun `egov COMMAND --help` for a command's options.\n"
                 "Configuration: defaults < --config FILE < EGOV_<SECTION>_<KEY> "
                 "environment < flags.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0)
        return egov_cli_version(argc - 1, argv + 1);
    for (const struct egov_cli_command *c = commands; c->name != NULL; c++)
        if (strcmp(argv[1], c->name) == 0)
            return c->run(argc - 1, argv + 1);
    const struct egov_module_cli *verb = egov_cli_find_module_verb(argv[1]);
    if (verb != NULL)
        return egov_cli_run_module_verb(verb, argc - 1, argv + 1);
    fprintf(stderr, "egov: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return 2;
}

/* Opens and migrates the configured database for a module verb. */
static struct egov_db *verb_open_db(const struct egov_module_env *env)
{
    struct egov_db *db = egov_cli_open_db(env->cfg);
    if (db == NULL)
        return NULL;
    egov_cli_register_modules();
    char err[512] = "";
    if (egov_db_migrate(db, NULL, NULL, err, sizeof(err)) < 0) {
        fprintf(stderr, "egov: database migration failed: %s\n", err);
        egov_db_close(db);
        return NULL;
    }
    return db;
}

int egov_cli_run_module_verb(const struct egov_module_cli *verb, int argc, char **argv)
{
    const char *config_file = NULL, *db_url = NULL;
    char **rest = calloc((size_t)argc + 1, sizeof(*rest));
    if (rest == NULL)
        return 1;
    int n = 0;
    for (int i = 0; i < argc; i++) {
        if (i > 0 && strcmp(argv[i], "--config") == 0 && i + 1 < argc)
            config_file = argv[++i];
        else if (i > 0 && strcmp(argv[i], "--db") == 0 && i + 1 < argc)
            db_url = argv[++i];
        else if (i > 0 && strncmp(argv[i], "--config=", 9) == 0)
            config_file = argv[i] + 9;
        else if (i > 0 && strncmp(argv[i], "--db=", 5) == 0)
            db_url = argv[i] + 5;
        else
            rest[n++] = argv[i];
    }
    rest[n] = NULL;
    int rc = 1;
    struct egov_config cfg;
    struct egov_cfg_problems probs = {0};
    if (!egov_cli_load_config(&cfg, config_file))
        goto done;
    if (db_url != NULL && !egov_config_set(&cfg, "db.url", db_url, &probs)) {
        fprintf(stderr, "egov: %s\n", probs.msg[0]);
        rc = 2;
        goto done;
    }
    egov_log_set_level(cfg.log_level);
    struct egov_module_env env = {.cfg = &cfg, .db = NULL, .open_db = verb_open_db};
    rc = verb->run(n, rest, &env);
done:
    free(rest);
    return rc;
}
