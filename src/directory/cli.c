/*
 * cli.c -- command-line verbs of the directory and the OID registry:
 *
 *   egov oid import FILE [--changes FILE]     import the official OID list
 *   egov oid resolve OID                      the entry and its path, as JSON
 *   egov oid register PARENT NAME [--arc N] [--description TEXT] [--agency ID]
 *   egov oid search TEXT                      arcs by name, as JSON
 *   egov oid der OID | egov oid der --decode HEX
 *   egov directory export-ldif [--root ID|CODE|OID] [--out FILE]
 *   egov directory agency ID|CODE|OID         one agency, as JSON
 *   egov directory search TEXT                agencies by name, as JSON
 *   egov directory check-id ID...             validity of national IDs, resident
 *                                             certificate numbers and business IDs
 *   egov directory rekey                      recompute every folded search key
 *
 * The operator running the command acts as the platform administrator.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crypto/crypto.h"
#include "directory/directory_int.h"

static void print_json(json_t *j)
{
    char *s = json_dumps(j, JSON_INDENT(2));
    if (s != NULL) {
        puts(s);
        free(s);
    }
    json_decref(j);
}

static void operator_actor(struct egov_oid_actor *actor)
{
    memset(actor, 0, sizeof(*actor));
    egov_utf8_copy(actor->subject, sizeof(actor->subject), "cli");
    actor->platform_admin = true;
}

static int fail_ec(const char *what, enum egov_ec ec)
{
    fprintf(stderr, "egov %s: %s (%s)\n", what, egov_ec_hint(ec), egov_ec_name(ec));
    return 1;
}

struct progress_state {
    bool tty;
    int64_t last_us;
};

static void import_progress(unsigned long done, unsigned long total, void *cls)
{
    struct progress_state *ps = cls;
    if (!ps->tty)
        return;
    int64_t now = egov_mono_us();
    if (done < total && now - ps->last_us < 100000)
        return;
    ps->last_us = now;
    unsigned long pct = total == 0 ? 100 : done * 100 / total;
    fprintf(stderr, "\rimporting agencies: %lu / %lu (%lu%%)", done, total, pct);
    if (done == total)
        fputc('\n', stderr);
    fflush(stderr);
}

static int oid_import(int argc, char **argv, const struct egov_module_env *env)
{
    const char *file = NULL, *changes = NULL;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--changes") == 0 && i + 1 < argc)
            changes = argv[++i];
        else if (argv[i][0] != '-' && file == NULL)
            file = argv[i];
        else {
            fprintf(stderr, "egov oid import: unexpected argument %s\n", argv[i]);
            return 2;
        }
    }
    if (file == NULL) {
        fprintf(stderr, "usage: egov oid import FILE [--changes FILE]\n");
        return 2;
    }
    struct egov_db *db = env->open_db(env);
    if (db == NULL)
        return 1;
    struct egov_directory_import_stats st;
    struct progress_state ps = {isatty(STDERR_FILENO) == 1, 0};
    char err[512];
    int64_t t0 = egov_mono_us();
    enum egov_ec ec = egov_directory_import_oid_list(db, file, changes, import_progress, &ps, &st,
                                                     err, sizeof(err));
    egov_db_close(db);
    if (ec != EGOV_EC_NONE) {
        fprintf(stderr, "egov oid import: %s\n", err);
        return 1;
    }
    printf("imported %s: %lu rows, %lu created, %lu updated, %lu unchanged, %lu renames "
           "recorded, %lu skipped (%.1f s)\n",
           file, st.rows, st.created, st.updated, st.unchanged, st.renamed, st.skipped,
           (double)(egov_mono_us() - t0) / 1e6);
    return 0;
}

static int oid_resolve(int argc, char **argv, const struct egov_module_env *env)
{
    if (argc != 3) {
        fprintf(stderr, "usage: egov oid resolve OID\n");
        return 2;
    }
    if (!egov_oid_valid(argv[2]))
        return fail_ec("oid resolve", EGOV_EC_OID_INVALID);
    struct egov_db *db = env->open_db(env);
    if (db == NULL)
        return 1;
    json_t *res = NULL;
    enum egov_ec ec = egov_oid_resolve(db, argv[2], &res);
    egov_db_close(db);
    if (ec != EGOV_EC_NONE)
        return fail_ec("oid resolve", ec);
    print_json(res);
    return 0;
}

static int oid_register(int argc, char **argv, const struct egov_module_env *env)
{
    const char *parent = NULL, *name = NULL, *arc = NULL, *description = NULL, *agency = NULL;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--arc") == 0 && i + 1 < argc)
            arc = argv[++i];
        else if (strcmp(argv[i], "--description") == 0 && i + 1 < argc)
            description = argv[++i];
        else if (strcmp(argv[i], "--agency") == 0 && i + 1 < argc)
            agency = argv[++i];
        else if (parent == NULL)
            parent = argv[i];
        else if (name == NULL)
            name = argv[i];
        else {
            fprintf(stderr, "egov oid register: unexpected argument %s\n", argv[i]);
            return 2;
        }
    }
    if (parent == NULL || name == NULL) {
        fprintf(stderr, "usage: egov oid register PARENT NAME [--arc N] [--description TEXT] "
                        "[--agency ID]\n");
        return 2;
    }
    struct egov_db *db = env->open_db(env);
    if (db == NULL)
        return 1;
    struct egov_oid_actor actor;
    operator_actor(&actor);
    char oid[EGOV_OID_TEXT_MAX + 1];
    enum egov_ec ec = egov_oid_register(db, &actor, parent, arc, name, description, agency, oid);
    json_t *res = NULL;
    if (ec == EGOV_EC_NONE)
        ec = egov_oid_resolve(db, oid, &res);
    egov_db_close(db);
    if (ec != EGOV_EC_NONE)
        return fail_ec("oid register", ec);
    print_json(res);
    return 0;
}

static int oid_search(int argc, char **argv, const struct egov_module_env *env)
{
    if (argc != 3) {
        fprintf(stderr, "usage: egov oid search TEXT\n");
        return 2;
    }
    struct egov_db *db = env->open_db(env);
    if (db == NULL)
        return 1;
    json_t *res = NULL;
    enum egov_ec ec = egov_oid_search(db, argv[2], 100, &res);
    egov_db_close(db);
    if (ec != EGOV_EC_NONE)
        return fail_ec("oid search", ec);
    print_json(res);
    return 0;
}

static int hexval(char c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

static int oid_der(int argc, char **argv, const struct egov_module_env *env)
{
    (void)env;
    uint8_t der[EGOV_OID_DER_MAX];
    if (argc == 3 && argv[2][0] != '-') {
        long n = egov_oid_der_encode(argv[2], true, der, sizeof(der));
        if (n < 0)
            return fail_ec("oid der", EGOV_EC_OID_INVALID);
        char hex[2 * EGOV_OID_DER_MAX + 1];
        egov_hex_encode(der, (size_t)n, hex);
        puts(hex);
        return 0;
    }
    if (argc == 4 && strcmp(argv[2], "--decode") == 0) {
        const char *h = argv[3];
        size_t len = strlen(h);
        if (len % 2 != 0 || len / 2 > sizeof(der))
            return fail_ec("oid der", EGOV_EC_OID_DER_INVALID);
        for (size_t i = 0; i < len; i += 2) {
            int a = hexval(h[i]), b = hexval(h[i + 1]);
            if (a < 0 || b < 0)
                return fail_ec("oid der", EGOV_EC_OID_DER_INVALID);
            der[i / 2] = (uint8_t)(a * 16 + b);
        }
        char text[EGOV_OID_TEXT_MAX + 1];
        if (!egov_oid_der_decode(der, len / 2, true, text, sizeof(text)))
            return fail_ec("oid der", EGOV_EC_OID_DER_INVALID);
        puts(text);
        return 0;
    }
    fprintf(stderr, "usage: egov oid der OID | egov oid der --decode HEX\n");
    return 2;
}

/* One subcommand of a verb: `egov VERB WORD ...`. */
struct sub {
    const char *word;
    int (*run)(int argc, char **argv, const struct egov_module_env *env);
};

