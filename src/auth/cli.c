/*
 * cli.c -- `egov oidc ...`:
 *   egov oidc client add --name NAME --redirect-uri URI [--auth METHOD]
 *        registers a client and prints it as JSON (with its secret, shown once)
 *   egov oidc client set CLIENT_ID [--jwks-file FILE] [--post-logout-uri URI]...
 *        sets the public JWK set of a private_key_jwt client and the
 *        registered post-logout redirect URIs
 *   egov oidc keys rotate [--ahead SECONDS]
 *        publishes new signing keys that start signing after SECONDS (default 86400)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth_int.h"

static const struct egov_db_stmt st_set_jwks = {
    "oidc_client_set_jwks",
    "UPDATE oidc_client SET jwks = $2 WHERE id = $1 AND auth_method = 'private_key_jwt'"
    " AND disabled_at IS NULL",
    NULL};
static const struct egov_db_stmt st_set_logouts = {
    "oidc_client_set_logouts",
    "UPDATE oidc_client SET post_logout_uris = $2 WHERE id = $1 AND disabled_at IS NULL", NULL};

static void usage(FILE *out)
{
    fprintf(out,
            "usage: egov oidc client add --name NAME --redirect-uri URI [--auth METHOD]\n"
            "       egov oidc client set CLIENT_ID [--jwks-file FILE] [--post-logout-uri URI]...\n"
            "       egov oidc keys rotate [--ahead SECONDS]\n"
            "METHOD: client_secret_basic (default), client_secret_post, private_key_jwt, "
            "none\n"
            "--redirect-uri may be given up to 10 times.\n");
}

static int client_add(int argc, char **argv, const struct egov_module_env *env)
{
    const char *name = NULL, *method = NULL;
    json_t *uris = json_array();
    int rc = 2;
    for (int i = 3; i < argc; i++) {
        const char *a = argv[i];
        if ((strcmp(a, "--name") == 0 || strcmp(a, "--redirect-uri") == 0 ||
             strcmp(a, "--auth") == 0) &&
            i + 1 >= argc) {
            fprintf(stderr, "egov oidc: %s needs a value\n", a);
            goto done;
        }
        if (strcmp(a, "--name") == 0)
            name = argv[++i];
        else if (strcmp(a, "--redirect-uri") == 0)
            json_array_append_new(uris, json_string(argv[++i]));
        else if (strcmp(a, "--auth") == 0)
            method = argv[++i];
        else {
            fprintf(stderr, "egov oidc: unknown option '%s'\n", a);
            usage(stderr);
            goto done;
        }
    }
    if (name == NULL || json_array_size(uris) == 0) {
        fprintf(stderr, "egov oidc: --name and --redirect-uri are required\n");
        usage(stderr);
        goto done;
    }
    struct egov_db *db = env->open_db(env);
    if (db == NULL) {
        rc = 1;
        goto done;
    }
    struct auth_client_new in = {name, NULL, method, uris, NULL, NULL, NULL, NULL,
                                 NULL, NULL, NULL,   true, NULL, NULL, NULL};
    enum egov_ec ec;
    const char *field = NULL;
    char detail[256];
    json_t *out = auth_client_register(db, &in, &ec, &field, detail, sizeof(detail));
    egov_db_close(db);
    if (out == NULL) {
        const char *opt = field == NULL                                      ? ""
                          : strcmp(field, "redirect_uris") == 0              ? "--redirect-uri: "
                          : strcmp(field, "client_name") == 0                ? "--name: "
                          : strcmp(field, "token_endpoint_auth_method") == 0 ? "--auth: "
                                                                             : "";
        fprintf(stderr, "egov oidc: %s%s\n", opt, detail[0] ? detail : egov_ec_hint(ec));
        rc = 1;
        goto done;
    }
    json_dumpf(out, stdout, JSON_INDENT(2));
    fputc('\n', stdout);
    if (method != NULL && strcmp(method, "private_key_jwt") == 0)
        fprintf(stderr,
                "egov oidc: give the client its public keys with `egov oidc client set "
                "%s --jwks-file FILE`\n",
                json_string_value(json_object_get(out, "client_id")));
    json_decref(out);
    rc = 0;
done:
    json_decref(uris);
    return rc;
}

/* Reads and checks a JWK set file; new reference or NULL after a message. */
static json_t *read_jwks(const char *path)
{
    json_error_t jerr;
    json_t *jwks = json_load_file(path, 0, &jerr);
    json_t *keys = json_object_get(jwks, "keys");
    if (!json_is_array(keys) || json_array_size(keys) == 0 || json_array_size(keys) > 10) {
        fprintf(stderr, "egov oidc: %s is not a JWK set {\"keys\": [...]} of 1 to 10 keys\n", path);
        json_decref(jwks);
        return NULL;
    }
    size_t i;
    json_t *k;
    json_array_foreach(keys, i, k)
    {
        char err[160];
        struct egov_jose_key *pk = egov_jose_key_from_jwk(k, err, sizeof(err));
        if (pk == NULL) {
            fprintf(stderr, "egov oidc: %s: key %zu: %s\n", path, i + 1, err);
            json_decref(jwks);
            return NULL;
        }
        egov_jose_key_free(pk);
    }
    return jwks;
}

struct set_ctx {
    const char *id;
    const char *jwks;    /* NULL = unchanged */
    const char *logouts; /* NULL = unchanged */
};

