/*
 * generate.c -- fills an empty back-office database with its part of the
 * synthetic world, in transactions of a few thousand rows, showing
 * progress on a terminal.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "backoffice/bo_int.h"

#define BATCH         2000u
#define STREAM_TAX    7
#define STREAM_VEH    8
#define STREAM_HEALTH 9

/* ------------------------------------------------------------------ */
/* Progress                                                            */
/* ------------------------------------------------------------------ */

void bo_progress_step(struct bo_progress *pr, unsigned long add)
{
    pr->done += add;
    if (!pr->show)
        return;
    int64_t now = egov_mono_us();
    if (now - pr->last_us < 200000 && pr->done < pr->total)
        return;
    pr->last_us = now;
    fprintf(stderr, "\r  %-28s %9lu / %lu (%3lu%%)", pr->what, pr->done, pr->total,
            pr->total > 0 ? pr->done * 100 / pr->total : 100);
    fflush(stderr);
}

void bo_progress_end(struct bo_progress *pr)
{
    if (pr->show)
        fprintf(stderr, "\r  %-28s %9lu / %lu (100%%) done\n", pr->what, pr->total, pr->total);
}

/* ------------------------------------------------------------------ */
/* Shared helpers                                                      */
/* ------------------------------------------------------------------ */

struct gen {
    const struct egov_backoffice_population *pop;
    enum egov_backoffice_agency agency;
    struct egov_arena *arena; /* reset per batch */
    unsigned int from, to;    /* the batch */
    const char *today;        /* "YYYY-MM-DD" of the generation day */
    int64_t now_us;
};

static void date_str(int y, int m, int d, char out[11])
{
    unsigned int uy = (unsigned int)y % 10000u, um = (unsigned int)m % 100u,
                 ud = (unsigned int)d % 100u;
    snprintf(out, 11, "%04u-%02u-%02u", uy, um, ud);
}

static void birth_str(const struct egov_backoffice_person *p, char out[11])
{
    date_str(p->birth_year, p->birth_month, p->birth_day, out);
}

#define EXEC(st, ...)                                                                              \
    do {                                                                                           \
        const struct egov_db_param params_[] = {__VA_ARGS__, EGOV_DB_PARAM_END};                   \
        enum egov_db_qs qs_ = egov_db_exec(c, (st), params_);                                      \
        if (qs_ < 0)                                                                               \
            return qs_;                                                                            \
    } while (0)

/* Runs @p body over [0, total) in batches, each in its own transaction. */
static bool run_batches(struct egov_db *db, struct gen *g, unsigned int total, const char *what,
                        bool show, egov_db_txn_fn body, char *err, size_t errlen)
{
    struct bo_progress pr = {.show = show, .what = what, .total = total};
    struct egov_db_conn *c = egov_db_acquire(db, 10000);
    bool ok = false;
    if (c == NULL) {
        snprintf(err, errlen, "no database connection");
        return false;
    }
    for (unsigned int from = 0; from < total || (from == 0 && total == 0); from += BATCH) {
        g->from = from;
        g->to = from + BATCH < total ? from + BATCH : total;
        g->arena = egov_arena_create(64 * 1024);
        if (g->arena == NULL) {
            snprintf(err, errlen, "out of memory");
            goto done;
        }
        enum egov_db_qs qs = egov_db_txn(c, true, 10, body, g);
        egov_arena_destroy(g->arena);
        g->arena = NULL;
        if (qs < 0) {
            snprintf(err, errlen, "cannot store %s: %s", what, egov_db_errmsg(c));
            goto done;
        }
        bo_progress_step(&pr, g->to - g->from);
        if (total == 0)
            break;
    }
    bo_progress_end(&pr);
    ok = true;
done:
    egov_db_release(c);
    return ok;
}

/* Legacy-coded bytes of @p s for the tax and vehicle systems (NULL param on failure). */
static struct egov_db_param legacy_param(struct gen *g, const char *s)
{
    size_t n = 0;
    char *p = bo_to_legacy(g->arena, g->agency, s, &n);
    struct egov_db_param prm = EGOV_DB_PARAM_BLOB(p, n);
    if (p == NULL)
        prm.type = EGOV_DB_P_NULL;
    return prm;
}

/* ------------------------------------------------------------------ */
/* Household                                                           */
/* ------------------------------------------------------------------ */

static const struct egov_db_stmt st_hh_ins = {
    "bo_gen_hh",
    "INSERT INTO hh_household (household_no, head_id, address, district_code, registered_on)"
    " VALUES ($1, $2, $3, $4, $5)",
    NULL};
