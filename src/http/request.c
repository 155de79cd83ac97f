/*
 * request.c -- what a handler reads from its request: parameters, query,
 * headers, cookies, the JSON body checked against a spec; and the
 * negotiation helpers the dispatcher uses (request id, representation,
 * encodings).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http/http_internal.h"

const char *egov_req_param(const struct egov_req *req, const char *name)
{
    const char *v = NULL;
    for (unsigned int i = 0; i < req->nparams && i < EGOV_HTTP_MAX_PARAMS; i++) {
        if (req->param_names[i] != NULL && strcmp(req->param_names[i], name) == 0) {
            v = req->param_values[i];
            break;
        }
    }
    return v;
}

static const char *lookup(const struct egov_req *req, enum MHD_ValueKind kind, const char *name)
{
    if (req->mhd_connection == NULL || name == NULL)
        return NULL;
    return MHD_lookup_connection_value(req->mhd_connection, kind, name);
}

const char *egov_req_query(const struct egov_req *req, const char *name)
{
    return lookup(req, MHD_GET_ARGUMENT_KIND, name);
}

const char *egov_req_header(const struct egov_req *req, const char *name)
{
    return lookup(req, MHD_HEADER_KIND, name);
}

const char *egov_req_cookie(const struct egov_req *req, const char *name)
{
    return lookup(req, MHD_COOKIE_KIND, name);
}

struct egov_db *egov_req_db(const struct egov_req *req)
{
    return req->server ? req->server->opt.db : NULL;
}

bool egov_http_request_id_valid(const char *s)
{
    size_t n = 0;
    bool ok = s != NULL;
    for (; ok && s[n] != '\0'; n++) {
        unsigned char c = (unsigned char)s[n];
        if (c <= 0x20 || c >= 0x7f || n >= 128)
            ok = false;
    }
    return ok && n >= 1 && n <= 128;
}

/*
 * Walks a comma-separated list of "token;q=0.8" items, calling @p fn with
 * each token (trimmed, not terminated) and its quality in thousandths.
 */
typedef void (*item_fn)(const char *tok, size_t len, int q, void *cls);

static void walk_list(const char *list, item_fn fn, void *cls)
{
    const char *p = list;
    while (p != NULL && *p != '\0') {
        const char *end = strchr(p, ',');
        const char *stop = end ? end : p + strlen(p);
        while (p < stop && (*p == ' ' || *p == '\t'))
            p++;
        size_t tl = 0;
        while (p + tl < stop && p[tl] != ';' && p[tl] != ' ' && p[tl] != '\t')
            tl++;
        int q = 1000;
        const char *par = memchr(p, ';', (size_t)(stop - p));
        while (par != NULL && par < stop) {
            par++;
            while (par < stop && (*par == ' ' || *par == '\t'))
                par++;
            if (stop - par >= 2 && (par[0] == 'q' || par[0] == 'Q') && par[1] == '=') {
                /* qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ) */
                const char *v = par + 2;
                int whole = (v < stop && *v == '1') ? 1000 : 0;
                int frac = 0, scale = 100;
                if (v < stop && (*v == '0' || *v == '1'))
                    v++;
                else
                    whole = 0;
                if (v < stop && *v == '.') {
                    v++;
                    while (v < stop && isdigit((unsigned char)*v) && scale > 0) {
                        frac += (*v - '0') * scale;
                        scale /= 10;
                        v++;
                    }
                }
                q = whole ? 1000 : frac;
            }
            par = memchr(par, ';', (size_t)(stop - par));
        }
        if (tl > 0)
            fn(p, tl, q, cls);
        p = end ? end + 1 : NULL;
    }
}

struct repr_q {
    int html;      /* explicit text/html or application/xhtml+xml */
    int json;      /* explicit application/json */
    int wildcard;  /* application/... or star/star */
};

static bool tok_is(const char *tok, size_t len, const char *lit)
{
    return len == strlen(lit) && strncasecmp(tok, lit, len) == 0;
}

static void repr_item(const char *tok, size_t len, int q, void *cls)
{
    struct repr_q *r = cls;
    if (tok_is(tok, len, "text/html") || tok_is(tok, len, "application/xhtml+xml")) {
        if (q > r->html)
            r->html = q;
    } else if (tok_is(tok, len, "application/json") ||
               tok_is(tok, len, "application/problem+json")) {
        if (q > r->json)
            r->json = q;
    } else if (tok_is(tok, len, "*/*") || tok_is(tok, len, "application/*")) {
        if (q > r->wildcard)
            r->wildcard = q;
    }
}