static enum egov_db_qs set_body(struct egov_db_conn *c, void *cls)
{
    struct set_ctx *x = cls;
    enum egov_db_qs qs = EGOV_DB_ONE_ROW;
    if (x->jwks != NULL)
        qs = egov_db_exec(c, &st_set_jwks,
                          (struct egov_db_param[]){EGOV_DB_PARAM_TEXT(x->id),
                                                   EGOV_DB_PARAM_TEXT(x->jwks), EGOV_DB_PARAM_END});
    if (qs == EGOV_DB_ONE_ROW && x->logouts != NULL)
        qs = egov_db_exec(c, &st_set_logouts,
                          (struct egov_db_param[]){EGOV_DB_PARAM_TEXT(x->id),
                                                   EGOV_DB_PARAM_TEXT(x->logouts),
                                                   EGOV_DB_PARAM_END});
    return qs;
}

static int client_set(int argc, char **argv, const struct egov_module_env *env)
{
    json_t *jwks = NULL, *logouts = NULL;
    char *jwks_s = NULL, *logouts_s = NULL;
    int rc = 2;
    if (argc < 4 || argv[3][0] == '-') {
        usage(stderr);
        return 2;
    }
    for (int i = 4; i < argc; i++) {
        if (strcmp(argv[i], "--jwks-file") == 0 && i + 1 < argc && jwks == NULL) {
            if ((jwks = read_jwks(argv[++i])) == NULL) {
                rc = 1;
                goto done;
            }
        } else if (strcmp(argv[i], "--post-logout-uri") == 0 && i + 1 < argc) {
            if (logouts == NULL)
                logouts = json_array();
            json_array_append_new(logouts, json_string(argv[++i]));
        } else {
            usage(stderr);
            goto done;
        }
    }
    if (jwks == NULL && logouts == NULL) {
        usage(stderr);
        goto done;
    }
    if (logouts != NULL) {
        char host[256], detail[200];
        if (!auth_client_uris_ok(logouts, host, sizeof(host), detail, sizeof(detail))) {
            fprintf(stderr, "egov oidc: --post-logout-uri: %s\n", detail);
            rc = 1;
            goto done;
        }
        logouts_s = egov_json_dumps(logouts);
    }
    if (jwks != NULL)
        jwks_s = egov_json_dumps(jwks);
    struct egov_db *db = env->open_db(env);
    if (db == NULL) {
        rc = 1;
        goto done;
    }
    struct set_ctx x = {argv[3], jwks_s, logouts_s};
    struct egov_db_conn *c = egov_db_acquire(db, 5000);
    enum egov_db_qs qs = c ? egov_db_txn(c, true, 10, set_body, &x) : EGOV_DB_HARD_ERROR;
    egov_db_release(c);
    egov_db_close(db);
    if (qs < 0) {
        fprintf(stderr, "egov oidc: the database refused the change\n");
        rc = 1;
    } else if (qs == EGOV_DB_NO_ROW) {
        fprintf(stderr,
                "egov oidc: no such active client %s (a JWK set needs a private_key_jwt "
                "client)\n",
                argv[3]);
        rc = 1;
    } else {
        printf("client %s updated\n", argv[3]);
        rc = 0;
    }
done:
    egov_free(jwks_s);
    egov_free(logouts_s);
    json_decref(jwks);
    json_decref(logouts);
    return rc;
}

static int keys_rotate(int argc, char **argv, const struct egov_module_env *env)
{
    long long ahead = AUTH_KEY_PUBLISH_AHEAD;
    for (int i = 3; i < argc; i++) {
        if (strcmp(argv[i], "--ahead") == 0 && i + 1 < argc) {
            char *end = NULL;
            ahead = strtoll(argv[++i], &end, 10);
            if (*end != '\0' || ahead < 0 || ahead > 30LL * 86400) {
                fprintf(stderr, "egov oidc: --ahead must be 0..2592000 seconds\n");
                return 2;
            }
        } else {
            usage(stderr);
            return 2;
        }
    }
    struct egov_db *db = env->open_db(env);
    if (db == NULL)
        return 1;
    bool ok = auth_keys_rotate(db, env->cfg->vardir, ahead);
    json_t *jwks = ok ? auth_keys_jwks(db) : NULL;
    auth_keys_fini();
    egov_db_close(db);
    if (!ok || jwks == NULL) {
        fprintf(stderr, "egov oidc: key rotation failed\n");
        json_decref(jwks);
        return 1;
    }
    printf("new keys publish now and sign from %lld seconds on; published keys:\n", ahead);
    json_dumpf(jwks, stdout, JSON_INDENT(2));
    fputc('\n', stdout);
    json_decref(jwks);
    return 0;
}

int auth_cli_oidc(int argc, char **argv, const struct egov_module_env *env)
{
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        usage(stdout);
        return 0;
    }
    if (argc >= 3 && strcmp(argv[1], "client") == 0 && strcmp(argv[2], "add") == 0)
        return client_add(argc, argv, env);
    if (argc >= 3 && strcmp(argv[1], "client") == 0 && strcmp(argv[2], "set") == 0)
        return client_set(argc, argv, env);
    if (argc >= 3 && strcmp(argv[1], "keys") == 0 && strcmp(argv[2], "rotate") == 0)
        return keys_rotate(argc, argv, env);
    usage(stderr);
    return 2;
}
