/*
 * pki_cli.c -- `egov pki ...`: set up the CA hierarchy, issue from a
 * request, revoke, publish CRLs, export CA certificates, show a record,
 * and sign a login challenge (for tests and people without a card reader).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pki/pki_int.h"

#define FILE_MAX (1024 * 1024)
#define MAX_DNS  20

static void usage(FILE *out)
{
    fprintf(out,
            "usage: egov pki init [--url BASE_URL]\n"
            "       egov pki issue --ca citizen|agency|server --csr FILE [--out FILE]\n"
            "                      [--name NAME] [--national-id ID] [--id-in-subject]\n"
            "                      [--agency-code CODE] [--agency-name NAME] [--system ID]\n"
            "                      [--dns NAME]... [--days N]\n"
            "       egov pki revoke SERIAL [--reason REASON]\n"
            "       egov pki crl [--force] [--ca NAME --out FILE]\n"
            "       egov pki ca NAME [--out FILE]\n"
            "       egov pki show SERIAL\n"
            "       egov pki sign-challenge --key KEY.pem --cert CERT.pem CHALLENGE\n\n"
            "  init            make the root and the citizen, agency and server CAs; keys go\n"
            "                  to PATHS.VAR/pki/keys (mode 0600); BASE_URL (default\n"
            "                  http.public_url or http://LISTEN) starts the OCSP, CRL and\n"
            "                  CA certificate URLs written into certificates\n"
            "  issue           issue a certificate from a PKCS#10 request (PEM or DER)\n"
            "  revoke          revoke; REASON is unspecified, keyCompromise, cACompromise,\n"
            "                  affiliationChanged, superseded, cessationOfOperation or\n"
            "                  privilegeWithdrawn (or its number)\n"
            "  crl             renew due CRLs (all with --force), or write one CA's CRL (DER)\n"
            "  ca              write a CA certificate (PEM)\n"
            "  show            print a certificate's record as JSON\n"
            "  sign-challenge  sign a login challenge; prints the one-line response to\n"
            "                  paste into the certificate login page\n");
}

/* Reads a whole file (at most FILE_MAX bytes) into a malloc'd, NUL-terminated buffer. */
static char *read_file(const char *path, size_t *len)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    char *buf = NULL;
    size_t n = 0, got;

    if (f == NULL) {
        fprintf(stderr, "egov pki: cannot open %s: %s\n", path, strerror(errno));
        return NULL;
    }
    buf = egov_malloc(FILE_MAX + 1);
    if (buf == NULL)
        goto fail;
    while ((got = fread(buf + n, 1, FILE_MAX + 1 - n, f)) > 0) {
        n += got;
        if (n > FILE_MAX) {
            fprintf(stderr, "egov pki: %s is larger than %d bytes\n", path, FILE_MAX);
            egov_free(buf);
            buf = NULL;
            goto fail;
        }
    }
    buf[n] = '\0';
    *len = n;
fail:
    if (f != stdin)
        (void)fclose(f);
    return buf;
}

static bool write_out(const char *path, const void *data, size_t len)
{
    FILE *f = path == NULL ? stdout : fopen(path, "wb");
    bool ok;

    if (f == NULL) {
        fprintf(stderr, "egov pki: cannot write %s: %s\n", path, strerror(errno));
        return false;
    }
    ok = fwrite(data, 1, len, f) == len;
    if (f != stdout)
        ok = fclose(f) == 0 && ok;
    else
        ok = fflush(f) == 0 && ok;
    return ok;
}

static int fail_ec(const char *what, enum egov_ec ec, const char *err)
{
    fprintf(stderr, "egov pki %s: %s: %s%s%s\n", what, egov_ec_name(ec), egov_ec_hint(ec),
            err != NULL && err[0] != '\0' ? " -- " : "", err != NULL ? err : "");
    return 1;
}

static bool open_keys(const struct egov_module_env *env, bool create)
{
    char err[512] = "";

    if (egov_pki_open(env->cfg->vardir, create, err, sizeof(err)))
        return true;
    fprintf(stderr, "egov pki: %s\n", err);
    return false;
}

