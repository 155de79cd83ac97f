/*
 * totp.c -- time-based one-time passwords (RFC 6238 over RFC 4226:
 * HMAC-SHA-1, 30-second steps, 6 digits, the parameters every
 * authenticator app and `oathtool --totp` use), base32 secrets, and the
 * enrolment QR code (libqrencode) as an SVG data: URI, and the sealing
 * of secrets at rest (AES-256-GCM, the account id as associated data so a
 * sealed secret cannot be moved to another account).
 */
#include <openssl/evp.h>
#include <qrencode.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

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

bool account_secret_key_load(const char *path)
{
    char text[130];
    uint8_t key[32];
    bool ok = false;
    struct stat st;
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        egov_error("account: cannot read the secret key file %s", path);
        return false;
    }
    if (fstat(fileno(f), &st) == 0 && (st.st_mode & 077) != 0)
        egov_warn("account: %s can be read by others; chmod 600 it", path);
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r' || text[n - 1] == ' '))
        text[--n] = '\0';
    if (n != 64)
        goto done;
    for (size_t i = 0; i < 32; i++) {
        unsigned int byte;
        if (sscanf(text + 2 * i, "%2x", &byte) != 1)
            goto done;
        key[i] = (uint8_t)byte;
    }
    account_secret_key_set(key);
    ok = true;
done:
    if (!ok)
        egov_error("account: %s must hold 64 hexadecimal digits (openssl rand -hex 32)", path);
    egov_wipe(text, sizeof text);
    egov_wipe(key, sizeof key);
    return ok;
}

bool account_secret_seal(const char *plain, const char *account_id, char *out, size_t outlen)
{
    uint8_t buf[SEAL_NONCE + 64 + SEAL_TAG];
    size_t pl = strlen(plain);
    int len = 0;
    bool ok = false;
    if (!seal_have_key) { /* no key configured: stored as it is */
        if (pl + 1 > outlen)
            return false;
        memcpy(out, plain, pl + 1);
        return true;
    }
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
