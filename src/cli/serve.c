/*
 * serve.c -- `egov serve` and `egov demo`: one platform node.
 *
 * Start-up may abort with a message (bad config, database unreachable,
 * port taken); once serving, nothing a request does ends the process.
 * SIGINT/SIGTERM stop accepting, let in-flight requests finish, stop the
 * job workers and exit 0.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backoffice/backoffice.h"
#include "cli/cli.h"

#define SHUTDOWN_GRACE_MS 10000

static void serve_usage(FILE *out, const char *cmd)
{
    fprintf(out,
            "usage: egov %s [--listen HOST:PORT] [--db sqlite:PATH|postgresql://...]\n"
            "       %*s [--config FILE] [--log-level LEVEL] [--no-migrate]\n\n"
            "  --listen HOST:PORT   address to listen on (default 127.0.0.1:8080; port 0 = any free)\n"
            "  --db URL             database: sqlite:PATH (default sqlite:var/egov.db)\n"
            "                       or postgresql://user@host/dbname\n"
            "  --config FILE        INI configuration file (see `egov config show`)\n"
            "  --log-level LEVEL    debug, info, warn or error\n"
            "  --no-migrate         do not apply pending migrations at start\n"
            "  -h, --help           show this help\n\n"
            "Prints `listening on http://HOST:PORT` when ready; stops on Ctrl-C or SIGTERM.\n",
            cmd, (int)strlen(cmd) + 5, "");
}

struct egov_db *egov_cli_open_db(const struct egov_config *cfg)
{
    char err[512] = "";
    struct egov_db_options opt = {
        .pool_size = cfg->db_pool,
        .busy_timeout_ms = cfg->db_busy_ms,
        .connect_timeout_s = 5,
    };
    struct egov_db *db = egov_db_open(cfg->db_url, &opt, err, sizeof(err));
    if (db == NULL) {
        char shown[512];
        fprintf(stderr, "egov: cannot open the database %s: %s\n",
                egov_db_url_redact(cfg->db_url, shown, sizeof(shown)),
                err[0] != '\0' ? err : "unknown error");
    }
    return db;
}

static void migrate_progress(const char *module, unsigned int version, const char *description,
                             unsigned int done, unsigned int total, void *cls)
{
    (void)cls;
    fprintf(stderr, "egov: migrating [%u/%u] %s %u: %s\n", done + 1, total, module, version,
            description);
}

/* Parses serve/demo options over cfg.  Returns -1 to continue, else an exit code. */
static int parse_options(int argc, char **argv, const char *cmd, struct egov_config *cfg)
{
    static const struct option longopts[] = {
        {"listen", required_argument, NULL, 'l'},
        {"db", required_argument, NULL, 'd'},
        {"config", required_argument, NULL, 'c'},
        {"log-level", required_argument, NULL, 'L'},
        {"no-migrate", no_argument, NULL, 'M'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *config_file = NULL;
    /* First pass: find --config so that flags override the file. */
    optind = 1;
    opterr = 0;
    int ch;
    while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        if (ch == 'c')
            config_file = optarg;
        if (ch == 'h') {
            serve_usage(stdout, cmd);
            return 0;
        }
    }
    if (!egov_cli_load_config(cfg, config_file))
        return 1;

    optind = 1;
    opterr = 1;
    struct egov_cfg_problems probs = {0};
    bool ok = true;
    while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (ch) {
        case 'l': ok &= egov_config_set(cfg, "http.listen", optarg, &probs); break;
        case 'd': ok &= egov_config_set(cfg, "db.url", optarg, &probs); break;
        case 'L': ok &= egov_config_set(cfg, "log.level", optarg, &probs); break;
        case 'M': cfg->migrate_on_start = false; break;
        case 'c': break;
        default:
            serve_usage(stderr, cmd);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "egov %s: unexpected argument '%s'\n", cmd, argv[optind]);
        serve_usage(stderr, cmd);
        return 2;
    }
    if (!ok) {
        for (unsigned int i = 0; i < probs.count; i++)
            fprintf(stderr, "egov: %s\n", probs.msg[i]);
        return 2;
    }
    return -1;
}

/* Makes the folder of a sqlite:PATH database and the var dir exist. */
static void ensure_vardir(const struct egov_config *cfg)
{
    if (cfg->vardir[0] != '\0' && mkdir(cfg->vardir, 0750) != 0 && errno != EEXIST)
        fprintf(stderr, "egov: cannot create %s: %s\n", cfg->vardir, strerror(errno));
}

