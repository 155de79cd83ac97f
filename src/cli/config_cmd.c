/*
 * config_cmd.c -- `egov config check FILE`, `egov config show`, and the
 * configuration loading order shared by every command.
 */
#include <stdio.h>
#include <string.h>

#include "account/account.h"
#include "cli/cli.h"

static void print_problems(const struct egov_cfg_problems *p, const char *prefix)
{
    for (unsigned int i = 0; i < p->count && i < sizeof(p->msg) / sizeof(p->msg[0]); i++)
        fprintf(stderr, "%s%s\n", prefix, p->msg[i]);
}

bool egov_cli_load_config(struct egov_config *cfg, const char *file)
{
    struct egov_cfg_problems probs = {0};
    bool ok = true;
    egov_config_defaults(cfg);
    if (file != NULL && !egov_config_load_file(cfg, file, &probs)) {
        fprintf(stderr, "egov: invalid configuration in %s:\n", file);
        print_problems(&probs, "  ");
        ok = false;
    }
    memset(&probs, 0, sizeof(probs));
    if (!egov_config_load_env(cfg, &probs)) {
        fprintf(stderr, "egov: invalid configuration in the environment:\n");
        print_problems(&probs, "  ");
        ok = false;
    }
    return ok;
}

static void config_usage(FILE *out)
{
    fprintf(out, "usage: egov config check FILE\n"
                 "       egov config show [--config FILE]\n\n"
                 "  check FILE   validate FILE; names each bad key, its value and what is\n"
                 "               allowed; exits 0 if valid, 1 if not\n"
                 "  show         print the effective configuration (defaults, FILE and\n"
                 "               EGOV_* environment variables applied) as INI\n");
}

int egov_cli_config(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        config_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "check") == 0) {
        if (argc == 3 && (strcmp(argv[2], "--help") == 0 || strcmp(argv[2], "-h") == 0)) {
            config_usage(stdout);
            return 0;
        }
        if (argc != 3) {
            config_usage(stderr);
            return 2;
        }
        struct egov_config cfg;
        struct egov_cfg_problems probs = {0};
        egov_config_defaults(&cfg);
        if (!egov_config_load_file(&cfg, argv[2], &probs)) {
            fprintf(stderr, "%s: %u problem%s\n", argv[2], probs.count,
                    probs.count == 1 ? "" : "s");
            print_problems(&probs, "  ");
            return 1;
        }
        /* files the configuration names, checked as a node would use them */
        char msg[1400];
        if (!egov_account_secret_key_check(&cfg, msg, sizeof msg)) {
            fprintf(stderr, "%s: 1 problem\n  %s\n", argv[2], msg);
            return 1;
        }
        char note[1400];
        if (!egov_account_blocklist_check(&cfg, note, sizeof note)) {
            fprintf(stderr, "%s: 1 problem\n  %s\n", argv[2], note);
            return 1;
        }
        printf("%s: ok\n", argv[2]);
        if (msg[0] != '\0')
            printf("  note: %s\n", msg);
        if (note[0] != '\0')
            printf("  note: %s\n", note);
        return 0;
    }
    if (strcmp(argv[1], "show") == 0) {
        const char *file = NULL;
        if (argc == 4 && strcmp(argv[2], "--config") == 0)
            file = argv[3];
        else if (argc != 2) {
            config_usage(stderr);
            return 2;
        }
        struct egov_config cfg;
        if (!egov_cli_load_config(&cfg, file))
            return 1;
        struct egov_buf out;
        egov_buf_init(&out);
        egov_config_dump(&cfg, &out);
        if (out.oom) {
            egov_buf_free(&out);
            return 1;
        }
        fwrite(out.data, 1, out.len, stdout);
        egov_buf_free(&out);
        return 0;
    }
    fprintf(stderr, "egov config: unknown subcommand '%s'\n", argv[1]);
    config_usage(stderr);
    return 2;
}