/*
 * Runs the subcommand of @p subs named by argv[1], or prints @p usage:
 * to stdout with exit code 0 when asked for help, else to stderr with 2.
 */
static int dispatch(int argc, char **argv, const struct egov_module_env *env,
                    const struct sub *subs, const char *usage)
{
    const char *word = argc >= 2 ? argv[1] : "";
    for (const struct sub *s = subs; s->word != NULL; s++)
        if (strcmp(word, s->word) == 0)
            return s->run(argc, argv, env);
    bool help = strcmp(word, "--help") == 0 || strcmp(word, "-h") == 0 || strcmp(word, "help") == 0;
    fputs(usage, help ? stdout : stderr);
    return help ? 0 : 2;
}

static int run_oid(int argc, char **argv, const struct egov_module_env *env)
{
    static const struct sub subs[] = {
        {"import", oid_import}, {"resolve", oid_resolve}, {"register", oid_register},
        {"search", oid_search}, {"der", oid_der},         {NULL, NULL},
    };
    return dispatch(argc, argv, env, subs,
                    "usage: egov oid import FILE [--changes FILE]\n"
                    "       egov oid resolve OID\n"
                    "       egov oid register PARENT NAME [--arc N] [--description TEXT] "
                    "[--agency ID]\n"
                    "       egov oid search TEXT\n"
                    "       egov oid der OID | egov oid der --decode HEX\n");
}

