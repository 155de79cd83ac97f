/*
 * main.c -- the egov executable: dispatches to subcommands.
 */
#include <stdio.h>
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
    fprintf(stderr, "egov: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return 2;
}
