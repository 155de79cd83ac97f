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
#include "directory/directory.h"

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
    return egov_db_run_txn(db, write, ACCOUNT_ACQUIRE_MS, ACCOUNT_TXN_RETRIES, fn, cls);
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
    egov_reply_problem(
        req, qs == EGOV_DB_SOFT_ERROR ? EGOV_EC_DB_SOFT_ERROR : EGOV_EC_DB_HARD_ERROR, NULL, NULL);
}

bool account_page_common(struct egov_req *req, json_t *data, const char *return_to)
{
    const char *tok = egov_account_csrf_token(req);
    if (data == NULL || tok == NULL)
        return false;
    if (json_object_set_new(data, "csrf_token", json_string(tok)) != 0)
        return false;
    if (return_to != NULL &&
        (json_object_set_new(data, "return_to", json_string(return_to)) != 0 ||
         json_object_set_new(data, "return_to_q", json_string(account_urlencode(req, return_to))) !=
             0))
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

/* The checksum rules (old and 2021 resident formats too) are the directory's. */
bool account_national_id_valid(const char *s)
{
    return s != NULL && egov_directory_id_check(s) != EGOV_DIRECTORY_ID_INVALID;
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
