/*
 * totp.c -- time-based one-time passwords (RFC 6238 over RFC 4226:
 * HMAC-SHA-1, 30-second steps, 6 digits, the parameters every
 * authenticator app and `oathtool --totp` use), base32 secrets, and the
 * enrolment QR code (libqrencode) as an SVG data: URI, and the sealing
 * of secrets at rest (AES-256-GCM, the account id as associated data so a
 * sealed secret cannot be moved to another account).
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <qrencode.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "account/account_int.h"

static const char b32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

void account_base32_encode(const uint8_t *p, size_t n, char *out, size_t outlen)
{
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        acc = (acc << 8) | p[i];
        bits += 8;
        while (bits >= 5 && o + 1 < outlen) {
            out[o++] = b32[(acc >> (bits - 5)) & 31];
            bits -= 5;
        }
    }
    if (bits > 0 && o + 1 < outlen)
        out[o++] = b32[(acc << (5 - bits)) & 31];
    if (outlen > 0)
        out[o < outlen ? o : outlen - 1] = '\0';
}

long account_base32_decode(const char *s, uint8_t *out, size_t outlen)
{
    uint32_t acc = 0;
    int bits = 0;
    size_t o = 0;
    for (; *s != '\0'; s++) {
        char c = *s;
        if (c >= 'a' && c <= 'z')
            c = (char)(c - 'a' + 'A');
        const char *pos = strchr(b32, c);
        if (pos == NULL || c == '\0')
            return -1;
        acc = (acc << 5) | (uint32_t)(pos - b32);
        bits += 5;
        if (bits >= 8) {
            if (o >= outlen)
                return -1;
            out[o++] = (uint8_t)(acc >> (bits - 8));
            bits -= 8;
        }
    }
    return (long)o;
}

bool account_totp_code(const uint8_t *key, size_t keylen, uint64_t step, unsigned int *code)
{
    uint8_t msg[8], mac[EVP_MAX_MD_SIZE];
    size_t maclen = 0;
    for (int i = 7; i >= 0; i--) {
        msg[i] = (uint8_t)(step & 0xff);
        step >>= 8;
    }
    if (EVP_Q_mac(NULL, "HMAC", NULL, "SHA1", NULL, key, keylen, msg, sizeof msg, mac, sizeof mac,
                  &maclen) == NULL ||
        maclen != 20)
        return false;
    unsigned int off = mac[19] & 0x0f; /* dynamic truncation, RFC 4226 5.3 */
    uint32_t bin = ((uint32_t)(mac[off] & 0x7f) << 24) | ((uint32_t)mac[off + 1] << 16) |
                   ((uint32_t)mac[off + 2] << 8) | (uint32_t)mac[off + 3];
    *code = bin % 1000000u;
    return true;
}

bool account_totp_verify(const uint8_t *key, size_t keylen, const char *code, int64_t now_s,
                         int64_t last_step, int64_t *step_out)
{
    unsigned int want = 0;
    if (code == NULL || strlen(code) != ACCOUNT_TOTP_DIGITS || now_s < 0)
        return false;
    for (const char *p = code; *p != '\0'; p++) {
        if (*p < '0' || *p > '9')
            return false;
        want = want * 10u + (unsigned int)(*p - '0');
    }
    int64_t now_step = now_s / ACCOUNT_TOTP_STEP_S;
    bool found = false;
    /* constant work: look at all three steps whatever matches */
    for (int64_t d = -1; d <= 1; d++) {
        int64_t step = now_step + d;
        unsigned int got = 0;
        if (step <= last_step || !account_totp_code(key, keylen, (uint64_t)step, &got))
            continue;
        if (egov_ct_equal(&got, &want, sizeof got) && !found) {
            found = true;
            *step_out = step;
        }
    }
    return found;
}