/* ------------------------------------------------------------------ */
/* egov directory                                                      */
/* ------------------------------------------------------------------ */

static enum egov_db_qs find_agency(struct egov_db *db, const char *key,
                                   struct egov_directory_agency *out)
{
    if (egov_uuid_valid(key))
        return egov_directory_agency_get(db, key, out);
    if (egov_directory_agency_code_valid(key))
        return egov_directory_agency_by_code(db, key, out);
    return egov_directory_agency_by_oid(db, key, out);
}

static int dir_export(int argc, char **argv, const struct egov_module_env *env)
{
    const char *root = NULL, *path = NULL;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--root") == 0 && i + 1 < argc)
            root = argv[++i];
        else if (strcmp(argv[i], "--out") == 0 && i + 1 < argc)
            path = argv[++i];
        else {
            fprintf(stderr,
                    "usage: egov directory export-ldif [--root ID|CODE|OID] [--out FILE]\n");
            return 2;
        }
    }
    struct egov_db *db = env->open_db(env);
    if (db == NULL)
        return 1;
    struct egov_directory_agency a;
    const char *root_id = NULL;
    int rc = 1;
    struct egov_buf out;
    egov_buf_init(&out);
    if (root != NULL) {
        enum egov_db_qs qs = find_agency(db, root, &a);
        if (qs <= 0) {
            fail_ec("directory export-ldif",
                    qs == 0 ? EGOV_EC_DIRECTORY_AGENCY_NOT_FOUND : egov_db_qs_ec(qs));
            goto done;
        }
        root_id = a.id;
    }
    enum egov_ec ec = egov_directory_export_ldif(db, root_id, &out);
    if (ec != EGOV_EC_NONE) {
        fail_ec("directory export-ldif", ec);
        goto done;
    }
    FILE *f = path != NULL ? fopen(path, "w") : stdout;
    if (f == NULL) {
        fprintf(stderr, "egov directory export-ldif: cannot write %s: %s\n", path, strerror(errno));
        goto done;
    }
    bool ok = fwrite(out.data, 1, out.len, f) == out.len;
    if (f != stdout)
        ok = fclose(f) == 0 && ok;
    else
        ok = fflush(stdout) == 0 && ok;
    if (!ok) {
        fprintf(stderr, "egov directory export-ldif: write failed\n");
        goto done;
    }
    rc = 0;
done:
    egov_buf_free(&out);
    egov_db_close(db);
    return rc;
}

static int dir_agency(int argc, char **argv, const struct egov_module_env *env)
{
    if (argc != 3) {
        fprintf(stderr, "usage: egov directory agency ID|CODE|OID\n");
        return 2;
    }
    struct egov_db *db = env->open_db(env);
    if (db == NULL)
        return 1;
    struct egov_directory_agency a;
    enum egov_db_qs qs = find_agency(db, argv[2], &a);
    json_t *o = NULL, *history = NULL, *path = NULL;
    enum egov_ec ec = qs < 0    ? egov_db_qs_ec(qs)
                      : qs == 0 ? EGOV_EC_DIRECTORY_AGENCY_NOT_FOUND
                                : EGOV_EC_NONE;
    if (ec == EGOV_EC_NONE)
        ec = egov_directory_agency_history(db, a.id, &history);
    if (ec == EGOV_EC_NONE)
        ec = egov_directory_agency_path(db, a.id, &path);
    egov_db_close(db);
    if (ec != EGOV_EC_NONE) {
        json_decref(history);
        return fail_ec("directory agency", ec);
    }
    o = egov_directory_agency_to_json(&a);
    json_object_set_new(o, "history", history);
    json_object_set_new(o, "path", path);
    print_json(o);
    return 0;
}