/* The reference data folder of the demo: EGOV_SHARED_DATA, or ../shared/data if present. */
static const char *demo_shared_data(void)
{
    const char *shared = getenv("EGOV_SHARED_DATA");
    struct stat st;
    if (shared == NULL && stat("../shared/data", &st) == 0)
        shared = "../shared/data";
    return shared;
}

/*
 * `egov demo`: starts the six back offices as children, wires them to this
 * node's gateway and writes VAR/demo.json.  The population size comes from
 * EGOV_DEMO_PEOPLE (default 10000), the reference data (geocode/,
 * cns11643/) from EGOV_SHARED_DATA or ../shared/data when present.  A
 * node on a fixed port (8080) puts its back offices on the next six ports
 * (8081-8086), so a restart finds the same URLs registered.
 * Returns NULL (after a message) if nothing could be started.
 */
static struct egov_backoffice_demo *start_backoffices(const struct egov_config *cfg,
                                                      struct egov_db *db, const char *node_url,
                                                      unsigned int node_port)
{
    char self[PATH_MAX], err[512] = "";
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n <= 0) {
        fprintf(stderr, "egov demo: cannot find the egov program: %s\n", strerror(errno));
        return NULL;
    }
    self[n] = '\0';
    const char *shared = demo_shared_data();
    unsigned long people = 10000;
    const char *pe = getenv("EGOV_DEMO_PEOPLE");
    if (pe != NULL) {
        char *end = NULL;
        people = strtoul(pe, &end, 10);
        if (end == pe || *end != '\0' || people < 1 || people > 1000000) {
            fprintf(stderr, "egov demo: EGOV_DEMO_PEOPLE must be 1..1000000\n");
            return NULL;
        }
    }
    struct egov_backoffice_demo_options o = {
        .egov_bin = self,
        .node_url = node_url,
        .node_db_url = cfg->db_url,
        .vardir = cfg->vardir,
        .shared_data = shared,
        .seed = 1,
        .people = (unsigned int)people,
        /* a node on a fixed port gets its back offices on the next six */
        .base_port = node_port,
    };
    const char *colon = strrchr(cfg->listen, ':');
    if (colon != NULL && strcmp(colon, ":0") == 0)
        o.base_port = 0;
    fprintf(stderr, "egov demo: starting the back offices with %lu people...\n", people);
    struct egov_backoffice_demo *d = egov_backoffice_demo_start(db, &o, err, sizeof(err));
    if (d == NULL)
        fprintf(stderr, "egov demo: the back offices did not start: %s\n", err);
    return d;
}

