/*
 * util.c -- small helpers of the account module: hashing tokens, running
 * transactions, local redirect targets, form fields, page data, address
 * checks, the national ID checksum and the client's address.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "account/account_int.h"

static char public_url[256];
static atomic_bool dev_mailbox;

void account_set_public_url(const char *url)
{
    snprintf(public_url, sizeof public_url, "%s", url != NULL ? url : "");
    size_t n = strlen(public_url);
    while (n > 0 && public_url[n - 1] == '/')
        public_url[--n] = '\0';
}

const char *account_public_url(void)
{
    return public_url;
}

void account_set_dev_mailbox(bool on)
{
    atomic_store(&dev_mailbox, on);
}

bool account_dev_mailbox_enabled(void)
{
    return atomic_load(&dev_mailbox);
}

void account_hash_hex(const char *s, char out[65])
{
    uint8_t h[EGOV_SHA256_LEN];
    if (!egov_sha256(s, strlen(s), h))
        memset(h, 0, sizeof h);
    egov_hex_encode(h, sizeof h, out);
}

enum egov_db_qs account_txn(struct egov_db *db, bool write, egov_db_txn_fn fn, void *cls)
{
    if (db == NULL)
        return EGOV_DB_HARD_ERROR;
    struct egov_db_conn *c = egov_db_acquire(db, ACCOUNT_ACQUIRE_MS);
    if (c == NULL)
        return EGOV_DB_SOFT_ERROR;
    enum egov_db_qs qs = egov_db_txn(c, write, ACCOUNT_TXN_RETRIES, fn, cls);
    egov_db_release(c);
    return qs;
}

bool account_local_path(const char *s)
{
    if (s == NULL || s[0] != '/' || s[1] == '/' || s[1] == '\\' || strlen(s) > 2048)
        return false;
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++)
        if (*p < 0x20 || *p == 0x7f || *p == '\\')
            return false;
    return true;
}

const char *account_form_str(const json_t *form, const char *name)
{
    const json_t *v = form != NULL ? json_object_get(form, name) : NULL;
    return json_is_string(v) ? json_string_value(v) : NULL;
}

void account_reply_db_error(struct egov_req *req, enum egov_db_qs qs)
{
    egov_reply_problem(req, qs == EGOV_DB_SOFT_ERROR ? EGOV_EC_DB_SOFT_ERROR : EGOV_EC_DB_HARD_ERROR,
                       NULL, NULL);
}

bool account_page_common(struct egov_req *req, json_t *data, const char *return_to)
{
    const char *tok = egov_account_csrf_token(req);
    if (data == NULL || tok == NULL)
        return false;
    if (json_object_set_new(data, "csrf_token", json_string(tok)) != 0)
        return false;
    if (return_to != NULL &&
        json_object_set_new(data, "return_to", json_string(return_to)) != 0)
        return false;
    return true;
}

char *account_urlencode(struct egov_req *req, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = strlen(s);
    char *out = egov_arena_alloc(req->arena, 3 * n + 1), *o = out;
    if (out == NULL)
        return NULL;
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
        if (isalnum(*p) || strchr("-._~/", *p) != NULL) {
            *o++ = (char)*p;
        } else {
            *o++ = '%';
            *o++ = hex[*p >> 4];
            *o++ = hex[*p & 15];
        }
    }
    *o = '\0';
    return out;
}

void account_ascii_lower(char *s)
{
    for (; *s != '\0'; s++)
        *s = (char)tolower((unsigned char)*s);
}

bool account_email_valid(const char *s)
{
    if (s == NULL)
        return false;
    size_t n = strlen(s);
    const char *at = strchr(s, '@');
    if (n < 3 || n > ACCOUNT_EMAIL_MAX || at == NULL || at == s || strchr(at + 1, '@') != NULL)
        return false;
    const char *dot = strrchr(at, '.');
    if (dot == NULL || dot == at + 1 || dot[1] == '\0')
        return false;
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++)
        if (*p <= 0x20 || *p == 0x7f || strchr("<>\"'(),;:\\[]", *p) != NULL)
            return false;
    return true;
}

/*
 * National ID (國民身分證統一編號) and resident certificate numbers (居留證):
 * a letter for the place of first registration, then nine digits.  The old
 * resident format (before 2021) has a second letter A-D; the 2021 format
 * has 8 or 9 as the first digit.  The checksum takes the letter's two-digit
 * code (A=10 ... Z=33 in the official, non-alphabetical order) with weights
 * 1,9 and the digits with weights 8,7,...,1,1; the sum is divisible by 10.
 */
bool account_national_id_valid(const char *s)
{
    static const char letters[] = "ABCDEFGHJKLMNPQRSTUVXYWZIO"; /* codes 10..35 */
    if (s == NULL || strlen(s) != 10)
        return false;
    const char *lp = strchr(letters, s[0]);
    if (s[0] == '\0' || lp == NULL)
        return false;
    int code = 10 + (int)(lp - letters);
    int sum = code / 10 + (code % 10) * 9;
    int second;
    if (s[1] >= 'A' && s[1] <= 'D') { /* old resident certificate: letter code mod 10 */
        const char *sp = strchr(letters, s[1]);
        second = (10 + (int)(sp - letters)) % 10;
    } else if (s[1] == '1' || s[1] == '2' || s[1] == '8' || s[1] == '9') {
        second = s[1] - '0';
    } else {
        return false;
    }
    sum += second * 8;
    for (int i = 2; i < 9; i++) {
        if (!isdigit((unsigned char)s[i]))
            return false;
        sum += (s[i] - '0') * (9 - i);
    }
    if (!isdigit((unsigned char)s[9]))
        return false;
    sum += s[9] - '0';
    return sum % 10 == 0;
}

const char *egov_account_client_addr(struct egov_req *req)
{
    char buf[INET6_ADDRSTRLEN] = "";
    if (req == NULL || req->mhd_connection == NULL)
        return "";
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(req->mhd_connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (ci == NULL || ci->client_addr == NULL)
        return "";
    const struct sockaddr *sa = ci->client_addr;
    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, buf,
                  sizeof buf);
    else if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, buf,
                  sizeof buf);
    char *out = egov_arena_strdup(req->arena, buf);
    return out != NULL ? out : "";
}
