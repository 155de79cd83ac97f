/*
 * static.c -- GET /static/... from DATADIR/static: path checks, content
 * types, strong ETags, 304, gzip.  Files are read once and kept in memory
 * (assets do not change while a node runs).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <zlib.h>

#include "http/http_internal.h"

#define STATIC_PREFIX "/static/"
#define MAX_FILE (16 * 1024 * 1024)
#define MAX_ENTRIES 4096
#define MAX_NAME 256
#define CACHE_CONTROL "public, max-age=3600"

struct entry {
    struct entry *next;
    char *name;
    char *data;
    size_t len;
    char *gz;         /* NULL if not worth compressing */
    size_t gz_len;
    const char *type;
    char etag[40];    /* "\"<32 hex>\"" */
    char etag_gz[44]; /* "\"<32 hex>-gz\"" */
};

struct egov_static_cache {
    pthread_rwlock_t lock;
    struct entry *head;
    size_t count;
};

struct egov_static_cache *egov_static_cache_create(void)
{
    struct egov_static_cache *c = calloc(1, sizeof *c);
    if (c != NULL && pthread_rwlock_init(&c->lock, NULL) != 0) {
        free(c);
        c = NULL;
    }
    return c;
}

static void entry_free(struct entry *e)
{
    if (e == NULL)
        return;
    free(e->name);
    free(e->data);
    free(e->gz);
    free(e);
}

void egov_static_cache_destroy(struct egov_static_cache *c)
{
    if (c == NULL)
        return;
    for (struct entry *e = c->head, *n; e != NULL; e = n) {
        n = e->next;
        entry_free(e);
    }
    pthread_rwlock_destroy(&c->lock);
    free(c);
}

static const struct {
    const char *ext;
    const char *type;
    bool compress;
} types[] = {
    {"css", "text/css; charset=utf-8", true},
    {"js", "text/javascript; charset=utf-8", true},
    {"mjs", "text/javascript; charset=utf-8", true},
    {"json", "application/json", true},
    {"map", "application/json", true},
    {"html", "text/html; charset=utf-8", true},
    {"txt", "text/plain; charset=utf-8", true},
    {"svg", "image/svg+xml", true},
    {"xml", "application/xml", true},
    {"png", "image/png", false},
    {"jpg", "image/jpeg", false},
    {"jpeg", "image/jpeg", false},
    {"gif", "image/gif", false},
    {"webp", "image/webp", false},
    {"ico", "image/x-icon", false},
    {"woff", "font/woff", false},
    {"woff2", "font/woff2", false},
    {"ttf", "font/ttf", true},
    {"otf", "font/otf", true},
    {"pdf", "application/pdf", false},
    {"wasm", "application/wasm", true},
};

static int type_index(const char *name)
{
    const char *dot = strrchr(name, '.');
    const char *slash = strrchr(name, '/');
    if (dot == NULL || (slash != NULL && dot < slash))
        return -1;
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (strcasecmp(dot + 1, types[i].ext) == 0)
            return (int)i;
    return -1;
}

const char *egov_static_content_type(const char *name)
{
    int i = type_index(name);
    return i >= 0 ? types[i].type : "application/octet-stream";
}

/* Refuses empty, ".", ".." and hidden segments, backslashes and control bytes. */
static bool name_ok(const char *rel)
{
    size_t n = strlen(rel);
    if (n == 0 || n >= MAX_NAME)
        return false;
    const char *seg = rel;
    for (;;) {
        size_t sl = strcspn(seg, "/");
        if (sl == 0 || seg[0] == '.')
            return false;
        for (size_t i = 0; i < sl; i++) {
            unsigned char c = (unsigned char)seg[i];
            if (c < 0x20 || c == 0x7f || c == '\\')
                return false;
        }
        if (seg[sl] == '\0')
            break;
        seg += sl + 1;
    }
    return true;
}

static bool gzip_bytes(const char *in, size_t len, char **out, size_t *out_len)
{
    z_stream z;
    bool ok = false;
    char *buf = NULL;
    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return false;
    uLong bound = deflateBound(&z, (uLong)len);
    buf = malloc(bound);
    if (buf == NULL)
        goto done;
    z.next_in = (Bytef *)(uintptr_t)in;
    z.avail_in = (uInt)len;
    z.next_out = (Bytef *)buf;
    z.avail_out = (uInt)bound;
    if (deflate(&z, Z_FINISH) != Z_STREAM_END)
        goto done;
    *out_len = z.total_out;
    *out = buf;
    buf = NULL;
    ok = true;
done:
    deflateEnd(&z);
    free(buf);
    return ok;
}

/* Reads and prepares one file; NULL if it does not exist or is refused. */
static struct entry *load(const char *datadir, const char *rel)
{
    char base[PATH_MAX], full[PATH_MAX], rbase[PATH_MAX], rfull[PATH_MAX];
    struct entry *e = NULL;
    int fd = -1;
    struct stat st;

