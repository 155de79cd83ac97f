/*
 * cli.c -- `egov account add --national-id ID --name NAME --password-file FILE
 * [--email ADDRESS] [--phone NUMBER]`: creates an active account and prints
 * it as JSON;
 * `egov account show|unlock --national-id ID` for the help desk.
 * The password is read from a file (first line) so it never appears in
 * the process list or the shell history.
 */
#include <ctype.h>
#include <getopt.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "account/account_int.h"

static void usage(FILE *out)
{
    fputs("usage: egov account add --national-id ID --name NAME --password-file FILE"
          " [--email ADDRESS] [--phone NUMBER]\n"
          "  Creates an active citizen account.  FILE holds the password on its first line\n"
          "  (\"-\" reads standard input).  NUMBER is in international form (+886...);\n"
          "  contacts given here are recorded as not yet verified.  Prints the account as\n"
          "  JSON.\n"
          "       egov account show --national-id ID\n"
          "  Prints the account as JSON (state, contacts and whether each is verified,\n"
          "  second factor, lockout).\n"
          "       egov account unlock --national-id ID\n"
          "  Ends a lockout after failed sign-ins (help desk); audited.\n",
          out);
}

/* Reads the first line of @p path into @p out; false (after a message) on failure. */
static bool read_password(const char *path, char *out, size_t outlen)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    if (f == NULL) {
        fprintf(stderr, "egov account: cannot read %s\n", path);
        return false;
    }
    bool ok = fgets(out, (int)outlen, f) != NULL;
    if (f != stdin)
        fclose(f);
    if (!ok) {
        fprintf(stderr, "egov account: %s is empty\n", path);
        return false;
    }
    size_t n = strlen(out);
    if (n == outlen - 1 && out[n - 1] != '\n') {
        fprintf(stderr, "egov account: the password in %s is too long\n", path);
        return false;
    }
    while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == '\r'))
        out[--n] = '\0';
    return true;
}

struct phone_then {
    const char *phone;
    char *id;
    bool taken;
};

/* Runs in the transaction creating the account: records its phone number. */
static enum egov_db_qs add_phone(struct egov_db_conn *c, void *cls)
{
    struct phone_then *t = cls;
    enum egov_db_qs qs = account_phone_set(c, t->id, t->phone);
    if (qs == EGOV_DB_NO_ROW) {
        t->taken = true;
        return EGOV_DB_HARD_ERROR; /* roll the new account back */
    }
    return qs;
}

