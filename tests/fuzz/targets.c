/*
 * targets.c -- bodies of the core fuzz targets.  Each fuzz_<name>.c wraps
 * one of these in LLVMFuzzerTestOneInput; tests/core/test_fuzz_replay.c
 * includes this file and replays the corpora under the sanitizers.
 *
 * Besides "does not crash", each target checks properties that must hold
 * for every input, and aborts if one does not.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"

/* Copies the input into a NUL-terminated heap string (stops at a NUL). */
static char *fuzz_cstr(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (s == NULL)
        abort();
    memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

/* JSON text -> egov_json_loads, then the spec parser, then dump and reload. */
__attribute__((unused)) static int egov_fuzz_json(const uint8_t *data, size_t size)
{
    struct egov_json_error err;
    json_t *j = egov_json_loads((const char *)data, size, &err);
    if (j == NULL) {
        if (err.ec != EGOV_EC_GENERIC_JSON_INVALID && err.ec != EGOV_EC_GENERIC_OOM)
            abort();
        return 0;
    }
    const char *s = NULL;
    int64_t i = 0;
    bool b = false;
    json_t *o = NULL, *a = NULL, *any = NULL;
    const struct egov_json_spec spec[] = {
        EGOV_JSON_SPEC_OPTIONAL(EGOV_JSON_SPEC_STRING_LEN("s", &s, 1, 8)),
        EGOV_JSON_SPEC_OPTIONAL(EGOV_JSON_SPEC_INT("i", &i, -5, 5)),
        EGOV_JSON_SPEC_OPTIONAL(EGOV_JSON_SPEC_BOOL("b", &b)),
        EGOV_JSON_SPEC_OPTIONAL(EGOV_JSON_SPEC_OBJECT("o", &o)),
        EGOV_JSON_SPEC_OPTIONAL(EGOV_JSON_SPEC_ARRAY("a", &a)),
        EGOV_JSON_SPEC_OPTIONAL(EGOV_JSON_SPEC_ANY("x", &any)),
        EGOV_JSON_SPEC_END,
    };
    if (egov_json_parse_spec(j, spec, &err)) {
        if (s != NULL && (egov_utf8_length(s, strlen(s)) < 1 || egov_utf8_length(s, strlen(s)) > 8))
            abort();
        if (i < -5 || i > 5)
            abort();
    } else if (err.ec == EGOV_EC_NONE) {
        abort();
    }
    char *text = egov_json_dumps(j);
    if (text != NULL) {
        if (!egov_utf8_valid(text, strlen(text), NULL))
            abort();
        json_t *back = egov_json_loads(text, strlen(text), &err);
        if (back == NULL || !json_equal(j, back))
            abort();
        json_decref(back);
    }
    egov_free(text);
    json_decref(j);
    return 0;
}

/* RFC 3339: whatever parses must format and parse back to the same instant. */
__attribute__((unused)) static int egov_fuzz_rfc3339(const uint8_t *data, size_t size)
{
    char *s = fuzz_cstr(data, size);
    int64_t us;
    if (egov_time_parse_rfc3339(s, &us)) {
        char out[32];
        int64_t back;
        egov_time_rfc3339(us, out);
        if (!egov_time_parse_rfc3339(out, &back) ||
            back != us / 1000 * 1000 - (us % 1000 < 0 ? 1000 : 0))
            abort();
    }
    free(s);
    return 0;
}

/* ROC dates: whatever parses is a valid date that formats and parses back. */
__attribute__((unused)) static int egov_fuzz_roc(const uint8_t *data, size_t size)
{
    char *s = fuzz_cstr(data, size);
    int y, m, d;
    if (egov_time_parse_roc_date(s, &y, &m, &d)) {
        char out[64];
        int y2, m2, d2;
        if (y < 1912 || !egov_time_roc_date(y, m, d, out, sizeof(out)))
            abort();
        if (!egov_time_parse_roc_date(out, &y2, &m2, &d2) || y2 != y || m2 != m || d2 != d)
            abort();
    }
    free(s);
    return 0;
}

/* UTF-8: the validator agrees with decoding step by step. */
__attribute__((unused)) static int egov_fuzz_utf8(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    size_t bad = 0;
    bool valid = egov_utf8_valid(s, size, &bad);
    size_t i = 0, count = 0;
    while (i < size) {
        uint32_t cp;
        size_t k = egov_utf8_decode(s + i, size - i, &cp);
        if (k == 0)
            break;
        char enc[4];
        if (egov_utf8_encode(cp, enc) != k || memcmp(enc, s + i, k) != 0)
            abort();
        i += k;
        count++;
    }
    if (valid != (i == size))
        abort();
    if (!valid && bad != i)
        abort();
    if (valid && egov_utf8_length(s, size) != count)
        abort();
    return 0;
}