    int n1 = snprintf(base, sizeof base, "%s/static", datadir);
    int n2 = snprintf(full, sizeof full, "%s/static/%s", datadir, rel);
    if (n1 < 0 || (size_t)n1 >= sizeof base || n2 < 0 || (size_t)n2 >= sizeof full)
        goto fail;
    if (realpath(base, rbase) == NULL || realpath(full, rfull) == NULL)
        goto fail;
    size_t bl = strlen(rbase);
    if (strncmp(rfull, rbase, bl) != 0 || rfull[bl] != '/')
        goto fail; /* a link pointing outside the static folder */
    fd = open(rfull, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > MAX_FILE)
        goto fail;
    e = calloc(1, sizeof *e);
    if (e == NULL)
        goto fail;
    e->len = (size_t)st.st_size;
    e->data = malloc(e->len + 1);
    e->name = strdup(rel);
    if (e->data == NULL || e->name == NULL)
        goto fail;
    size_t got = 0;
    while (got < e->len) {
        ssize_t r = read(fd, e->data + got, e->len - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            goto fail;
        got += (size_t)r;
    }
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    if (!EVP_Digest(e->data, e->len, md, &mdlen, EVP_sha256(), NULL) || mdlen < 16)
        goto fail;
    char hex[33];
    for (int i = 0; i < 16; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    snprintf(e->etag, sizeof e->etag, "\"%s\"", hex);
    snprintf(e->etag_gz, sizeof e->etag_gz, "\"%s-gz\"", hex);
    int ti = type_index(rel);
    e->type = ti >= 0 ? types[ti].type : "application/octet-stream";
    if (ti >= 0 && types[ti].compress && e->len >= 256) {
        if (gzip_bytes(e->data, e->len, &e->gz, &e->gz_len) && e->gz_len >= e->len) {
            free(e->gz);
            e->gz = NULL;
        }
    }
    close(fd);
    return e;
fail:
    if (fd >= 0)
        close(fd);
    entry_free(e);
    return NULL;
}

static struct entry *find(struct egov_static_cache *c, const char *rel)
{
    struct entry *e;
    for (e = c->head; e != NULL; e = e->next)
        if (strcmp(e->name, rel) == 0)
            break;
    return e;
}

static struct entry *lookup(struct egov_server *s, const char *rel)
{
    struct egov_static_cache *c = s->static_cache;
    pthread_rwlock_rdlock(&c->lock);
    struct entry *e = find(c, rel);
    pthread_rwlock_unlock(&c->lock);
    if (e != NULL)
        return e;
    struct entry *fresh = load(s->datadir, rel);
    if (fresh == NULL)
        return NULL;
    pthread_rwlock_wrlock(&c->lock);
    e = find(c, rel); /* another thread may have loaded it meanwhile */
    if (e == NULL && c->count < MAX_ENTRIES) {
        fresh->next = c->head;
        c->head = fresh;
        c->count++;
        e = fresh;
        fresh = NULL;
    }
    pthread_rwlock_unlock(&c->lock);
    if (e == NULL) {
        /* cache full: serve this one uncached */
        EGOV_BUG("static file cache full");
        entry_free(fresh);
        return NULL;
    }
    entry_free(fresh);
    return e;
}

/* True if If-None-Match @p inm lists @p etag (weak comparison, as RFC 9110 asks). */
static bool etag_listed(const char *inm, const char *etag)
{
    const char *p = inm;
    size_t el = strlen(etag);
    while (*p) {
        while (*p == ' ' || *p == ',' || *p == '\t')
            p++;
        if (*p == '*')
            return true;
        if (p[0] == 'W' && p[1] == '/')
            p += 2;
        size_t tl = strcspn(p, ", \t");
        if (tl == el && memcmp(p, etag, el) == 0)
            return true;
        p += tl;
    }
    return false;
}

void egov_static_handle(struct egov_req *req)
{
    struct egov_server *s = req->server;
    const char *path = req->path;
    size_t pl = strlen(STATIC_PREFIX);

    if (s == NULL || strncmp(path, STATIC_PREFIX, pl) != 0 || !name_ok(path + pl) ||
        s->datadir[0] == '\0') {
        egov_reply_problem(req, EGOV_EC_GENERIC_NOT_FOUND, NULL, NULL);
        return;
    }
    struct entry *e = lookup(s, path + pl);
    if (e == NULL) {
        egov_reply_problem(req, EGOV_EC_GENERIC_NOT_FOUND, NULL, NULL);
        return;
    }
    bool gz = e->gz != NULL && egov_http_accepts_gzip(egov_req_header(req, "Accept-Encoding"));
    const char *etag = gz ? e->etag_gz : e->etag;
    const char *inm = egov_req_header(req, "If-None-Match");
    egov_reply_header(req, "ETag", etag);
    egov_reply_header(req, "Cache-Control", CACHE_CONTROL);
    egov_reply_header(req, "Vary", "Accept-Encoding");
    if (inm != NULL && etag_listed(inm, etag)) {
        egov_http_reply_buffer(req, 304, NULL, NULL, 0,
                               EGOV_HTTP_REPLY_CACHEABLE | EGOV_HTTP_REPLY_BORROWED);
        return;
    }
    if (gz)
        egov_reply_header(req, "Content-Encoding", "gzip");
    egov_http_reply_buffer(req, 200, e->type, gz ? e->gz : e->data, gz ? e->gz_len : e->len,
                           EGOV_HTTP_REPLY_CACHEABLE | EGOV_HTTP_REPLY_BORROWED);
}
