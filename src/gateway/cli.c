/*
 * cli.c -- `egov gateway ...` (registry changes from the command line) and
 * `egov audit verify`.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/gw_int.h"

static const char gateway_usage[] =
    "usage: egov gateway COMMAND [options]\n"
    "  keygen --out FILE [--alg ed25519|ecdsa-p256-sha256|rsa-pss-sha512|rsa-v1_5-sha256]\n"
    "        make a message signing key (private key to FILE, public key on stdout)\n"
    "  service-add --id SERVICE_ID --url BASE_URL [--charset CODE] [--openapi FILE]\n"
    "        [--personal] [--timeout-ms N]\n"
    "  client-add --id MEMBER_ID (--key PUBLIC_PEM_FILE | --cert CERT_FILE)\n"
    "        [--oauth-client CLIENT_ID] [--rate N]\n"
    "  legal-basis-add --consumer MEMBER_ID --service SERVICE_ID --basis TEXT\n"
    "  consent --citizen NATIONAL_ID --consumer MEMBER_ID --service SERVICE_ID [--withdraw]\n"
    "  subscribe --consumer MEMBER_ID --subject SUBJECT --url URL\n"
    "  publisher-add --client MEMBER_ID [--subject-prefix PREFIX]\n"
    "        prints the token; the publisher POSTs events to /api/gateway/events/TOKEN\n"
    "  provider-secret --system MEMBER_ID --out FILE\n"
    "        write the providing system's secret (64 hex digits, mode 0600) with which it\n"
    "        checks the calls the gateway forwards (egov backoffice --gateway-secret-file)\n";

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    struct egov_buf b;
    egov_buf_init(&b);
    b.max = 4 * 1024 * 1024;
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        egov_buf_append(&b, chunk, n);
    fclose(f);
    if (b.oom) {
        egov_buf_free(&b);
        return NULL;
    }
    if (b.data == NULL)
        egov_buf_puts(&b, "");
    return egov_buf_steal(&b);
}

static int report(enum egov_ec ec, const char *field)
{
    if (ec == EGOV_EC_NONE)
        return 0;
    fprintf(stderr, "egov gateway: %s%s%s%s\n", egov_ec_hint(ec), field ? " (field " : "",
            field ? field : "", field ? ")" : "");
    return 1;
}

static int cmd_keygen(int argc, char **argv)
{
    const char *out = NULL, *alg = "ed25519";
    static const struct option opts[] = {
        {"out", required_argument, NULL, 'o'}, {"alg", required_argument, NULL, 'a'}, {0}};
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'o')
            out = optarg;
        else if (c == 'a')
            alg = optarg;
        else
            return 2;
    }
    enum egov_sigkey_alg a = egov_sigkey_alg_parse(alg);
    if (out == NULL || a == EGOV_SIGKEY_NONE) {
        fputs(gateway_usage, stderr);
        return 2;
    }
    struct egov_sigkey *k = egov_sigkey_generate(a);
    char *priv = egov_sigkey_private_pem(k), *pub = egov_sigkey_public_pem(k);
    int rc = 1;
    FILE *f = priv != NULL ? fopen(out, "wx") : NULL;
    if (f != NULL) {
        bool ok = fputs(priv, f) >= 0;
        if (fclose(f) == 0 && ok && pub != NULL) {
            fputs(pub, stdout);
            rc = 0;
        }
    } else {
        fprintf(stderr, "egov gateway: cannot create %s (it must not exist yet)\n", out);
    }
    if (priv != NULL) {
        egov_wipe(priv, strlen(priv));
        egov_free(priv);
    }
    egov_free(pub);
    egov_sigkey_free(k);
    return rc;
}

/* `egov gateway provider-secret --system ID --out FILE` */
static int cmd_provider_secret(int argc, char **argv, const struct egov_module_env *env)
{
    const char *system = NULL, *out = NULL;
    static const struct option opts[] = {
        {"system", required_argument, NULL, 's'}, {"out", required_argument, NULL, 'o'}, {0}};
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 's')
            system = optarg;
        else if (c == 'o')
            out = optarg;
        else
            return 2;
    }
    struct egov_gateway_id id;
    char why[160];
    if (system == NULL || out == NULL) {
        fputs(gateway_usage, stderr);
        return 2;
    }
    if (egov_gateway_member_id_parse(system, &id, why, sizeof why) != EGOV_EC_NONE ||
        id.subsystem[0] == '\0') {
        fprintf(stderr, "egov gateway: --system must name a system, TW/GOV/<agency>/<system>: %s\n",
                why);
        return 2;
    }
    if (!gw_provider_master_load(env->cfg)) {
        fprintf(stderr, "egov gateway: the providers' master key is not available\n");
        return 1;
    }
    int rc = 0;
    if (!egov_gateway_provider_secret_write(id.text, out, false)) {
        fprintf(stderr, "egov gateway: cannot create %s (it must not exist yet)\n", out);
        rc = 1;
    }
    gw_provider_master_forget();
    return rc;
}