static int cmd_add(int argc, char **argv, const struct egov_module_env *env)
{
    static const struct option longopts[] = {
        {"national-id", required_argument, NULL, 'i'},
        {"name", required_argument, NULL, 'n'},
        {"password-file", required_argument, NULL, 'p'},
        {"email", required_argument, NULL, 'e'},
        {"phone", required_argument, NULL, 'P'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *nid = NULL, *name = NULL, *pwfile = NULL, *email = NULL, *phone_arg = NULL;
    char password[ACCOUNT_PW_MAX_BYTES + 2], id[37], phone[ACCOUNT_PHONE_MAX + 1] = "";
    int ch, rc = 1;

    optind = 1;
    while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (ch) {
        case 'i':
            nid = optarg;
            break;
        case 'n':
            name = optarg;
            break;
        case 'p':
            pwfile = optarg;
            break;
        case 'e':
            email = optarg;
            break;
        case 'P':
            phone_arg = optarg;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (nid == NULL || name == NULL || pwfile == NULL || optind != argc) {
        usage(stderr);
        return 2;
    }
    if (phone_arg != NULL && !account_phone_normalise(phone_arg, phone)) {
        fprintf(stderr, "egov account: phone: not a number in international form (+886...)\n");
        return 2;
    }
    if (!read_password(pwfile, password, sizeof password))
        return 1;
    struct egov_db *db = env->open_db(env);
    if (db == NULL)
        goto done;
    struct egov_account_new in = {nid, name, email, password, true};
    const char *field = NULL;
    struct phone_then pt = {phone, id, false};
    enum egov_ec ec = account_add_full(db, &in, "cli", "", NULL, id, &field,
                                       phone_arg != NULL ? add_phone : NULL, &pt);
    if (pt.taken) {
        fprintf(stderr, "egov account: phone: another account has this number\n");
        goto done;
    }
    if (ec != EGOV_EC_NONE) {
        fprintf(stderr, "egov account: %s%s%s\n", field != NULL ? field : "",
                field != NULL ? ": " : "", egov_ec_hint(ec));
        goto done;
    }
    struct account_row row;
    if (account_load_db(db, id, &row) != EGOV_DB_ONE_ROW) {
        fprintf(stderr, "egov account: the new account cannot be read back\n");
        goto done;
    }
    json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s?, s:s?, s:s}", "id", row.id, "principal_id",
                          row.principal_id, "national_id", row.national_id, "name", row.name,
                          "email", row.email[0] != '\0' ? row.email : NULL, "phone",
                          phone_arg != NULL ? phone : NULL, "state", row.state);
    char *text = j != NULL ? json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
    json_decref(j);
    if (text == NULL)
        goto done;
    printf("%s\n", text);
    free(text);
    rc = 0;
done:
    egov_wipe(password, sizeof password);
    egov_db_close(db);
    return rc;
}

static const struct egov_db_stmt st_show = {
    "account_cli_show",
    "SELECT id, principal_id, national_id, email, name, state, totp_enabled, failed_count,"
    " locked_until, created_at, phone, phone_verified, email_verified FROM account"
    " WHERE national_id = $1",
    NULL};
static const struct egov_db_stmt st_unlock = {
    "account_cli_unlock",
    "UPDATE account SET failed_count = 0, locked_until = 0, updated_at = $2"
    " WHERE national_id = $1 RETURNING id",
    NULL};

struct show_txn {
    const char *nid;
    bool unlock;
    json_t *out;
};

static enum egov_db_qs show_body(struct egov_db_conn *c, void *cls)
{
    struct show_txn *t = cls;
    struct egov_db_rows *r = NULL;
    enum egov_db_qs qs;
    json_decref(t->out);
    t->out = NULL;
    if (t->unlock) {
        struct egov_db_param u[] = {EGOV_DB_PARAM_TEXT(t->nid), EGOV_DB_PARAM_INT64(egov_now_us()),
                                    EGOV_DB_PARAM_END};
        qs = egov_db_query(c, &st_unlock, u, &r);
        char id[37] = "";
        if (qs == EGOV_DB_ONE_ROW)
            snprintf(id, sizeof id, "%s", egov_db_rows_text(r, 0, 0));
        egov_db_rows_free(r);
        r = NULL;
        if (qs <= 0)
            return qs;
        qs = egov_account_audit(c, "cli", "account.unlock", id, "", NULL, NULL);
        if (qs < 0)
            return qs;
    }
    struct egov_db_param p[] = {EGOV_DB_PARAM_TEXT(t->nid), EGOV_DB_PARAM_END};
    qs = egov_db_query(c, &st_show, p, &r);
    if (qs == EGOV_DB_ONE_ROW) {
        char created[32], locked[32] = "";
        int64_t lu = egov_db_rows_int64(r, 0, 8);
        egov_time_rfc3339(egov_db_rows_int64(r, 0, 9), created);
        if (lu > egov_now_us())
            egov_time_rfc3339(lu, locked);
        t->out = json_pack("{s:s, s:s, s:s, s:s?, s:s, s:s, s:b, s:I, s:s?, s:s}", "id",
                           egov_db_rows_text(r, 0, 0), "principal_id", egov_db_rows_text(r, 0, 1),
                           "national_id", egov_db_rows_text(r, 0, 2), "email",
                           egov_db_rows_text(r, 0, 3), "name", egov_db_rows_text(r, 0, 4), "state",
                           egov_db_rows_text(r, 0, 5), "totp", egov_db_rows_int64(r, 0, 6) != 0,
                           "failed_count", (json_int_t)egov_db_rows_int64(r, 0, 7), "locked_until",
                           locked[0] != '\0' ? locked : NULL, "created", created);
        const char *phone = egov_db_rows_text(r, 0, 10);
        if (t->out != NULL && phone != NULL && phone[0] != '\0') {
            json_object_set_new(t->out, "phone", json_string(phone));
            json_object_set_new(t->out, "phone_verified",
                                json_boolean(egov_db_rows_int64(r, 0, 11) != 0));
        }
        if (t->out != NULL && egov_db_rows_text(r, 0, 3) != NULL)
            json_object_set_new(t->out, "email_verified",
                                json_boolean(egov_db_rows_int64(r, 0, 12) != 0));
    }
    egov_db_rows_free(r);
    return qs;
}

static int cmd_show(int argc, char **argv, const struct egov_module_env *env, bool unlock)
{
    static const struct option longopts[] = {
        {"national-id", required_argument, NULL, 'i'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *nid = NULL;
    char upper[16];
    int ch, rc = 1;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (ch) {
        case 'i':
            nid = optarg;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (nid == NULL || optind != argc || strlen(nid) != 10) {
        usage(stderr);
        return 2;
    }
    for (int i = 0; i < 10; i++)
        upper[i] = (char)toupper((unsigned char)nid[i]);
    upper[10] = '\0';
    struct egov_db *db = env->open_db(env);
    if (db == NULL)
        return 1;
    struct show_txn t = {upper, unlock, NULL};
    enum egov_db_qs qs = account_txn(db, unlock, show_body, &t);
    if (qs < 0) {
        fprintf(stderr, "egov account: the database failed\n");
    } else if (t.out == NULL) {
        fprintf(stderr, "egov account: no account with national ID %s\n", upper);
    } else {
        char *text = json_dumps(t.out, JSON_INDENT(2) | JSON_SORT_KEYS);
        if (text != NULL) {
            printf("%s\n", text);
            rc = 0;
        }
        free(text);
    }
    json_decref(t.out);
    egov_db_close(db);
    return rc;
}

int account_cli_run(int argc, char **argv, const struct egov_module_env *env)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "add") == 0)
        return cmd_add(argc - 1, argv + 1, env);
    if (strcmp(argv[1], "show") == 0 || strcmp(argv[1], "unlock") == 0)
        return cmd_show(argc - 1, argv + 1, env, strcmp(argv[1], "unlock") == 0);
    fprintf(stderr, "egov account: unknown command %s\n", argv[1]);
    usage(stderr);
    return 2;
}
