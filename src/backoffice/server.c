/*
 * server.c -- running a back office: in-process (egov_backoffice_start),
 * as the `egov backoffice NAME` verb, and as a child process of another
 * program (egov_backoffice_spawn, used by `egov demo` and tests).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "backoffice/bo_int.h"
#include "gateway/gateway.h"

struct egov_backoffice {
    enum egov_backoffice_agency agency;
    struct egov_db *db;
    struct egov_server *server;
    struct egov_jobs *jobs;
    struct egov_route_table routes;
    char url[64];
    bool verify;        /* calls must carry the gateway's signature */
    uint8_t secret[32]; /* this system's secret shared with the gateway */
};

/*
 * With a gateway secret, a call that presents itself as coming through the
 * gateway (any X-Road header or a signature) is answered only if the
 * gateway signed it with this system's secret
 * (egov_gateway_forwarded_verify()), so that nobody can speak for a
 * consuming agency or an end user but the gateway.  Calls without those
 * headers are the agency's own staff on its own network, as at a real
 * agency's system.  An event delivery (POST to the events route) must
 * always carry the gateway's signature, since it changes records.  The
 * event feed carries personal data and is guarded like the record routes;
 * the node's own routes and the OpenAPI description stay open.
 */
static bool bo_admit(struct egov_req *req, void *cls)
{
    struct egov_backoffice *bo = cls;
    char why[200];
    if (!bo->verify)
        return true;
    if (req->method_bit == EGOV_M_POST && req->route->name != NULL &&
        strcmp(req->route->name, "events") == 0) {
        /* an event delivery changes records: only the gateway may make one */
        enum egov_ec ec = egov_gateway_delivery_verify(req, bo->secret, 300, why, sizeof why);
        if (ec == EGOV_EC_NONE)
            return true;
        egov_reply_problem(req, ec, NULL, why);
        return false;
    }
    if (egov_req_header(req, "X-Road-Client") == NULL && egov_req_header(req, "X-Road-Id") == NULL &&
        egov_req_header(req, "X-Road-UserId") == NULL &&
        egov_req_header(req, "X-Road-Service") == NULL &&
        egov_req_header(req, "Signature") == NULL && egov_req_header(req, "Signature-Input") == NULL)
        return true;
    for (const struct egov_route *r = egov_http_core_routes.routes; r->pattern != NULL; r++)
        if (req->route == r)
            return true;
    const char *name = req->route->name != NULL ? req->route->name : "";
    if (strcmp(name, "openapi") == 0)
        return true;
    enum egov_ec ec = egov_gateway_forwarded_verify(req, bo->secret, 300, why, sizeof why);
    if (ec == EGOV_EC_NONE)
        return true;
    egov_reply_problem(req, ec, NULL, why);
    return false;
}

static const struct egov_route_table *agency_routes(enum egov_backoffice_agency agency)
{
    static const struct egov_route_table *const tables[EGOV_BO_COUNT] = {
        &bo_household_routes, &bo_land_routes,    &bo_tax_routes,
        &bo_business_routes,  &bo_vehicle_routes, &bo_health_routes,
    };
    return (unsigned int)agency < EGOV_BO_COUNT ? tables[agency] : NULL;
}

bool bo_route_agency(const struct egov_route *route, enum egov_backoffice_agency *out)
{
    for (unsigned int a = 0; route != NULL && a < EGOV_BO_COUNT; a++)
        for (const struct egov_route *r = agency_routes(a)->routes; r->pattern != NULL; r++)
            if (r == route) {
                *out = (enum egov_backoffice_agency)a;
                return true;
            }
    return false;
}

void bo_handle_openapi(struct egov_req *req)
{
    enum egov_backoffice_agency agency;
    if (!bo_route_agency(req->route, &agency)) {
        egov_reply_problem(req, EGOV_EC_GENERIC_INTERNAL, NULL, NULL);
        return;
    }
    egov_reply_json(req, 200, bo_openapi(agency));
}

void bo_handle_events(struct egov_req *req)
{
    enum egov_backoffice_agency agency;
    if (!bo_route_agency(req->route, &agency)) {
        egov_reply_problem(req, EGOV_EC_GENERIC_INTERNAL, NULL, NULL);
        return;
    }
    bo_handle_event(req, agency);
}

