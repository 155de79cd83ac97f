/*
 * db_cmd.c -- `egov db migrate` and `egov db status`.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

static void db_usage(FILE *out)
{
    fprintf(out, "usage: egov db migrate [--db URL] [--config FILE]\n"
                 "       egov db status  [--db URL] [--config FILE]\n\n"
                 "  migrate   apply every pending numbered migration of every module\n"
                 "  status    list applied migrations per module\n"
                 "  --db URL  sqlite:PATH or postgresql://... (default from config)\n");
}

struct progress_state {
    bool tty;
};

static void progress(const char *module, unsigned int version, const char *description,
                     unsigned int done, unsigned int total, void *cls)
{
    const struct progress_state *ps = cls;
    if (ps->tty) {
        /* a bar on terminals, rewritten in place */
        unsigned int width = 30, fill = total == 0 ? width : (done * width) / total;
        fprintf(stderr, "\r[%.*s%*s] %u/%u %-12s %04u %-40.40s", (int)fill,
                "##############################", (int)(width - fill), "", done + 1, total,
                module, version, description);
    } else {
        fprintf(stderr, "migrating [%u/%u] %s %u: %s\n", done + 1, total, module, version,
                description);
    }
}

static const struct egov_db_stmt status_stmt = {
    "cli_schema_status",
    "SELECT module, version, description, applied_at FROM egov_schema ORDER BY module, version",
    NULL,
};

static int db_status(struct egov_db *db)
{
    struct egov_db_conn *c = egov_db_acquire(db, 5000);
    if (c == NULL) {
        fprintf(stderr, "egov: no database connection available\n");
        return 1;
    }
    struct egov_db_rows *rows = NULL;
    struct egov_db_param none[] = {EGOV_DB_PARAM_END};
    enum egov_db_qs qs = egov_db_query(c, &status_stmt, none, &rows);
    int rc = 0;
    if (qs < 0) {
        fprintf(stderr, "egov: cannot read egov_schema (run `egov db migrate`): %s\n",
                egov_db_errmsg(c));
        rc = 1;
    } else {
        printf("%-16s %7s  %-20s %s\n", "module", "version", "applied", "description");
        for (size_t i = 0; i < egov_db_rows_count(rows); i++) {
            char when[32];
            egov_time_rfc3339(egov_db_rows_int64(rows, i, 3), when);
            printf("%-16s %7lld  %-20.19s %s\n", egov_db_rows_text(rows, i, 0),
                   (long long)egov_db_rows_int64(rows, i, 1), when,
                   egov_db_rows_text(rows, i, 2));
        }
    }
    egov_db_rows_free(rows);
    egov_db_release(c);
    return rc;
}

int egov_cli_db(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"db", required_argument, NULL, 'd'},
        {"config", required_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        db_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const char *sub = argv[1];
    if (strcmp(sub, "migrate") != 0 && strcmp(sub, "status") != 0) {
        fprintf(stderr, "egov db: unknown subcommand '%s'\n", sub);
        db_usage(stderr);
        return 2;
    }
    const char *db_url = NULL, *file = NULL;
    int ch;
    optind = 1;
    while ((ch = getopt_long(argc - 1, argv + 1, "h", longopts, NULL)) != -1) {
        switch (ch) {
        case 'd': db_url = optarg; break;
        case 'c': file = optarg; break;
        case 'h': db_usage(stdout); return 0;
        default: db_usage(stderr); return 2;
        }
    }
    struct egov_config cfg;
    if (!egov_cli_load_config(&cfg, file))
        return 1;
    struct egov_cfg_problems probs = {0};
    if (db_url != NULL && !egov_config_set(&cfg, "db.url", db_url, &probs)) {
        fprintf(stderr, "egov: %s\n", probs.msg[0]);
        return 2;
    }
    struct egov_db *db = egov_cli_open_db(&cfg);
    if (db == NULL)
        return 1;
    egov_cli_register_modules();
    int rc = 0;
    if (strcmp(sub, "migrate") == 0) {
        char err[512] = "";
        struct progress_state ps = {.tty = isatty(2) != 0};
        int n = egov_db_migrate(db, progress, &ps, err, sizeof(err));
        if (ps.tty && n > 0)
            fputc('\n', stderr);
        if (n < 0) {
            fprintf(stderr, "egov: migration failed: %s\n", err);
            rc = 1;
        } else {
            printf("%d migration%s applied (%s)\n", n, n == 1 ? "" : "s", egov_db_kind_name(db));
        }
    } else {
        rc = db_status(db);
    }
    egov_db_close(db);
    return rc;
}