static const struct egov_db_stmt st_person_ins = {
    "bo_gen_person",
    "INSERT INTO hh_person (national_id, name, sex, birth_date, father_id, mother_id, spouse_id,"
    " household_no, relation, status, death_date, updated_at)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    NULL};
static const struct egov_db_stmt st_record_ins = {
    "bo_gen_record",
    "INSERT INTO hh_record (id, national_id, kind, event_date, detail, recorded_at)"
    " VALUES ($1, $2, $3, $4, $5, $6)",
    NULL};

static const char *relation_of(const struct egov_backoffice_population *pop, unsigned int k,
                               unsigned int head)
{
    const struct egov_backoffice_person *p = &pop->persons[k];
    if (k == head)
        return "戶長";
    if (p->spouse == (int)head)
        return "配偶";
    return p->sex == 'M' ? "子" : "女";
}

static struct egov_db_param id_or_null(const struct egov_backoffice_population *pop, int k)
{
    struct egov_db_param prm = EGOV_DB_PARAM_NULL;
    if (k >= 0) {
        prm.type = EGOV_DB_P_TEXT;
        prm.ptr = pop->persons[k].national_id;
    }
    return prm;
}

static enum egov_db_qs gen_household(struct egov_db_conn *c, void *cls)
{
    struct gen *g = cls;
    const struct egov_backoffice_population *pop = g->pop;
    for (unsigned int h = g->from; h < g->to; h++) {
        const struct bo_household *hh = &pop->households[h];
        const struct egov_backoffice_person *head = &pop->persons[hh->first];
        char reg[11], id[40];
        date_str(hh->reg_year, 1 + (int)(h % 12), 1 + (int)(h % 28), reg);
        EXEC(&st_hh_ins, EGOV_DB_PARAM_TEXT(hh->no), EGOV_DB_PARAM_TEXT(head->national_id),
             EGOV_DB_PARAM_TEXT(hh->address), EGOV_DB_PARAM_TEXT(head->district_code),
             EGOV_DB_PARAM_TEXT(reg));
        for (unsigned int k = hh->first; k < hh->first + hh->count; k++) {
            const struct egov_backoffice_person *p = &pop->persons[k];
            char birth[11], death[11];
            birth_str(p, birth);
            date_str(pop->death_year[k], p->birth_month, p->birth_day, death);
            struct egov_db_param dp = EGOV_DB_PARAM_NULL;
            if (pop->dead[k]) {
                dp.type = EGOV_DB_P_TEXT;
                dp.ptr = death;
            }
            EXEC(&st_person_ins, EGOV_DB_PARAM_TEXT(p->national_id), EGOV_DB_PARAM_TEXT(p->name),
                 EGOV_DB_PARAM_TEXT(p->sex == 'M' ? "M" : "F"), EGOV_DB_PARAM_TEXT(birth),
                 id_or_null(pop, p->father), id_or_null(pop, p->mother), id_or_null(pop, p->spouse),
                 EGOV_DB_PARAM_TEXT(hh->no), EGOV_DB_PARAM_TEXT(relation_of(pop, k, hh->first)),
                 EGOV_DB_PARAM_TEXT(pop->dead[k] ? "deceased" : "living"), dp,
                 EGOV_DB_PARAM_INT64(g->now_us));
            snprintf(id, sizeof(id), "%s:birth", p->national_id);
            EXEC(&st_record_ins, EGOV_DB_PARAM_TEXT(id), EGOV_DB_PARAM_TEXT(p->national_id),
                 EGOV_DB_PARAM_TEXT("birth"), EGOV_DB_PARAM_TEXT(birth),
                 EGOV_DB_PARAM_TEXT("出生登記"), EGOV_DB_PARAM_INT64(g->now_us));
            if (k == hh->first) {
                snprintf(id, sizeof(id), "%s:moving:%s", p->national_id, reg);
                char detail[200];
                snprintf(detail, sizeof(detail), "遷入 %s", hh->address);
                EXEC(&st_record_ins, EGOV_DB_PARAM_TEXT(id), EGOV_DB_PARAM_TEXT(p->national_id),
                     EGOV_DB_PARAM_TEXT("moving"), EGOV_DB_PARAM_TEXT(reg),
                     EGOV_DB_PARAM_TEXT(detail), EGOV_DB_PARAM_INT64(g->now_us));
            }
            if (p->spouse >= 0) {
                const struct egov_backoffice_person *s = &pop->persons[p->spouse];
                int y = (p->birth_year > s->birth_year ? p->birth_year : s->birth_year) + 25;
                if (y > BO_YEAR)
                    y = BO_YEAR;
                char md[11], detail[120];
                date_str(y, 1 + (int)(h % 12), 1 + (int)(h % 27), md);
                snprintf(id, sizeof(id), "%s:marriage", p->national_id);
                snprintf(detail, sizeof(detail), "結婚登記，配偶 %s", s->name);
                EXEC(&st_record_ins, EGOV_DB_PARAM_TEXT(id), EGOV_DB_PARAM_TEXT(p->national_id),
                     EGOV_DB_PARAM_TEXT("marriage"), EGOV_DB_PARAM_TEXT(md),
                     EGOV_DB_PARAM_TEXT(detail), EGOV_DB_PARAM_INT64(g->now_us));
            }
            if (pop->dead[k]) {
                snprintf(id, sizeof(id), "%s:death", p->national_id);
                EXEC(&st_record_ins, EGOV_DB_PARAM_TEXT(id), EGOV_DB_PARAM_TEXT(p->national_id),
                     EGOV_DB_PARAM_TEXT("death"), EGOV_DB_PARAM_TEXT(death),
                     EGOV_DB_PARAM_TEXT("死亡登記"), EGOV_DB_PARAM_INT64(g->now_us));
            }
        }
    }
    return EGOV_DB_ONE_ROW;
}

/* ------------------------------------------------------------------ */
/* Land                                                                */
/* ------------------------------------------------------------------ */

static const struct egov_db_stmt st_section_ins = {
    "bo_gen_section",
    "INSERT INTO land_section (code, name, district_code, district_name) VALUES ($1, $2, $3, $4)",
    NULL};
static const struct egov_db_stmt st_parcel_ins = {
    "bo_gen_parcel",
    "INSERT INTO land_parcel (section_code, number, area_cm2, zoning, value_per_m2,"
    " registered_on) VALUES ($1, $2, $3, $4, $5, $6)",
    NULL};
static const struct egov_db_stmt st_owner_ins = {
    "bo_gen_owner",
    "INSERT INTO land_owner (section_code, number, owner_id, owner_name, owner_address,"
    " share_num, share_den, registered_on) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    NULL};
static const struct egov_db_stmt st_building_ins = {
    "bo_gen_building",
    "INSERT INTO land_building (section_code, building_no, parcel_number, address, floor_cm2,"
    " owner_id, owner_name, owner_address) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    NULL};
static const struct egov_db_stmt st_mortgage_ins = {
    "bo_gen_mortgage",
    "INSERT INTO land_mortgage (section_code, number, seq, creditor, amount, registered_on)"
    " VALUES ($1, $2, 1, $3, $4, $5)",
    NULL};

static enum egov_db_qs gen_sections(struct egov_db_conn *c, void *cls)
{
    struct gen *g = cls;
    for (unsigned int s = g->from; s < g->to; s++) {
        const struct bo_section *x = &g->pop->sections[s];
        const struct bo_district *d = &g->pop->districts[x->district];
        char dname[80];
        snprintf(dname, sizeof(dname), "%s%s", d->city, d->name);
        EXEC(&st_section_ins, EGOV_DB_PARAM_TEXT(x->code), EGOV_DB_PARAM_TEXT(x->name),
             EGOV_DB_PARAM_TEXT(d->code), EGOV_DB_PARAM_TEXT(dname));
    }
    return EGOV_DB_ONE_ROW;
}

static enum egov_db_qs gen_parcels(struct egov_db_conn *c, void *cls)
{
    struct gen *g = cls;
    const struct egov_backoffice_population *pop = g->pop;
    for (unsigned int k = g->from; k < g->to; k++) {
        const struct bo_parcel *p = &pop->parcels[k];
        const char *sec = pop->sections[p->section].code;
        char reg[11];
        date_str(p->reg_year, 1 + (int)(k % 12), 1 + (int)(k % 28), reg);
        EXEC(&st_parcel_ins, EGOV_DB_PARAM_TEXT(sec), EGOV_DB_PARAM_TEXT(p->number),
             EGOV_DB_PARAM_INT64(p->area_cm2), EGOV_DB_PARAM_TEXT(p->zoning),
             EGOV_DB_PARAM_INT64(p->value_per_m2), EGOV_DB_PARAM_TEXT(reg));
        for (unsigned int o = 0; o < p->nowners; o++) {
            const struct egov_backoffice_person *w = &pop->persons[p->owners[o]];
            EXEC(&st_owner_ins, EGOV_DB_PARAM_TEXT(sec), EGOV_DB_PARAM_TEXT(p->number),
                 EGOV_DB_PARAM_TEXT(w->national_id), EGOV_DB_PARAM_TEXT(w->name),
                 EGOV_DB_PARAM_TEXT(w->address), EGOV_DB_PARAM_INT64(p->share_num[o]),
                 EGOV_DB_PARAM_INT64(p->share_den), EGOV_DB_PARAM_TEXT(reg));
        }
        if (p->has_building) {
            const struct egov_backoffice_person *w = &pop->persons[p->owners[0]];
            /* the building stands at the owner's address when the owner lives in the district */
            EXEC(&st_building_ins, EGOV_DB_PARAM_TEXT(sec), EGOV_DB_PARAM_TEXT(p->building_no),
                 EGOV_DB_PARAM_TEXT(p->number), EGOV_DB_PARAM_TEXT(w->address),
                 EGOV_DB_PARAM_INT64(p->floor_cm2), EGOV_DB_PARAM_TEXT(w->national_id),
                 EGOV_DB_PARAM_TEXT(w->name), EGOV_DB_PARAM_TEXT(w->address));
            if (p->mortgage)
                EXEC(&st_mortgage_ins, EGOV_DB_PARAM_TEXT(sec), EGOV_DB_PARAM_TEXT(p->number),
                     EGOV_DB_PARAM_TEXT(bo_banks[p->mortgage_bank]),
                     EGOV_DB_PARAM_INT64(p->mortgage_amount), EGOV_DB_PARAM_TEXT(reg));
        }
    }
    return EGOV_DB_ONE_ROW;
}

/* ------------------------------------------------------------------ */
/* Tax                                                                 */
/* ------------------------------------------------------------------ */

static const struct egov_db_stmt st_payer_ins = {
    "bo_gen_payer",
    "INSERT INTO tax_payer (national_id, name, address, district_code, updated_at)"
    " VALUES ($1, $2, $3, $4, $5)",
    NULL};
static const struct egov_db_stmt st_income_ins = {
    "bo_gen_income",
    "INSERT INTO tax_income (national_id, year, gross, taxable, tax) VALUES ($1, $2, $3, $4, $5)",
    NULL};
static const struct egov_db_stmt st_bill_ins = {
    "bo_gen_bill",
    "INSERT INTO tax_bill (bill_no, national_id, kind, year, object, amount, due_date, paid_at)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    NULL};
static const struct egov_db_stmt st_payment_ins = {
    "bo_gen_payment",
    "INSERT INTO tax_payment (id, bill_no, amount, paid_at) VALUES ($1, $2, $3, $4)", NULL};

/* Progressive income tax of 2025 on @p taxable. */
static int64_t income_tax(int64_t taxable)
{
    static const struct {
        int64_t upto, rate;
    } br[] = {{590000, 5}, {1330000, 12}, {2660000, 20}, {4980000, 30}, {INT64_MAX, 40}};
    int64_t tax = 0, lo = 0;
    for (size_t i = 0; i < 5 && taxable > lo; i++) {
        int64_t hi = taxable < br[i].upto ? taxable : br[i].upto;
        tax += (hi - lo) * br[i].rate / 100;
        lo = br[i].upto;
    }
    return tax;
}

/* A bill; paid (with a payment row) if the roll says so. */
static enum egov_db_qs add_bill(struct egov_db_conn *c, struct gen *g, char kind, unsigned int n,
                                const char *id, const char *kindname, int year, const char *object,
                                int64_t amount, const char *due, unsigned int paid_pct)
{
    char no[24], pid[40];
    struct bo_rng r;
    bo_rng_seed(&r, g->pop->seed, STREAM_TAX, (uint64_t)(unsigned char)kind << 32 | n);
    snprintf(no, sizeof(no), "%c%d%08u", kind, year - 1911, n);
    bool paid = bo_rng_chance(&r, paid_pct);
    /* paid some days before the due date, at 10:00 Taiwan time */
    struct tm tm = {0};
    int y, m, d;
    (void)sscanf(due, "%d-%d-%d", &y, &m, &d);
    tm.tm_year = y - 1900;
    tm.tm_mon = m - 1;
    tm.tm_mday = d - bo_rng_range(&r, 1, 20);
    tm.tm_hour = 2;
    int64_t paid_at = (int64_t)timegm(&tm) * 1000000;
    struct egov_db_param pp = EGOV_DB_PARAM_NULL;
    if (paid) {
        pp.type = EGOV_DB_P_INT64;
        pp.i = paid_at;
    }
    EXEC(&st_bill_ins, EGOV_DB_PARAM_TEXT(no), EGOV_DB_PARAM_TEXT(id), EGOV_DB_PARAM_TEXT(kindname),
         EGOV_DB_PARAM_INT64(year), EGOV_DB_PARAM_TEXT(object), EGOV_DB_PARAM_INT64(amount),
         EGOV_DB_PARAM_TEXT(due), pp);
    if (paid) {
        snprintf(pid, sizeof(pid), "P%s", no);
        EXEC(&st_payment_ins, EGOV_DB_PARAM_TEXT(pid), EGOV_DB_PARAM_TEXT(no),
             EGOV_DB_PARAM_INT64(amount), EGOV_DB_PARAM_INT64(paid_at));
    }
    return EGOV_DB_ONE_ROW;
}

#define BILL(...)                                                                                  \
    do {                                                                                           \
        enum egov_db_qs bq_ = add_bill(c, g, __VA_ARGS__);                                         \
        if (bq_ < 0)                                                                               \
            return bq_;                                                                            \
    } while (0)

static enum egov_db_qs gen_payers(struct egov_db_conn *c, void *cls)
{
    struct gen *g = cls;
    const struct egov_backoffice_population *pop = g->pop;
    for (unsigned int i = g->from; i < g->to; i++) {
        const struct egov_backoffice_person *p = &pop->persons[i];
        if (pop->dead[i])
            continue;
        EXEC(&st_payer_ins, EGOV_DB_PARAM_TEXT(p->national_id), legacy_param(g, p->name),
             legacy_param(g, p->address), EGOV_DB_PARAM_TEXT(p->district_code),
             EGOV_DB_PARAM_INT64(g->now_us));
        int age = bo_person_age(p);
        if (age < 20 || age > 70)
            continue;
        struct bo_rng r;
        bo_rng_seed(&r, pop->seed, STREAM_TAX, i);
        int64_t gross = (int64_t)bo_rng_range(&r, 30, 300) * 10000;
        int64_t taxable = gross - 423000 - 218000 - 207000;
        if (taxable < 0)
            taxable = 0;
        int64_t tax = income_tax(taxable);
        EXEC(&st_income_ins, EGOV_DB_PARAM_TEXT(p->national_id), EGOV_DB_PARAM_INT64(2025),
             EGOV_DB_PARAM_INT64(gross), EGOV_DB_PARAM_INT64(taxable), EGOV_DB_PARAM_INT64(tax));
        if (tax > 0)
            BILL('I', i, p->national_id, "income", 2025, "綜合所得稅 114年度", tax, "2026-06-30",
                 92);
    }
    return EGOV_DB_ONE_ROW;
}

static enum egov_db_qs gen_property_tax(struct egov_db_conn *c, void *cls)
{
    struct gen *g = cls;
    const struct egov_backoffice_population *pop = g->pop;
    for (unsigned int k = g->from; k < g->to; k++) {
        const struct bo_parcel *p = &pop->parcels[k];
        char object[96];
        snprintf(object, sizeof(object), "%s段 %s地號", pop->sections[p->section].code, p->number);
        for (unsigned int o = 0; o < p->nowners; o++) {
            /* land value tax: 1% of the assessed value (a fifth of the announced value) */
            int64_t v =
                p->area_cm2 * p->value_per_m2 / 10000 / 5 * p->share_num[o] / p->share_den / 100;
            if (v < 100)
                v = 100;
            BILL('L', k * 4 + o, pop->persons[p->owners[o]].national_id, "land_value", 2026, object,
                 v, "2026-11-30", 70);
        }
        if (p->has_building) {
            char bobj[96];
            snprintf(bobj, sizeof(bobj), "%s段 %s建號", pop->sections[p->section].code,
                     p->building_no);
            int64_t v = p->floor_cm2 / 10000 * 60;
            BILL('H', k, pop->persons[p->owners[0]].national_id, "house", 2026, bobj, v,
                 "2026-05-31", 93);
        }
    }
    return EGOV_DB_ONE_ROW;
}

static int64_t licence_tax(const struct bo_vehicle *v)
{
    if (v->kind[0] == 'm')
        return 0; /* motorcycles up to 150 cc pay none */
    if (v->kind[0] == 't')
        return 8640;
    return v->cc <= 1200 ? 4800 : v->cc <= 1800 ? 7120 : v->cc <= 2400 ? 11230 : 15210;
}

static enum egov_db_qs gen_vehicle_tax(struct egov_db_conn *c, void *cls)
{
    struct gen *g = cls;
    for (unsigned int k = g->from; k < g->to; k++) {
        const struct bo_vehicle *v = &g->pop->vehicles[k];
        int64_t amount = licence_tax(v);
        if (amount > 0)
            BILL('V', k, g->pop->persons[v->owner].national_id, "vehicle_licence", 2026, v->plate,
                 amount, "2026-06-30", 90);
    }
    return EGOV_DB_ONE_ROW;
}

/* ------------------------------------------------------------------ */
/* Business                                                            */
/* ------------------------------------------------------------------ */

static const struct egov_db_stmt st_company_ins = {
    "bo_gen_company",
    "INSERT INTO biz_company (ban, name, representative_id, representative_name, capital,"
    " address, district_code, status, established_on) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    NULL};
static const struct egov_db_stmt st_director_ins = {
    "bo_gen_director",
    "INSERT INTO biz_director (ban, person_id, name, title, shares) VALUES ($1, $2, $3, $4, $5)",
    NULL};

static enum egov_db_qs gen_companies(struct egov_db_conn *c, void *cls)
{
    struct gen *g = cls;
    const struct egov_backoffice_population *pop = g->pop;
    for (unsigned int k = g->from; k < g->to; k++) {
        const struct bo_company *co = &pop->companies[k];
        const struct egov_backoffice_person *rep = &pop->persons[co->representative];
        char est[11];
        date_str(co->est_year, co->est_month, co->est_day, est);
        EXEC(&st_company_ins, EGOV_DB_PARAM_TEXT(co->ban), EGOV_DB_PARAM_TEXT(co->name),
             EGOV_DB_PARAM_TEXT(rep->national_id), EGOV_DB_PARAM_TEXT(rep->name),
             EGOV_DB_PARAM_INT64(co->capital), EGOV_DB_PARAM_TEXT(co->address),
             EGOV_DB_PARAM_TEXT(pop->districts[co->district].code), EGOV_DB_PARAM_TEXT(co->status),
             EGOV_DB_PARAM_TEXT(est));
        bool corp = strstr(co->name, "股份") != NULL;
        for (unsigned int d = 0; d < co->ndirectors; d++) {
            const struct egov_backoffice_person *p = &pop->persons[co->directors[d]];
            EXEC(&st_director_ins, EGOV_DB_PARAM_TEXT(co->ban), EGOV_DB_PARAM_TEXT(p->national_id),
                 EGOV_DB_PARAM_TEXT(p->name),
                 EGOV_DB_PARAM_TEXT(d == 0 ? (corp ? "董事長" : "董事") : "董事"),
                 EGOV_DB_PARAM_INT64(co->capital / 10 / (d + 1)));
        }
    }
    return EGOV_DB_ONE_ROW;
}

/* ------------------------------------------------------------------ */
/* Vehicles                                                            */
/* ------------------------------------------------------------------ */

static const struct egov_db_stmt st_vperson_ins = {
    "bo_gen_vperson",
    "INSERT INTO veh_person (national_id, name, address, district_code, updated_at)"
    " VALUES ($1, $2, $3, $4, $5)",
    NULL};
static const struct egov_db_stmt st_licence_ins = {
    "bo_gen_licence",
    "INSERT INTO veh_licence (national_id, class, issued_on, expires_on, status)"
    " VALUES ($1, $2, $3, $4, $5)",
    NULL};
static const struct egov_db_stmt st_vehicle_ins = {
    "bo_gen_vehicle",
    "INSERT INTO veh_vehicle (plate, owner_id, kind, make, cc, registered_on, inspection_due)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7)",
    NULL};
static const struct egov_db_stmt st_inspection_ins = {
    "bo_gen_inspection",
    "INSERT INTO veh_inspection (plate, inspected_on, result, station) VALUES ($1, $2, $3, $4)",
    NULL};
static const struct egov_db_stmt st_fine_ins = {
    "bo_gen_fine",
    "INSERT INTO veh_fine (fine_no, plate, owner_id, issued_on, violation, amount, paid)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7)",
    NULL};

static enum egov_db_qs gen_vpersons(struct egov_db_conn *c, void *cls)
{
    struct gen *g = cls;
    const struct egov_backoffice_population *pop = g->pop;
    for (unsigned int i = g->from; i < g->to; i++) {
        const struct egov_backoffice_person *p = &pop->persons[i];
        if (pop->dead[i] || bo_person_age(p) < 18)
            continue;
        EXEC(&st_vperson_ins, EGOV_DB_PARAM_TEXT(p->national_id), legacy_param(g, p->name),
             legacy_param(g, p->address), EGOV_DB_PARAM_TEXT(p->district_code),
             EGOV_DB_PARAM_INT64(g->now_us));
        struct bo_rng r;
        bo_rng_seed(&r, pop->seed, STREAM_VEH, i);
        static const char *const classes[] = {"普通小型車", "普通重型機車"};
        for (int k = 0; k < 2; k++) {
            if (!bo_rng_chance(&r, k == 0 ? 70 : 80))
                continue;
            int iy = p->birth_year + bo_rng_range(&r, 18, 30);
            if (iy > BO_YEAR)
                iy = BO_YEAR;
            char issued[11], expires[11];
            date_str(iy, p->birth_month, p->birth_day, issued);
            /* licences issued since 2013 no longer expire; older ones were renewed to age 75 */
            date_str(p->birth_year + 75, p->birth_month, p->birth_day, expires);
            EXEC(&st_licence_ins, EGOV_DB_PARAM_TEXT(p->national_id),
                 EGOV_DB_PARAM_TEXT(classes[k]), EGOV_DB_PARAM_TEXT(issued),
                 EGOV_DB_PARAM_TEXT(expires), EGOV_DB_PARAM_TEXT("有效"));
        }
    }
    return EGOV_DB_ONE_ROW;
}

static enum egov_db_qs gen_vehicles(struct egov_db_conn *c, void *cls)
{
    struct gen *g = cls;
    const struct egov_backoffice_population *pop = g->pop;
    static const char *const violations[] = {"超速行駛",     "闖紅燈",     "違規停車",
                                             "未依規定轉彎", "行駛人行道", "未戴安全帽"};
    static const int amounts[] = {1600, 2700, 900, 600, 1200, 500};
    for (unsigned int k = g->from; k < g->to; k++) {
        const struct bo_vehicle *v = &pop->vehicles[k];
        char reg[11], due[11], insp[11];
        date_str(v->reg_year, v->reg_month, v->reg_day, reg);
        bool inspected = v->kind[0] != 'm' && BO_YEAR - v->reg_year >= 5;
        date_str(inspected ? BO_YEAR + 1 : v->reg_year + 5, v->reg_month, v->reg_day, due);
        EXEC(&st_vehicle_ins, EGOV_DB_PARAM_TEXT(v->plate),
             EGOV_DB_PARAM_TEXT(pop->persons[v->owner].national_id), EGOV_DB_PARAM_TEXT(v->kind),
             EGOV_DB_PARAM_TEXT(v->make), EGOV_DB_PARAM_INT64(v->cc), EGOV_DB_PARAM_TEXT(reg),
             EGOV_DB_PARAM_TEXT(due));
        if (inspected) {
            date_str(BO_YEAR, v->reg_month, v->reg_day, insp);
            EXEC(&st_inspection_ins, EGOV_DB_PARAM_TEXT(v->plate), EGOV_DB_PARAM_TEXT(insp),
                 EGOV_DB_PARAM_TEXT("合格"), EGOV_DB_PARAM_TEXT("監理站"));
        }
        for (int f = 0; f < v->fines; f++) {
            struct bo_rng r;
            bo_rng_seed(&r, pop->seed, STREAM_VEH + 100, (uint64_t)k * 4 + (uint64_t)f);
            char no[24], date[11];
            snprintf(no, sizeof(no), "F%08u%u", k, (unsigned)f);
            date_str(BO_YEAR - bo_rng_range(&r, 0, 1), bo_rng_range(&r, 1, 10),
                     bo_rng_range(&r, 1, 28), date);
            unsigned int vi = bo_rng_below(&r, 6);
            EXEC(&st_fine_ins, EGOV_DB_PARAM_TEXT(no), EGOV_DB_PARAM_TEXT(v->plate),
                 EGOV_DB_PARAM_TEXT(pop->persons[v->owner].national_id), EGOV_DB_PARAM_TEXT(date),
                 EGOV_DB_PARAM_TEXT(violations[vi]), EGOV_DB_PARAM_INT64(amounts[vi]),
                 EGOV_DB_PARAM_BOOL(bo_rng_chance(&r, 50)));
        }
    }
    return EGOV_DB_ONE_ROW;
}

/* ------------------------------------------------------------------ */
/* Health                                                              */
/* ------------------------------------------------------------------ */

static const struct egov_db_stmt st_hospital_ins = {
    "bo_gen_hospital",
    "INSERT INTO hl_hospital (code, name, kind, district_code, address) VALUES ($1, $2, $3, $4, "
    "$5)",
    NULL};
static const struct egov_db_stmt st_patient_ins = {
    "bo_gen_patient",
    "INSERT INTO hl_patient (national_id, name, address, district_code, updated_at)"
    " VALUES ($1, $2, $3, $4, $5)",
    NULL};
static const struct egov_db_stmt st_slot_ins = {
    "bo_gen_slot",
    "INSERT INTO hl_slot (id, hospital_code, slot_date, period, department, doctor, capacity,"
    " booked) VALUES ($1, $2, $3, $4, $5, $6, $7, 0)",
    NULL};

static enum egov_db_qs gen_patients(struct egov_db_conn *c, void *cls)
{
    struct gen *g = cls;
    const struct egov_backoffice_population *pop = g->pop;
    for (unsigned int i = g->from; i < g->to; i++) {
        const struct egov_backoffice_person *p = &pop->persons[i];
        if (pop->dead[i])
            continue;
        EXEC(&st_patient_ins, EGOV_DB_PARAM_TEXT(p->national_id), EGOV_DB_PARAM_TEXT(p->name),
             EGOV_DB_PARAM_TEXT(p->address), EGOV_DB_PARAM_TEXT(p->district_code),
             EGOV_DB_PARAM_INT64(g->now_us));
    }
    return EGOV_DB_ONE_ROW;
}

#define SLOT_DAYS 7

/* The date @p day days after the day of @p now_us in Taiwan (UTC+8). */
static void taiwan_day(int64_t now_us, int day, char out[11])
{
    time_t t = (time_t)(now_us / 1000000) + 8 * 3600 + (time_t)day * 86400;
    struct tm tm;
    gmtime_r(&t, &tm);
    date_str(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, out);
}

/* One day's slots of one hospital; ids from ++*id. */
static enum egov_db_qs add_day_slots(struct egov_db_conn *c, const char *code, bool hospital,
                                     const char *date, struct bo_rng *r, int64_t *id)
{
    static const char *const depts[] = {"家庭醫學科", "內科", "小兒科", "骨科"};
    static const char *const periods[] = {"morning", "afternoon", "evening"};
    static const char *const doctors[] = {"王", "林", "陳", "張", "李", "黃"};
    unsigned int ndept = hospital ? 4 : 1;
    for (unsigned int d = 0; d < ndept; d++) {
        for (unsigned int p = 0; p < 3; p++) {
            if (!hospital && p == 1)
                continue; /* clinics close in the afternoon */
            char doctor[32];
            snprintf(doctor, sizeof(doctor), "%s醫師", doctors[bo_rng_below(r, 6)]);
            /* a few tiny slots make "fully booked" easy to see */
            int cap = bo_rng_chance(r, 10) ? 1 : hospital ? 30 : 15;
            EXEC(&st_slot_ins, EGOV_DB_PARAM_INT64(++*id), EGOV_DB_PARAM_TEXT(code),
                 EGOV_DB_PARAM_TEXT(date), EGOV_DB_PARAM_TEXT(periods[p]),
                 EGOV_DB_PARAM_TEXT(depts[d]), EGOV_DB_PARAM_TEXT(doctor),
                 EGOV_DB_PARAM_INT64(cap));
        }
    }
    return EGOV_DB_ONE_ROW;
}

static enum egov_db_qs gen_hospitals(struct egov_db_conn *c, void *cls)
{
    struct gen *g = cls;
    const struct egov_backoffice_population *pop = g->pop;
    for (unsigned int k = g->from; k < g->to; k++) {
        const struct bo_hospital *h = &pop->hospitals[k];
        EXEC(&st_hospital_ins, EGOV_DB_PARAM_TEXT(h->code), EGOV_DB_PARAM_TEXT(h->name),
             EGOV_DB_PARAM_TEXT(h->hospital ? "hospital" : "clinic"),
             EGOV_DB_PARAM_TEXT(pop->districts[h->district].code), EGOV_DB_PARAM_TEXT(h->address));
        struct bo_rng r;
        bo_rng_seed(&r, pop->seed, STREAM_HEALTH, k);
        /* slot ids: 1000 per hospital, room for 7 days x 4 departments x 3 periods */
        int64_t id = (int64_t)k * 1000;
        for (int day = 1; day <= SLOT_DAYS; day++) {
            char date[11];
            taiwan_day(g->now_us, day, date);
            enum egov_db_qs qs = add_day_slots(c, h->code, h->hospital, date, &r, &id);
            if (qs < 0)
                return qs;
        }
    }
    return EGOV_DB_ONE_ROW;
}

static const struct egov_db_stmt st_hospital_list = {
    "bo_gen_hospital_list", "SELECT code, kind FROM hl_hospital ORDER BY code", NULL};
static const struct egov_db_stmt st_slot_last = {"bo_gen_slot_last",
                                                 "SELECT COALESCE(MAX(id), 0) FROM hl_slot", NULL};
static const struct egov_db_stmt st_slot_day = {
    "bo_gen_slot_day", "SELECT 1 FROM hl_slot WHERE slot_date = $1 LIMIT 1", NULL};

struct topup {
    uint64_t seed;
    int64_t now_us;
    int added;
};

static enum egov_db_qs topup_body(struct egov_db_conn *c, void *cls)
{
    struct topup *t = cls;
    struct egov_db_rows *h = NULL, *last = NULL;
    enum egov_db_qs qs = egov_db_query(c, &st_slot_last, NULL, &last);
    if (qs > 0)
        qs = egov_db_query(c, &st_hospital_list, NULL, &h);
    t->added = 0;
    if (qs >= 0) {
        int64_t id = egov_db_rows_int64(last, 0, 0);
        for (int day = 1; qs >= 0 && day <= SLOT_DAYS; day++) {
            char date[11];
            taiwan_day(t->now_us, day, date);
            const struct egov_db_param pd[] = {EGOV_DB_PARAM_TEXT(date), EGOV_DB_PARAM_END};
            qs = egov_db_exec(c, &st_slot_day, pd);
            if (qs != 0)
                continue; /* the day has its slots (or an error ends the loop) */
            for (size_t k = 0; qs >= 0 && k < egov_db_rows_count(h); k++) {
                struct bo_rng r;
                bo_rng_seed(&r, t->seed, STREAM_HEALTH + 200,
                            (uint64_t)(t->now_us / 86400000000LL + day) << 20 | k);
                qs = add_day_slots(c, egov_db_rows_text(h, k, 0),
                                   strcmp(egov_db_rows_text(h, k, 1), "hospital") == 0, date, &r,
                                   &id);
            }
            t->added++;
        }
    }
    egov_db_rows_free(h);
    egov_db_rows_free(last);
    return qs;
}

int bo_health_topup(struct egov_db *db, uint64_t seed)
{
    struct topup t = {.seed = seed, .now_us = egov_now_us()};
    struct egov_db_conn *c = egov_db_acquire(db, 10000);
    if (c == NULL)
        return -1;
    enum egov_db_qs qs = egov_db_txn(c, true, 10, topup_body, &t);
    egov_db_release(c);
    return qs < 0 ? -1 : t.added;
}

/* ------------------------------------------------------------------ */
/* Entry point                                                         */
/* ------------------------------------------------------------------ */

static const struct egov_db_stmt st_count[EGOV_BO_COUNT] = {
    {"bo_gen_count_hh", "SELECT COUNT(*) FROM hh_person", NULL},
    {"bo_gen_count_land", "SELECT COUNT(*) FROM land_section", NULL},
    {"bo_gen_count_tax", "SELECT COUNT(*) FROM tax_payer", NULL},
    {"bo_gen_count_biz", "SELECT COUNT(*) FROM biz_company", NULL},
    {"bo_gen_count_veh", "SELECT COUNT(*) FROM veh_person", NULL},
    {"bo_gen_count_hl", "SELECT COUNT(*) FROM hl_hospital", NULL},
};

bool bo_generate(struct egov_db *db, enum egov_backoffice_agency agency,
                 const struct egov_backoffice_population *pop, bool progress, char *err,
                 size_t errlen)
{
    struct egov_db_conn *c = egov_db_acquire(db, 10000);
    struct egov_db_rows *rows = NULL;
    if (c == NULL) {
        snprintf(err, errlen, "no database connection");
        return false;
    }
    enum egov_db_qs qs = egov_db_query(c, &st_count[agency], NULL, &rows);
    int64_t n = qs > 0 ? egov_db_rows_int64(rows, 0, 0) : -1;
    egov_db_rows_free(rows);
    egov_db_release(c);
    if (n < 0) {
        snprintf(err, errlen, "cannot read the database");
        return false;
    }
    if (n > 0)
        return true;

    struct gen g = {.pop = pop, .agency = agency, .now_us = egov_now_us()};
    bool show = progress && isatty(2);
    switch (agency) {
    case EGOV_BO_HOUSEHOLD:
        return run_batches(db, &g, pop->nhouseholds, "households", show, gen_household, err,
                           errlen);
    case EGOV_BO_LAND:
        return run_batches(db, &g, pop->nsections, "land sections", show, gen_sections, err,
                           errlen) &&
               run_batches(db, &g, pop->nparcels, "parcels", show, gen_parcels, err, errlen);
    case EGOV_BO_TAX:
        return run_batches(db, &g, pop->npersons, "taxpayers", show, gen_payers, err, errlen) &&
               run_batches(db, &g, pop->nparcels, "property tax bills", show, gen_property_tax, err,
                           errlen) &&
               run_batches(db, &g, pop->nvehicles, "licence tax bills", show, gen_vehicle_tax, err,
                           errlen);
    case EGOV_BO_BUSINESS:
        return run_batches(db, &g, pop->ncompanies, "companies", show, gen_companies, err, errlen);
    case EGOV_BO_VEHICLE:
        return run_batches(db, &g, pop->npersons, "drivers", show, gen_vpersons, err, errlen) &&
               run_batches(db, &g, pop->nvehicles, "vehicles", show, gen_vehicles, err, errlen);
    case EGOV_BO_HEALTH:
        return run_batches(db, &g, pop->npersons, "patients", show, gen_patients, err, errlen) &&
               run_batches(db, &g, pop->nhospitals, "hospitals and slots", show, gen_hospitals, err,
                           errlen);
    }
    snprintf(err, errlen, "unknown agency");
    return false;
}