struct egov_backoffice *egov_backoffice_start(const struct egov_backoffice_options *opt, char *err,
                                              size_t errlen)
{
    struct egov_backoffice *bo = NULL;
    struct egov_backoffice_population *pop = NULL;
    const struct egov_backoffice_info *info =
        opt != NULL ? egov_backoffice_info(opt->agency) : NULL;
    char msg[512] = "";

    if (info == NULL || opt->db_url == NULL) {
        snprintf(err, errlen, "a back office needs an agency and a database URL");
        return NULL;
    }
    bo = egov_calloc(1, sizeof(*bo));
    if (bo == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    bo->agency = opt->agency;
    if (strcmp(info->charset, "utf-8") != 0) {
        const char *vardir = opt->vardir != NULL ? opt->vardir : "var";
        if (!egov_hanzi_tables_load(vardir, msg, sizeof(msg))) {
            snprintf(err, errlen, "cannot load the character tables: %s", msg);
            goto fail;
        }
        if (bo_legacy_encoding(opt->agency) == NULL || bo_utf8_encoding() == NULL) {
            snprintf(err, errlen,
                     "the %s back office speaks the %s code, whose table is not loaded; import "
                     "the 全字庫 tables first: egov hanzi import DIR (var directory %s)",
                     info->name, info->charset, vardir);
            goto fail;
        }
    }
    struct egov_db_options dbo = {.pool_size = 8, .busy_timeout_ms = 10000, .connect_timeout_s = 5};
    bo->db = egov_db_open(opt->db_url, &dbo, msg, sizeof(msg));
    if (bo->db == NULL) {
        char shown[512];
        snprintf(err, errlen, "cannot open the database %s: %s",
                 egov_db_url_redact(opt->db_url, shown, sizeof(shown)), msg);
        goto fail;
    }
    if (!egov_db_register_migrations(bo_common_migrations()) ||
        !egov_db_register_migrations(bo_migrations(opt->agency)) ||
        egov_db_migrate(bo->db, NULL, NULL, msg, sizeof(msg)) < 0) {
        snprintf(err, errlen, "database migration failed: %s", msg);
        goto fail;
    }
    if (opt->people > 0) {
        pop = egov_backoffice_population_new(opt->seed, opt->people, opt->geocode_dir, msg,
                                             sizeof(msg));
        if (pop == NULL) {
            snprintf(err, errlen, "cannot generate the population: %s", msg);
            goto fail;
        }
        if (!bo_generate(bo->db, opt->agency, pop, opt->progress, msg, sizeof(msg))) {
            snprintf(err, errlen, "cannot store the population: %s", msg);
            goto fail;
        }
        egov_backoffice_population_free(pop);
        pop = NULL;
    }
    if (opt->agency == EGOV_BO_HEALTH && bo_health_topup(bo->db, opt->seed) < 0) {
        snprintf(err, errlen, "cannot add the coming days' appointment slots");
        goto fail;
    }
    if (opt->agency == EGOV_BO_HOUSEHOLD) {
        if (!bo_setting_set(bo->db, "publish_url", opt->publish_url)) {
            snprintf(err, errlen, "cannot record the publish URL");
            goto fail;
        }
        if (opt->publish_url != NULL) {
            struct egov_jobs_options jo = {.workers = 1,
                                           .poll_ms = 100,
                                           .lease_ms = 30000,
                                           .max_attempts = 50,
                                           .node_id = "backoffice-household"};
            if (!egov_webhook_register() || (bo->jobs = egov_jobs_start(bo->db, &jo)) == NULL) {
                snprintf(err, errlen, "cannot start the event publisher");
                goto fail;
            }
        }
    }
    const char *datadir = opt->datadir != NULL ? opt->datadir : getenv("EGOV_DATADIR");
    struct egov_server_options so = {
        .listen = opt->listen != NULL ? opt->listen : "127.0.0.1:0",
        .threads = opt->threads > 0 ? opt->threads : 2,
        .limits = {.max_url = 8192,
                   .max_header = 16384,
                   .max_body = 1024 * 1024,
                   .conn_timeout_s = 30,
                   .max_connections = 1024,
                   .max_segments = 32},
        .db = bo->db,
        .datadir = datadir,
        .log_requests = false,
        .cookie_secure = false,
        .admit = bo_admit,
        .admit_cls = bo,
    };
    if (opt->gateway_secret_file != NULL) {
        if (!egov_gateway_secret_file_read(opt->gateway_secret_file, bo->secret)) {
            snprintf(err, errlen, "%s must hold the system's gateway secret as 64 hex digits",
                     opt->gateway_secret_file);
            goto fail;
        }
        bo->verify = true;
    }
    bo->server = egov_server_create(&so, msg, sizeof(msg));
    if (bo->server == NULL) {
        snprintf(err, errlen, "cannot create the HTTP server: %s", msg);
        goto fail;
    }
    if (!egov_server_add_routes(bo->server, &egov_http_core_routes) ||
        !egov_server_add_routes(bo->server, agency_routes(opt->agency)) ||
        !egov_server_start(bo->server, msg, sizeof(msg))) {
        snprintf(err, errlen, "cannot listen on %s: %s", so.listen, msg);
        goto fail;
    }
    /* the host part of the URL: a wildcard address is reached via loopback */
    char host[128];
    snprintf(host, sizeof(host), "%s", so.listen);
    char *colon = strrchr(host, ':');
    if (colon != NULL)
        *colon = '\0';
    if (host[0] == '\0' || strcmp(host, "0.0.0.0") == 0)
        snprintf(host, sizeof(host), "127.0.0.1");
    else if (strcmp(host, "[::]") == 0)
        snprintf(host, sizeof(host), "[::1]");
    snprintf(bo->url, sizeof(bo->url), "http://%.40s:%u", host, egov_server_port(bo->server));
    return bo;
fail:
    egov_backoffice_population_free(pop);
    egov_backoffice_stop(bo);
    return NULL;
}

unsigned int egov_backoffice_port(const struct egov_backoffice *bo)
{
    return bo != NULL && bo->server != NULL ? egov_server_port(bo->server) : 0;
}

const char *egov_backoffice_url(const struct egov_backoffice *bo)
{
    return bo != NULL ? bo->url : "";
}

struct egov_db *egov_backoffice_db(const struct egov_backoffice *bo)
{
    return bo != NULL ? bo->db : NULL;
}

void egov_backoffice_stop(struct egov_backoffice *bo)
{
    if (bo == NULL)
        return;
    if (bo->server != NULL)
        egov_server_stop(bo->server, 5000);
    egov_jobs_stop(bo->jobs);
    egov_server_destroy(bo->server);
    egov_db_close(bo->db);
    egov_free(bo);
}

/* ------------------------------------------------------------------ */
/* Child processes                                                     */
/* ------------------------------------------------------------------ */

void bo_child_reset(void)
{
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    struct sigaction dfl;
    memset(&dfl, 0, sizeof(dfl));
    dfl.sa_handler = SIG_DFL;
    sigaction(SIGPIPE, &dfl, NULL); /* an ignored signal stays ignored across exec */
    /* the parent's sockets and database files are not the child's business */
    (void)close_range(3, ~0U, 0);
}

bool egov_backoffice_spawn(const char *egov_bin, const struct egov_backoffice_options *opt,
                           unsigned int timeout_ms, struct egov_backoffice_child *out, char *err,
                           size_t errlen)
{
    const struct egov_backoffice_info *info =
        opt != NULL ? egov_backoffice_info(opt->agency) : NULL;
    char seed[32], people[32], threads[16];
    const char *argv[24];
    int n = 0, fds[2] = {-1, -1};

    memset(out, 0, sizeof(*out));
    if (info == NULL || egov_bin == NULL || opt->db_url == NULL) {
        snprintf(err, errlen,
                 "a back office child needs the egov program, an agency and a database");
        return false;
    }
    snprintf(seed, sizeof(seed), "%llu", (unsigned long long)opt->seed);
    snprintf(people, sizeof(people), "%u", opt->people);
    snprintf(threads, sizeof(threads), "%u", opt->threads);
    argv[n++] = egov_bin;
    argv[n++] = "backoffice";
    argv[n++] = info->name;
    argv[n++] = "--listen";
    argv[n++] = opt->listen != NULL ? opt->listen : "127.0.0.1:0";
    argv[n++] = "--db";
    argv[n++] = opt->db_url;
    argv[n++] = "--seed";
    argv[n++] = seed;
    argv[n++] = "--people";
    argv[n++] = people;
    if (opt->threads > 0) {
        argv[n++] = "--threads";
        argv[n++] = threads;
    }
    if (opt->geocode_dir != NULL) {
        argv[n++] = "--geocode";
        argv[n++] = opt->geocode_dir;
    }
    if (opt->publish_url != NULL) {
        argv[n++] = "--publish";
        argv[n++] = opt->publish_url;
    }
    if (opt->vardir != NULL) {
        argv[n++] = "--var";
        argv[n++] = opt->vardir;
    }
    if (opt->gateway_secret_file != NULL) {
        argv[n++] = "--gateway-secret-file";
        argv[n++] = opt->gateway_secret_file;
    }
    argv[n] = NULL;

    if (pipe(fds) != 0) {
        snprintf(err, errlen, "pipe: %s", strerror(errno));
        return false;
    }
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, errlen, "fork: %s", strerror(errno));
        close(fds[0]);
        close(fds[1]);
        return false;
    }
    if (pid == 0) {
        dup2(fds[1], 1);
        close(fds[0]);
        close(fds[1]);
        bo_child_reset();
        execv(egov_bin, (char *const *)argv);
        _exit(127);
    }
    close(fds[1]);
    out->pid = pid;
    out->agency = opt->agency;

    char buf[1024];
    size_t len = 0;
    int64_t deadline = egov_mono_us() + (int64_t)timeout_ms * 1000;
    bool ok = false;
    while (!ok) {
        int64_t left = (deadline - egov_mono_us()) / 1000;
        if (left <= 0) {
            snprintf(err, errlen, "the %s back office did not start within %u ms", info->name,
                     timeout_ms);
            break;
        }
        struct pollfd pfd = {fds[0], POLLIN, 0};
        int pr = poll(&pfd, 1, (int)(left > 500 ? 500 : left));
        if (pr < 0 && errno != EINTR) {
            snprintf(err, errlen, "poll: %s", strerror(errno));
            break;
        }
        if (pr <= 0)
            continue;
        ssize_t got = read(fds[0], buf + len, sizeof(buf) - 1 - len);
        if (got <= 0) {
            snprintf(err, errlen, "the %s back office exited before it listened", info->name);
            break;
        }
        len += (size_t)got;
        buf[len] = '\0';
        const char *l = strstr(buf, "listening on http://");
        const char *nl = l != NULL ? strchr(l, '\n') : NULL;
        if (nl != NULL) {
            const char *colon = memrchr(l, ':', (size_t)(nl - l));
            long port = colon != NULL ? strtol(colon + 1, NULL, 10) : 0;
            if (port <= 0 || port > 65535) {
                char line[101];
                size_t ll = (size_t)(nl - l) < sizeof(line) ? (size_t)(nl - l) : sizeof(line) - 1;
                memcpy(line, l, ll);
                line[ll] = '\0';
                snprintf(err, errlen, "cannot read the port from \"%s\"", line);
                break;
            }
            out->port = (unsigned int)port;
            snprintf(out->url, sizeof(out->url), "http://127.0.0.1:%u", out->port);
            ok = true;
        } else if (len >= sizeof(buf) - 1) {
            len = 0;
        }
    }
    close(fds[0]);
    if (!ok)
        (void)egov_backoffice_child_stop(out, SIGKILL);
    return ok;
}

