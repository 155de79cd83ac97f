/*
 * httpsig.c -- HTTP Message Signatures (RFC 9421) and Content-Digest
 * (RFC 9530) as the gateway uses them: one signature labelled "sig1",
 * components given as a list of quoted names, parameters created, keyid,
 * alg and nonce.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "gateway/gw_int.h"

void gw_content_digest(const void *body, size_t n, char out[64])
{
    uint8_t h[EGOV_SHA256_LEN];
    unsigned char b64[48];
    egov_sha256(body, n, h);
    EVP_EncodeBlock(b64, h, EGOV_SHA256_LEN);
    snprintf(out, 64, "sha-256=:%s:", (const char *)b64);
}

/* Finds the value of member "sig1" in a dictionary header; NULL if absent. */
static const char *sig1_member(const char *h)
{
    const char *p = h;
    while (p != NULL && *p != '\0') {
        while (*p == ' ' || *p == ',')
            p++;
        if (strncmp(p, "sig1=", 5) == 0)
            return p + 5;
        /* skip this member: up to the next comma outside quotes/parentheses */
        int depth = 0;
        bool q = false;
        for (; *p != '\0'; p++) {
            if (q) {
                if (*p == '\\' && p[1] != '\0')
                    p++;
                else if (*p == '"')
                    q = false;
            } else if (*p == '"')
                q = true;
            else if (*p == '(')
                depth++;
            else if (*p == ')')
                depth--;
            else if (*p == ',' && depth == 0)
                break;
        }
    }
    return NULL;
}

