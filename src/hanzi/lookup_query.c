/*
 * lookup_query.c -- parses the lookup query string (API and page).
 */
#include <stdio.h>
#include <string.h>

#include "hanzi/lookup_query.h"

/* A decimal in [lo, hi]; false if not all digits or out of range. */
static bool parse_uint(const char *s, unsigned long lo, unsigned long hi, unsigned long *out)
{
    unsigned long v = 0;
    if (s == NULL || *s == '\0')
        return false;
    for (const char *p = s; *p != '\0'; p++) {
        if (*p < '0' || *p > '9')
            return false;
        v = v * 10 + (unsigned long)(*p - '0');
        if (v > hi)
            return false;
    }
    if (v < lo)
        return false;
    *out = v;
    return true;
}

static const char *arg(struct egov_req *req, const char *name)
{
    const char *v = egov_req_query(req, name);
    return v != NULL && *v != '\0' ? v : NULL;
}

bool hz_lookup_query_from_request(struct egov_req *req, struct egov_hanzi_lookup_query *q,
                                  const char **field, char *detail, size_t detaillen)
{
    unsigned long v;
    const char *s;
    memset(q, 0, sizeof(*q));
    q->residual = -1;
    q->zhuyin = arg(req, "zhuyin");
    if (q->zhuyin != NULL && strlen(q->zhuyin) > 64) {
        *field = "zhuyin";
        snprintf(detail, detaillen, "expected one 注音 syllable such as ㄊㄞˊ");
        return false;
    }
    if ((s = arg(req, "radical")) != NULL && (q->radical = egov_hanzi_radical_parse(s)) == 0) {
        *field = "radical";
        snprintf(detail, detaillen, "expected a radical number 1..214 or a radical such as 水");
        return false;
    }
    if ((s = arg(req, "residual")) != NULL) {
        if (!parse_uint(s, 0, 99, &v)) {
            *field = "residual";
            snprintf(detail, detaillen, "expected a number of strokes 0..99");
            return false;
        }
        q->residual = (int)v;
    }
    if ((s = arg(req, "strokes")) != NULL) {
        if (!parse_uint(s, 1, 99, &v)) {
            *field = "strokes";
            snprintf(detail, detaillen, "expected a number of strokes 1..99");
            return false;
        }
        q->strokes = (unsigned int)v;
    }
    if ((s = arg(req, "offset")) != NULL) {
        if (!parse_uint(s, 0, 1000000, &v)) {
            *field = "offset";
            snprintf(detail, detaillen, "expected a number 0..1000000");
            return false;
        }
        q->offset = v;
    }
    if ((s = arg(req, "limit")) != NULL) {
        if (!parse_uint(s, 1, 500, &v)) {
            *field = "limit";
            snprintf(detail, detaillen, "expected a number 1..500");
            return false;
        }
        q->limit = v;
    }
    return true;
}