int gw_cli_gateway(int argc, char **argv, const struct egov_module_env *env)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0) {
        fputs(gateway_usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const char *cmd = argv[1];
    argc--;
    argv++;
    optind = 1;
    if (strcmp(cmd, "keygen") == 0)
        return cmd_keygen(argc, argv);
    if (strcmp(cmd, "provider-secret") == 0)
        return cmd_provider_secret(argc, argv, env);

    const char *id = NULL, *url = NULL, *charset = NULL, *openapi = NULL, *key = NULL, *cert = NULL,
               *oauth = NULL, *consumer = NULL, *service = NULL, *basis = NULL, *citizen = NULL,
               *subject = NULL, *client = NULL, *prefix = "";
    bool personal = false, withdraw = false;
    unsigned long timeout_ms = 0, rate = 0;
    static const struct option opts[] = {
        {"id", required_argument, NULL, 'i'},
        {"url", required_argument, NULL, 'u'},
        {"charset", required_argument, NULL, 'c'},
        {"openapi", required_argument, NULL, 'O'},
        {"personal", no_argument, NULL, 'p'},
        {"timeout-ms", required_argument, NULL, 't'},
        {"key", required_argument, NULL, 'k'},
        {"cert", required_argument, NULL, 'C'},
        {"oauth-client", required_argument, NULL, 'a'},
        {"rate", required_argument, NULL, 'r'},
        {"consumer", required_argument, NULL, 'n'},
        {"service", required_argument, NULL, 's'},
        {"basis", required_argument, NULL, 'b'},
        {"citizen", required_argument, NULL, 'z'},
        {"withdraw", no_argument, NULL, 'w'},
        {"subject", required_argument, NULL, 'S'},
        {"client", required_argument, NULL, 'l'},
        {"subject-prefix", required_argument, NULL, 'P'},
        {0},
    };
    int c;
    char *end;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'i':
            id = optarg;
            break;
        case 'u':
            url = optarg;
            break;
        case 'c':
            charset = optarg;
            break;
        case 'O':
            openapi = optarg;
            break;
        case 'p':
            personal = true;
            break;
        case 't':
            timeout_ms = strtoul(optarg, &end, 10);
            if (*end != '\0' || timeout_ms > 600000) {
                fprintf(stderr, "egov gateway: --timeout-ms must be 0..600000\n");
                return 2;
            }
            break;
        case 'k':
            key = optarg;
            break;
        case 'C':
            cert = optarg;
            break;
        case 'a':
            oauth = optarg;
            break;
        case 'r':
            rate = strtoul(optarg, &end, 10);
            if (*end != '\0' || rate > 1000000) {
                fprintf(stderr, "egov gateway: --rate must be 0..1000000\n");
                return 2;
            }
            break;
        case 'n':
            consumer = optarg;
            break;
        case 's':
            service = optarg;
            break;
        case 'b':
            basis = optarg;
            break;
        case 'z':
            citizen = optarg;
            break;
        case 'w':
            withdraw = true;
            break;
        case 'S':
            subject = optarg;
            break;
        case 'l':
            client = optarg;
            break;
        case 'P':
            prefix = optarg;
            break;
        default:
            fputs(gateway_usage, stderr);
            return 2;
        }
    }
    struct egov_db *db = env->open_db(env);
    if (db == NULL)
        return 1;
    int rc = 2;
    const char *field = NULL;
    if (strcmp(cmd, "service-add") == 0 && id != NULL && url != NULL) {
        char *doc = openapi != NULL ? slurp(openapi) : NULL;
        if (openapi != NULL && doc == NULL) {
            fprintf(stderr, "egov gateway: cannot read %s\n", openapi);
            rc = 1;
        } else {
            struct egov_gateway_service s = {id,  url,      charset,
                                             doc, personal, (unsigned int)timeout_ms};
            rc = report(egov_gateway_service_register(db, &s, &field), field);
        }
        egov_free(doc);
    } else if (strcmp(cmd, "client-add") == 0 && id != NULL && (key != NULL || cert != NULL)) {
        char *pem = slurp(cert != NULL ? cert : key);
        if (pem == NULL) {
            fprintf(stderr, "egov gateway: cannot read %s\n", cert != NULL ? cert : key);
            rc = 1;
        } else {
            struct egov_gateway_client cl = {id, cert == NULL ? pem : NULL,
                                             cert != NULL ? pem : NULL, oauth, (unsigned int)rate};
            rc = report(egov_gateway_client_register(db, &cl, &field), field);
        }
        egov_free(pem);
    } else if (strcmp(cmd, "legal-basis-add") == 0 && consumer && service && basis) {
        char lid[37];
        rc = report(egov_gateway_legal_basis_add(db, consumer, service, basis, lid), NULL);
        if (rc == 0)
            printf("%s\n", lid);
    } else if (strcmp(cmd, "consent") == 0 && citizen && consumer && service) {
        rc = report(egov_gateway_consent_set(db, citizen, consumer, service, !withdraw), NULL);
    } else if (strcmp(cmd, "subscribe") == 0 && consumer && subject && url) {
        char sid[37];
        rc = report(egov_gateway_subscribe(db, consumer, subject, url, sid, &field), field);
        if (rc == 0)
            printf("%s\n", sid);
    } else if (strcmp(cmd, "publisher-add") == 0 && client != NULL) {
        char token[65];
        rc = report(egov_gateway_publisher_add(db, client, prefix, token), NULL);
        if (rc == 0)
            printf("%s\n", token);
    } else {
        fputs(gateway_usage, stderr);
    }
    egov_db_close(db);
    return rc;
}

int gw_cli_audit(int argc, char **argv, const struct egov_module_env *env)
{
    if (argc != 2 || strcmp(argv[1], "verify") != 0) {
        fputs("usage: egov audit verify\n"
              "  recomputes the gateway audit log's hash chain; exits 0 if intact,\n"
              "  1 naming the first altered or missing entry, 2 on other errors\n",
              stderr);
        return 2;
    }
    struct egov_db *db = env->open_db(env);
    if (db == NULL)
        return 2;
    struct egov_gateway_audit_report rep;
    int r = egov_gateway_audit_verify(db, &rep);
    egov_db_close(db);
    if (r < 0) {
        fprintf(stderr, "egov audit: the audit log could not be read\n");
        return 2;
    }
    if (r == 0) {
        printf("audit log BROKEN: %s (%lld entries before it are intact)\n", rep.problem,
               (long long)rep.entries);
        return 1;
    }
    printf("audit log intact: %lld entries\n", (long long)rep.entries);
    return 0;
}
