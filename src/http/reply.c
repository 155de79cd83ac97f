/*
 * reply.c -- building responses: JSON, views rendered through the layout
 * for browsers, problem details, raw bytes, redirects, headers and
 * cookies.  Every response gets the security headers here.  Memory handed
 * to libmicrohttpd comes from malloc, never from the request arena.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/http_internal.h"

static const char csp[] = "default-src 'self'; script-src 'self'; style-src 'self'; "
                          "img-src 'self' data:; object-src 'none'; base-uri 'none'; "
                          "form-action 'self'; frame-ancestors 'none'";

void egov_http_security_headers(struct MHD_Response *r, const struct egov_server *s,
                                bool cacheable)
{
    MHD_add_response_header(r, "Content-Security-Policy", csp);
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(r, "X-Frame-Options", "DENY");
    MHD_add_response_header(r, "Cross-Origin-Opener-Policy", "same-origin");
    MHD_add_response_header(r, "Cross-Origin-Resource-Policy", "same-origin");
    MHD_add_response_header(r, "Permissions-Policy",
                            "camera=(self), microphone=(self), geolocation=(), payment=(), "
                            "usb=(), interest-cohort=()");
    if (!cacheable)
        MHD_add_response_header(r, "Cache-Control", "no-store");
    if (s != NULL && s->opt.cookie_secure)
        MHD_add_response_header(r, "Strict-Transport-Security",
                                "max-age=31536000; includeSubDomains");
}

static struct egov_http_ctx *ctx_of(struct egov_req *req)
{
    return (struct egov_http_ctx *)req;
}

size_t egov_http_reply_size(const struct egov_req *req)
{
    return ((const struct egov_http_ctx *)req)->reply_size;
}

static void free_cb(void *p)
{
    free(p);
}

void egov_http_reply_buffer(struct egov_req *req, unsigned int status, const char *content_type,
                            char *data, size_t len, unsigned int flags)
{
    struct egov_http_ctx *ctx = ctx_of(req);
    struct MHD_Response *r = NULL;
    bool cacheable = (flags & EGOV_HTTP_REPLY_CACHEABLE) != 0;
    bool borrowed = (flags & EGOV_HTTP_REPLY_BORROWED) != 0;

    if (req->replied) {
        EGOV_BUG("second reply to %s %s (status %u)", req->method, req->path, status);
        if (!borrowed)
            free(data);
        goto done;
    }
    if (data == NULL)
        r = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    else if (borrowed)
        r = MHD_create_response_from_buffer(len, data, MHD_RESPMEM_PERSISTENT);
    else
        r = MHD_create_response_from_buffer_with_free_callback(len, data, free_cb);
    if (r == NULL) {
        if (!borrowed)
            free(data);
        /* the dispatcher sees replied without a response and sends its fallback 500 */
        req->status = 500;
        req->replied = true;
        goto done;
    }
    egov_http_security_headers(r, req->server, cacheable);
    if (content_type != NULL)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
    if (req->request_id != NULL)
        MHD_add_response_header(r, "X-Request-Id", req->request_id);
    if (!cacheable && status != 304)
        MHD_add_response_header(r, MHD_HTTP_HEADER_VARY, "Accept, Accept-Language, Cookie");
    for (struct egov_http_hdr *h = ctx->pending; h != NULL; h = h->next)
        MHD_add_response_header(r, h->name, h->value);
    ctx->pending = NULL;
    ctx->reply_size = data ? len : 0;
    req->response = r;
    req->status = status;
    req->replied = true;
done:
    return;
}

void egov_reply_bytes(struct egov_req *req, unsigned int status, const char *content_type,
                      const void *data, size_t len)
{
    char *copy = NULL;
    if (len > 0) {
        copy = malloc(len);
        if (copy == NULL) {
            egov_reply_problem(req, EGOV_EC_GENERIC_OOM, NULL, NULL);
            return;
        }
        memcpy(copy, data, len);
    }
    egov_http_reply_buffer(req, status, content_type, copy, len, 0);
}

void egov_reply_json(struct egov_req *req, unsigned int status, json_t *body)
{
    char *text = NULL;
    if (body != NULL)
        text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    if (text == NULL) {
        EGOV_BUG("cannot serialise the JSON reply");
        egov_reply_problem(req, EGOV_EC_GENERIC_INTERNAL, NULL, NULL);
        return;
    }
    egov_http_reply_buffer(req, status, "application/json", text, strlen(text), 0);
}

static const char *html_lang(const char *lang)
{
    return (lang != NULL && strcmp(lang, "zh-TW") == 0) ? "zh-Hant-TW" : "en";
}

static const char *req_lang(const struct egov_req *req)
{
    return req->lang ? req->lang : "en";
}

static _Atomic(egov_http_viewer_fn) viewer_fn;

void egov_http_set_viewer(egov_http_viewer_fn fn)
{
    viewer_fn = fn;
}

/*
 * Renders page @p tmpl with @p data, then "layout" around it, into @p out.
 * False if either template is missing or broken (out then holds junk).
 */
