/*
 * router.c -- matches a method and a decoded path against the modules'
 * static route tables.  Only this file decides 404 and 405.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "http/http_internal.h"

static const struct {
    const char *name;
    unsigned int bit;
} methods[] = {
    {"GET", EGOV_M_GET},         {"HEAD", EGOV_M_HEAD},     {"POST", EGOV_M_POST},
    {"PUT", EGOV_M_PUT},         {"PATCH", EGOV_M_PATCH},   {"DELETE", EGOV_M_DELETE},
    {"OPTIONS", EGOV_M_OPTIONS},
};

unsigned int egov_http_method_bit(const char *method)
{
    unsigned int bit = 0;
    if (method != NULL) {
        for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++) {
            if (strcmp(method, methods[i].name) == 0) {
                bit = methods[i].bit;
                break;
            }
        }
    }
    return bit;
}

void egov_http_allow_header(unsigned int allowed, char *out, size_t outlen)
{
    size_t used = 0;
    if (outlen == 0)
        return;
    out[0] = '\0';
    if (allowed & EGOV_M_GET)
        allowed |= EGOV_M_HEAD;
    allowed |= EGOV_M_OPTIONS;
    for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++) {
        if (!(allowed & methods[i].bit))
            continue;
        int n = snprintf(out + used, outlen - used, "%s%s", used ? ", " : "", methods[i].name);
        if (n < 0 || (size_t)n >= outlen - used)
            break; /* cannot happen with a sane buffer; keep what fits */
        used += (size_t)n;
    }
}

/* Length of the segment starting at @p s (up to '/' or the end). */
static size_t seg_len(const char *s)
{
    const char *slash = strchr(s, '/');
    return slash ? (size_t)(slash - s) : strlen(s);
}

/*
 * Matches one pattern against the path; fills the parameters of @p m on
 * success.  A prefix pattern ("/static" or "/static/") matches the path
 * itself and everything below it.
 */
static bool pattern_match(const struct egov_route *r, const char *path,
                          struct egov_router_match *m)
{
    const char *p = r->pattern;
    const char *pend = p + strlen(p);
    const char *u = path;
    unsigned int np = 0;
    bool prefix = (r->flags & EGOV_ROUTE_PREFIX) != 0;
    bool ok = false;

    if (prefix && pend > p && pend[-1] == '/')
        pend--;
    while (p < pend) {
        if (*p != '/' || *u != '/')
            goto done;
        p++;
        u++;
        size_t pl = 0;
        while (p + pl < pend && p[pl] != '/')
            pl++;
        size_t ul = seg_len(u);
        if (pl >= 2 && p[0] == '{' && p[pl - 1] == '}') {
            if (ul == 0 || np >= EGOV_HTTP_MAX_PARAMS)
                goto done;
            m->param_names[np] = p + 1;
            m->param_name_lens[np] = pl - 2;
            m->param_values[np] = u;
            m->param_value_lens[np] = ul;
            np++;
        } else if (pl != ul || memcmp(p, u, pl) != 0) {
            goto done;
        }
        p += pl;
        u += ul;
    }
    ok = (*u == '\0') || (prefix && *u == '/');
done:
    if (ok)
        m->nparams = np;
    return ok;
}

/*
 * Cheap pre-filter: true if @p r cannot match because its first segment is
 * a literal that differs from the path's first segment (@p seg, @p seglen).
 * Most routes are rejected here without a full match.
 */
static bool first_segment_differs(const struct egov_route *r, const char *seg, size_t seglen)
{
    const char *p = r->pattern + 1;
    if (r->pattern[0] != '/' || *p == '{')
        return false;
    size_t pl = strcspn(p, "/");
    if (pl == 0)
        return (r->flags & EGOV_ROUTE_PREFIX) == 0 && seglen != 0;
    return pl != seglen || memcmp(p, seg, pl) != 0;
}

static unsigned int count_segments(const char *path)
{
    unsigned int n = 0;
    for (const char *c = path; *c; c++)
        if (*c == '/')
            n++;
    return n;
}

enum egov_router_result egov_router_match(const struct egov_route_table *const *tables,
                                          size_t ntables, const char *path,
                                          unsigned int method_bit, unsigned int max_segments,
                                          struct egov_router_match *m)
{
    enum egov_router_result res = EGOV_ROUTER_NOT_FOUND;
    struct egov_router_match tmp = {0};

    memset(m, 0, sizeof *m);
    if (path == NULL || path[0] != '/') {
        res = EGOV_ROUTER_BAD_PATH;
        goto done;
    }
    if (max_segments != 0 && count_segments(path) > max_segments) {
        res = EGOV_ROUTER_TOO_DEEP;
        goto done;
    }
    const char *seg = path + 1;
    size_t seglen = seg_len(seg);
    /* pass 0: exact patterns; pass 1: prefix patterns */
    for (int pass = 0; pass < 2; pass++) {
        for (size_t t = 0; t < ntables; t++) {
            for (const struct egov_route *r = tables[t]->routes; r->pattern != NULL; r++) {
                bool is_prefix = (r->flags & EGOV_ROUTE_PREFIX) != 0;
                if (is_prefix != (pass == 1) || first_segment_differs(r, seg, seglen))
                    continue;
                tmp.nparams = 0;
                if (!pattern_match(r, path, &tmp))
                    continue;
                unsigned int rm = r->methods;
                if (rm & EGOV_M_GET)
                    rm |= EGOV_M_HEAD;
                m->allowed |= rm;
                if (m->route == NULL && (rm & method_bit)) {
                    unsigned int allowed = m->allowed;
                    *m = tmp;
                    m->allowed = allowed;
                    m->route = r;
                }
            }
        }
        /* a more specific exact route hides prefix routes entirely */
        if (m->allowed != 0)
            break;
    }
    if (m->route != NULL)
        res = EGOV_ROUTER_FOUND;
    else if (m->allowed != 0)
        res = (method_bit == EGOV_M_OPTIONS) ? EGOV_ROUTER_OPTIONS : EGOV_ROUTER_NOT_ALLOWED;
done:
    return res;
}
