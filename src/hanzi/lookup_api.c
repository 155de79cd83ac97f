/*
 * lookup_api.c -- GET /api/hanzi/lookup: rare-character candidates by
 * 注音, radical (+ residual strokes) or total strokes.
 */
#include <string.h>

#include "hanzi/props_internal.h"
#include "hanzi/lookup_query.h"

void egov_hanzi_handle_lookup(struct egov_req *req)
{
    struct egov_hanzi_lookup_query q;
    const char *field = NULL;
    char detail[160];
    if (!hz_lookup_query_from_request(req, &q, &field, detail, sizeof(detail))) {
        egov_reply_problem(req, EGOV_EC_GENERIC_PARAMETER_MALFORMED, field, detail);
        return;
    }
    enum egov_ec ec;
    json_t *res = egov_hanzi_lookup(&q, &ec, &field);
    if (res == NULL) {
        egov_reply_problem(req, ec, field,
                           ec == EGOV_EC_GENERIC_PARAMETER_MISSING
                               ? (strcmp(field, "radical") == 0 ? "residual strokes need a radical"
                                                                : "give zhuyin, radical or strokes")
                           : ec == EGOV_EC_GENERIC_PARAMETER_MALFORMED
                               ? (strcmp(field, "zhuyin") == 0
                                      ? "expected one 注音 syllable such as ㄊㄞˊ"
                                      : "value out of range")
                               : NULL);
        return;
    }
    egov_reply_json(req, 200, res);
}
