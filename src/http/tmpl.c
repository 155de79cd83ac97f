/*
 * tmpl.c -- a small logic-less template renderer (a mustache subset) over
 * jansson values, escaping HTML by default.
 *
 * Tags:
 *   {{name}} {{a.b}} {{.}}   value, HTML-escaped
 *   {{{name}}} {{& name}}    value, raw (trusted markup only)
 *   {{#name}}...{{/name}}    section: false/null/missing/empty skip; arrays
 *                            iterate; objects push a context; true, non-empty
 *                            strings and non-zero numbers render once
 *   {{^name}}...{{/name}}    inverted section: renders when the value is falsy
 *   {{> partial}}            DATADIR/templates/<partial>.html, same context
 *   {{_ msgid words}}        the literal msgid translated into the page language
 *   {{_ $name}}              the string value of name, translated
 *   {{! comment}}            nothing
 *
 * A template is parsed once into a flat node array in which a section
 * node records where its body ends; files are cached after the first load.
 * Lookups walk up the context stack, as in mustache.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "http/http.h"

/** Largest template file accepted. */
#define TMPL_MAX_FILE (1024 * 1024)
/** Deepest section nesting inside one template. */
#define TMPL_MAX_NESTING 32
/** Deepest context stack while rendering (sections and partials combined). */
#define TMPL_MAX_STACK 64
/** Deepest chain of partials. */
#define TMPL_MAX_PARTIALS 8
/** Longest template name, and longest path built from it. */
#define TMPL_MAX_NAME 128
#define TMPL_MAX_PATH 1024

enum node_kind {
    N_TEXT,
    N_VAR,
    N_RAW,
    N_SECTION,
    N_INVERTED,
    N_PARTIAL,
    N_TRANS,     /* literal msgid */
    N_TRANS_VAR, /* msgid taken from a value */
};

struct node {
    enum node_kind kind;
    const char *s; /* text (not NUL-terminated) or NUL-terminated name */
    size_t len;    /* text length */
    size_t end;    /* sections: index of the first node after the body */
    unsigned int line;
};

struct tmpl {
    char *src; /* owned; tag names are NUL-terminated in place */
    struct node *nodes;
    size_t n, cap;
};

struct cache_entry {
    struct cache_entry *next;
    char *key;      /* "<datadir>\n<name>" */
    struct tmpl *t; /* immutable once cached */
};

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static struct cache_entry *cache_head;

struct render {
    const char *datadir;
    const char *lang;
    struct egov_buf *out;
    const json_t *stack[TMPL_MAX_STACK];
    size_t depth;
    unsigned int partials;
    char err[512];
    bool failed;
};

static void tmpl_free(struct tmpl *t)
{
    if (t == NULL)
        return;
    egov_free(t->src);
    egov_free(t->nodes);
    egov_free(t);
}

static bool push_node(struct tmpl *t, enum node_kind kind, const char *s, size_t len,
                      unsigned int line)
{
    if (t->n == t->cap) {
        size_t ncap = t->cap == 0 ? 32 : t->cap * 2;
        struct node *nn = egov_realloc(t->nodes, ncap * sizeof(*nn));
        if (nn == NULL)
            return false;
        t->nodes = nn;
        t->cap = ncap;
    }
    t->nodes[t->n] = (struct node){kind, s, len, 0, line};
    t->n++;
    return true;
}

static unsigned int count_lines(const char *s, size_t n)
{
    unsigned int c = 0;
    for (size_t i = 0; i < n; i++)
        c += s[i] == '\n';
    return c;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Trims [*b, *e) and NUL-terminates it in place (the byte at *e belongs
 * to the tag, never to text). */
static char *trim_in_place(char *b, char *e)
{
    while (b < e && is_space(*b))
        b++;
    while (e > b && is_space(e[-1]))
        e--;
    *e = '\0';
    return b;
}

/* Names: letters, digits, '_', '-', '.' (no spaces). */
static bool valid_name(const char *s)
{
    if (*s == '\0')
        return false;
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '.'))
            return false;
    }
    return true;
}