static int dir_search(int argc, char **argv, const struct egov_module_env *env)
{
    if (argc != 3) {
        fprintf(stderr, "usage: egov directory search TEXT\n");
        return 2;
    }
    struct egov_db *db = env->open_db(env);
    if (db == NULL)
        return 1;
    json_t *res = NULL;
    enum egov_ec ec = egov_directory_agency_search(db, argv[2], 100, &res);
    egov_db_close(db);
    if (ec != EGOV_EC_NONE)
        return fail_ec("directory search", ec);
    print_json(res);
    return 0;
}

/* Prints "ID<TAB>valid|invalid<TAB>kind" per argument; exit 0 if all are valid, 1 if not. */
static int dir_check_id(int argc, char **argv, const struct egov_module_env *env)
{
    (void)env;
    if (argc < 3) {
        fprintf(stderr, "usage: egov directory check-id ID...  (or - to read IDs from stdin)\n");
        return 2;
    }
    bool all = true;
    char line[128];
    bool from_stdin = argc == 3 && strcmp(argv[2], "-") == 0;
    for (int i = 2; from_stdin || i < argc; i++) {
        const char *id;
        if (from_stdin) {
            if (fgets(line, sizeof(line), stdin) == NULL)
                break;
            line[strcspn(line, "\r\n")] = '\0';
            if (line[0] == '\0')
                continue;
            id = line;
        } else {
            id = argv[i];
        }
        const char *kind;
        bool valid = true;
        switch (egov_directory_id_check(id)) {
        case EGOV_DIRECTORY_ID_NATIONAL:
            kind = "national_id";
            break;
        case EGOV_DIRECTORY_ID_RESIDENT:
            kind = "resident_certificate";
            break;
        case EGOV_DIRECTORY_ID_RESIDENT_OLD:
            kind = "resident_certificate_old";
            break;
        default:
            valid = egov_directory_ban_valid(id);
            kind = valid ? "business_id" : "-";
            break;
        }
        all = all && valid;
        printf("%s\t%s\t%s\n", id, valid ? "valid" : "invalid", kind);
    }
    return all ? 0 : 1;
}

static int dir_rekey(int argc, char **argv, const struct egov_module_env *env)
{
    (void)argv;
    if (argc != 2) {
        fprintf(stderr, "usage: egov directory rekey\n");
        return 2;
    }
    struct egov_db *db = env->open_db(env);
    if (db == NULL)
        return 1;
    unsigned long changed = 0;
    enum egov_ec ec = egov_directory_rekey(db, &changed);
    egov_db_close(db);
    if (ec != EGOV_EC_NONE)
        return fail_ec("directory rekey", ec);
    printf("%lu search keys changed\n", changed);
    return 0;
}

static int run_directory(int argc, char **argv, const struct egov_module_env *env)
{
    static const struct sub subs[] = {
        {"export-ldif", dir_export}, {"agency", dir_agency}, {"search", dir_search},
        {"check-id", dir_check_id},  {"rekey", dir_rekey},   {NULL, NULL},
    };
    return dispatch(argc, argv, env, subs,
                    "usage: egov directory export-ldif [--root ID|CODE|OID] [--out FILE]\n"
                    "       egov directory agency ID|CODE|OID\n"
                    "       egov directory search TEXT\n"
                    "       egov directory check-id ID... | -\n"
                    "       egov directory rekey\n");
}

const struct egov_module_cli dir_cli[] = {
    {"oid", "OID registry: import the official list, resolve, register, search, DER", run_oid},
    {"directory", "agency directory: LDIF export, lookups, ID and business-ID checks",
     run_directory},
    {NULL, NULL, NULL},
};
