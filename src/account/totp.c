/*
 * totp.c -- time-based one-time passwords (RFC 6238 over RFC 4226:
 * HMAC-SHA-1, 30-second steps, 6 digits, the parameters every
 * authenticator app and `oathtool --totp` use), base32 secrets, and the
 * enrolment QR code (libqrencode) as an SVG data: URI.
 */
#include <openssl/evp.h>
#include <qrencode.h>
#include <stdio.h>
#include <string.h>

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
