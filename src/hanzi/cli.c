/*
 * cli.c -- `egov hanzi conv|info|import`.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "hanzi/hanzi_routes.h"
#include "hanzi/table.h"

static int usage(FILE *f)
{
    fprintf(f, "usage: egov hanzi conv --from ENC --to ENC [--policy strict|replace|private]\n"
               "       egov hanzi info CHAR|U+XXXX|PLANE-CODE\n"
               "       egov hanzi import DIR   (the 全字庫 folder holding MapingTables/)\n"
               "       egov hanzi sort [--order stroke|zhuyin] [--icu] < lines\n"
               "       egov hanzi key < names   (search keys: variants, width, case folded)\n"
               "       egov hanzi collate-check [--order stroke|zhuyin] < lines\n"
               "       egov hanzi match NAME1 NAME2 [--encoding-a ENC] [--encoding-b ENC]\n"
               "       egov hanzi lookup --zhuyin Z | --radical R [--residual N] | --strokes N\n"
               "encodings: utf-8, cns, euc-tw, big5 (= cp950), cp950, big5-2003, big5-e,\n"
               "           cns-dci, cns-tax, cns-fin, cns-inc, land-<county>\n");
    return f == stdout ? 0 : 2;
}

static bool load(const struct egov_module_env *env, bool unihan)
{
    char err[256];
    if (!egov_hanzi_tables_load_opts(env->cfg->vardir, unihan, err, sizeof err)) {
        fprintf(stderr, "egov hanzi: cannot load the character tables: %s\n", err);
        return false;
    }
    return true;
}

static int cmd_conv(int argc, char **argv, const struct egov_module_env *env)
{
    const char *from = NULL, *to = NULL, *policy = "strict";
    enum egov_hanzi_policy pol;
    for (int i = 2; i < argc; i++) {
        const char **dst = strcmp(argv[i], "--from") == 0     ? &from
                           : strcmp(argv[i], "--to") == 0     ? &to
                           : strcmp(argv[i], "--policy") == 0 ? &policy
                                                              : NULL;
        if (!dst || i + 1 >= argc)
            return usage(stderr);
        *dst = argv[++i];
    }
    if (!from || !to)
        return usage(stderr);
    if (!egov_hanzi_policy_parse(policy, &pol)) {
        fprintf(stderr, "egov hanzi conv: --policy: must be strict, replace or private\n");
        return 2;
    }
    /* Unihan (read in about half a second) is needed only for CNS codes */
    bool cns = false;
    static const char *const cns_names[] = {"cns", "cns11643", "euc-tw", "euctw"};
    for (size_t i = 0; i < sizeof cns_names / sizeof cns_names[0]; i++)
        cns = cns || strcasecmp(from, cns_names[i]) == 0 || strcasecmp(to, cns_names[i]) == 0;
    if (!load(env, cns))
        return 1;
    const struct egov_hanzi_encoding *ef = egov_hanzi_encoding_by_name(from);
    const struct egov_hanzi_encoding *et = egov_hanzi_encoding_by_name(to);
    if (!ef || !et) {
        struct egov_buf names;
        egov_buf_init(&names);
        egov_hanzi_encoding_list(&names);
        fprintf(stderr, "egov hanzi conv: %s: unknown encoding \"%s\" (known: %s)\n",
                ef ? "--to" : "--from", ef ? to : from, names.data ? names.data : "");
        egov_buf_free(&names);
        return 2;
    }
    struct egov_hanzi_conv *cv = egov_hanzi_conv_open(ef, et, pol);
    struct egov_buf out;
    struct egov_hanzi_error err;
    static unsigned char in[1 << 16];
    int rc = 0;
    egov_buf_init(&out);
    if (!cv) {
        fprintf(stderr, "egov hanzi conv: out of memory\n");
        return 1;
    }
    for (;;) {
        ssize_t n = read(STDIN_FILENO, in, sizeof in);
        if (n < 0) {
            perror("egov hanzi conv: stdin");
            rc = 1;
            break;
        }
        bool ok = egov_hanzi_conv_feed(cv, in, (size_t)n, n == 0, &out, &err);
        if (out.len && fwrite(out.data, 1, out.len, stdout) != out.len) {
            perror("egov hanzi conv: stdout");
            rc = 1;
            break;
        }
        egov_buf_reset(&out);
        if (!ok) {
            fprintf(stderr, "egov hanzi conv: %s\n", err.detail);
            rc = 1;
            break;
        }
        if (n == 0)
            break;
    }
    if (fflush(stdout) != 0)
        rc = 1;
    egov_buf_free(&out);
    egov_hanzi_conv_close(cv);
    return rc;
}

