/*
 * match.c -- are two names, typed at different agencies, possibly in
 * different encodings and with variant characters, the same person's
 * name?  And why.
 *   POST /api/hanzi/match {"a"|"a_hex", "b"|"b_hex", "encoding_a"?, "encoding_b"?}
 */
#include <string.h>
#include <strings.h>

#include <unicode/uchar.h>

#include "hanzi/props_internal.h"

#define MATCH_NAME_MAX 256 /* code points */

static bool is_separator(uint32_t cp)
{
    return cp == 0x00B7 || cp == 0x0387 || cp == 0x2022 || cp == 0x2027 || cp == 0x2219 ||
           cp == 0x22C5 || cp == 0x30FB || cp == 0xFF65 || u_isUWhiteSpace((UChar32)cp);
}

/* Decodes one name to UTF-8 into @p out; false with ec/field on failure. */
static bool decode_name(const void *in, size_t len, const char *enc, struct egov_buf *out,
                        enum egov_ec *ec)
{
    if (enc == NULL || strcasecmp(enc, "utf-8") == 0 || strcasecmp(enc, "utf8") == 0) {
        if (!egov_utf8_valid(in, len, NULL)) {
            *ec = EGOV_EC_GENERIC_UTF8_INVALID;
            return false;
        }
        egov_buf_append(out, in, len);
    } else {
        const struct egov_hanzi_encoding *from = egov_hanzi_encoding_by_name(enc);
        const struct egov_hanzi_encoding *to = egov_hanzi_encoding_by_name("utf-8");
        if (from == NULL || to == NULL) {
            *ec = EGOV_EC_HANZI_ENCODING_UNKNOWN;
            return false;
        }
        struct egov_hanzi_error err;
        memset(&err, 0, sizeof(err));
        if (!egov_hanzi_convert(from, to, EGOV_HANZI_STRICT, in, len, out, &err)) {
            *ec = err.ec != EGOV_EC_NONE ? err.ec : EGOV_EC_HANZI_INVALID_SEQUENCE;
            return false;
        }
    }
    if (out->oom) {
        *ec = EGOV_EC_GENERIC_OOM;
        return false;
    }
    return true;
}

/* Code points of a name without separators and white space. */
static uint32_t *name_cps(const char *s, size_t n, size_t *count)
{
    uint32_t *cps = hz_utf8_to_cps(s, n, count);
    if (cps == NULL)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < *count; i++)
        if (!is_separator(cps[i]))
            cps[o++] = cps[i];
    *count = o;
    return cps;
}

static json_t *char_json(uint32_t cp)
{
    char t[5] = {0};
    egov_utf8_encode(cp, t);
    return json_string(t);
}

static json_t *compare(const char *a, size_t alen, const char *b, size_t blen)
{
    size_t na = 0, nb = 0;
    uint32_t *ca = name_cps(a, alen, &na), *cb = name_cps(b, blen, &nb);
    json_t *details = json_array(), *res = NULL;
    const char *reason;
    bool match;
    if (ca == NULL || cb == NULL || details == NULL)
        goto done;
    if (na != nb) {
        /* NFKC may expand a character (㈱ -> (株)): compare the search keys */
        char *ka = egov_hanzi_search_key(a, alen), *kb = egov_hanzi_search_key(b, blen);
        bool same = ka != NULL && kb != NULL && strcmp(ka, kb) == 0;
        egov_free(ka);
        egov_free(kb);
        match = same;
        reason = same ? "compatibility" : "length";
    } else {
        enum egov_hanzi_relation worst = EGOV_HANZI_REL_SAME;
        for (size_t i = 0; i < na; i++) {
            enum egov_hanzi_relation rel = egov_hanzi_relation(ca[i], cb[i]);
            if (rel == EGOV_HANZI_REL_SAME)
                continue;
            if (rel > worst)
                worst = rel;
            json_t *d =
                json_pack("{s:I, s:o, s:o, s:s}", "pos", (json_int_t)i, "a", char_json(ca[i]), "b",
                          char_json(cb[i]), "relation", egov_hanzi_relation_name(rel));
            if (d == NULL || json_array_append_new(details, d) != 0)
                goto done;
        }
        match = worst != EGOV_HANZI_REL_DIFFERENT;
        if (worst == EGOV_HANZI_REL_DIFFERENT)
            reason = "different";
        else if (worst >= EGOV_HANZI_REL_ZVARIANT)
            reason = "variant";
        else if (worst == EGOV_HANZI_REL_COMPAT || alen != blen || memcmp(a, b, alen) != 0)
            reason = "compatibility"; /* width, case or separators */
        else
            reason = "identical";
    }
    res = json_pack("{s:b, s:s, s:s%, s:s%, s:O}", "match", match, "reason", reason, "a", a, alen,
                    "b", b, blen, "details", details);
done:
    json_decref(details);
    egov_free(ca);
    egov_free(cb);
    return res;
}

json_t *egov_hanzi_match_names(const void *a, size_t alen, const char *enc_a, const void *b,
                               size_t blen, const char *enc_b, enum egov_ec *ec, const char **field)
{
    struct egov_buf ua, ub;
    json_t *res = NULL;
    egov_buf_init(&ua);
    egov_buf_init(&ub);
    *ec = EGOV_EC_NONE;
    *field = NULL;
    if (!decode_name(a, alen, enc_a, &ua, ec)) {
        *field = *ec == EGOV_EC_HANZI_ENCODING_UNKNOWN ? "encoding_a" : "a";
        goto done;
    }
    if (!decode_name(b, blen, enc_b, &ub, ec)) {
        *field = *ec == EGOV_EC_HANZI_ENCODING_UNKNOWN ? "encoding_b" : "b";
        goto done;
    }
    if (egov_utf8_length(ua.data != NULL ? ua.data : "", ua.len) > MATCH_NAME_MAX ||
        egov_utf8_length(ub.data != NULL ? ub.data : "", ub.len) > MATCH_NAME_MAX) {
        *ec = EGOV_EC_GENERIC_PARAMETER_MALFORMED;
        *field = ua.len > ub.len ? "a" : "b";
        goto done;
    }
    res = compare(ua.data != NULL ? ua.data : "", ua.len, ub.data != NULL ? ub.data : "", ub.len);
    if (res == NULL)
        *ec = EGOV_EC_GENERIC_OOM;
    else if (enc_a != NULL || enc_b != NULL)
        json_object_set_new(res, "decoded", json_true());
done:
    egov_buf_free(&ua);
    egov_buf_free(&ub);
    return res;
}