static bool render_page(struct egov_req *req, const char *tmpl, const char *title,
                        const json_t *data, struct egov_buf *out)
{
    struct egov_buf content;
    json_t *ld = NULL;
    bool ok = false;
    const char *datadir = req->server ? req->server->datadir : NULL;

    egov_buf_init(&content);
    if (datadir == NULL || datadir[0] == '\0')
        goto done;
    if (!egov_tmpl_render(datadir, tmpl, data, req_lang(req), &content) || content.oom)
        goto done;
    bool zh = strcmp(req_lang(req), "zh-TW") == 0;
    ld = json_pack("{s:s, s:s, s:s, s:s%, s:s, s:s, s:s, s:s}", "lang", req_lang(req),
                   "html_lang", html_lang(req_lang(req)), "title", title ? title : "", "content",
                   content.data ? content.data : "", content.len, "path",
                   req->path ? req->path : "/", "request_id",
                   req->request_id ? req->request_id : "", "other_lang", zh ? "en" : "zh-TW",
                   "other_lang_label", zh ? "English" : "\u4e2d\u6587");
    if (ld == NULL)
        goto done;
    if (data != NULL && json_is_object(data))
        json_object_set(ld, "data", (json_t *)data);
    egov_http_viewer_fn vf = viewer_fn;
    char who[256];
    /* error pages do not ask: the database may be why there is an error */
    if (vf != NULL && strcmp(tmpl, "error") != 0 && vf(req, who, sizeof who))
        json_object_set_new(ld, "viewer", json_pack("{s:s}", "name", who));
    if (!egov_tmpl_render(datadir, "layout", ld, req_lang(req), out) || out->oom)
        goto done;
    ok = true;
done:
    json_decref(ld);
    egov_buf_free(&content);
    return ok;
}

static void send_html(struct egov_req *req, unsigned int status, struct egov_buf *b)
{
    size_t len = b->len;
    char *text = egov_buf_steal(b);
    if (text == NULL) {
        egov_http_reply_buffer(req, 500, "text/plain; charset=utf-8", NULL, 0, 0);
        return;
    }
    egov_http_reply_buffer(req, status, "text/html; charset=utf-8", text, len, 0);
}

/* The page used when the error template cannot be rendered. */
static void builtin_error_page(struct egov_req *req, unsigned int status, const char *title,
                               const char *detail, const char *name, unsigned int code,
                               const char *field, struct egov_buf *b)
{
    egov_buf_reset(b);
    egov_buf_printf(b, "<!DOCTYPE html>\n<html lang=\"%s\"><head><meta charset=\"utf-8\">"
                       "<title>%u ", html_lang(req_lang(req)), status);
    egov_buf_html_escape(b, title, strlen(title));
    egov_buf_printf(b, "</title></head><body><main><h1>%u ", status);
    egov_buf_html_escape(b, title, strlen(title));
    egov_buf_puts(b, "</h1><p>");
    egov_buf_html_escape(b, detail, strlen(detail));
    egov_buf_puts(b, "</p>");
    if (field != NULL) {
        egov_buf_puts(b, "<p><code>");
        egov_buf_html_escape(b, field, strlen(field));
        egov_buf_puts(b, "</code></p>");
    }
    egov_buf_printf(b, "<p><small>%s (%u)", name, code);
    if (req->request_id != NULL) {
        egov_buf_puts(b, " &middot; ");
        egov_buf_html_escape(b, req->request_id, strlen(req->request_id));
    }
    egov_buf_puts(b, "</small></p></main></body></html>\n");
}

void egov_reply_view(struct egov_req *req, unsigned int status, const char *tmpl,
                     const char *title_msgid, json_t *data)
{
    struct egov_buf out;
    egov_buf_init(&out);
    if (req->repr != EGOV_REPR_HTML || tmpl == NULL) {
        egov_reply_json(req, status, data); /* steals data */
        return;
    }
    /* the layout translates the title itself ({{_ $title}}) */
    if (!render_page(req, tmpl, title_msgid ? title_msgid : "", data, &out)) {
        EGOV_BUG("cannot render template %s", tmpl);
        egov_reply_problem(req, EGOV_EC_GENERIC_INTERNAL, NULL, NULL);
        goto done;
    }
    send_html(req, status, &out);
done:
    json_decref(data);
    egov_buf_free(&out);
}

/* "urn:egov:error:GENERIC_NOT_FOUND": stable, and it names the registry entry. */
#define PROBLEM_TYPE_PREFIX "urn:egov:error:"

