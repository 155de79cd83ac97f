/*
 * conv_api.c -- HTTP endpoints of the converter:
 *   POST /api/hanzi/convert   {"text"|"base64", "from", "to", "policy"?}
 *   GET  /api/hanzi/chars/{c} a character's codes in every set
 */
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "hanzi/hanzi_routes.h"
#include "hanzi/table.h"

/** Largest input the convert endpoint takes (bytes after base64 decoding). */
#define CONVERT_MAX_INPUT (1024 * 1024)

/* Standard base64 (RFC 4648 section 4) with padding; returns the length or -1. */
static long b64_decode(const char *s, size_t n, unsigned char *out)
{
    if (n % 4 != 0 || n > (size_t)CONVERT_MAX_INPUT * 4 / 3 + 4)
        return -1;
    if (n == 0)
        return 0;
    int len = EVP_DecodeBlock(out, (const unsigned char *)s, (int)n);
    if (len < 0)
        return -1;
    if (s[n - 1] == '=')
        len--;
    if (s[n - 2] == '=')
        len--;
    return len;
}

static bool is_text_encoding(const struct egov_hanzi_encoding *e)
{
    return e->kind == EGOV_HANZI_K_UTF8 || e->kind == EGOV_HANZI_K_CNS;
}

void egov_hanzi_handle_convert(struct egov_req *req)
{
    const char *text = NULL, *b64 = NULL, *from = NULL, *to = NULL, *policy = "strict";
    struct egov_json_spec spec[] = {
        {"text", EGOV_JSON_STRING, &text, true, 0, 0},
        {"base64", EGOV_JSON_STRING, &b64, true, 0, 0},
        {"from", EGOV_JSON_STRING, &from, true, 1, 47},
        {"to", EGOV_JSON_STRING, &to, false, 1, 47},
        {"policy", EGOV_JSON_STRING, &policy, true, 1, 16},
        EGOV_JSON_SPEC_END,
    };
    enum egov_hanzi_policy pol;
    struct egov_buf out;
    struct egov_hanzi_error err;
    unsigned char *raw = NULL;
    const void *in;
    size_t inlen;
    if (!egov_req_parse_json(req, spec))
        return;
    egov_buf_init(&out);
    if ((text == NULL) == (b64 == NULL)) {
        egov_reply_problem(req, EGOV_EC_GENERIC_PARAMETER_MISSING, text ? "base64" : "text",
                           "give exactly one of \"text\" (UTF-8) or \"base64\" (bytes)");
        goto out;
    }
    if (!from)
        from = text ? "utf-8" : NULL;
    if (!from) {
        egov_reply_problem(req, EGOV_EC_GENERIC_PARAMETER_MISSING, "from",
                           "\"from\" names the encoding of the base64 bytes");
        goto out;
    }
    const struct egov_hanzi_encoding *ef = egov_hanzi_encoding_by_name(from);
    const struct egov_hanzi_encoding *et = egov_hanzi_encoding_by_name(to);
    if (!ef || !et) {
        egov_reply_problem(req, EGOV_EC_HANZI_ENCODING_UNKNOWN, ef ? "to" : "from", NULL);
        goto out;
    }
    if (!egov_hanzi_policy_parse(policy, &pol)) {
        egov_reply_problem(req, EGOV_EC_HANZI_POLICY_UNKNOWN, "policy", NULL);
        goto out;
    }
    if (text) {
        if (!is_text_encoding(ef)) {
            egov_reply_problem(req, EGOV_EC_GENERIC_PARAMETER_MALFORMED, "from",
                               "\"text\" is UTF-8 text; send other encodings as \"base64\"");
            goto out;
        }
        in = text;
        inlen = strlen(text);
    } else {
        size_t n = strlen(b64);
        raw = egov_malloc(n / 4 * 3 + 3);
        long len = raw ? b64_decode(b64, n, raw) : -1;
        if (!raw) {
            egov_reply_problem(req, EGOV_EC_GENERIC_OOM, NULL, NULL);
            goto out;
        }
        if (len < 0) {
            egov_reply_problem(req, EGOV_EC_GENERIC_PARAMETER_MALFORMED, "base64",
                               "not standard base64 with padding");
            goto out;
        }
        in = raw;
        inlen = (size_t)len;
    }
    if (inlen > CONVERT_MAX_INPUT) {
        egov_reply_problem(req, EGOV_EC_GENERIC_BODY_TOO_LARGE, text ? "text" : "base64", NULL);
        goto out;
    }
    if (!egov_hanzi_convert(ef, et, pol, in, inlen, &out, &err)) {
        if (err.ec == EGOV_EC_GENERIC_OOM) {
            egov_reply_problem(req, EGOV_EC_GENERIC_OOM, NULL, NULL);
            goto out;
        }
        json_t *body =
            json_pack("{s:s, s:s, s:i, s:s, s:I, s:s, s:s}", "type", "about:blank", "title",
                      egov_i18n_gettext(req->lang, egov_ec_hint(err.ec)), "status", 400, "code",
                      egov_ec_name(err.ec), "offset", (json_int_t)err.offset, "detail", err.detail,
                      "field", text ? "text" : "base64");
        json_t *bytes = json_array();
        for (size_t i = 0; bytes && i < err.nbytes; i++) {
            char hx[8];
            snprintf(hx, sizeof hx, "%02X", err.bytes[i]);
            json_array_append_new(bytes, json_string(hx));
        }
        if (!body || !bytes) {
            json_decref(body);
            json_decref(bytes);
            egov_reply_problem(req, EGOV_EC_GENERIC_OOM, NULL, NULL);
            goto out;
        }
        json_object_set_new(body, "bytes", bytes);
        char *txt = egov_json_dumps(body);
        json_decref(body);
        if (!txt) {
            egov_reply_problem(req, EGOV_EC_GENERIC_OOM, NULL, NULL);
            goto out;
        }
        egov_reply_bytes(req, 400, "application/problem+json", txt, strlen(txt));
        egov_free(txt);
        goto out;
    }
    json_t *body = json_pack("{s:s, s:s, s:s, s:I}", "from", ef->name, "to", et->name, "policy",
                             policy, "length", (json_int_t)out.len);
    if (body && is_text_encoding(et)) {
        json_object_set_new(body, "text", json_stringn(out.data ? out.data : "", out.len));
    } else if (body) {
        char *enc = egov_malloc(out.len / 3 * 4 + 8);
        if (enc) {
            EVP_EncodeBlock((unsigned char *)enc, (const unsigned char *)(out.data ? out.data : ""),
                            (int)out.len);
            json_object_set_new(body, "base64", json_string(enc));
            egov_free(enc);
        } else {
            json_decref(body);
            body = NULL;
        }
    }
    if (!body) {
        egov_reply_problem(req, EGOV_EC_GENERIC_OOM, NULL, NULL);
        goto out;
    }
    egov_reply_json(req, 200, body);
out:
    egov_free(raw);
    egov_buf_free(&out);
}

void egov_hanzi_handle_char(struct egov_req *req)
{
    const char *c = egov_req_param(req, "c");
    uint32_t cp;
    if (!egov_hanzi_db_get()) {
        egov_reply_problem(req, EGOV_EC_HANZI_TABLES_MISSING, NULL, NULL);
        return;
    }
    if (!c || !egov_hanzi_char_parse(c, &cp)) {
        egov_reply_problem(req, EGOV_EC_HANZI_CHAR_UNKNOWN, "c",
                           "give one character, U+XXXX or a CNS code such as 1-4421");
        return;
    }
    json_t *body = egov_hanzi_char_info(cp);
    if (!body) {
        egov_reply_problem(req, EGOV_EC_GENERIC_OOM, NULL, NULL);
        return;
    }
    egov_reply_json(req, 200, body);
}