bool egov_backoffice_child_stop(struct egov_backoffice_child *c, int sig)
{
    if (c == NULL || c->pid <= 0)
        return false;
    int status = 0;
    bool ok = false;
    (void)kill(c->pid, sig);
    for (int i = 0; i < 1500; i++) {
        pid_t w = waitpid(c->pid, &status, WNOHANG);
        if (w == c->pid) {
            ok = (WIFEXITED(status) && WEXITSTATUS(status) == 0) ||
                 (WIFSIGNALED(status) && WTERMSIG(status) == sig);
            c->pid = 0;
            return ok;
        }
        if (w < 0)
            break;
        struct timespec ts = {0, 10 * 1000000L};
        nanosleep(&ts, NULL);
    }
    (void)kill(c->pid, SIGKILL);
    (void)waitpid(c->pid, &status, 0);
    c->pid = 0;
    return false;
}

/* ------------------------------------------------------------------ */
/* `egov backoffice NAME`                                              */
/* ------------------------------------------------------------------ */

static void usage(FILE *out)
{
    fprintf(out,
            "usage: egov backoffice people --people N [--seed N] [--geocode DIR] [--limit K]\n"
            "       egov backoffice household|land|tax|business|vehicle|health\n"
            "         [--listen HOST:PORT] [--db URL] [--seed N] [--people N]\n"
            "         [--geocode DIR] [--publish URL] [--var DIR] [--threads N]\n"
            "         [--generate-only] [--gateway-secret-file FILE]\n\n"
            "Runs one agency's reference back-office system with its own database.\n"
            "  --listen HOST:PORT  address (default 127.0.0.1:0 = any free port)\n"
            "  --db URL            its database (default sqlite:VAR/backoffice-NAME.db)\n"
            "  --seed N            population seed (default 1); the same seed and size give\n"
            "                      the same people in every back office\n"
            "  --people N          fill an empty database with N people (default 0)\n"
            "  --gateway-secret-file FILE  answer only calls the gateway signed with this\n"
            "                      system's secret (egov gateway provider-secret)\n"
            "  --geocode DIR       folder with city-112.json and district-107.json (default:\n"
            "                      the built-in 22 counties and cities)\n"
            "  --publish URL       household: POST every event to URL as well\n"
            "  --var DIR           var directory (hanzi tables for tax and vehicle)\n"
            "  --generate-only     fill the database, then exit\n\n"
            "Prints `listening on http://HOST:PORT` when ready; stops on Ctrl-C or SIGTERM.\n");
}

