/*
 * lookup_query.h -- internal: the query string of the lookup API and page.
 */
#ifndef EGOV_HANZI_LOOKUP_QUERY_H
#define EGOV_HANZI_LOOKUP_QUERY_H

#include "hanzi/hanzi.h"

/**
 * Fills @p q from the query arguments zhuyin, radical (number or
 * character), residual, strokes, offset and limit of @p req (strings
 * borrowed from the request).  Empty arguments count as absent.  Returns
 * false with the offending argument in @p field and an English detail if
 * one is malformed or out of range.
 */
bool hz_lookup_query_from_request(struct egov_req *req, struct egov_hanzi_lookup_query *q,
                                  const char **field, char *detail, size_t detaillen);

#endif /* EGOV_HANZI_LOOKUP_QUERY_H */
