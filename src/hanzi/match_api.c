/*
 * match_api.c -- POST /api/hanzi/match: are two names the same person's
 * name?  Body: {"a": text | "a_hex": bytes in hex, "encoding_a"?: name,
 * the same for b}.  Text fields are UTF-8 (JSON); bytes in another encoding
 * (Big5, an agency code, ...) are sent in hex with their encoding.
 */
#include <string.h>

#include "hanzi/props_internal.h"

#define MATCH_HEX_MAX 2048

static int hexval(char c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

/* Decodes hex (white space allowed between bytes) into the request arena. */
static unsigned char *from_hex(struct egov_req *req, const char *s, size_t *len)
{
    size_t n = strlen(s), o = 0;
    unsigned char *out = egov_arena_alloc(req->arena, n / 2 + 1);
    if (out == NULL)
        return NULL;
    for (size_t i = 0; i < n;) {
        if (s[i] == ' ') {
            i++;
            continue;
        }
        int hi = hexval(s[i]), lo = i + 1 < n ? hexval(s[i + 1]) : -1;
        if (hi < 0 || lo < 0)
            return NULL;
        out[o++] = (unsigned char)(hi << 4 | lo);
        i += 2;
    }
    *len = o;
    return out;
}

/* Picks the text or hex form of one name; false after replying. */
static bool one_name(struct egov_req *req, const char *text, const char *hex, const char *name,
                     const char *hexname, const void **bytes, size_t *len)
{
    if ((text == NULL) == (hex == NULL)) {
        egov_reply_problem(req, EGOV_EC_GENERIC_PARAMETER_MISSING, name,
                           "give exactly one of the name as text or its bytes in hex");
        return false;
    }
    if (text != NULL) {
        *bytes = text;
        *len = strlen(text);
        return true;
    }
    *bytes = from_hex(req, hex, len);
    if (*bytes == NULL) {
        egov_reply_problem(req, EGOV_EC_GENERIC_PARAMETER_MALFORMED, hexname,
                           "expected pairs of hexadecimal digits");
        return false;
    }
    return true;
}

void egov_hanzi_handle_match(struct egov_req *req)
{
    const char *a = NULL, *b = NULL, *ahex = NULL, *bhex = NULL, *enc_a = NULL, *enc_b = NULL;
    struct egov_json_spec spec[] = {
        {"a", EGOV_JSON_STRING, &a, true, 0, 256},
        {"b", EGOV_JSON_STRING, &b, true, 0, 256},
        {"a_hex", EGOV_JSON_STRING, &ahex, true, 0, MATCH_HEX_MAX},
        {"b_hex", EGOV_JSON_STRING, &bhex, true, 0, MATCH_HEX_MAX},
        {"encoding_a", EGOV_JSON_STRING, &enc_a, true, 1, 40},
        {"encoding_b", EGOV_JSON_STRING, &enc_b, true, 1, 40},
        EGOV_JSON_SPEC_END,
    };
    if (egov_req_parse_json(req, spec) == NULL)
        return;
    const void *ba, *bb;
    size_t la, lb;
    if (!one_name(req, a, ahex, "a", "a_hex", &ba, &la) ||
        !one_name(req, b, bhex, "b", "b_hex", &bb, &lb))
        return;
    /* text in JSON is UTF-8 already: an encoding applies to the hex form only */
    if ((enc_a != NULL && ahex == NULL) || (enc_b != NULL && bhex == NULL)) {
        egov_reply_problem(req, EGOV_EC_GENERIC_PARAMETER_MALFORMED,
                           enc_a != NULL && ahex == NULL ? "encoding_a" : "encoding_b",
                           "an encoding goes with the name's bytes in hex (a_hex, b_hex)");
        return;
    }
    enum egov_ec ec;
    const char *field;
    json_t *res = egov_hanzi_match_names(ba, la, enc_a, bb, lb, enc_b, &ec, &field);
    if (res == NULL) {
        const char *f = field;
        if (f != NULL && strcmp(f, "a") == 0 && ahex != NULL)
            f = "a_hex";
        else if (f != NULL && strcmp(f, "b") == 0 && bhex != NULL)
            f = "b_hex";
        egov_reply_problem(req, ec, f, NULL);
        return;
    }
    egov_reply_json(req, 200, res);
}
