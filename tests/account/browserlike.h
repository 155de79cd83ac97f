/*
 * browserlike.h -- a tiny cookie-keeping HTTP client for the account tests:
 * it remembers Set-Cookie values, sends them back, and pulls the CSRF
 * token and other values out of pages.  Header-only (static functions).
 */
#ifndef EGOV_TEST_BROWSERLIKE_H
#define EGOV_TEST_BROWSERLIKE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testlib.h"

#define JAR_MAX 8

struct jar {
    char name[JAR_MAX][32];
    char value[JAR_MAX][256];
    unsigned int n;
};

/* Stores every Set-Cookie of @p r in @p j (Max-Age=0 deletes). */
__attribute__((unused)) static void jar_update(struct jar *j, const struct egov_test_response *r)
{
    const char *h = r->headers;
    while (h != NULL && (h = strcasestr(h, "\nSet-Cookie: ")) != NULL) {
        h += 13;
        char name[32] = "", value[256] = "";
        size_t nl = strcspn(h, "=");
        if (nl >= sizeof name)
            continue;
        memcpy(name, h, nl);
        const char *v = h + nl + 1;
        size_t vl = strcspn(v, ";\r\n");
        if (vl >= sizeof value)
            continue;
        memcpy(value, v, vl);
        bool del = strstr(v, "Max-Age=0") != NULL && strstr(v, "Max-Age=0") < strchr(v, '\n');
        unsigned int i;
        for (i = 0; i < j->n; i++)
            if (strcmp(j->name[i], name) == 0)
                break;
        if (i == j->n) {
            if (j->n == JAR_MAX)
                continue;
            j->n++;
        }
        snprintf(j->name[i], sizeof j->name[i], "%s", name);
        snprintf(j->value[i], sizeof j->value[i], "%s", del ? "" : value);
    }
}

__attribute__((unused)) static const char *jar_get(const struct jar *j, const char *name)
{
    for (unsigned int i = 0; i < j->n; i++)
        if (strcmp(j->name[i], name) == 0 && j->value[i][0] != '\0')
            return j->value[i];
    return NULL;
}

__attribute__((unused)) static void jar_set(struct jar *j, const char *name, const char *value)
{
    unsigned int i;
    for (i = 0; i < j->n; i++)
        if (strcmp(j->name[i], name) == 0)
            break;
    if (i == j->n && j->n < JAR_MAX)
        j->n++;
    if (i < JAR_MAX) {
        snprintf(j->name[i], sizeof j->name[i], "%s", name);
        snprintf(j->value[i], sizeof j->value[i], "%s", value);
    }
}

/* One request with the jar's cookies; HTML unless @p accept says otherwise. */
__attribute__((unused)) static long jar_req(struct jar *j, const struct egov_test_server *srv,
                                            const char *method, const char *path, const char *form,
                                            struct egov_test_response *out)
{
    char cookie[2048] = "Cookie: ";
    for (unsigned int i = 0; i < j->n; i++) {
        if (j->value[i][0] == '\0')
            continue;
        size_t l = strlen(cookie);
        snprintf(cookie + l, sizeof cookie - l, "%s%s=%s", l > 8 ? "; " : "", j->name[i],
                 j->value[i]);
    }
    const char *hdrs[] = {cookie, "Accept: text/html",
                          form != NULL ? "Content-Type: application/x-www-form-urlencoded" : NULL,
                          NULL};
    memset(out, 0, sizeof *out);
    if (!egov_test_http(srv, method, path, hdrs, form, form != NULL ? strlen(form) : 0, out))
        return -1;
    jar_update(j, out);
    return out->status;
}

/* Same as jar_req() and frees the response; returns the status. */
__attribute__((unused)) static long jar_status(struct jar *j, const struct egov_test_server *srv,
                                               const char *method, const char *path,
                                               const char *form)
{
    struct egov_test_response r;
    long s = jar_req(j, srv, method, path, form, &r);
    egov_test_response_free(&r);
    return s;
}

/* Copies the value="..." following @p marker in @p html into @p out. */
__attribute__((unused)) static bool html_value_after(const char *html, const char *marker,
                                                     char *out, size_t outlen)
{
    const char *p = html != NULL ? strstr(html, marker) : NULL;
    if (p == NULL || (p = strstr(p, "value=\"")) == NULL)
        return false;
    p += 7;
    size_t n = strcspn(p, "\"");
    if (n >= outlen)
        return false;
    memcpy(out, p, n);
    out[n] = '\0';
    return true;
}

/* GETs @p path and returns its CSRF token in @p tok (44 bytes). */
__attribute__((unused)) static bool jar_csrf(struct jar *j, const struct egov_test_server *srv,
                                             const char *path, char tok[64])
{
    struct egov_test_response r;
    long s = jar_req(j, srv, "GET", path, NULL, &r);
    bool ok = s == 200 && html_value_after(r.body, "name=\"csrf_token\"", tok, 64);
    egov_test_response_free(&r);
    return ok;
}

#endif /* EGOV_TEST_BROWSERLIKE_H */
