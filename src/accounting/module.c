/*
 * module.c -- the accounting module's descriptor: tables, the hourly
 * aggregation job and the `egov accounting` verb.
 */
#include <getopt.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accounting/accounting_int.h"

#define AGG_INTERVAL_MS (60u * 60u * 1000u)

static const struct egov_db_migration accounting_list[] = {
    {1, "usage records and daily aggregates",
     "CREATE TABLE accounting_usage ("
     " at BIGINT NOT NULL,"
     " day TEXT NOT NULL,"
     " kind TEXT NOT NULL,"
     " principal TEXT,"
     " agency TEXT NOT NULL DEFAULT '',"
     " service TEXT NOT NULL DEFAULT '',"
     " n BIGINT NOT NULL);"
     "CREATE INDEX accounting_usage_day ON accounting_usage (day, kind);"
     "CREATE TABLE accounting_daily ("
     " day TEXT NOT NULL,"
     " kind TEXT NOT NULL,"
     " agency TEXT NOT NULL,"
     " service TEXT NOT NULL,"
     " events BIGINT NOT NULL,"
     " principals BIGINT NOT NULL,"
     " updated_at BIGINT NOT NULL,"
     " PRIMARY KEY (day, kind, agency, service));",
     NULL},
    {0, NULL, NULL, NULL},
};

static const struct egov_db_module_migrations accounting_migrations = {"accounting",
                                                                       accounting_list};

static _Atomic(egov_accounting_guard_fn) guard;

void egov_accounting_set_guard(egov_accounting_guard_fn fn)
{
    atomic_store(&guard, fn);
}

egov_accounting_guard_fn accounting_guard(void)
{
    return atomic_load(&guard);
}

static const struct egov_db_stmt st_pending = {
    "accounting_job_pending",
    "SELECT COUNT(*) FROM egov_job WHERE queue = $1 AND state = 'pending'", NULL};

struct sched_txn {
    unsigned int delay_ms;
};

static enum egov_db_qs sched_body(struct egov_db_conn *c, void *cls)
{
    struct sched_txn *t = cls;
    struct egov_db_rows *r = NULL;
    struct egov_db_param p[] = {EGOV_DB_PARAM_TEXT(EGOV_ACCOUNTING_QUEUE), EGOV_DB_PARAM_END};
    enum egov_db_qs qs = egov_db_query(c, &st_pending, p, &r);
    int64_t pending = qs == EGOV_DB_ONE_ROW ? egov_db_rows_int64(r, 0, 0) : 0;
    egov_db_rows_free(r);
    if (qs < 0)
        return qs;
    if (pending > 0)
        return EGOV_DB_NO_ROW;
    return egov_job_enqueue(c, EGOV_ACCOUNTING_QUEUE, "{}", t->delay_ms, NULL);
}

bool accounting_schedule(struct egov_db *db, unsigned int delay_ms)
{
    struct sched_txn t = {delay_ms};
    return accounting_txn(db, true, sched_body, &t) >= 0;
}

enum egov_job_result accounting_aggregate_job(struct egov_db *db, const char *job_id,
                                              const char *payload, void *cls)
{
    char today[11], yesterday[11];
    (void)job_id;
    (void)payload;
    (void)cls;
    int64_t now = egov_now_us();
    accounting_day_of(now, today);
    accounting_day_of(now - 86400LL * 1000000LL, yesterday);
    /* yesterday again: rows written just before midnight by a slow transaction */
    if (egov_accounting_aggregate_day(db, yesterday) < 0 ||
        egov_accounting_aggregate_day(db, today) < 0 || accounting_purge(db, now) < 0)
        return EGOV_JOB_RETRY;
    if (!accounting_schedule(db, AGG_INTERVAL_MS))
        return EGOV_JOB_RETRY;
    return EGOV_JOB_DONE;
}

static bool accounting_init(const struct egov_module_env *env)
{
    if (!egov_jobs_register(EGOV_ACCOUNTING_QUEUE, accounting_aggregate_job, NULL)) {
        egov_error("accounting: cannot register the aggregation job");
        return false;
    }
    if (env->db != NULL && !accounting_schedule(env->db, 0))
        egov_warn("accounting: the aggregation job could not be scheduled now");
    return true;
}

static void cli_usage(FILE *out)
{
    fputs("usage: egov accounting aggregate [--day YYYY-MM-DD]\n"
          "       egov accounting usage --from YYYY-MM-DD --to YYYY-MM-DD"
          " [--kind K] [--agency A] [--service S]\n",
          out);
}

int accounting_cli_run(int argc, char **argv, const struct egov_module_env *env)
{
    static const struct option longopts[] = {
        {"day", required_argument, NULL, 'd'},    {"from", required_argument, NULL, 'f'},
        {"to", required_argument, NULL, 't'},     {"kind", required_argument, NULL, 'k'},
        {"agency", required_argument, NULL, 'a'}, {"service", required_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
    };
    const char *day = NULL, *from = NULL, *to = NULL, *kind = NULL, *agency = NULL, *service = NULL;
    int ch, rc = 1;
    if (argc < 2 || strcmp(argv[1], "--help") == 0) {
        cli_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const char *sub = argv[1];
    optind = 1;
    while ((ch = getopt_long(argc - 1, argv + 1, "h", longopts, NULL)) != -1) {
        switch (ch) {
        case 'd':
            day = optarg;
            break;
        case 'f':
            from = optarg;
            break;
        case 't':
            to = optarg;
            break;
        case 'k':
            kind = optarg;
            break;
        case 'a':
            agency = optarg;
            break;
        case 's':
            service = optarg;
            break;
        case 'h':
            cli_usage(stdout);
            return 0;
        default:
            cli_usage(stderr);
            return 2;
        }
    }
    char today[11];
    int64_t ed;
    accounting_day_of(egov_now_us(), today);
    if (strcmp(sub, "aggregate") == 0) {
        if (day != NULL && !accounting_parse_day(day, &ed)) {
            fprintf(stderr, "egov accounting: --day must be YYYY-MM-DD\n");
            return 2;
        }
    } else if (strcmp(sub, "usage") == 0) {
        if (from == NULL || to == NULL) {
            cli_usage(stderr);
            return 2;
        }
    } else {
        cli_usage(stderr);
        return 2;
    }
    struct egov_db *db = env->open_db(env);
    if (db == NULL)
        return 1;
    if (strcmp(sub, "aggregate") == 0) {
        int n = egov_accounting_aggregate_day(db, day != NULL ? day : today);
        if (n >= 0) {
            printf("%s: %d aggregate rows\n", day != NULL ? day : today, n);
            rc = 0;
        } else {
            fprintf(stderr, "egov accounting: aggregation failed\n");
        }
    } else {
        enum egov_ec ec;
        json_t *j = egov_accounting_usage(db, from, to, kind, agency, service, &ec);
        char *text = j != NULL ? json_dumps(j, JSON_INDENT(2)) : NULL;
        if (text != NULL) {
            printf("%s\n", text);
            rc = 0;
        } else {
            fprintf(stderr, "egov accounting: %s\n", egov_ec_hint(ec));
        }
        free(text);
        json_decref(j);
    }
    egov_db_close(db);
    return rc;
}

static const struct egov_module_cli accounting_cli[] = {
    {"accounting", "usage accounting: aggregate days, print usage", accounting_cli_run},
    {NULL, NULL, NULL},
};

const struct egov_module egov_accounting_module = {
    .name = "accounting",
    .migrations = &accounting_migrations,
    .routes = &accounting_routes,
    .init = accounting_init,
    .cli = accounting_cli,
};
