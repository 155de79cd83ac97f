/*
 * buf.c -- growable string builder with sticky out-of-memory.
 */
#include <stdio.h>
#include <string.h>

#include "core/core.h"

void egov_buf_init(struct egov_buf *b)
{
    memset(b, 0, sizeof(*b));
}

void egov_buf_free(struct egov_buf *b)
{
    egov_free(b->data);
    size_t max = b->max;
    memset(b, 0, sizeof(*b));
    b->max = max;
}

void egov_buf_reset(struct egov_buf *b)
{
    b->len = 0;
    b->oom = false;
    if (b->data != NULL)
        b->data[0] = '\0';
}

/* Makes room for @p extra more bytes plus the NUL; false (and oom) if not. */
static bool reserve(struct egov_buf *b, size_t extra)
{
    if (b->oom)
        return false;
    if (extra > SIZE_MAX / 2 - b->len || (b->max != 0 && b->len + extra > b->max)) {
        b->oom = true;
        return false;
    }
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return true;
    size_t cap = b->cap < 64 ? 64 : b->cap;
    while (cap < need)
        cap *= 2;
    char *p = egov_realloc(b->data, cap);
    if (p == NULL) {
        b->oom = true;
        return false;
    }
    b->data = p;
    b->cap = cap;
    return true;
}

bool egov_buf_reserve(struct egov_buf *b, size_t n)
{
    return reserve(b, n);
}

void egov_buf_append(struct egov_buf *b, const void *p, size_t n)
{
    if (!reserve(b, n))
        return;
    if (n > 0)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void egov_buf_puts(struct egov_buf *b, const char *s)
{
    egov_buf_append(b, s, strlen(s));
}

void egov_buf_putc(struct egov_buf *b, char c)
{
    egov_buf_append(b, &c, 1);
}

void egov_buf_vprintf(struct egov_buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    if (n < 0) {
        b->oom = true;
    } else if (reserve(b, (size_t)n)) {
        vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap2);
        b->len += (size_t)n;
    }
    va_end(ap2);
}

void egov_buf_printf(struct egov_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    egov_buf_vprintf(b, fmt, ap);
    va_end(ap);
}

void egov_buf_html_escape(struct egov_buf *b, const char *s, size_t n)
{
    size_t start = 0;
    for (size_t i = 0; i < n; i++) {
        const char *rep = NULL;
        switch (s[i]) {
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '"': rep = "&quot;"; break;
        case '\'': rep = "&#39;"; break;
        default: break;
        }
        if (rep != NULL) {
            egov_buf_append(b, s + start, i - start);
            egov_buf_puts(b, rep);
            start = i + 1;
        }
    }
    egov_buf_append(b, s + start, n - start);
}

char *egov_buf_steal(struct egov_buf *b)
{
    if (b->oom) {
        egov_buf_free(b);
        return NULL;
    }
    if (b->data == NULL && !reserve(b, 0)) {
        egov_buf_free(b);
        return NULL;
    }
    char *d = b->data;
    d[b->len] = '\0';
    b->data = NULL;
    b->len = b->cap = 0;
    return d;
}
