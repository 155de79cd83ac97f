/*
 * portal.h -- the portal module: HTML views for people (the one-window
 * home page).  Its pages are rendered by the http layer from the same JSON
 * objects that API clients receive.
 *
 * Depends on account, directory, http and below.
 */
#ifndef EGOV_PORTAL_H
#define EGOV_PORTAL_H

#include <jansson.h>

#include "http/http.h"

/** Longest search text accepted by the home page (bytes). */
#define EGOV_PORTAL_MAX_QUERY 200

/**
 * The portal's routes: GET / (the home page listing every service area;
 * ?q= filters by text, ?audience=citizen|business|civil-servant by
 * audience); GET /me/reads and GET /api/directory/me/reads (who read the
 * signed-in person's directory records, egov_portal_my_reads()).
 * Browsers get the templates, API clients the JSON.
 */
extern const struct egov_route_table egov_portal_routes;

/**
 * Builds the home page object: {"audiences": [...], "services": [...],
 * "count", "query", "audience"}.  Texts are English msgids; @p lang is
 * used only to match @p query against translated texts too.  @p query and
 * @p audience may be NULL (no filter).  Returns a new reference (caller
 * decrefs) or NULL on out of memory.
 */
json_t *egov_portal_home_data(const char *lang, const char *query, const char *audience);

/**
 * Handler of GET /me/reads and GET /api/directory/me/reads: the reads of
 * the signed-in person's citizen/resident record and staff memberships
 * that the directory audited, newest first ({"items":[...],"count"};
 * ?limit=1..1000, default 100).  Needs a session (401, or a redirect to
 * the login page for browsers).
 */
void egov_portal_my_reads(struct egov_req *req);

#endif /* EGOV_PORTAL_H */