/* Runs a node with @p cfg until a signal.  Returns the exit code. */
static int run_node(const struct egov_config *cfg, bool demo)
{
    int rc = 1;
    struct egov_db *db = NULL;
    struct egov_server *srv = NULL;
    struct egov_jobs *jobs = NULL;
    struct egov_backoffice_demo *backoffices = NULL;
    bool modules_started = false;
    char err[512] = "";
    sigset_t sigs;

    egov_log_set_level(cfg->log_level);
    ensure_vardir(cfg);

    /* Block the stop signals in every thread; the main thread waits for them. */
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);

    db = egov_cli_open_db(cfg);
    if (db == NULL)
        goto done;
    egov_cli_register_modules();
    if (cfg->migrate_on_start) {
        int n = egov_db_migrate(db, migrate_progress, NULL, err, sizeof(err));
        if (n < 0) {
            fprintf(stderr, "egov: database migration failed: %s\n", err);
            goto done;
        }
    }
    egov_i18n_load(cfg->localedir);
    struct egov_module_env env = {.cfg = cfg, .db = db, .open_db = NULL};
    if (!egov_cli_init_modules(&env))
        goto done;
    modules_started = true;

    struct egov_server_options so = {
        .listen = cfg->listen,
        .threads = cfg->threads,
        .limits =
            {
                .max_url = cfg->max_url,
                .max_header = cfg->max_header,
                .max_body = cfg->max_body,
                .conn_timeout_s = (cfg->conn_timeout_ms + 999) / 1000,
                .max_connections = cfg->max_connections,
                .max_segments = 32,
            },
        .db = db,
        .datadir = cfg->datadir,
        .log_requests = cfg->log_requests,
        .cookie_secure = cfg->cookie_secure,
    };
    srv = egov_server_create(&so, err, sizeof(err));
    if (srv == NULL) {
        fprintf(stderr, "egov: cannot create the HTTP server: %s\n", err);
        goto done;
    }
    if (!egov_cli_add_routes(srv)) {
        fprintf(stderr, "egov: too many route tables\n");
        goto done;
    }
    if (!egov_server_start(srv, err, sizeof(err))) {
        fprintf(stderr, "egov: cannot listen on %s: %s\n", cfg->listen, err);
        goto done;
    }
    if (cfg->job_workers > 0) {
        char node[64];
        char host[48] = "node";
        gethostname(host, sizeof(host) - 1);
        snprintf(node, sizeof(node), "%s:%ld", host, (long)getpid());
        struct egov_jobs_options jo = {
            .workers = cfg->job_workers,
            .poll_ms = cfg->job_poll_ms,
            .lease_ms = cfg->job_lease_ms,
            .max_attempts = 10,
            .node_id = node,
        };
        jobs = egov_jobs_start(db, &jo);
        if (jobs == NULL) {
            fprintf(stderr, "egov: cannot start the job workers\n");
            goto done;
        }
    }

    /* The host part of the URL: a wildcard address is reached via loopback. */
    char host[128];
    snprintf(host, sizeof(host), "%s", cfg->listen);
    char *colon = strrchr(host, ':');
    if (colon != NULL)
        *colon = '\0';
    if (strcmp(host, "0.0.0.0") == 0 || host[0] == '\0')
        snprintf(host, sizeof(host), "127.0.0.1");
    else if (strcmp(host, "[::]") == 0)
        snprintf(host, sizeof(host), "[::1]");
    printf("listening on http://%s:%u\n", host, egov_server_port(srv));
    if (demo) {
        char node_url[200];
        snprintf(node_url, sizeof(node_url), "http://%s:%u", host, egov_server_port(srv));
        fflush(stdout);
        backoffices = start_backoffices(cfg, db, node_url, egov_server_port(srv));
        char shown[512];
        printf("\n  egov demo is running.\n"
               "  Portal:    http://%s:%u/\n"
               "  Health:    http://%s:%u/healthz\n"
               "  Metrics:   http://%s:%u/metrics\n"
               "  Database:  %s\n"
               "  Back offices, services, accounts and passwords: %s%s\n\n"
               "  Press Ctrl-C to stop.\n",
               host, egov_server_port(srv), host, egov_server_port(srv), host,
               egov_server_port(srv), egov_db_url_redact(cfg->db_url, shown, sizeof(shown)),
               backoffices != NULL ? cfg->vardir : "(the back offices did not start)",
               backoffices != NULL ? "/demo.json" : "");
    }
    fflush(stdout);
    egov_info("node started on %s (%s)", cfg->listen, egov_db_kind_name(db));

    int sig = 0;
    sigwait(&sigs, &sig);
    egov_info("signal %d: stopping", sig);
    egov_backoffice_demo_stop(backoffices);
    backoffices = NULL;
    egov_server_stop(srv, SHUTDOWN_GRACE_MS);
    rc = 0;

done:
    egov_backoffice_demo_stop(backoffices);
    egov_jobs_stop(jobs);
    egov_server_destroy(srv);
    if (modules_started)
        egov_cli_fini_modules();
    egov_db_close(db);
    if (rc == 0)
        egov_info("stopped");
    return rc;
}

int egov_cli_serve(int argc, char **argv)
{
    struct egov_config cfg;
    int rc = parse_options(argc, argv, "serve", &cfg);
    if (rc >= 0)
        return rc;
    return run_node(&cfg, false);
}

int egov_cli_demo(int argc, char **argv)
{
    struct egov_config cfg;
    int rc = parse_options(argc, argv, "demo", &cfg);
    if (rc >= 0)
        return rc;
    /* The demo runs over plain HTTP on loopback; browsers accept Secure
     * cookies from http://127.0.0.1 and localhost, so cookies stay Secure. */
    ensure_vardir(&cfg);
    char err[512] = "";
    if (!egov_backoffice_demo_prepare(cfg.vardir, demo_shared_data(), err, sizeof(err)))
        fprintf(stderr,
                "egov demo: no 全字庫 tables (%s); the tax and vehicle back offices "
                "will not start\n",
                err);
    return run_node(&cfg, true);
}