static bool parse_u64(const char *s, unsigned long long max, unsigned long long *out)
{
    char *end = NULL;
    if (s == NULL || s[0] < '0' || s[0] > '9')
        return false;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || end == NULL || *end != '\0' || v > max)
        return false;
    *out = v;
    return true;
}

/* One person as a JSON line on stdout. */
static void print_person(const struct egov_backoffice_population *pop, unsigned int i, bool demo)
{
    const struct egov_backoffice_person *p = &pop->persons[i];
    char birth[16];
    snprintf(birth, sizeof(birth), "%04d-%02d-%02d", p->birth_year % 10000, p->birth_month % 100,
             p->birth_day % 100);
    json_t *o =
        json_pack("{s:I, s:s, s:s, s:s%, s:s, s:s, s:s, s:s, s:b, s:b}", "index", (json_int_t)i,
                  "national_id", p->national_id, "name", p->name, "sex", &p->sex, (size_t)1,
                  "birth_date", birth, "household_no", pop->households[p->household].no, "address",
                  p->address, "district_code", p->district_code, "deceased", pop->dead[i] ? 1 : 0,
                  "demo_citizen", demo ? 1 : 0);
    char *text = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
    if (text != NULL)
        printf("%s\n", text);
    free(text);
    json_decref(o);
}

