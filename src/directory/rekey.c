/*
 * rekey.c -- recomputes the folded search keys of every name, for when the
 * folding itself changed (the Unihan data was installed or updated).
 */
#include <string.h>

#include "directory/directory_int.h"

/* Rows per transaction; the page statements below say the same number. */
#define REKEY_BATCH 500

#define PAGE(t, names)                                                                             \
    "SELECT id, " names ", search_key FROM " t " WHERE id > $1 ORDER BY id LIMIT 500"
#define SET(t) "UPDATE " t " SET search_key = $2 WHERE id = $1"

struct rekey_table {
    struct egov_db_stmt page;
    struct egov_db_stmt set;
    bool two_names; /* persons: name and Latin name */
};

static const struct rekey_table tables[] = {
    {{"dir_rekey_agency", PAGE("dir_agency", "name, ''"), NULL},
     {"dir_rekey_agency_set", SET("dir_agency"), NULL},
     false},
    {{"dir_rekey_history", PAGE("dir_agency_history", "name, ''"), NULL},
     {"dir_rekey_history_set", SET("dir_agency_history"), NULL},
     false},
    {{"dir_rekey_unit", PAGE("dir_unit", "name, ''"), NULL},
     {"dir_rekey_unit_set", SET("dir_unit"), NULL},
     false},
    {{"dir_rekey_staff", PAGE("dir_staff", "name, ''"), NULL},
     {"dir_rekey_staff_set", SET("dir_staff"), NULL},
     false},
    {{"dir_rekey_person", PAGE("dir_person", "name, name_latin"), NULL},
     {"dir_rekey_person_set", SET("dir_person"), NULL},
     true},
    {{"dir_rekey_business", PAGE("dir_business", "name, ''"), NULL},
     {"dir_rekey_business_set", SET("dir_business"), NULL},
     false},
};

struct rekey_cls {
    const struct rekey_table *t;
    char after[37]; /* re-key the rows after this id */
    char last[37];  /* the last id of the page (kept apart: bodies may run again) */
    size_t seen;
    unsigned long changed;
};

static enum egov_db_qs rekey_body(struct egov_db_conn *c, void *cls)
{
    struct rekey_cls *rk = cls;
    struct egov_db_param p[] = {EGOV_DB_PARAM_TEXT(rk->after), EGOV_DB_PARAM_END};
    struct egov_db_rows *r = NULL;
    enum egov_db_qs qs = egov_db_query(c, &rk->t->page, p, &r);
    rk->seen = 0;
    rk->changed = 0;
    if (qs < 0)
        return qs;
    size_t n = egov_db_rows_count(r);
    for (size_t i = 0; i < n; i++) {
        char key[DIR_KEY_MAX * 2 + 2];
        egov_oid_search_key(egov_db_rows_text(r, i, 1), key, DIR_KEY_MAX);
        if (rk->t->two_names) {
            /* as egov_directory_person_add() writes it: "name latin" */
            size_t len = strlen(key);
            key[len] = ' ';
            egov_oid_search_key(egov_db_rows_text(r, i, 2), key + len + 1, DIR_KEY_MAX);
        }
        if (strcmp(key, egov_db_rows_text(r, i, 3)) == 0)
            continue;
        struct egov_db_param u[] = {EGOV_DB_PARAM_TEXT(egov_db_rows_text(r, i, 0)),
                                    EGOV_DB_PARAM_TEXT(key), EGOV_DB_PARAM_END};
        qs = egov_db_exec(c, &rk->t->set, u);
        if (qs < 0) {
            egov_db_rows_free(r);
            return qs;
        }
        rk->changed++;
    }
    rk->seen = n;
    if (n > 0)
        egov_utf8_copy(rk->last, sizeof(rk->last), egov_db_rows_text(r, n - 1, 0));
    egov_db_rows_free(r);
    return EGOV_DB_ONE_ROW;
}

enum egov_ec egov_directory_rekey(struct egov_db *db, unsigned long *changed)
{
    *changed = 0;
    for (size_t k = 0; k < sizeof(tables) / sizeof(tables[0]); k++) {
        struct rekey_cls rk = {&tables[k], "", "", 0, 0};
        do {
            enum egov_db_qs qs = dir_txn(db, true, rekey_body, &rk);
            if (qs < 0)
                return egov_db_qs_ec(qs);
            *changed += rk.changed;
            egov_utf8_copy(rk.after, sizeof(rk.after), rk.last);
        } while (rk.seen == REKEY_BATCH);
    }
    unsigned long arcs = 0;
    enum egov_ec ec = egov_oid_rekey(db, &arcs);
    *changed += arcs;
    return ec;
}
