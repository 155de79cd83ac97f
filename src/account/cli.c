/*
 * cli.c -- `egov account add --national-id ID --name NAME --password-file FILE
 * [--email ADDRESS]`: creates an active account and prints it as JSON.
 * The password is read from a file (first line) so it never appears in
 * the process list or the shell history.
 */
#include <getopt.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "account/account_int.h"

static void usage(FILE *out)
{
    fputs("usage: egov account add --national-id ID --name NAME --password-file FILE"
          " [--email ADDRESS]\n"
          "  Creates an active citizen account.  FILE holds the password on its first line\n"
          "  (\"-\" reads standard input).  Prints the account as JSON.\n",
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

static int cmd_add(int argc, char **argv, const struct egov_module_env *env)
{
    static const struct option longopts[] = {
        {"national-id", required_argument, NULL, 'i'},
        {"name", required_argument, NULL, 'n'},
        {"password-file", required_argument, NULL, 'p'},
        {"email", required_argument, NULL, 'e'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *nid = NULL, *name = NULL, *pwfile = NULL, *email = NULL;
    char password[ACCOUNT_PW_MAX_BYTES + 2], id[37];
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
    if (!read_password(pwfile, password, sizeof password))
        return 1;
    struct egov_db *db = env->open_db(env);
    if (db == NULL)
        goto done;
    struct egov_account_new in = {nid, name, email, password, true};
    const char *field = NULL;
    enum egov_ec ec = account_add_full(db, &in, "cli", "", NULL, id, &field, NULL, NULL);
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
    json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s?, s:s}", "id", row.id, "principal_id",
                          row.principal_id, "national_id", row.national_id, "name", row.name,
                          "email", row.email[0] != '\0' ? row.email : NULL, "state", row.state);
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

int account_cli_run(int argc, char **argv, const struct egov_module_env *env)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "add") == 0)
        return cmd_add(argc - 1, argv + 1, env);
    fprintf(stderr, "egov account: unknown command %s\n", argv[1]);
    usage(stderr);
    return 2;
}