/* `egov backoffice people`: lists the generated population. */
static int cli_people(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"seed", required_argument, NULL, 's'},    {"people", required_argument, NULL, 'p'},
        {"geocode", required_argument, NULL, 'g'}, {"limit", required_argument, NULL, 'n'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0},
    };
    unsigned long long seed = 1, people = 0, limit = 10, v;
    const char *geocode = NULL;
    int ch;
    optind = 2;
    opterr = 1;
    while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (ch) {
        case 's':
        case 'p':
        case 'n':
            if (!parse_u64(optarg, ch == 's' ? UINT64_MAX : 10000000ULL, &v)) {
                fprintf(stderr, "egov backoffice people: --%s must be a number in range\n",
                        ch == 's'   ? "seed"
                        : ch == 'p' ? "people"
                                    : "limit");
                return 2;
            }
            *(ch == 's' ? &seed : ch == 'p' ? &people : &limit) = v;
            break;
        case 'g':
            geocode = optarg;
            break;
        case 'h':
            printf("usage: egov backoffice people --people N [--seed N] [--geocode DIR] "
                   "[--limit K]\n\nPrints the demo citizen and the first K persons of the "
                   "population the back offices generate, one JSON object a line.\n");
            return 0;
        default:
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "egov backoffice people: unexpected argument '%s'\n", argv[optind]);
        return 2;
    }
    char err[512];
    struct egov_backoffice_population *pop =
        egov_backoffice_population_new(seed, (unsigned int)people, geocode, err, sizeof(err));
    if (pop == NULL) {
        fprintf(stderr, "egov backoffice people: %s\n", err);
        return 1;
    }
    int demo = egov_backoffice_population_demo_citizen(pop);
    if (demo >= 0)
        print_person(pop, (unsigned int)demo, true);
    for (unsigned int i = 0; i < pop->npersons && i < limit; i++)
        print_person(pop, i, false);
    egov_backoffice_population_free(pop);
    return 0;
}