static int cmd_init(int argc, char **argv, const struct egov_module_env *env)
{
    static const struct option opts[] = {{"url", required_argument, NULL, 'u'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    char url[300], err[512] = "";
    const char *given = NULL;
    struct egov_db *db = NULL;
    enum egov_ec ec;
    int c, rc = 1;

    while ((c = getopt_long(argc, argv, "u:h", opts, NULL)) != -1) {
        if (c == 'u')
            given = optarg;
        else {
            usage(c == 'h' ? stdout : stderr);
            return c == 'h' ? 0 : 2;
        }
    }
    if (given != NULL)
        (void)snprintf(url, sizeof(url), "%s", given);
    else if (env->cfg->public_url[0] != '\0')
        (void)snprintf(url, sizeof(url), "%.250s", env->cfg->public_url);
    else
        (void)snprintf(url, sizeof(url), "http://%.250s", env->cfg->listen);
    if (url[0] != '\0' && url[strlen(url) - 1] == '/')
        url[strlen(url) - 1] = '\0';
    if (!open_keys(env, true))
        return 1;
    db = env->open_db(env);
    if (db == NULL)
        goto done;
    ec = egov_pki_init(db, url, err, sizeof(err));
    if (ec != EGOV_EC_NONE) {
        rc = fail_ec("init", ec, err);
        goto done;
    }
    printf("CA hierarchy created: root, citizen, agency, server; URLs under %s\n", url);
    rc = 0;
done:
    egov_db_close(db);
    egov_pki_close();
    return rc;
}

static int cmd_issue(int argc, char **argv, const struct egov_module_env *env)
{
    static const struct option opts[] = {{"ca", required_argument, NULL, 'c'},
                                         {"csr", required_argument, NULL, 'r'},
                                         {"out", required_argument, NULL, 'o'},
                                         {"name", required_argument, NULL, 'n'},
                                         {"national-id", required_argument, NULL, 'i'},
                                         {"id-in-subject", no_argument, NULL, 'I'},
                                         {"agency-code", required_argument, NULL, 'a'},
                                         {"agency-name", required_argument, NULL, 'A'},
                                         {"system", required_argument, NULL, 's'},
                                         {"dns", required_argument, NULL, 'd'},
                                         {"days", required_argument, NULL, 'D'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    struct egov_pki_subject subj = {0};
    const char *dns[MAX_DNS], *ca = NULL, *csr_path = NULL, *out = NULL, *field = NULL;
    struct egov_pki_cert rec;
    struct egov_db *db = NULL;
    char *csr = NULL, *pem = NULL, *end = NULL, err[512] = "";
    size_t csr_len = 0;
    unsigned long days;
    enum egov_ec ec;
    int c, rc = 1;

    while ((c = getopt_long(argc, argv, "c:r:o:n:i:Ia:A:s:d:D:h", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            ca = optarg;
            break;
        case 'r':
            csr_path = optarg;
            break;
        case 'o':
            out = optarg;
            break;
        case 'n':
            subj.name = optarg;
            break;
        case 'i':
            subj.national_id = optarg;
            break;
        case 'I':
            subj.id_in_subject = true;
            break;
        case 'a':
            subj.agency_code = optarg;
            break;
        case 'A':
            subj.agency_name = optarg;
            break;
        case 's':
            subj.system_id = optarg;
            break;
        case 'd':
            if (subj.ndns == MAX_DNS) {
                fprintf(stderr, "egov pki issue: at most %d --dns names\n", MAX_DNS);
                return 2;
            }
            dns[subj.ndns++] = optarg;
            break;
        case 'D':
            errno = 0;
            days = strtoul(optarg, &end, 10);
            if (errno != 0 || *end != '\0' || days == 0 || days > 3650) {
                fprintf(stderr, "egov pki issue: --days must be 1..3650\n");
                return 2;
            }
            subj.days = (unsigned int)days;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (ca == NULL || csr_path == NULL) {
        fprintf(stderr, "egov pki issue: --ca and --csr are required\n");
        return 2;
    }
    subj.dns = dns;
    csr = read_file(csr_path, &csr_len);
    if (csr == NULL || !open_keys(env, false))
        goto done;
    db = env->open_db(env);
    if (db == NULL)
        goto done;
    ec = egov_pki_issue(db, ca, csr, csr_len, &subj, &pem, &rec, &field, err, sizeof(err));
    if (ec != EGOV_EC_NONE) {
        rc = fail_ec("issue", ec, err);
        goto done;
    }
    if (!write_out(out, pem, strlen(pem)))
        goto done;
    fprintf(stderr, "issued serial %s by %s CA: %s\n", rec.info.serial, rec.ca, rec.info.subject);
    rc = 0;
done:
    egov_free(pem);
    egov_free(csr);
    egov_db_close(db);
    egov_pki_close();
    return rc;
}

static int cmd_revoke(int argc, char **argv, const struct egov_module_env *env)
{
    static const struct option opts[] = {{"reason", required_argument, NULL, 'r'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    struct egov_db *db = NULL;
    char err[512] = "";
    int reason = 0, c, rc = 1;
    enum egov_ec ec;

    while ((c = getopt_long(argc, argv, "r:h", opts, NULL)) != -1) {
        if (c == 'r') {
            reason = egov_pki_reason_parse(optarg);
            if (reason < 0) {
                fprintf(stderr, "egov pki revoke: unknown reason '%s'\n", optarg);
                return 2;
            }
        } else {
            usage(c == 'h' ? stdout : stderr);
            return c == 'h' ? 0 : 2;
        }
    }
    if (optind + 1 != argc) {
        fprintf(stderr, "egov pki revoke: give one SERIAL\n");
        return 2;
    }
    if (!open_keys(env, false))
        return 1;
    db = env->open_db(env);
    if (db != NULL) {
        ec = egov_pki_revoke(db, argv[optind], reason, err, sizeof(err));
        if (ec != EGOV_EC_NONE)
            rc = fail_ec("revoke", ec, err);
        else {
            printf("revoked %s; CRL renewed\n", argv[optind]);
            rc = 0;
        }
    }
    egov_db_close(db);
    egov_pki_close();
    return rc;
}

static int cmd_crl(int argc, char **argv, const struct egov_module_env *env)
{
    static const struct option opts[] = {{"force", no_argument, NULL, 'f'},
                                         {"ca", required_argument, NULL, 'c'},
                                         {"out", required_argument, NULL, 'o'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *ca = NULL, *out = NULL;
    struct egov_db *db = NULL;
    uint8_t *der = NULL;
    size_t len = 0;
    char err[512] = "";
    bool force = false;
    enum egov_ec ec;
    int c, rc = 1;

    while ((c = getopt_long(argc, argv, "fc:o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'f':
            force = true;
            break;
        case 'c':
            ca = optarg;
            break;
        case 'o':
            out = optarg;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if ((ca == NULL) != (out == NULL)) {
        fprintf(stderr, "egov pki crl: --ca and --out go together\n");
        return 2;
    }
    if (!open_keys(env, false))
        return 1;
    db = env->open_db(env);
    if (db == NULL)
        goto done;
    if (ca == NULL || force) {
        ec = egov_pki_crl_refresh(db, force, err, sizeof(err));
        if (ec != EGOV_EC_NONE) {
            rc = fail_ec("crl", ec, err);
            goto done;
        }
    }
    if (ca != NULL) {
        ec = egov_pki_crl_get(db, ca, &der, &len);
        if (ec != EGOV_EC_NONE) {
            rc = fail_ec("crl", ec, NULL);
            goto done;
        }
        if (!write_out(out, der, len))
            goto done;
    } else
        printf("CRLs are current\n");
    rc = 0;
done:
    egov_free(der);
    egov_db_close(db);
    egov_pki_close();
    return rc;
}

static int cmd_ca(int argc, char **argv, const struct egov_module_env *env)
{
    struct egov_db *db = NULL;
    struct egov_db_conn *c = NULL;
    struct pki_ca ca = {0};
    const char *out = NULL, *name = NULL;
    enum egov_db_qs qs;
    int rc = 1;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--out") == 0 && i + 1 < argc)
            out = argv[++i];
        else if (strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            return 0;
        } else if (name == NULL && argv[i][0] != '-')
            name = argv[i];
        else {
            usage(stderr);
            return 2;
        }
    }
    if (name == NULL) {
        fprintf(stderr, "egov pki ca: give a CA name (root, citizen, agency, server)\n");
        return 2;
    }
    db = env->open_db(env);
    if (db == NULL)
        return 1;
    c = egov_db_acquire(db, 5000);
    qs = c == NULL ? EGOV_DB_HARD_ERROR : pki_ca_load(c, name, &ca);
    egov_db_release(c);
    if (qs < 0)
        fprintf(stderr, "egov pki ca: database error\n");
    else if (qs == 0)
        fprintf(stderr, "egov pki ca: no CA '%s' (run `egov pki init` first)\n", name);
    else if (write_out(out, ca.cert_pem, strlen(ca.cert_pem)))
        rc = 0;
    pki_ca_free(&ca, 1);
    egov_db_close(db);
    return rc;
}

static int cmd_show(int argc, char **argv, const struct egov_module_env *env)
{
    struct egov_pki_cert rec;
    struct egov_db *db;
    enum egov_ec ec;
    char nb[32], na[32];
    json_t *j;
    char *text;
    int rc = 1;

    if (argc != 2 || argv[1][0] == '-') {
        usage(argc == 2 && strcmp(argv[1], "--help") == 0 ? stdout : stderr);
        return argc == 2 && strcmp(argv[1], "--help") == 0 ? 0 : 2;
    }
    db = env->open_db(env);
    if (db == NULL)
        return 1;
    ec = egov_pki_cert_get(db, argv[1], &rec);
    if (ec != EGOV_EC_NONE) {
        rc = fail_ec("show", ec, NULL);
        goto done;
    }
    egov_time_rfc3339(rec.info.not_before_us, nb);
    egov_time_rfc3339(rec.info.not_after_us, na);
    j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "serial", rec.info.serial, "ca", rec.ca,
                  "subject", rec.info.subject, "status", rec.status, "not_before", nb, "not_after",
                  na, "fingerprint_sha256", rec.info.fingerprint);
    text = j == NULL ? NULL : egov_json_dumps(j);
    if (text != NULL) {
        printf("%s\n", text);
        rc = 0;
    }
    egov_free(text);
    json_decref(j);
done:
    egov_db_close(db);
    return rc;
}

static int cmd_sign_challenge(int argc, char **argv)
{
    static const struct option opts[] = {{"key", required_argument, NULL, 'k'},
                                         {"cert", required_argument, NULL, 'c'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *key = NULL, *cert = NULL;
    char err[512] = "", *resp;
    int c;

    while ((c = getopt_long(argc, argv, "k:c:h", opts, NULL)) != -1) {
        if (c == 'k')
            key = optarg;
        else if (c == 'c')
            cert = optarg;
        else {
            usage(c == 'h' ? stdout : stderr);
            return c == 'h' ? 0 : 2;
        }
    }
    if (key == NULL || cert == NULL || optind + 1 != argc) {
        fprintf(stderr, "egov pki sign-challenge: --key, --cert and one CHALLENGE are required\n");
        return 2;
    }
    resp = egov_pki_challenge_response(key, cert, argv[optind], err, sizeof(err));
    if (resp == NULL) {
        fprintf(stderr, "egov pki sign-challenge: %s\n", err);
        return 1;
    }
    printf("%s\n", resp);
    egov_free(resp);
    return 0;
}

static int pki_run(int argc, char **argv, const struct egov_module_env *env)
{
    const char *sub = argc > 1 ? argv[1] : NULL;

    optind = 1;
    if (sub == NULL || strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0) {
        usage(sub == NULL ? stderr : stdout);
        return sub == NULL ? 2 : 0;
    }
    if (strcmp(sub, "init") == 0)
        return cmd_init(argc - 1, argv + 1, env);
    if (strcmp(sub, "issue") == 0)
        return cmd_issue(argc - 1, argv + 1, env);
    if (strcmp(sub, "revoke") == 0)
        return cmd_revoke(argc - 1, argv + 1, env);
    if (strcmp(sub, "crl") == 0)
        return cmd_crl(argc - 1, argv + 1, env);
    if (strcmp(sub, "ca") == 0)
        return cmd_ca(argc - 1, argv + 1, env);
    if (strcmp(sub, "show") == 0)
        return cmd_show(argc - 1, argv + 1, env);
    if (strcmp(sub, "sign-challenge") == 0)
        return cmd_sign_challenge(argc - 1, argv + 1);
    fprintf(stderr, "egov pki: unknown subcommand '%s'\n\n", sub);
    usage(stderr);
    return 2;
}

const struct egov_module_cli pki_cli[] = {
    {"pki", "certificate authority: init, issue, revoke, crl, ca, show, sign-challenge", pki_run},
    {NULL, NULL, NULL},
};