/* Reads a quoted sf-string at *p into out; advances. */
static bool read_quoted(const char **pp, char *out, size_t outlen)
{
    const char *p = *pp;
    size_t n = 0;
    if (*p != '"')
        return false;
    p++;
    while (*p != '"') {
        if (*p == '\0' || (unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
            return false;
        if (*p == '\\') {
            p++;
            if (*p != '"' && *p != '\\')
                return false;
        }
        if (n + 1 >= outlen)
            return false;
        out[n++] = *p++;
    }
    out[n] = '\0';
    *pp = p + 1;
    return true;
}

bool gw_sig_input_parse(const char *header, struct gw_sig_input *out, struct egov_arena *a,
                        char *why, size_t whylen)
{
    memset(out, 0, sizeof *out);
    const char *v = header != NULL ? sig1_member(header) : NULL;
    if (v == NULL) {
        snprintf(why, whylen, "Signature-Input has no member \"sig1\"");
        return false;
    }
    const char *p = v;
    if (*p != '(') {
        snprintf(why, whylen, "Signature-Input sig1 must start with an inner list");
        return false;
    }
    p++;
    while (*p != ')') {
        while (*p == ' ')
            p++;
        if (*p == ')')
            break;
        if (out->ncomponents == 12) {
            snprintf(why, whylen, "Signature-Input covers too many components");
            return false;
        }
        if (!read_quoted(&p, out->components[out->ncomponents], 32)) {
            snprintf(why, whylen, "Signature-Input has a malformed component name");
            return false;
        }
        out->ncomponents++;
        if (*p != ' ' && *p != ')') {
            snprintf(why, whylen, "Signature-Input components must be separated by spaces");
            return false;
        }
    }
    p++;
    while (*p == ';') {
        p++;
        const char *eq = strchr(p, '=');
        if (eq == NULL) {
            snprintf(why, whylen, "Signature-Input has a parameter without a value");
            return false;
        }
        size_t kl = (size_t)(eq - p);
        const char *val = eq + 1;
        if (kl == 7 && strncmp(p, "created", 7) == 0) {
            char *end = NULL;
            long long c = strtoll(val, &end, 10);
            if (end == val || c <= 0 || c > 99999999999LL) {
                snprintf(why, whylen, "Signature-Input \"created\" is not a valid time");
                return false;
            }
            out->created = c;
            p = end;
        } else if (kl == 5 && strncmp(p, "keyid", 5) == 0) {
            if (!read_quoted(&val, out->keyid, sizeof out->keyid))
                goto bad;
            p = val;
        } else if (kl == 3 && strncmp(p, "alg", 3) == 0) {
            if (!read_quoted(&val, out->alg, sizeof out->alg))
                goto bad;
            p = val;
        } else if (kl == 5 && strncmp(p, "nonce", 5) == 0) {
            if (!read_quoted(&val, out->nonce, sizeof out->nonce))
                goto bad;
            p = val;
        } else {
            /* expires, tag or unknown: skip a token or a quoted string */
            char skip[256];
            if (*val == '"') {
                if (!read_quoted(&val, skip, sizeof skip))
                    goto bad;
                p = val;
            } else {
                p = val + strcspn(val, ";, ");
            }
        }
    }
    size_t plen = (size_t)(p - v);
    if (*p != '\0' && *p != ',' && *p != ' ') {
        snprintf(why, whylen, "Signature-Input sig1 has trailing text");
        return false;
    }
    out->params = egov_arena_strndup(a, v, plen);
    out->params_len = plen;
    if (out->params == NULL) {
        snprintf(why, whylen, "out of memory");
        return false;
    }
    if (out->created == 0 || out->keyid[0] == '\0') {
        snprintf(why, whylen, "Signature-Input needs the parameters \"created\" and \"keyid\"");
        return false;
    }
    return true;
bad:
    snprintf(why, whylen, "Signature-Input has a malformed parameter value");
    return false;
}

long gw_signature_decode(const char *header, uint8_t sig[EGOV_SIGKEY_MAX_SIG])
{
    const char *v = header != NULL ? sig1_member(header) : NULL;
    if (v == NULL || *v != ':')
        return -1;
    v++;
    const char *end = strchr(v, ':');
    if (end == NULL)
        return -1;
    size_t n = (size_t)(end - v);
    if (n == 0 || n % 4 != 0 || n > (EGOV_SIGKEY_MAX_SIG + 2) / 3 * 4)
        return -1;
    unsigned char tmp[EGOV_SIGKEY_MAX_SIG + 4];
    int len = EVP_DecodeBlock(tmp, (const unsigned char *)v, (int)n);
    if (len < 0)
        return -1;
    if (v[n - 1] == '=')
        len--;
    if (v[n - 2] == '=')
        len--;
    if (len > EGOV_SIGKEY_MAX_SIG)
        return -1;
    memcpy(sig, tmp, (size_t)len);
    return len;
}

bool gw_sig_base(const struct gw_sig_input *in, gw_component_fn fn, void *cls, struct egov_buf *out,
                 char *why, size_t whylen)
{
    for (unsigned int i = 0; i < in->ncomponents; i++) {
        const char *name = in->components[i];
        for (unsigned int j = 0; j < i; j++)
            if (strcmp(in->components[j], name) == 0) {
                snprintf(why, whylen, "component \"%s\" is covered twice", name);
                return false;
            }
        const char *val = fn(name, cls);
        if (val == NULL) {
            snprintf(why, whylen, "the covered component \"%s\" is not in the message", name);
            return false;
        }
        if (strchr(val, '\n') != NULL || strchr(val, '\r') != NULL) {
            snprintf(why, whylen, "component \"%s\" contains a line break", name);
            return false;
        }
        egov_buf_putc(out, '"');
        egov_buf_puts(out, name);
        egov_buf_append(out, "\": ", 3);
        egov_buf_puts(out, val);
        egov_buf_putc(out, '\n');
    }
    egov_buf_puts(out, "\"@signature-params\": ");
    egov_buf_append(out, in->params, in->params_len);
    return !out->oom;
}

/* Signs with the gateway key, or with hmac-sha256 under @p secret when it is not NULL. */
static bool sign_as_gateway(struct egov_arena *a, const char *const *components, size_t n,
                            gw_component_fn fn, void *cls, const uint8_t *secret,
                            const char **sig_input, const char **signature)
{
    struct egov_buf params, base;
    bool ok = false;
    egov_buf_init(&params);
    egov_buf_init(&base);
    if (secret == NULL && gw_key == NULL)
        goto fail;
    (void)egov_buf_reserve(&params, 256);
    (void)egov_buf_reserve(&base, 1024);
    egov_buf_putc(&params, '(');
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            egov_buf_putc(&params, ' ');
        egov_buf_putc(&params, '"');
        egov_buf_puts(&params, components[i]);
        egov_buf_putc(&params, '"');
    }
    egov_buf_printf(&params, ");created=%lld;keyid=\"gateway\";alg=\"%s\"",
                    (long long)(egov_now_us() / 1000000),
                    secret != NULL ? "hmac-sha256" : egov_sigkey_alg_name(egov_sigkey_alg(gw_key)));
    if (params.oom)
        goto fail;
    struct gw_sig_input in;
    memset(&in, 0, sizeof in);
    if (n > 12)
        goto fail;
    for (size_t i = 0; i < n; i++)
        snprintf(in.components[i], sizeof in.components[i], "%s", components[i]);
    in.ncomponents = (unsigned int)n;
    in.params = params.data;
    in.params_len = params.len;
    char why[128];
    if (!gw_sig_base(&in, fn, cls, &base, why, sizeof why))
        goto fail;
    uint8_t sig[EGOV_SIGKEY_MAX_SIG];
    size_t siglen = 0;
    if (secret != NULL) {
        if (!egov_hmac_sha256(secret, 32, base.data, base.len, sig))
            goto fail;
        siglen = EGOV_SHA256_LEN;
    } else if (!egov_sigkey_sign(gw_key, base.data, base.len, sig, &siglen)) {
        goto fail;
    }
    unsigned char b64[(EGOV_SIGKEY_MAX_SIG + 2) / 3 * 4 + 1];
    EVP_EncodeBlock(b64, sig, (int)siglen);
    *sig_input = egov_arena_printf(a, "sig1=%s", params.data);
    *signature = egov_arena_printf(a, "sig1=:%s:", (const char *)b64);
    ok = *sig_input != NULL && *signature != NULL;
fail:
    egov_buf_free(&params);
    egov_buf_free(&base);
    return ok;
}

bool gw_sign(struct egov_arena *a, const char *const *components, size_t n, gw_component_fn fn,
             void *cls, const char **sig_input, const char **signature)
{
    return sign_as_gateway(a, components, n, fn, cls, NULL, sig_input, signature);
}

bool gw_sign_hmac(struct egov_arena *a, const char *const *components, size_t n, gw_component_fn fn,
                  void *cls, const uint8_t secret[32], const char **sig_input,
                  const char **signature)
{
    return secret != NULL &&
           sign_as_gateway(a, components, n, fn, cls, secret, sig_input, signature);
}
