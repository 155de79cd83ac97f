/*
 * props_cli.c -- the property subcommands of `egov hanzi`:
 *   sort [--order stroke|zhuyin] [--icu]   sort stdin lines
 *   key                                    search key of each stdin line
 *   collate-check [--order stroke|zhuyin]  compare our order of stdin lines with ICU's
 *   match A B [--encoding-a ENC] [--encoding-b ENC]
 *   lookup --zhuyin Z | --radical R [--residual N] | --strokes N [--limit N]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hanzi/props_internal.h"

#define CLI_LINE_MAX  4096
#define CLI_LINES_MAX 2000000

struct lines {
    char **v;
    size_t n, cap;
};

static void lines_free(struct lines *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    egov_free(l->v);
}

/* Reads stdin into lines (without the newline).  False with a message on error. */
static bool read_lines(struct lines *l)
{
    char *buf = NULL;
    size_t cap = 0;
    ssize_t got;
    memset(l, 0, sizeof(*l));
    while ((got = getline(&buf, &cap, stdin)) >= 0) {
        size_t n = (size_t)got;
        if (n > 0 && buf[n - 1] == '\n')
            buf[--n] = '\0';
        if (n > 0 && buf[n - 1] == '\r')
            buf[--n] = '\0';
        if (n > CLI_LINE_MAX || l->n >= CLI_LINES_MAX) {
            fprintf(stderr, "egov hanzi: line %zu is too long or there are too many lines\n",
                    l->n + 1);
            goto fail;
        }
        if (l->n == l->cap) {
            size_t ncap = l->cap == 0 ? 256 : l->cap * 2;
            char **nv = egov_realloc(l->v, ncap * sizeof(*nv));
            if (nv == NULL)
                goto oom;
            l->v = nv;
            l->cap = ncap;
        }
        if ((l->v[l->n] = strdup(buf)) == NULL)
            goto oom;
        l->n++;
    }
    free(buf);
    return true;
oom:
    fprintf(stderr, "egov hanzi: out of memory\n");
fail:
    free(buf);
    lines_free(l);
    return false;
}

static bool parse_order_opt(int argc, char **argv, enum egov_hanzi_order *order, bool *icu)
{
    *order = EGOV_HANZI_ORDER_STROKE;
    if (icu != NULL)
        *icu = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--order") == 0 && i + 1 < argc) {
            if (!egov_hanzi_order_parse(argv[++i], order)) {
                fprintf(stderr, "egov hanzi: --order must be stroke or zhuyin\n");
                return false;
            }
        } else if (icu != NULL && strcmp(argv[i], "--icu") == 0) {
            *icu = true;
        } else {
            fprintf(stderr, "egov hanzi %s: unknown option %s\n", argv[0], argv[i]);
            return false;
        }
    }
    return true;
}

struct sort_item {
    const char *s;
    char *key;
};

static int item_cmp(const void *a, const void *b)
{
    const struct sort_item *x = a, *y = b;
    return strcmp(x->key, y->key);
}

static int icu_cmp(const void *a, const void *b, void *order)
{
    const struct sort_item *x = a, *y = b;
    return egov_hanzi_compare_icu(x->s, y->s, *(enum egov_hanzi_order *)order, NULL);
}

static int cmd_sort(int argc, char **argv)
{
    enum egov_hanzi_order order;
    bool icu;
    struct lines l;
    int rc = 1;
    if (!parse_order_opt(argc, argv, &order, &icu) || !read_lines(&l))
        return 2;
    struct sort_item *it = egov_calloc(l.n + 1, sizeof(*it));
    if (it == NULL)
        goto done;
    for (size_t i = 0; i < l.n; i++) {
        it[i].s = l.v[i];
        if (!icu && (it[i].key = egov_hanzi_sort_key(l.v[i], strlen(l.v[i]), order)) == NULL) {
            fprintf(stderr, "egov hanzi sort: line %zu is not valid UTF-8\n", i + 1);
            goto done;
        }
    }
    if (icu)
        qsort_r(it, l.n, sizeof(*it), icu_cmp, &order);
    else
        qsort(it, l.n, sizeof(*it), item_cmp);
    for (size_t i = 0; i < l.n; i++)
        printf("%s\n", it[i].s);
    rc = 0;
done:
    for (size_t i = 0; it != NULL && i < l.n; i++)
        egov_free(it[i].key);
    egov_free(it);
    lines_free(&l);
    return rc;
}

static int cmd_key(int argc, char **argv)
{
    struct lines l;
    int rc = 0;
    if (argc != 1) {
        fprintf(stderr, "usage: egov hanzi key < names\n");
        return 2;
    }
    if (!read_lines(&l))
        return 2;
    for (size_t i = 0; i < l.n; i++) {
        char *k = egov_hanzi_search_key(l.v[i], strlen(l.v[i]));
        if (k == NULL) {
            fprintf(stderr, "egov hanzi key: line %zu is not valid UTF-8\n", i + 1);
            rc = 1;
            continue;
        }
        printf("%s\n", k);
        egov_free(k);
    }
    lines_free(&l);
    return rc;
}