enum egov_http_repr egov_http_negotiate_repr(const char *accept)
{
    struct repr_q r = {-1, -1, -1};
    if (accept == NULL)
        return EGOV_REPR_JSON;
    walk_list(accept, repr_item, &r);
    int json = r.json >= 0 ? r.json : r.wildcard;
    /* HTML only when the client names it and prefers it strictly */
    return (r.html > 0 && r.html > json) ? EGOV_REPR_HTML : EGOV_REPR_JSON;
}

struct gzip_q {
    int gzip;
    int star;
};

static void gzip_item(const char *tok, size_t len, int q, void *cls)
{
    struct gzip_q *g = cls;
    if (tok_is(tok, len, "gzip") || tok_is(tok, len, "x-gzip"))
        g->gzip = q;
    else if (tok_is(tok, len, "*"))
        g->star = q;
}

bool egov_http_accepts_gzip(const char *ae)
{
    struct gzip_q g = {-1, -1};
    if (ae == NULL)
        return false;
    walk_list(ae, gzip_item, &g);
    int q = g.gzip >= 0 ? g.gzip : g.star;
    return q > 0;
}

/* True if the media type of Content-Type @p ct is JSON (and the charset, if any, UTF-8). */
static bool content_type_is_json(const char *ct)
{
    bool ok = false;
    if (ct == NULL)
        goto done;
    while (*ct == ' ')
        ct++;
    size_t n = strcspn(ct, "; \t");
    if (tok_is(ct, n, "application/json"))
        ok = true;
    else if (n > 5 && strncasecmp(ct + n - 5, "+json", 5) == 0 &&
             strncasecmp(ct, "application/", 12) == 0)
        ok = true;
    const char *cs = strcasestr(ct + n, "charset=");
    if (ok && cs != NULL) {
        cs += 8;
        if (*cs == '"')
            cs++;
        if (strncasecmp(cs, "utf-8", 5) != 0 && strncasecmp(cs, "utf8", 4) != 0)
            ok = false;
    }
done:
    return ok;
}

bool egov_http_content_type_is_json(const char *ct)
{
    return content_type_is_json(ct);
}

static void decref_cleanup(void *p)
{
    json_decref(p);
}

json_t *egov_req_parse_json(struct egov_req *req, const struct egov_json_spec *spec)
{
    json_t *root = NULL;
    json_error_t jerr;
    size_t bad = 0;
    const char *body = req->body ? req->body : "";

    if (!content_type_is_json(egov_req_header(req, MHD_HTTP_HEADER_CONTENT_TYPE))) {
        egov_reply_problem(req, EGOV_EC_GENERIC_UNSUPPORTED_MEDIA_TYPE, "Content-Type",
                           "Send the body as application/json.");
        goto fail;
    }
    if (!egov_utf8_valid(body, req->body_len, &bad)) {
        char *d = egov_arena_printf(req->arena, "Invalid UTF-8 at byte %zu.", bad);
        egov_reply_problem(req, EGOV_EC_GENERIC_UTF8_INVALID, NULL, d);
        goto fail;
    }
    root = json_loadb(body, req->body_len, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL) {
        char *d = egov_arena_printf(req->arena, "line %d, column %d, position %d: %s", jerr.line,
                                    jerr.column, jerr.position, jerr.text);
        egov_reply_problem(req, EGOV_EC_GENERIC_JSON_INVALID, NULL, d);
        goto fail;
    }
    if (!egov_arena_add_cleanup(req->arena, decref_cleanup, root)) {
        root = NULL; /* already released by the failed registration */
        egov_reply_problem(req, EGOV_EC_GENERIC_OOM, NULL, NULL);
        goto fail;
    }
    if (spec != NULL) {
        struct egov_json_error err;
        memset(&err, 0, sizeof err);
        if (!json_is_object(root)) {
            egov_reply_problem(req, EGOV_EC_GENERIC_BAD_REQUEST, NULL,
                               "The body must be a JSON object.");
            goto fail;
        }
        if (!egov_json_parse_spec(root, spec, &err)) {
            enum egov_ec ec = err.ec != EGOV_EC_NONE ? err.ec : EGOV_EC_GENERIC_PARAMETER_MALFORMED;
            egov_reply_problem(req, ec, err.field, err.detail[0] ? err.detail : NULL);
            goto fail;
        }
    }
    return root;
fail:
    return NULL;
}