int bo_cli_run(int argc, char **argv, const struct egov_module_env *env)
{
    static const struct option longopts[] = {
        {"listen", required_argument, NULL, 'l'},
        {"seed", required_argument, NULL, 's'},
        {"people", required_argument, NULL, 'p'},
        {"geocode", required_argument, NULL, 'g'},
        {"publish", required_argument, NULL, 'P'},
        {"var", required_argument, NULL, 'v'},
        {"threads", required_argument, NULL, 't'},
        {"generate-only", no_argument, NULL, 'G'},
        {"gateway-secret-file", required_argument, NULL, 'K'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct egov_backoffice_options opt = {.seed = 1, .progress = true};
    bool generate_only = false;
    unsigned long long v;
    int ch;

    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "people") == 0)
        return cli_people(argc, argv);
    if (!egov_backoffice_agency_parse(argv[1], &opt.agency)) {
        fprintf(stderr, "egov backoffice: unknown back office '%s'\n", argv[1]);
        usage(stderr);
        return 2;
    }
    optind = 2;
    opterr = 1;
    while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (ch) {
        case 'l':
            opt.listen = optarg;
            break;
        case 's':
            if (!parse_u64(optarg, UINT64_MAX, &v)) {
                fprintf(stderr, "egov backoffice: --seed must be a non-negative integer\n");
                return 2;
            }
            opt.seed = v;
            break;
        case 'p':
            if (!parse_u64(optarg, 10000000, &v)) {
                fprintf(stderr, "egov backoffice: --people must be 0..10000000\n");
                return 2;
            }
            opt.people = (unsigned int)v;
            break;
        case 't':
            if (!parse_u64(optarg, 256, &v)) {
                fprintf(stderr, "egov backoffice: --threads must be 0..256\n");
                return 2;
            }
            opt.threads = (unsigned int)v;
            break;
        case 'g':
            opt.geocode_dir = optarg;
            break;
        case 'P':
            if (strncmp(optarg, "http://", 7) != 0 && strncmp(optarg, "https://", 8) != 0) {
                fprintf(stderr, "egov backoffice: --publish must be an http(s) URL\n");
                return 2;
            }
            opt.publish_url = optarg;
            break;
        case 'v':
            opt.vardir = optarg;
            break;
        case 'G':
            generate_only = true;
            break;
        case 'K':
            opt.gateway_secret_file = optarg;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "egov backoffice: unexpected argument '%s'\n", argv[optind]);
        return 2;
    }
    if (opt.vardir == NULL)
        opt.vardir = env->cfg->vardir;
    /* its own database unless --db (or db.url) names one */
    struct egov_config dflt;
    char dburl[600];
    egov_config_defaults(&dflt);
    if (strcmp(env->cfg->db_url, dflt.db_url) == 0) {
        snprintf(dburl, sizeof(dburl), "sqlite:%s/backoffice-%s.db", opt.vardir,
                 egov_backoffice_info(opt.agency)->name);
        opt.db_url = dburl;
    } else {
        opt.db_url = env->cfg->db_url;
    }
    egov_i18n_load(env->cfg->localedir);

    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);

    char err[1024] = "";
    int64_t t0 = egov_mono_us();
    if (generate_only) {
        opt.listen = "127.0.0.1:0";
    }
    struct egov_backoffice *bo = egov_backoffice_start(&opt, err, sizeof(err));
    if (bo == NULL) {
        fprintf(stderr, "egov backoffice: %s\n", err);
        return 1;
    }
    if (opt.people > 0)
        fprintf(stderr, "egov backoffice %s: ready with %u people (seed %llu) in %.1f s\n",
                egov_backoffice_info(opt.agency)->name, opt.people, (unsigned long long)opt.seed,
                (double)(egov_mono_us() - t0) / 1e6);
    if (generate_only) {
        egov_backoffice_stop(bo);
        return 0;
    }
    printf("listening on %s\n", egov_backoffice_url(bo));
    fflush(stdout);
    egov_info("%s back office started on %s", egov_backoffice_info(opt.agency)->name,
              egov_backoffice_url(bo));
    int sig = 0;
    sigwait(&sigs, &sig);
    egov_info("signal %d: stopping", sig);
    egov_backoffice_stop(bo);
    return 0;
}