char *account_qr_data_uri(const char *text)
{
    static const char prefix[] = "data:image/svg+xml;base64,";
    struct egov_buf svg;
    char *uri = NULL;
    QRcode *qr = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
    if (qr == NULL)
        return NULL;
    int w = qr->width, q = 4, size = w + 2 * q;
    egov_buf_init(&svg);
    egov_buf_printf(&svg,
                    "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" "
                    "width=\"%d\" height=\"%d\" shape-rendering=\"crispEdges\">"
                    "<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/><path fill=\"#000\" d=\"",
                    size, size, size * 6, size * 6, size, size);
    for (int y = 0; y < w; y++)
        for (int x = 0; x < w; x++)
            if (qr->data[y * w + x] & 1)
                egov_buf_printf(&svg, "M%d %dh1v1h-1z", x + q, y + q);
    egov_buf_puts(&svg, "\"/></svg>");
    QRcode_free(qr);
    if (svg.oom)
        goto done;
    size_t b64len = 4 * ((svg.len + 2) / 3);
    uri = egov_malloc(sizeof prefix + b64len + 1);
    if (uri == NULL)
        goto done;
    memcpy(uri, prefix, sizeof prefix - 1);
    EVP_EncodeBlock((unsigned char *)uri + sizeof prefix - 1, (const unsigned char *)svg.data,
                    (int)svg.len);
done:
    egov_buf_free(&svg);
    return uri;
}

/* ------------------------------------------------------------------ */
/* TOTP secrets at rest: AES-256-GCM under the key of account.secret_key_file */
/* ------------------------------------------------------------------ */

#define SEAL_PREFIX "v1:"
#define SEAL_NONCE  12
#define SEAL_TAG    16

static uint8_t seal_key[32];
static bool seal_have_key;

void account_secret_key_set(const uint8_t key[32])
{
    if (key == NULL) {
        egov_wipe(seal_key, sizeof seal_key);
        seal_have_key = false;
        return;
    }
    memcpy(seal_key, key, sizeof seal_key);
    seal_have_key = true;
}

bool account_secret_key_path(const char *configured, const char *vardir, char *out, size_t outlen)
{
    int n;
    if (configured != NULL && configured[0] != '\0')
        n = snprintf(out, outlen, "%s", configured);
    else
        n = snprintf(out, outlen, "%s/" ACCOUNT_SECRET_KEY_NAME,
                     vardir != NULL && vardir[0] != '\0' ? vardir : ".");
    return n > 0 && (size_t)n < outlen;
}

/*
 * Reads the 64-hex-digit key of @p path into @p key.  On failure writes
 * why to @p why and sets @p missing if the file does not exist.
 */
static bool key_read(const char *path, uint8_t key[32], bool *missing, char *why, size_t whylen)
{
    char text[130];
    bool ok = false;
    struct stat st;
    *missing = false;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        *missing = errno == ENOENT;
        snprintf(why, whylen, "%s: cannot read: %s", path, strerror(errno));
        return false;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(why, whylen, "%s: not a regular file", path);
        close(fd);
        return false;
    }
    if ((st.st_mode & 077) != 0) {
        snprintf(why, whylen, "%s: can be read by group or others (mode %03o); chmod 600 it", path,
                 (unsigned int)(st.st_mode & 0777));
        close(fd);
        return false;
    }
    ssize_t got = read(fd, text, sizeof text - 1);
    close(fd);
    size_t n = got > 0 ? (size_t)got : 0;
    text[n] = '\0';
    while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r' || text[n - 1] == ' '))
        text[--n] = '\0';
    if (n != 64)
        goto done;
    for (size_t i = 0; i < 64; i++)
        if (!isxdigit((unsigned char)text[i]))
            goto done;
    for (size_t i = 0; i < 32; i++) {
        unsigned int byte;
        if (sscanf(text + 2 * i, "%2x", &byte) != 1)
            goto done;
        key[i] = (uint8_t)byte;
    }
    ok = true;
done:
    if (!ok)
        snprintf(why, whylen, "%s: must hold 64 hexadecimal digits (openssl rand -hex 32)", path);
    egov_wipe(text, sizeof text);
    return ok;
}

/*
 * Writes a new random key to @p path (mode 0600) unless the file exists
 * by then (another node or process made it first: that one is kept).
 * The file appears whole or not at all (written aside, then linked).
 */