static int cmd_collate_check(int argc, char **argv)
{
    enum egov_hanzi_order order;
    struct lines l;
    if (!parse_order_opt(argc, argv, &order, NULL) || !read_lines(&l))
        return 2;
    json_t *r = egov_hanzi_collate_check((const char *const *)l.v, l.n, order, 20);
    int rc = 1;
    if (r != NULL) {
        json_dumpf(r, stdout, JSON_INDENT(2));
        printf("\n");
        json_decref(r);
        rc = 0;
    }
    lines_free(&l);
    return rc;
}

static int cmd_match(int argc, char **argv)
{
    const char *names[2] = {NULL, NULL}, *enc[2] = {NULL, NULL};
    int nn = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--encoding-a") == 0 && i + 1 < argc)
            enc[0] = argv[++i];
        else if (strcmp(argv[i], "--encoding-b") == 0 && i + 1 < argc)
            enc[1] = argv[++i];
        else if (nn < 2)
            names[nn++] = argv[i];
        else
            nn = 3;
    }
    if (nn != 2) {
        fprintf(stderr, "usage: egov hanzi match A B [--encoding-a ENC] [--encoding-b ENC]\n");
        return 2;
    }
    enum egov_ec ec;
    const char *field;
    json_t *r = egov_hanzi_match_names(names[0], strlen(names[0]), enc[0], names[1],
                                       strlen(names[1]), enc[1], &ec, &field);
    if (r == NULL) {
        fprintf(stderr, "egov hanzi match: %s: %s\n", field != NULL ? field : "", egov_ec_hint(ec));
        return 1;
    }
    json_dumpf(r, stdout, JSON_INDENT(2));
    printf("\n");
    int rc = json_is_true(json_object_get(r, "match")) ? 0 : 3;
    json_decref(r);
    return rc;
}

static bool num_arg(const char *s, long lo, long hi, long *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (*s == '\0' || *end != '\0' || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

static int cmd_lookup(int argc, char **argv)
{
    struct egov_hanzi_lookup_query q;
    long v;
    memset(&q, 0, sizeof(q));
    q.residual = -1;
    q.limit = 100;
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i], *a = i + 1 < argc ? argv[i + 1] : NULL;
        if (a == NULL)
            goto usage;
        i++;
        if (strcmp(o, "--zhuyin") == 0)
            q.zhuyin = a;
        else if (strcmp(o, "--radical") == 0 && (q.radical = egov_hanzi_radical_parse(a)) != 0)
            ;
        else if (strcmp(o, "--residual") == 0 && num_arg(a, 0, 99, &v))
            q.residual = (int)v;
        else if (strcmp(o, "--strokes") == 0 && num_arg(a, 1, 99, &v))
            q.strokes = (unsigned int)v;
        else if (strcmp(o, "--limit") == 0 && num_arg(a, 1, 500, &v))
            q.limit = (size_t)v;
        else
            goto usage;
    }
    enum egov_ec ec;
    const char *field;
    json_t *r = egov_hanzi_lookup(&q, &ec, &field);
    if (r == NULL) {
        fprintf(stderr, "egov hanzi lookup: %s: %s\n", field != NULL ? field : "",
                egov_ec_hint(ec));
        return ec == EGOV_EC_GENERIC_OOM ? 1 : 2;
    }
    printf("# %lld candidates\n", (long long)json_integer_value(json_object_get(r, "total")));
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(r, "candidates"), i, c)
    {
        const char *cns = json_string_value(json_object_get(c, "cns"));
        printf("%s\t%s\t%s\t%lld", json_string_value(json_object_get(c, "char")),
               json_string_value(json_object_get(c, "unicode")), cns != NULL ? cns : "-",
               (long long)json_integer_value(json_object_get(c, "strokes")));
        size_t k;
        json_t *z;
        json_array_foreach(json_object_get(c, "zhuyin"), k, z)
            printf("%s%s", k == 0 ? "\t" : " ", json_string_value(z));
        printf("\n");
    }
    json_decref(r);
    return 0;
usage:
    fprintf(stderr, "usage: egov hanzi lookup --zhuyin Z | --radical R [--residual N] | "
                    "--strokes N [--limit N]\n");
    return 2;
}

int egov_hanzi_props_cli(int argc, char **argv, const struct egov_module_env *env)
{
    static const struct {
        const char *name;
        int (*fn)(int, char **);
    } cmds[] = {
        {"sort", cmd_sort},   {"key", cmd_key},       {"collate-check", cmd_collate_check},
        {"match", cmd_match}, {"lookup", cmd_lookup},
    };
    if (argc < 1)
        return -1;
    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
        if (strcmp(argv[0], cmds[i].name) != 0)
            continue;
        char err[256];
        const char *vardir = env != NULL && env->cfg != NULL ? env->cfg->vardir : NULL;
        if (vardir != NULL && !egov_hanzi_tables_load(vardir, err, sizeof(err)))
            fprintf(stderr, "egov hanzi: character tables: %s\n", err);
        if (!egov_hanzi_props_load(vardir, NULL, err, sizeof(err)))
            fprintf(stderr, "egov hanzi: character properties: %s\n", err);
        int rc = cmds[i].fn(argc, argv);
        fflush(stdout);
        return rc;
    }
    return -1;
}