static int cmd_info(int argc, char **argv, const struct egov_module_env *env)
{
    uint32_t cp;
    if (argc != 3)
        return usage(stderr);
    if (!load(env, true))
        return 1;
    if (!egov_hanzi_char_parse(argv[2], &cp)) {
        fprintf(stderr,
                "egov hanzi info: \"%s\" is not one character, U+XXXX or a known CNS code\n",
                argv[2]);
        return 2;
    }
    char perr[256];
    if (!egov_hanzi_props_load(env->cfg->vardir, NULL, perr, sizeof perr))
        fprintf(stderr, "egov hanzi info: no character properties: %s\n", perr);
    json_t *o = egov_hanzi_char_info(cp);
    char *s = o ? json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
    json_decref(o);
    if (!s) {
        fprintf(stderr, "egov hanzi info: out of memory\n");
        return 1;
    }
    puts(s);
    free(s);
    return 0;
}

static int cmd_import(int argc, char **argv, const struct egov_module_env *env)
{
    struct egov_hanzi_import_report rep;
    char err[512];
    if (argc != 3)
        return usage(stderr);
    egov_buf_init(&rep.notes);
    if (!egov_hanzi_import(argv[2], env->cfg->vardir, &rep, err, sizeof err)) {
        fprintf(stderr, "egov hanzi import: %s\n", err);
        egov_buf_free(&rep.notes);
        return 1;
    }
    printf("imported %lu entries of %lu tables into %s/hanzi/tables.bin\n", rep.entries, rep.tables,
           env->cfg->vardir);
    printf("%lu entries cannot round-trip:\n%s", rep.skipped, rep.notes.data ? rep.notes.data : "");
    egov_buf_free(&rep.notes);
    unsigned long props = 0;
    if (!egov_hanzi_props_import(argv[2], env->cfg->vardir, &props, err, sizeof err)) {
        fprintf(stderr, "egov hanzi import: Properties: %s\n", err);
        return 1;
    }
    printf("imported the properties of %lu characters\n", props);
    /* every node of the deployment gets the files through the database */
    struct egov_db *db = env->open_db ? env->open_db(env) : NULL;
    unsigned int stored = 0;
    if (!db) {
        fprintf(stderr,
                "egov hanzi import: no database: the tables are in %s/hanzi only; "
                "import on every node\n",
                env->cfg->vardir);
        return 0;
    }
    bool ok = egov_hanzi_tables_publish(db, env->cfg->vardir, &stored, err, sizeof err);
    egov_db_close(db);
    if (!ok) {
        fprintf(stderr, "egov hanzi import: %s\n", err);
        return 1;
    }
    printf("stored %u file(s) in the database for the other nodes\n", stored);
    return 0;
}

int egov_hanzi_cli_run(int argc, char **argv, const struct egov_module_env *env)
{
    int rc;
    if (argc < 2)
        return usage(stderr);
    if (strcmp(argv[1], "conv") == 0)
        rc = cmd_conv(argc, argv, env);
    else if (strcmp(argv[1], "info") == 0)
        rc = cmd_info(argc, argv, env);
    else if (strcmp(argv[1], "import") == 0)
        rc = cmd_import(argc, argv, env);
    else if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0)
        return usage(stdout);
    else if ((rc = egov_hanzi_props_cli(argc - 1, argv + 1, env)) < 0)
        return usage(stderr);
    egov_hanzi_props_unload();
    egov_hanzi_tables_unload();
    return rc;
}