static bool key_create(const char *path, char *why, size_t whylen)
{
    uint8_t key[32];
    char hex[66], tmp[1100];
    bool ok = false;
    int n = snprintf(tmp, sizeof tmp, "%s.%ld.tmp", path, (long)getpid());
    if (n < 0 || (size_t)n >= sizeof tmp || !egov_random(key, sizeof key)) {
        snprintf(why, whylen, "%s: cannot make a key", path);
        return false;
    }
    for (size_t i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", key[i]);
    hex[64] = '\n';
    hex[65] = '\0';
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        snprintf(why, whylen, "%s: cannot create: %s", tmp, strerror(errno));
        goto done;
    }
    bool written = write(fd, hex, 65) == 65 && fsync(fd) == 0;
    close(fd);
    if (!written) {
        snprintf(why, whylen, "%s: cannot write", tmp);
        unlink(tmp);
        goto done;
    }
    if (link(tmp, path) != 0 && errno != EEXIST) {
        snprintf(why, whylen, "%s: cannot create: %s", path, strerror(errno));
        unlink(tmp);
        goto done;
    }
    unlink(tmp);
    ok = true;
done:
    egov_wipe(key, sizeof key);
    egov_wipe(hex, sizeof hex);
    return ok;
}

bool account_secret_key_load(const char *path, bool create)
{
    uint8_t key[32];
    char why[1200];
    bool missing = false;
    bool ok = key_read(path, key, &missing, why, sizeof why);
    if (!ok && missing && create) {
        ok = key_create(path, why, sizeof why) && key_read(path, key, &missing, why, sizeof why);
        if (ok)
            egov_info("account: made a new key for TOTP secrets in %s; give every node of the "
                      "cluster this same file",
                      path);
    }
    if (ok)
        account_secret_key_set(key);
    else
        egov_error("account: the key for TOTP secrets: %s", why);
    egov_wipe(key, sizeof key);
    return ok;
}

bool egov_account_secret_key_check(const struct egov_config *cfg, char *msg, size_t msglen)
{
    char path[1024], why[1200];
    uint8_t key[32];
    bool missing = false, ok;
    bool dflt = cfg->account_secret_key_file[0] == '\0';
    msg[0] = '\0';
    if (!account_secret_key_path(cfg->account_secret_key_file, cfg->vardir, path, sizeof path)) {
        snprintf(msg, msglen, "account.secret_key_file: the path is too long");
        return false;
    }
    ok = key_read(path, key, &missing, why, sizeof why);
    egov_wipe(key, sizeof key);
    if (!ok && missing && dflt) {
        snprintf(msg, msglen,
                 "account.secret_key_file: %s does not exist yet; the node will create it on "
                 "first start (every node of a cluster needs the same file)",
                 path);
        return true;
    }
    if (!ok)
        snprintf(msg, msglen, "account.secret_key_file: %s", why);
    return ok;
}

bool account_secret_seal(const char *plain, const char *account_id, char *out, size_t outlen)
{
    uint8_t buf[SEAL_NONCE + 64 + SEAL_TAG];
    size_t pl = strlen(plain);
    int len = 0;
    bool ok = false;
    if (!seal_have_key) /* never stored in clear */
        return false;
    if (pl > 64 || outlen < sizeof SEAL_PREFIX + egov_base64url_len(SEAL_NONCE + pl + SEAL_TAG) ||
        !egov_random(buf, SEAL_NONCE))
        return false;
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    if (ctx == NULL)
        return false;
    if (EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, seal_key, buf) != 1 ||
        EVP_EncryptUpdate(ctx, NULL, &len, (const uint8_t *)account_id, (int)strlen(account_id)) !=
            1 ||
        EVP_EncryptUpdate(ctx, buf + SEAL_NONCE, &len, (const uint8_t *)plain, (int)pl) != 1 ||
        EVP_EncryptFinal_ex(ctx, buf + SEAL_NONCE + len, &len) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, SEAL_TAG, buf + SEAL_NONCE + pl) != 1)
        goto done;
    memcpy(out, SEAL_PREFIX, sizeof SEAL_PREFIX - 1);
    egov_base64url_encode(buf, SEAL_NONCE + pl + SEAL_TAG, out + sizeof SEAL_PREFIX - 1);
    ok = true;
done:
    EVP_CIPHER_CTX_free(ctx);
    egov_wipe(buf, sizeof buf);
    return ok;
}