void egov_reply_problem(struct egov_req *req, enum egov_ec ec, const char *field,
                        const char *detail)
{
    unsigned int status = egov_ec_http_status(ec);
    const char *name = egov_ec_name(ec);
    const char *title = egov_i18n_gettext(req_lang(req), egov_ec_hint(ec));
    const char *det = detail ? detail : title;
    json_t *p = NULL;
    struct egov_buf out;
    /* a path that is not UTF-8 cannot go into JSON (json_pack would fail) */
    const char *instance = req->path ? req->path : "/";
    if (!egov_utf8_valid(instance, strlen(instance), NULL))
        instance = "/";

    egov_buf_init(&out);
    p = json_pack("{s:s+, s:s, s:I, s:s, s:I, s:s, s:s}", "type", PROBLEM_TYPE_PREFIX, name,
                  "title", title, "status", (json_int_t)status, "detail", det, "code",
                  (json_int_t)ec, "name", name, "instance", instance);
    if (p == NULL)
        goto oom;
    if (field != NULL)
        json_object_set_new(p, "field", json_string(field));
    if (req->request_id != NULL)
        json_object_set_new(p, "request_id", json_string(req->request_id));
    if (req->repr == EGOV_REPR_HTML) {
        /* templates translate msgids themselves: hand them the English hint */
        json_t *h = json_deep_copy(p);
        bool rendered = false;
        if (h != NULL) {
            json_object_set_new(h, "title", json_string(egov_ec_hint(ec)));
            /* without a detail of its own the page shows the hint once, as its title */
            if (detail == NULL)
                json_object_del(h, "detail");
            rendered = render_page(req, "error", egov_ec_hint(ec), h, &out);
            json_decref(h);
        }
        if (!rendered) {
            builtin_error_page(req, status, title, det, name, (unsigned int)ec, field, &out);
        }
        send_html(req, status, &out);
    } else {
        char *text = json_dumps(p, JSON_COMPACT);
        if (text == NULL)
            goto oom;
        egov_http_reply_buffer(req, status, "application/problem+json", text, strlen(text), 0);
    }
    goto done;
oom:
    egov_http_reply_buffer(req, 503, "text/plain; charset=utf-8", NULL, 0, 0);
done:
    json_decref(p);
    egov_buf_free(&out);
}

void egov_reply_redirect(struct egov_req *req, const char *location)
{
    if (location == NULL || strpbrk(location, "\r\n") != NULL) {
        EGOV_BUG("bad redirect target");
        egov_reply_problem(req, EGOV_EC_GENERIC_INTERNAL, NULL, NULL);
        return;
    }
    egov_reply_header(req, MHD_HTTP_HEADER_LOCATION, location);
    egov_http_reply_buffer(req, 303, NULL, NULL, 0, 0);
}

void egov_reply_header(struct egov_req *req, const char *name, const char *value)
{
    struct egov_http_ctx *ctx = ctx_of(req);
    if (name == NULL || value == NULL || strpbrk(name, "\r\n:") != NULL ||
        strpbrk(value, "\r\n") != NULL) {
        EGOV_BUG("refusing a malformed response header");
        return;
    }
    if (req->response != NULL) {
        MHD_add_response_header(req->response, name, value);
        return;
    }
    struct egov_http_hdr *h = egov_arena_alloc(req->arena, sizeof *h);
    if (h == NULL)
        return;
    h->name = egov_arena_strdup(req->arena, name);
    h->value = egov_arena_strdup(req->arena, value);
    if (h->name == NULL || h->value == NULL)
        return;
    /* keep the order the caller used */
    struct egov_http_hdr **tail = &ctx->pending;
    while (*tail != NULL)
        tail = &(*tail)->next;
    h->next = NULL;
    *tail = h;
}

/* RFC 6265 cookie-name (token) and cookie-octet checks. */
static bool cookie_chars_ok(const char *s, bool is_name)
{
    if (s == NULL || (is_name && *s == '\0'))
        return false;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c <= 0x20 || c >= 0x7f || c == ';' || c == ',' || c == '"' || c == '\\')
            return false;
        if (is_name && strchr("()<>@:/[]?={}", c) != NULL)
            return false;
    }
    return true;
}

void egov_reply_cookie(struct egov_req *req, const char *name, const char *value, long max_age_s)
{
    char buf[4096];
    int n;
    const char *secure = (req->server == NULL || req->server->opt.cookie_secure) ? "; Secure" : "";

    if (value == NULL)
        value = "";
    if (!cookie_chars_ok(name, true) || !cookie_chars_ok(value, false)) {
        EGOV_BUG("refusing a malformed cookie");
        return;
    }
    if (max_age_s < 0)
        n = snprintf(buf, sizeof buf, "%s=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax%s", name,
                     secure);
    else if (max_age_s == 0)
        n = snprintf(buf, sizeof buf, "%s=%s; Path=/; HttpOnly; SameSite=Lax%s", name, value,
                     secure);
    else
        n = snprintf(buf, sizeof buf, "%s=%s; Path=/; Max-Age=%ld; HttpOnly; SameSite=Lax%s",
                     name, value, max_age_s, secure);
    if (n < 0 || (size_t)n >= sizeof buf) {
        EGOV_BUG("cookie %s too long", name);
        return;
    }
    egov_reply_header(req, MHD_HTTP_HEADER_SET_COOKIE, buf);
}