/* Partial and template names: [A-Za-z0-9_-] and '/', no empty segment. */
static bool valid_template_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > TMPL_MAX_NAME || s[0] == '/' || s[n - 1] == '/')
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '/'))
            return false;
        if (c == '/' && s[i + 1] == '/')
            return false;
    }
    return true;
}

/*
 * Parses @p src (taken over: stored in the result or freed).  Returns the
 * template or NULL with a message in @p err.
 */
static struct tmpl *parse(char *src, const char *label, char *err, size_t errlen)
{
    struct tmpl *t = egov_calloc(1, sizeof(*t));
    size_t open_idx[TMPL_MAX_NESTING];
    unsigned int open_line[TMPL_MAX_NESTING];
    size_t nopen = 0;
    unsigned int line = 1;
    char *p = src;

    if (t == NULL) {
        snprintf(err, errlen, "template %.100s: out of memory", label);
        egov_free(src);
        return NULL;
    }
    t->src = src;
    for (;;) {
        char *open = strstr(p, "{{");
        char *inner, *close, *name;
        unsigned int tag_line;
        char sigil;
        bool triple;

        if (open == NULL) {
            size_t n = strlen(p);
            if (n > 0 && !push_node(t, N_TEXT, p, n, line))
                goto oom;
            break;
        }
        if (open > p && !push_node(t, N_TEXT, p, (size_t)(open - p), line))
            goto oom;
        line += count_lines(p, (size_t)(open - p));
        tag_line = line;
        triple = open[2] == '{';
        inner = open + (triple ? 3 : 2);
        close = strstr(inner, triple ? "}}}" : "}}");
        if (close == NULL) {
            snprintf(err, errlen, "template %.100s: line %u: unclosed tag", label, tag_line);
            goto fail;
        }
        line += count_lines(inner, (size_t)(close - inner));
        p = close + (triple ? 3 : 2);

        if (triple) {
            name = trim_in_place(inner, close);
            if (!valid_name(name)) {
                snprintf(err, errlen, "template %.100s: line %u: bad name in {{{...}}}", label,
                         tag_line);
                goto fail;
            }
            if (!push_node(t, N_RAW, name, 0, tag_line))
                goto oom;
            continue;
        }
        sigil = *inner;
        if (sigil == '!')
            continue;
        if (sigil == '_' && is_space(inner[1])) {
            name = trim_in_place(inner + 1, close);
            if (name[0] == '$') {
                name++;
                if (!valid_name(name)) {
                    snprintf(err, errlen, "template %.100s: line %u: bad name in {{_ $...}}", label,
                             tag_line);
                    goto fail;
                }
                if (!push_node(t, N_TRANS_VAR, name, 0, tag_line))
                    goto oom;
            } else {
                if (name[0] == '\0') {
                    snprintf(err, errlen, "template %.100s: line %u: empty msgid", label, tag_line);
                    goto fail;
                }
                if (!push_node(t, N_TRANS, name, 0, tag_line))
                    goto oom;
            }
            continue;
        }
        if (sigil == '#' || sigil == '^' || sigil == '/' || sigil == '>' || sigil == '&')
            name = trim_in_place(inner + 1, close);
        else
            name = trim_in_place(inner, close);
        if (sigil == '>') {
            if (!valid_template_name(name)) {
                snprintf(err, errlen, "template %.100s: line %u: bad partial name", label, tag_line);
                goto fail;
            }
            if (!push_node(t, N_PARTIAL, name, 0, tag_line))
                goto oom;
            continue;
        }
        if (!valid_name(name)) {
            snprintf(err, errlen, "template %.100s: line %u: bad tag '{{%.40s}}'", label, tag_line,
                     name);
            goto fail;
        }
        if (sigil == '#' || sigil == '^') {
            if (nopen == TMPL_MAX_NESTING) {
                snprintf(err, errlen, "template %.100s: line %u: sections nested deeper than %d", label,
                         tag_line, TMPL_MAX_NESTING);
                goto fail;
            }
            open_idx[nopen] = t->n;
            open_line[nopen] = tag_line;
            nopen++;
            if (!push_node(t, sigil == '#' ? N_SECTION : N_INVERTED, name, 0, tag_line))
                goto oom;
        } else if (sigil == '/') {
            if (nopen == 0) {
                snprintf(err, errlen, "template %.100s: line %u: '{{/%.40s}}' closes nothing", label,
                         tag_line, name);
                goto fail;
            }
            nopen--;
            if (strcmp(t->nodes[open_idx[nopen]].s, name) != 0) {
                snprintf(err, errlen,
                         "template %s: line %u: '{{/%.40s}}' does not match '%.40s' opened on "
                         "line %u",
                         label, tag_line, name, t->nodes[open_idx[nopen]].s, open_line[nopen]);
                goto fail;
            }
            t->nodes[open_idx[nopen]].end = t->n;
        } else if (sigil == '&') {
            if (!push_node(t, N_RAW, name, 0, tag_line))
                goto oom;
        } else {
            if (!push_node(t, N_VAR, name, 0, tag_line))
                goto oom;
        }
    }
    if (nopen > 0) {
        snprintf(err, errlen, "template %.100s: line %u: unclosed section '%.40s'", label,
                 open_line[nopen - 1], t->nodes[open_idx[nopen - 1]].s);
        goto fail;
    }
    return t;
oom:
    snprintf(err, errlen, "template %.100s: out of memory", label);
fail:
    tmpl_free(t);
    return NULL;
}