bool account_secret_open(const char *stored, const char *account_id, char *out, size_t outlen)
{
    uint8_t buf[SEAL_NONCE + 64 + SEAL_TAG + 4];
    int len = 0;
    bool ok = false;
    if (stored == NULL || stored[0] == '\0')
        return false;
    if (strncmp(stored, SEAL_PREFIX, sizeof SEAL_PREFIX - 1) != 0) {
        size_t n = strlen(stored); /* stored before a key was configured */
        if (n + 1 > outlen)
            return false;
        memcpy(out, stored, n + 1);
        return true;
    }
    const char *b64 = stored + sizeof SEAL_PREFIX - 1;
    if (!seal_have_key || strlen(b64) > egov_base64url_len(sizeof buf - 4))
        return false;
    long n = egov_base64url_decode(b64, strlen(b64), buf);
    if (n < SEAL_NONCE + SEAL_TAG + 1)
        return false;
    size_t cl = (size_t)n - SEAL_NONCE - SEAL_TAG;
    if (cl + 1 > outlen)
        return false;
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    if (ctx == NULL)
        return false;
    if (EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, seal_key, buf) != 1 ||
        EVP_DecryptUpdate(ctx, NULL, &len, (const uint8_t *)account_id, (int)strlen(account_id)) !=
            1 ||
        EVP_DecryptUpdate(ctx, (uint8_t *)out, &len, buf + SEAL_NONCE, (int)cl) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, SEAL_TAG, buf + SEAL_NONCE + cl) != 1 ||
        EVP_DecryptFinal_ex(ctx, (uint8_t *)out + len, &len) != 1)
        goto done;
    out[cl] = '\0';
    ok = true;
done:
    if (!ok)
        egov_wipe(out, outlen);
    EVP_CIPHER_CTX_free(ctx);
    egov_wipe(buf, sizeof buf);
    return ok;
}

bool account_secret_is_sealed(const char *stored)
{
    return stored != NULL && strncmp(stored, SEAL_PREFIX, sizeof SEAL_PREFIX - 1) == 0;
}

static const struct egov_db_stmt st_clear_secrets = {
    "account_clear_secrets",
    "SELECT id, totp_secret FROM account WHERE totp_secret IS NOT NULL"
    " AND totp_secret NOT LIKE 'v1:%' ORDER BY id LIMIT 1000",
    NULL};
static const struct egov_db_stmt st_reseal = {
    "account_reseal", "UPDATE account SET totp_secret = $2 WHERE id = $1 AND totp_secret = $3",
    NULL};

struct reseal_txn {
    const char *id, *clear;
    struct egov_db_rows *rows; /* for the listing */
};

static enum egov_db_qs list_clear_body(struct egov_db_conn *c, void *cls)
{
    struct reseal_txn *t = cls;
    egov_db_rows_free(t->rows);
    t->rows = NULL;
    return egov_db_query(c, &st_clear_secrets, (struct egov_db_param[]){EGOV_DB_PARAM_END},
                         &t->rows);
}

enum egov_db_qs account_secret_reseal(struct egov_db_conn *c, const char *account_id,
                                      const char *clear)
{
    char sealed[160];
    if (!account_secret_seal(clear, account_id, sealed, sizeof sealed))
        return EGOV_DB_HARD_ERROR;
    struct egov_db_param p[] = {EGOV_DB_PARAM_TEXT(account_id), EGOV_DB_PARAM_TEXT(sealed),
                                EGOV_DB_PARAM_TEXT(clear), EGOV_DB_PARAM_END};
    return egov_db_exec(c, &st_reseal, p);
}

static enum egov_db_qs reseal_body(struct egov_db_conn *c, void *cls)
{
    struct reseal_txn *t = cls;
    return account_secret_reseal(c, t->id, t->clear);
}

int64_t account_secret_seal_all(struct egov_db *db)
{
    int64_t sealed = 0;
    if (!seal_have_key)
        return -1;
    for (;;) {
        struct reseal_txn list = {NULL, NULL, NULL};
        enum egov_db_qs qs = account_txn(db, false, list_clear_body, &list);
        size_t n = qs > 0 ? egov_db_rows_count(list.rows) : 0;
        int64_t round = 0;
        for (size_t i = 0; qs >= 0 && i < n; i++) {
            struct reseal_txn t = {egov_db_rows_text(list.rows, i, 0),
                                   egov_db_rows_text(list.rows, i, 1), NULL};
            qs = account_txn(db, true, reseal_body, &t);
            if (qs > 0)
                round++;
        }
        egov_db_rows_free(list.rows);
        if (qs < 0)
            return -1;
        sealed += round;
        if (n < 1000 || round == 0)
            return sealed;
    }
}
