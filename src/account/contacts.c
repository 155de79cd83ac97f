/*
 * contacts.c -- a person's contact points (e-mail address and phone
 * number) with whether each has been verified, as the OpenID Connect
 * provider releases them under the scopes "email" and "phone".
 */
#include <stdio.h>
#include <string.h>

#include "account/account_int.h"

static const struct egov_db_stmt st_contacts = {
    "account_contacts",
    "SELECT COALESCE(email, ''), email_verified, COALESCE(phone, ''), phone_verified"
    " FROM account WHERE principal_id = $1 AND state = 'active'",
    NULL};
static const struct egov_db_stmt st_phone_set = {
    "account_phone_set",
    "UPDATE account SET phone = $2, phone_verified = 0, updated_at = $3 WHERE id = $1", NULL};
static const struct egov_db_stmt st_phone_taken = {
    "account_phone_taken", "SELECT id FROM account WHERE phone = $1 AND id <> $2", NULL};

bool account_phone_normalise(const char *in, char out[ACCOUNT_PHONE_MAX + 1])
{
    size_t n = 0;
    out[0] = '\0';
    if (in == NULL || in[0] != '+')
        return false;
    out[n++] = '+';
    for (const char *p = in + 1; *p != '\0'; p++) {
        if (*p == ' ' || *p == '-')
            continue; /* grouping people type */
        if (*p < '0' || *p > '9' || n >= ACCOUNT_PHONE_MAX)
            return false;
        if (n == 1 && *p == '0')
            return false; /* country codes do not start with 0 */
        out[n++] = *p;
    }
    out[n] = '\0';
    /* E.164: at most 15 digits; 8 is the shortest real national number */
    return n >= 9 && n <= 16;
}

enum egov_db_qs account_phone_set(struct egov_db_conn *c, const char *account_id, const char *phone)
{
    struct egov_db_rows *r = NULL;
    struct egov_db_param q[] = {EGOV_DB_PARAM_TEXT(phone), EGOV_DB_PARAM_TEXT(account_id),
                                EGOV_DB_PARAM_END};
    enum egov_db_qs qs = egov_db_query(c, &st_phone_taken, q, &r);
    egov_db_rows_free(r);
    if (qs != EGOV_DB_NO_ROW)
        return qs < 0 ? qs : EGOV_DB_NO_ROW;
    struct egov_db_param p[] = {EGOV_DB_PARAM_TEXT(account_id), EGOV_DB_PARAM_TEXT(phone),
                                EGOV_DB_PARAM_INT64(egov_now_us()), EGOV_DB_PARAM_END};
    qs = egov_db_exec(c, &st_phone_set, p);
    if (qs < 0)
        return qs;
    return egov_account_audit(c, "cli", "account.phone", account_id, "", NULL, NULL);
}

struct contacts_txn {
    const char *principal;
    struct egov_account_contacts *out;
};

static enum egov_db_qs contacts_body(struct egov_db_conn *c, void *cls)
{
    struct contacts_txn *t = cls;
    struct egov_db_rows *r = NULL;
    struct egov_db_param p[] = {EGOV_DB_PARAM_TEXT(t->principal), EGOV_DB_PARAM_END};
    memset(t->out, 0, sizeof *t->out);
    enum egov_db_qs qs = egov_db_query(c, &st_contacts, p, &r);
    if (qs == EGOV_DB_ONE_ROW) {
        egov_utf8_copy(t->out->email, sizeof t->out->email, egov_db_rows_text(r, 0, 0));
        t->out->email_verified = egov_db_rows_int64(r, 0, 1) != 0;
        egov_utf8_copy(t->out->phone, sizeof t->out->phone, egov_db_rows_text(r, 0, 2));
        t->out->phone_verified = egov_db_rows_int64(r, 0, 3) != 0;
    }
    egov_db_rows_free(r);
    return qs;
}

enum egov_db_qs egov_account_contacts(struct egov_db *db, const char *principal_id,
                                      struct egov_account_contacts *out)
{
    memset(out, 0, sizeof *out);
    if (principal_id == NULL || principal_id[0] == '\0')
        return EGOV_DB_NO_ROW;
    struct contacts_txn t = {principal_id, out};
    return account_txn(db, false, contacts_body, &t);
}