/* Reads a whole file into a malloc'd NUL-terminated string. */
static char *read_file(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    char *data = NULL;
    size_t n = 0, cap = 0;

    if (f == NULL) {
        snprintf(err, errlen, "template %.100s: %s", path, strerror(errno));
        return NULL;
    }
    for (;;) {
        if (cap - n < 4097) {
            char *nd;
            if (cap >= TMPL_MAX_FILE) {
                snprintf(err, errlen, "template %.100s: larger than %d bytes", path, TMPL_MAX_FILE);
                goto fail;
            }
            cap = cap == 0 ? 8192 : cap * 2;
            nd = egov_realloc(data, cap + 1);
            if (nd == NULL) {
                snprintf(err, errlen, "template %.100s: out of memory", path);
                goto fail;
            }
            data = nd;
        }
        size_t got = fread(data + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    if (ferror(f)) {
        snprintf(err, errlen, "template %.100s: read error", path);
        goto fail;
    }
    if (memchr(data, '\0', n) != NULL) {
        snprintf(err, errlen, "template %.100s: contains a NUL byte", path);
        goto fail;
    }
    data[n] = '\0';
    fclose(f);
    return data;
fail:
    egov_free(data);
    fclose(f);
    return NULL;
}

/* The cached template @p name of @p datadir, loading it on first use. */
static const struct tmpl *load_template(const char *datadir, const char *name, char *err,
                                        size_t errlen)
{
    char key[TMPL_MAX_PATH], path[TMPL_MAX_PATH];
    struct cache_entry *e;
    const struct tmpl *found = NULL;
    struct tmpl *t;
    char *src;
    int n;

    if (datadir == NULL || !valid_template_name(name)) {
        snprintf(err, errlen, "template %.*s: invalid name or no data directory", TMPL_MAX_NAME,
                 name);
        return NULL;
    }
    n = snprintf(key, sizeof(key), "%s\n%s", datadir, name);
    if (n < 0 || (size_t)n >= sizeof(key) ||
        (n = snprintf(path, sizeof(path), "%s/templates/%s.html", datadir, name)) < 0 ||
        (size_t)n >= sizeof(path)) {
        snprintf(err, errlen, "template %.100s: path too long", name);
        return NULL;
    }
    pthread_mutex_lock(&cache_lock);
    for (e = cache_head; e != NULL; e = e->next) {
        if (strcmp(e->key, key) == 0) {
            found = e->t;
            break;
        }
    }
    pthread_mutex_unlock(&cache_lock);
    if (found != NULL)
        return found;

    src = read_file(path, err, errlen);
    if (src == NULL)
        return NULL;
    t = parse(src, name, err, errlen);
    if (t == NULL)
        return NULL;
    e = egov_calloc(1, sizeof(*e));
    if (e == NULL || (e->key = egov_strdup(key)) == NULL) {
        egov_free(e);
        tmpl_free(t);
        snprintf(err, errlen, "template %.100s: out of memory", name);
        return NULL;
    }
    e->t = t;
    pthread_mutex_lock(&cache_lock);
    for (struct cache_entry *o = cache_head; o != NULL; o = o->next) {
        if (strcmp(o->key, key) == 0) {
            found = o->t; /* another thread was first: use its copy */
            break;
        }
    }
    if (found == NULL) {
        e->next = cache_head;
        cache_head = e;
        found = t;
        e = NULL;
    }
    pthread_mutex_unlock(&cache_lock);
    if (e != NULL) {
        egov_free(e->key);
        egov_free(e);
        tmpl_free(t);
    }
    return found;
}

/* Looks @p name up: "." is the top of the stack; "a.b.c" finds "a" in the
 * nearest context object that has it, then descends. */
static const json_t *lookup(const struct render *r, const char *name)
{
    const json_t *v = NULL;
    const char *dot;
    char first[TMPL_MAX_NAME];
    size_t n;

    if (r->depth == 0)
        return NULL;
    if (strcmp(name, ".") == 0)
        return r->stack[r->depth - 1];
    dot = strchr(name, '.');
    n = dot == NULL ? strlen(name) : (size_t)(dot - name);
    if (n == 0 || n >= sizeof(first))
        return NULL;
    memcpy(first, name, n);
    first[n] = '\0';
    for (size_t i = r->depth; i > 0 && v == NULL; i--) {
        if (json_is_object(r->stack[i - 1]))
            v = json_object_get(r->stack[i - 1], first);
    }
    while (v != NULL && dot != NULL) {
        const char *seg = dot + 1;
        dot = strchr(seg, '.');
        n = dot == NULL ? strlen(seg) : (size_t)(dot - seg);
        if (n == 0 || n >= sizeof(first) || !json_is_object(v))
            return NULL;
        memcpy(first, seg, n);
        first[n] = '\0';
        v = json_object_get(v, first);
    }
    return v;
}

static bool truthy(const json_t *v)
{
    if (v == NULL)
        return false;
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return true;
    case JSON_ARRAY:
        return json_array_size(v) > 0;
    case JSON_STRING:
        return json_string_length(v) > 0;
    case JSON_INTEGER:
        return json_integer_value(v) != 0;
    case JSON_REAL:
        return json_real_value(v) != 0.0;
    case JSON_TRUE:
        return true;
    case JSON_FALSE:
    case JSON_NULL:
    default:
        return false;
    }
}

static void emit_value(struct render *r, const json_t *v, bool escape)
{
    char num[64];
    const char *s = NULL;
    size_t n = 0;

    if (v == NULL)
        return;
    switch (json_typeof(v)) {
    case JSON_STRING:
        s = json_string_value(v);
        n = json_string_length(v);
        break;
    case JSON_INTEGER:
        snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        s = num;
        n = strlen(num);
        break;
    case JSON_REAL:
        snprintf(num, sizeof(num), "%.15g", json_real_value(v));
        s = num;
        n = strlen(num);
        break;
    case JSON_TRUE:
        s = "true";
        n = 4;
        break;
    case JSON_FALSE:
        s = "false";
        n = 5;
        break;
    default:
        return; /* null, objects and arrays render as nothing */
    }
    if (escape)
        egov_buf_html_escape(r->out, s, n);
    else
        egov_buf_append(r->out, s, n);
}

static bool push_ctx(struct render *r, const json_t *v, unsigned int line)
{
    if (r->depth == TMPL_MAX_STACK) {
        snprintf(r->err, sizeof(r->err), "line %u: context nested deeper than %d", line,
                 TMPL_MAX_STACK);
        r->failed = true;
        return false;
    }
    r->stack[r->depth++] = v;
    return true;
}

static void render_range(struct render *r, const struct tmpl *t, size_t from, size_t to);

static void render_partial(struct render *r, const char *name, unsigned int line)
{
    char err[256];
    const struct tmpl *p;

    if (r->partials >= TMPL_MAX_PARTIALS) {
        snprintf(r->err, sizeof(r->err), "line %u: partials nested deeper than %d", line,
                 TMPL_MAX_PARTIALS);
        r->failed = true;
        return;
    }
    p = load_template(r->datadir, name, err, sizeof(err));
    if (p == NULL) {
        snprintf(r->err, sizeof(r->err), "line %u: partial: %s", line, err);
        r->failed = true;
        return;
    }
    r->partials++;
    render_range(r, p, 0, p->n);
    r->partials--;
}

static void render_section(struct render *r, const struct tmpl *t, size_t i)
{
    const struct node *nd = &t->nodes[i];
    const json_t *v = lookup(r, nd->s);

    if (nd->kind == N_INVERTED) {
        if (!truthy(v))
            render_range(r, t, i + 1, nd->end);
        return;
    }
    if (!truthy(v))
        return;
    if (json_is_array(v)) {
        for (size_t k = 0; k < json_array_size(v) && !r->failed; k++) {
            if (!push_ctx(r, json_array_get(v, k), nd->line))
                return;
            render_range(r, t, i + 1, nd->end);
            r->depth--;
        }
        return;
    }
    if (!push_ctx(r, v, nd->line))
        return;
    render_range(r, t, i + 1, nd->end);
    r->depth--;
}

static void render_range(struct render *r, const struct tmpl *t, size_t from, size_t to)
{
    size_t i = from;
    while (i < to && !r->failed) {
        const struct node *nd = &t->nodes[i];
        const json_t *v;
        switch (nd->kind) {
        case N_TEXT:
            egov_buf_append(r->out, nd->s, nd->len);
            break;
        case N_VAR:
            emit_value(r, lookup(r, nd->s), true);
            break;
        case N_RAW:
            emit_value(r, lookup(r, nd->s), false);
            break;
        case N_TRANS: {
            const char *tr = egov_i18n_gettext(r->lang, nd->s);
            egov_buf_html_escape(r->out, tr, strlen(tr));
            break;
        }
        case N_TRANS_VAR:
            v = lookup(r, nd->s);
            if (json_is_string(v)) {
                const char *tr = egov_i18n_gettext(r->lang, json_string_value(v));
                egov_buf_html_escape(r->out, tr, strlen(tr));
            } else {
                emit_value(r, v, true);
            }
            break;
        case N_PARTIAL:
            render_partial(r, nd->s, nd->line);
            break;
        case N_SECTION:
        case N_INVERTED:
            render_section(r, t, i);
            i = nd->end;
            continue;
        }
        i++;
    }
}

/* Renders parsed @p t; on failure replaces what was written with a message. */
static bool render_tmpl(const struct tmpl *t, const char *label, const json_t *data,
                        const char *lang, const char *datadir, struct egov_buf *out)
{
    struct render *r = egov_calloc(1, sizeof(*r));
    size_t start = out->len;
    bool ok = false;

    if (r == NULL) {
        out->oom = true;
        return false;
    }
    r->datadir = datadir;
    r->lang = lang;
    r->out = out;
    if (data != NULL)
        r->stack[r->depth++] = data;
    render_range(r, t, 0, t->n);
    if (r->failed) {
        if (out->data != NULL) {
            out->len = start;
            out->data[start] = '\0';
        }
        egov_buf_printf(out, "template %s: %s", label, r->err);
    } else {
        ok = !out->oom;
    }
    egov_free(r);
    return ok;
}

bool egov_tmpl_render(const char *datadir, const char *name, const json_t *data, const char *lang,
                      struct egov_buf *out)
{
    char err[256];
    const struct tmpl *t = load_template(datadir, name, err, sizeof(err));

    if (t == NULL) {
        egov_buf_puts(out, err);
        return false;
    }
    return render_tmpl(t, name, data, lang, datadir, out);
}

bool egov_tmpl_render_string(const char *src, const json_t *data, const char *lang,
                             const char *datadir, struct egov_buf *out)
{
    char err[256];
    struct tmpl *t;
    char *copy = egov_strdup(src);
    bool ok;

    if (copy == NULL) {
        out->oom = true;
        return false;
    }
    t = parse(copy, "(string)", err, sizeof(err));
    if (t == NULL) {
        egov_buf_puts(out, err);
        return false;
    }
    ok = render_tmpl(t, "(string)", data, lang, datadir, out);
    tmpl_free(t);
    return ok;
}
