/*
 * demo.c -- the back offices of `egov demo`: six child processes with a
 * generated population, wired to the node's gateway (services with their
 * OpenAPI descriptions, a consumer system with its key, grants, legal
 * bases, the household registry as publisher and the other agencies as
 * subscribers of household.address-changed), a demo citizen and an
 * administrator, all written to VAR/demo.json.
 *
 * Accounts and the OAuth client are made with `egov account add` and
 * `egov oidc client add` (their modules' command-line interfaces); the
 * gateway and authz registrations use those modules' C interfaces.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "authz/authz.h"
#include "backoffice/bo_int.h"
#include "crypto/crypto.h"
#include "gateway/gateway.h"

#define DEMO_CONSUMER "TW/GOV/NDC/one-window"

struct egov_backoffice_demo {
    struct egov_backoffice_child children[EGOV_BO_COUNT];
    json_t *doc;       /* what goes to demo.json */
    json_t *not_wired; /* [string] */
};

static void note(struct egov_backoffice_demo *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void note(struct egov_backoffice_demo *d, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    json_array_append_new(d->not_wired, json_string(msg));
    egov_warn("demo: %s", msg);
}

/*
 * Runs @p argv (argv[0] a path), writing @p input to its stdin, and
 * returns its stdout (malloc'd) if it exits 0 within 60 s; NULL otherwise.
 */
static char *run_capture(const char *const argv[], const char *input)
{
    int in[2] = {-1, -1}, out[2] = {-1, -1};
    struct egov_buf b;
    egov_buf_init(&b);
    if (pipe(in) != 0 || pipe(out) != 0)
        goto fail;
    pid_t pid = fork();
    if (pid < 0)
        goto fail;
    if (pid == 0) {
        dup2(in[0], 0);
        dup2(out[1], 1);
        close(in[0]);
        close(in[1]);
        close(out[0]);
        close(out[1]);
        bo_child_reset();
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    in[0] = out[1] = -1;
    if (input != NULL && write(in[1], input, strlen(input)) < 0)
        egov_warn("demo: cannot write to %s", argv[1]);
    close(in[1]);
    in[1] = -1;
    int64_t deadline = egov_mono_us() + 60 * 1000000LL;
    for (;;) {
        struct pollfd p = {out[0], POLLIN, 0};
        int left = (int)((deadline - egov_mono_us()) / 1000);
        if (left <= 0 || poll(&p, 1, left) <= 0)
            break;
        char buf[4096];
        ssize_t n = read(out[0], buf, sizeof(buf));
        if (n <= 0)
            break;
        egov_buf_append(&b, buf, (size_t)n);
    }
    close(out[0]);
    out[0] = -1;
    int status = 0;
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        goto fail;
    egov_buf_putc(&b, '\0');
    return egov_buf_steal(&b);
fail:
    for (int i = 0; i < 2; i++) {
        if (in[i] >= 0)
            close(in[i]);
        if (out[i] >= 0)
            close(out[i]);
    }
    egov_buf_free(&b);
    return NULL;
}

/* A password that passes the account rules: 16 random letters and digits. */
static void make_password(char out[24])
{
    static const char alphabet[] = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    unsigned char r[16];
    if (!egov_random(r, sizeof(r)))
        memset(r, 7, sizeof(r));
    memcpy(out, "Demo-", 5);
    for (int i = 0; i < 16; i++)
        out[5 + i] = alphabet[r[i] % (sizeof(alphabet) - 1)];
    out[21] = '\0';
}

/* Creates an account with `egov account add`; returns its JSON or NULL. */
static json_t *add_account(const char *bin, const char *db_url, const char *nid, const char *name,
                           const char *password)
{
    char input[64];
    snprintf(input, sizeof(input), "%s\n", password);
    const char *const argv[] = {bin,  "account",         "add", "--national-id", nid,    "--name",
                                name, "--password-file", "-",   "--db",          db_url, NULL};
    char *out = run_capture(argv, input);
    json_t *j = out != NULL ? json_loads(out, 0, NULL) : NULL;
    free(out);
    return j;
}

/* The member system id of a back office: TW/GOV/<member>/<subsystem>. */
static void member_id(const struct egov_backoffice_info *info, char *out, size_t outlen)
{
    snprintf(out, outlen, "TW/GOV/%s/%s", info->member_code, info->subsystem);
}

/* Registers the services of one running back office and grants them to the consumer. */
static void wire_services(struct egov_backoffice_demo *d, struct egov_db *db,
                          const struct egov_backoffice_info *info, const char *url,
                          json_t *services)
{
    json_t *openapi = bo_openapi(info->agency);
    char *openapi_text = openapi != NULL ? json_dumps(openapi, JSON_COMPACT) : NULL;
    json_decref(openapi);
    for (const struct egov_backoffice_endpoint *e = info->endpoints; e->service != NULL; e++) {
        bool first = true, personal = false;
        for (const struct egov_backoffice_endpoint *f = info->endpoints; f < e; f++)
            first &= strcmp(f->service, e->service) != 0;
        if (!first)
            continue;
        json_t *paths = json_array();
        for (const struct egov_backoffice_endpoint *f = e; f->service != NULL; f++) {
            if (strcmp(f->service, e->service) != 0)
                continue;
            personal |= f->personal_data;
            char line[160];
            /* the path under the service id: the service's own segment is its base URL */
            snprintf(line, sizeof(line), "%s %s", f->method, f->path + strlen(e->service) + 1);
            json_array_append_new(paths, json_string(line));
        }
        char id[160], base[160];
        char member[96];
        member_id(info, member, sizeof(member));
        snprintf(id, sizeof(id), "%s/%s", member, e->service);
        snprintf(base, sizeof(base), "%s/%s", url, e->service);
        struct egov_gateway_service s = {.id = id,
                                         .base_url = base,
                                         .charset = info->charset,
                                         .openapi = openapi_text,
                                         .personal_data = personal,
                                         .timeout_ms = 0};
        const char *field = NULL;
        enum egov_ec ec = egov_gateway_service_register(db, &s, &field);
        if (ec != EGOV_EC_NONE) {
            note(d, "service %s not registered: %s", id, egov_ec_name(ec));
            json_decref(paths);
            continue;
        }
        /* authz names are single segments: grants write ids with ':' for '/' */
        char gid[37], ac[96], as[160];
        snprintf(ac, sizeof(ac), "%s", DEMO_CONSUMER);
        snprintf(as, sizeof(as), "%s", id);
        for (char *q = ac; *q != '\0'; q++)
            *q = *q == '/' ? ':' : *q;
        for (char *q = as; *q != '\0'; q++)
            *q = *q == '/' ? ':' : *q;
        ec = egov_authz_grant_add(db, NULL, ac, as, info->member_code, "*", "/*", NULL, NULL, gid,
                                  &field);
        if (ec != EGOV_EC_NONE)
            note(d, "grant of %s to %s not made: %s", id, DEMO_CONSUMER, egov_ec_name(ec));
        if (personal) {
            char lid[37];
            ec = egov_gateway_legal_basis_add(db, DEMO_CONSUMER, id,
                                              "示範用途 demonstration (電子化政府示範)", lid);
            if (ec != EGOV_EC_NONE)
                note(d, "legal basis for %s not recorded: %s", id, egov_ec_name(ec));
        }
        json_array_append_new(services,
                              json_pack("{s:s, s:s, s:s, s:s, s:b, s:o}", "id", id, "agency",
                                        info->name, "provider_url", base, "charset", info->charset,
                                        "personal_data", personal, "paths", paths));
    }
    free(openapi_text);
}

/* Makes the consumer system: signing key, OAuth client, gateway registration. */
static json_t *make_consumer(struct egov_backoffice_demo *d, struct egov_db *db,
                             const struct egov_backoffice_demo_options *o)
{
    json_t *c = json_pack("{s:s}", "id", DEMO_CONSUMER);
    struct egov_sigkey *k = egov_sigkey_generate(egov_sigkey_alg_parse("ed25519"));
    char *pub = k != NULL ? egov_sigkey_public_pem(k) : NULL;
    char *priv = k != NULL ? egov_sigkey_private_pem(k) : NULL;
    char path[1100];
    snprintf(path, sizeof(path), "%s/demo/consumer-key.pem", o->vardir);
    int fd = priv != NULL ? open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600) : -1;
    bool saved = fd >= 0 && write(fd, priv, strlen(priv)) == (ssize_t)strlen(priv);
    if (fd >= 0)
        close(fd);
    if (!saved)
        note(d, "consumer signing key not saved to %s", path);
    /* an OAuth client for client-credentials tokens */
    const char *const argv[] = {o->egov_bin,
                                "oidc",
                                "client",
                                "add",
                                "--name",
                                "One-window demo system",
                                "--redirect-uri",
                                "http://127.0.0.1/callback",
                                "--auth",
                                "client_secret_basic",
                                "--db",
                                o->node_db_url,
                                NULL};
    char *out = run_capture(argv, NULL);
    json_t *oc = out != NULL ? json_loads(out, 0, NULL) : NULL;
    free(out);
    const char *client_id = json_string_value(json_object_get(oc, "client_id"));
    if (client_id == NULL)
        note(d, "OAuth client not made (egov oidc client add failed)");
    struct egov_gateway_client gc = {.id = DEMO_CONSUMER,
                                     .public_key = pub,
                                     .cert_pem = NULL,
                                     .oauth_client = client_id,
                                     .rate_per_s = 0};
    const char *field = NULL;
    enum egov_ec ec =
        pub != NULL ? egov_gateway_client_register(db, &gc, &field) : EGOV_EC_GENERIC_INTERNAL;
    if (ec != EGOV_EC_NONE)
        note(d, "consumer %s not registered at the gateway: %s", DEMO_CONSUMER, egov_ec_name(ec));
    if (c != NULL) {
        json_object_set_new(c, "signing_key_file", json_string(path));
        json_object_set_new(c, "signing_alg", json_string("ed25519"));
        json_object_set_new(c, "public_key", json_string(pub != NULL ? pub : ""));
        if (client_id != NULL) {
            char token[300];
            snprintf(token, sizeof(token), "%s/oidc/token", o->node_url);
            json_object_set_new(
                c, "oauth",
                json_pack("{s:s, s:s?, s:s, s:s}", "client_id", client_id, "client_secret",
                          json_string_value(json_object_get(oc, "client_secret")), "token_endpoint",
                          token, "grant_type", "client_credentials"));
        }
    }
    json_decref(oc);
    egov_free(pub);
    if (priv != NULL) {
        egov_wipe(priv, strlen(priv));
        egov_free(priv);
    }
    egov_sigkey_free(k);
    return c;
}

/*
 * The password written for @p login by an earlier run (its account exists
 * already, so `egov account add` refuses it), or NULL.
 */
static const char *earlier_password(const json_t *earlier, const char *who, const char *login)
{
    const json_t *p = json_object_get(earlier, who);
    const char *l = json_string_value(json_object_get(p, "login"));
    const char *pw = json_string_value(json_object_get(p, "password"));
    return l != NULL && strcmp(l, login) == 0 && pw != NULL && pw[0] != '\0' ? pw : NULL;
}

/* Makes the demo citizen and the administrator. */
static void make_people(struct egov_backoffice_demo *d, struct egov_db *db,
                        const struct egov_backoffice_demo_options *o,
                        const struct egov_backoffice_population *pop, const json_t *earlier)
{
    int ci = egov_backoffice_population_demo_citizen(pop);
    if (ci >= 0) {
        const struct egov_backoffice_person *p = egov_backoffice_population_person(pop, ci);
        char pw[24];
        make_password(pw);
        json_t *a = add_account(o->egov_bin, o->node_db_url, p->national_id, p->name, pw);
        const char *known = a != NULL ? pw : earlier_password(earlier, "citizen", p->national_id);
        if (known == NULL)
            note(d, "citizen account for %s not made (egov account add failed)", p->national_id);
        json_object_set_new(d->doc, "citizen",
                            json_pack("{s:s, s:s, s:s, s:s, s:b}", "national_id", p->national_id,
                                      "name", p->name, "login", p->national_id, "password",
                                      known != NULL ? known : "", "account_created", a != NULL));
        json_decref(a);
    } else {
        note(d, "the population has no demo citizen");
    }
    /* the administrator: a person outside the generated population */
    char nid[11], pw[24];
    bo_id_make('A', 2, 9999999u, nid);
    make_password(pw);
    json_t *a = add_account(o->egov_bin, o->node_db_url, nid, "平台管理員", pw);
    const char *principal = json_string_value(json_object_get(a, "principal_id"));
    const char *known = a != NULL ? pw : earlier_password(earlier, "administrator", nid);
    bool admin = false;
    if (principal != NULL)
        admin = egov_authz_admin_add(db, NULL, principal, "*", NULL, NULL) == EGOV_EC_NONE;
    else if (known != NULL)
        admin = json_is_true(
            json_object_get(json_object_get(earlier, "administrator"), "platform_admin"));
    if (!admin || known == NULL)
        note(d, "administrator %s not made (egov account add failed)", nid);
    json_object_set_new(d->doc, "administrator",
                        json_pack("{s:s, s:s, s:s, s:b}", "login", nid, "name", "平台管理員",
                                  "password", known != NULL ? known : "", "platform_admin", admin));
    json_decref(a);
}

bool egov_backoffice_demo_prepare(const char *vardir, const char *shared_data, char *err,
                                  size_t errlen)
{
    char path[1100], cns[1100];
    struct stat st;
    snprintf(path, sizeof(path), "%s/hanzi/tables.bin", vardir);
    if (stat(path, &st) == 0)
        return true;
    if (shared_data == NULL) {
        snprintf(err, errlen, "no reference data folder to import the 全字庫 tables from");
        return false;
    }
    snprintf(cns, sizeof(cns), "%s/cns11643", shared_data);
    if (stat(cns, &st) != 0) {
        snprintf(err, errlen, "%s is missing", cns);
        return false;
    }
    struct egov_hanzi_import_report rep = {0};
    egov_buf_init(&rep.notes);
    bool ok = egov_hanzi_import(cns, vardir, &rep, err, errlen);
    egov_buf_free(&rep.notes);
    return ok;
}

struct egov_backoffice_demo *
egov_backoffice_demo_start(struct egov_db *db, const struct egov_backoffice_demo_options *o,
                           char *err, size_t errlen)
{
    struct egov_backoffice_demo *d = egov_calloc(1, sizeof(*d));
    struct egov_backoffice_population *pop = NULL;
    char dir[1100], path[1200], msg[512];
    if (d == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    d->not_wired = json_array();
    json_t *bos = json_object(), *services = json_array();
    d->doc =
        json_pack("{s:s, s:{s:s, s:s, s:s, s:s, s:s}, s:o, s:o, s:O}", "generated_by", "egov demo",
                  "node", "url", o->node_url, "portal", o->node_url, "gateway_calls",
                  "/r1/<service id>/<path>", "metrics", "/metrics", "gateway_admin", "/gateway",
                  "backoffices", bos, "services", services, "not_wired", d->not_wired);
    if (d->doc == NULL || d->not_wired == NULL) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    snprintf(dir, sizeof(dir), "%s/demo", o->vardir);
    if (mkdir(dir, 0750) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
        goto fail;
    }
    char geocode[1100] = "";
    struct stat st;
    if (o->shared_data != NULL) {
        snprintf(geocode, sizeof(geocode), "%s/geocode", o->shared_data);
        if (stat(geocode, &st) != 0)
            geocode[0] = '\0';
    }
    snprintf(path, sizeof(path), "%s/hanzi/tables.bin", o->vardir);
    bool tables = stat(path, &st) == 0;

    pop = egov_backoffice_population_new(o->seed, o->people, geocode[0] ? geocode : NULL, msg,
                                         sizeof(msg));
    if (pop == NULL) {
        snprintf(err, errlen, "%s", msg);
        goto fail;
    }

    /* the household registry publishes through the gateway */
    char token[65] = "", publish[400] = "";
    const struct egov_backoffice_info *hh = egov_backoffice_info(EGOV_BO_HOUSEHOLD);
    char hh_member[96];
    member_id(hh, hh_member, sizeof(hh_member));
    if (egov_gateway_publisher_add(db, hh_member, "household.", token) == EGOV_EC_NONE)
        snprintf(publish, sizeof(publish), "%s/api/gateway/events/%s", o->node_url, token);
    else
        note(d, "the household registry is not a publisher at the gateway; address changes "
                "reach the others only through its feed GET /events");

    for (int a = 0; a < EGOV_BO_COUNT; a++) {
        const struct egov_backoffice_info *info = egov_backoffice_info(a);
        if (strcmp(info->charset, "utf-8") != 0 && !tables) {
            note(d,
                 "%s back office not started: it speaks %s and the 全字庫 tables are not "
                 "imported (egov hanzi import DIR)",
                 info->name, info->charset);
            continue;
        }
        char db_url[1200];
        snprintf(db_url, sizeof(db_url), "sqlite:%s/backoffice-%s.db", dir, info->name);
        char listen[32] = "127.0.0.1:0";
        if (o->base_port > 0)
            snprintf(listen, sizeof(listen), "127.0.0.1:%u", o->base_port + 1u + (unsigned int)a);
        /* the back office answers only calls the gateway signed with its secret */
        char member_early[96], secret_file[1200];
        member_id(info, member_early, sizeof(member_early));
        snprintf(secret_file, sizeof(secret_file), "%s/%s-gateway.secret", dir, info->name);
        bool secret = egov_gateway_provider_secret_write(member_early, secret_file, true);
        if (!secret)
            note(d, "%s back office checks no gateway signature: its secret could not be written",
                 info->name);
        struct egov_backoffice_options bo = {
            .gateway_secret_file = secret ? secret_file : NULL,
            .agency = a,
            .listen = listen,
            .db_url = db_url,
            .vardir = o->vardir,
            .geocode_dir = geocode[0] ? geocode : NULL,
            .seed = o->seed,
            .people = o->people,
            .publish_url = a == EGOV_BO_HOUSEHOLD && publish[0] ? publish : NULL,
            .threads = 2,
        };
        if (!egov_backoffice_spawn(o->egov_bin, &bo, 300000, &d->children[a], msg, sizeof(msg))) {
            note(d, "%s back office not started: %s", info->name, msg);
            continue;
        }
        const char *url = d->children[a].url;
        char member[96];
        member_id(info, member, sizeof(member));
        json_object_set_new(bos, info->name,
                            json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I}", "url", url, "openapi",
                                      "/openapi.json", "member_id", member, "title", info->title_zh,
                                      "charset", info->charset, "database", db_url, "pid",
                                      (json_int_t)d->children[a].pid));
        wire_services(d, db, info, url, services);
        if (info->receives_events) {
            char sid[37], ev[300];
            const char *field = NULL;
            snprintf(ev, sizeof(ev), "%s/events", url);
            if (egov_gateway_subscribe(db, member, "household.address-changed", ev, sid, &field) !=
                EGOV_EC_NONE)
                note(d, "%s not subscribed to household.address-changed", info->name);
        }
    }
    json_object_set_new(d->doc, "consumer", make_consumer(d, db, o));
    snprintf(path, sizeof(path), "%s/demo.json", o->vardir);
    json_t *earlier = json_load_file(path, 0, NULL);
    make_people(d, db, o, pop, earlier);
    json_decref(earlier);
    json_object_set_new(d->doc, "population",
                        json_pack("{s:I, s:I, s:s}", "seed", (json_int_t)o->seed, "people",
                                  (json_int_t)o->people, "divisions",
                                  geocode[0] ? geocode : "built-in 22 counties and cities"));

    snprintf(path, sizeof(path), "%s/demo.json", o->vardir);
    char tmp[1300];
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    char *text = json_dumps(d->doc, JSON_INDENT(2));
    bool written = fd >= 0 && text != NULL &&
                   write(fd, text, strlen(text)) == (ssize_t)strlen(text) &&
                   write(fd, "\n", 1) == 1;
    if (fd >= 0)
        close(fd);
    free(text);
    if (!written || rename(tmp, path) != 0) {
        snprintf(err, errlen, "cannot write %s", path);
        goto fail;
    }
    egov_backoffice_population_free(pop);
    return d;
fail:
    egov_backoffice_population_free(pop);
    egov_backoffice_demo_stop(d);
    return NULL;
}

const json_t *egov_backoffice_demo_doc(const struct egov_backoffice_demo *d)
{
    return d != NULL ? d->doc : NULL;
}

void egov_backoffice_demo_stop(struct egov_backoffice_demo *d)
{
    if (d == NULL)
        return;
    for (int a = 0; a < EGOV_BO_COUNT; a++)
        if (d->children[a].pid > 0)
            (void)egov_backoffice_child_stop(&d->children[a], SIGTERM);
    json_decref(d->doc);
    json_decref(d->not_wired);
    egov_free(d);
}
