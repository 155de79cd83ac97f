/*
 * props.c -- character properties: strokes, radicals, 注音 readings and
 * variant classes, loaded from Unihan and the imported 全字庫 Properties;
 * the Properties import; `egov hanzi info`'s properties part.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hanzi/props_internal.h"

#define PROPS_FILE  "props.tsv"
#define PROPS_MAGIC "# egov hanzi properties 1"
#define CNS_PLANES  32u

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static struct hz_db *g_db; /* published with release/acquire */

/* ------------------------------------------------------------------ */
/* Building                                                            */
/* ------------------------------------------------------------------ */

struct cns_pair {
    uint32_t cns, cp;
};

/* Load-time state. */
struct builder {
    struct hz_db *db;
    struct cns_pair *tsrc; /* from kIRG_TSource */
    size_t ntsrc, tsrccap;
    /* readings of the current code point while streaming Unihan_Readings */
    uint32_t cur;
    char mandarin[64];
    char hanyu[256];
};

static void db_free(struct hz_db *db)
{
    if (db == NULL)
        return;
    egov_free(db->c);
    egov_free(db->index);
    egov_free(db->pool);
    egov_free(db->syl);
    egov_free(db->vp);
    egov_free(db);
}

static struct hz_char *db_add(struct hz_db *db, uint32_t cp)
{
    if (cp == 0 || cp >= HZ_CP_LIMIT)
        return NULL;
    if (db->index[cp] != 0)
        return &db->c[db->index[cp] - 1];
    if (db->n == db->cap) {
        size_t ncap = db->cap == 0 ? 1024 : db->cap * 2;
        struct hz_char *nc = egov_realloc(db->c, ncap * sizeof(*nc));
        if (nc == NULL)
            return NULL;
        db->c = nc;
        db->cap = ncap;
    }
    struct hz_char *c = &db->c[db->n++];
    memset(c, 0, sizeof(*c));
    c->cp = cp;
    c->vkey = cp;
    c->residual = -1;
    db->index[cp] = (int32_t)db->n;
    return c;
}

/* Appends a string to the pool; returns its offset or 0 on OOM. */
static uint32_t pool_add(struct hz_db *db, const char *s, size_t n)
{
    if (db->pool_len + n + 1 > db->pool_cap) {
        size_t ncap = db->pool_cap == 0 ? 65536 : db->pool_cap;
        while (db->pool_len + n + 1 > ncap)
            ncap *= 2;
        if (ncap > UINT32_MAX)
            return 0;
        char *np = egov_realloc(db->pool, ncap);
        if (np == NULL)
            return 0;
        db->pool = np;
        db->pool_cap = ncap;
    }
    uint32_t off = (uint32_t)db->pool_len;
    memcpy(db->pool + off, s, n);
    db->pool[off + n] = '\0';
    db->pool_len += n + 1;
    return off;
}

static bool vp_add(struct hz_db *db, uint32_t a, uint32_t b, uint32_t rel)
{
    if (db->nvp == db->vpcap) {
        size_t ncap = db->vpcap == 0 ? 4096 : db->vpcap * 2;
        struct hz_vpair *n = egov_realloc(db->vp, ncap * sizeof(*n));
        if (n == NULL)
            return false;
        db->vp = n;
        db->vpcap = ncap;
    }
    db->vp[db->nvp++] = (struct hz_vpair){a, b, rel};
    return true;
}

/* Parses a decimal number in [lo, hi] that ends at a delimiter.  -1 if not. */
static long parse_num(const char *s, const char **end, long lo, long hi)
{
    long v = 0;
    const char *p = s;
    if (*p < '0' || *p > '9')
        return -1;
    while (*p >= '0' && *p <= '9') {
        v = v * 10 + (*p - '0');
        if (v > hi)
            return -1;
        p++;
    }
    if (v < lo)
        return -1;
    if (end != NULL)
        *end = p;
    return v;
}

/* Parses "1-4421" (also "F-xxxx"-free decimal planes) into a packed code. */
static bool parse_cns(const char *s, size_t n, uint32_t *out)
{
    const char *dash = memchr(s, '-', n);
    if (dash == NULL || dash == s || (size_t)(s + n - dash) != 5)
        return false;
    uint32_t plane = 0;
    for (const char *p = s; p < dash; p++) {
        if (*p < '0' || *p > '9' || plane > 100)
            return false;
        plane = plane * 10 + (uint32_t)(*p - '0');
    }
    uint32_t code = 0;
    for (const char *p = dash + 1; p < s + n; p++) {
        int d;
        if (*p >= '0' && *p <= '9')
            d = *p - '0';
        else if (*p >= 'A' && *p <= 'F')
            d = *p - 'A' + 10;
        else if (*p >= 'a' && *p <= 'f')
            d = *p - 'a' + 10;
        else
            return false;
        code = code * 16 + (uint32_t)d;
    }
    unsigned hi = code >> 8, lo = code & 0xff;
    if (plane < 1 || plane >= CNS_PLANES || hi < 0x21 || hi > 0x7e || lo < 0x21 || lo > 0x7e)
        return false;
    *out = plane << 16 | code;
    return true;
}

static bool irg_line(uint32_t cp, const char *field, const char *value, void *ctx, char *err,
                     size_t errlen)
{
    struct builder *b = ctx;
    if (strcmp(field, "kTotalStrokes") == 0) {
        /* "14", or "3 4": zh-Hans count, then zh-Hant (Taiwan's) count */
        const char *sp = strrchr(value, ' ');
        long v = parse_num(sp != NULL ? sp + 1 : value, NULL, 1, 99);
        struct hz_char *c = v > 0 ? db_add(b->db, cp) : NULL;
        if (v > 0 && c == NULL)
            goto oom;
        if (c != NULL)
            c->strokes = (uint8_t)v;
    } else if (strcmp(field, "kRSUnicode") == 0) {
        /* "85.3", "85'.3" (simplified form of the radical), first value counts */
        const char *p;
        long rad = parse_num(value, &p, 1, 214);
        if (rad < 0)
            return true;
        while (*p == '\'')
            p++;
        if (*p != '.')
            return true;
        long res = p[1] == '-' ? -parse_num(p + 2, NULL, 0, 9) : parse_num(p + 1, NULL, 0, 99);
        struct hz_char *c = db_add(b->db, cp);
        if (c == NULL)
            goto oom;
        c->radical = (uint8_t)rad;
        c->residual = (int8_t)(res < -9 ? -1 : res);
    } else if (strcmp(field, "kIRG_TSource") == 0 && value[0] == 'T' && value[1] != '\0' &&
               value[2] == '-') {
        /* T1..T7 are planes 1..7, TA..TF planes 10..15; T12, T13, TU are not plane codes */
        char pl = value[1];
        unsigned plane = pl >= '1' && pl <= '7'   ? (unsigned)(pl - '0')
                         : pl >= 'A' && pl <= 'F' ? (unsigned)(pl - 'A' + 10)
                                                  : 0;
        char txt[16];
        uint32_t cns;
        if (plane == 0 ||
            snprintf(txt, sizeof(txt), "%u-%s", plane, value + 3) >= (int)sizeof(txt) ||
            !parse_cns(txt, strlen(txt), &cns))
            return true;
        if (b->ntsrc == b->tsrccap) {
            size_t ncap = b->tsrccap == 0 ? 4096 : b->tsrccap * 2;
            struct cns_pair *n = egov_realloc(b->tsrc, ncap * sizeof(*n));
            if (n == NULL)
                goto oom;
            b->tsrc = n;
            b->tsrccap = ncap;
        }
        b->tsrc[b->ntsrc++] = (struct cns_pair){cns, cp};
    }
    return true;
oom:
    snprintf(err, errlen, "out of memory");
    return false;
}

/* Adds the 注音 of a pinyin syllable to @p out unless already there. */
static void add_reading(struct egov_buf *out, const char *py, size_t n)
{
    char syl[32], zy[32];
    if (n == 0 || n >= sizeof(syl))
        return;
    memcpy(syl, py, n);
    syl[n] = '\0';
    if (!egov_hanzi_pinyin_to_zhuyin(syl, zy, sizeof(zy)))
        return;
    size_t zl = strlen(zy);
    /* de-duplicate: whole space-separated words */
    const char *p = out->data;
    while (p != NULL && *p != '\0') {
        const char *sp = strchr(p, ' ');
        size_t wl = sp == NULL ? strlen(p) : (size_t)(sp - p);
        if (wl == zl && memcmp(p, zy, zl) == 0)
            return;
        p = sp == NULL ? NULL : sp + 1;
    }
    if (out->len > 0)
        egov_buf_putc(out, ' ');
    egov_buf_append(out, zy, zl);
}

/* Stores the readings gathered for b->cur. */
static bool flush_readings(struct builder *b)
{
    bool ok = true;
    struct egov_buf zy;
    egov_buf_init(&zy);
    if (b->cur == 0)
        return true;
    /* kMandarin: one value, or "zh-Hans zh-Hant": Taiwan's reading goes first */
    const char *m = b->mandarin;
    const char *sp = strchr(m, ' ');
    if (sp != NULL)
        add_reading(&zy, sp + 1, strlen(sp + 1));
    if (*m != '\0')
        add_reading(&zy, m, sp != NULL ? (size_t)(sp - m) : strlen(m));
    /* kHanyuPinyin: "10019.020:tiàn 10020.050:tiān,diàn" */
    const char *p = b->hanyu;
    while (*p != '\0') {
        const char *colon = strchr(p, ':');
        if (colon == NULL)
            break;
        p = colon + 1;
        for (;;) {
            size_t l = strcspn(p, ", ");
            add_reading(&zy, p, l);
            p += l;
            if (*p != ',')
                break;
            p++;
        }
        while (*p == ' ')
            p++;
    }
    if (zy.oom) {
        ok = false;
    } else if (zy.len > 0) {
        struct hz_char *c = db_add(b->db, b->cur);
        uint32_t off = c != NULL ? pool_add(b->db, zy.data, zy.len) : 0;
        if (off == 0)
            ok = false;
        else
            c->zhuyin = off;
    }
    egov_buf_free(&zy);
    b->cur = 0;
    b->mandarin[0] = b->hanyu[0] = '\0';
    return ok;
}

static bool readings_line(uint32_t cp, const char *field, const char *value, void *ctx, char *err,
                          size_t errlen)
{
    struct builder *b = ctx;
    bool man = strcmp(field, "kMandarin") == 0;
    bool han = strcmp(field, "kHanyuPinyin") == 0;
    if (!man && !han)
        return true;
    if (cp != b->cur) {
        if (!flush_readings(b)) {
            snprintf(err, errlen, "out of memory");
            return false;
        }
        b->cur = cp;
    }
    if (man)
        snprintf(b->mandarin, sizeof(b->mandarin), "%s", value);
    else
        snprintf(b->hanyu, sizeof(b->hanyu), "%s", value);
    return true;
}

/*
 * The relation seen from the other character: (a -> b, traditional) says b
 * is a traditional form of a, so (b -> a) is simplified; the others are
 * symmetric.
 */
static uint32_t reverse_rel(uint32_t rel)
{
    if (rel == HZ_V_TRADITIONAL)
        return HZ_V_SIMPLIFIED;
    if (rel == HZ_V_SIMPLIFIED)
        return HZ_V_TRADITIONAL;
    return rel;
}

static bool variants_line(uint32_t cp, const char *field, const char *value, void *ctx, char *err,
                          size_t errlen)
{
    struct builder *b = ctx;
    uint32_t rel = strcmp(field, "kZVariant") == 0                     ? HZ_V_Z
                   : strcmp(field, "kSemanticVariant") == 0            ? HZ_V_SEMANTIC
                   : strcmp(field, "kSpecializedSemanticVariant") == 0 ? HZ_V_SPECIALIZED
                   : strcmp(field, "kTraditionalVariant") == 0         ? HZ_V_TRADITIONAL
                   : strcmp(field, "kSimplifiedVariant") == 0          ? HZ_V_SIMPLIFIED
                                                                       : 0;
    if (rel == 0)
        return true;
    /* "U+53F0<kHKGlyph,kLau U+6AAF" */
    const char *p = value;
    while (*p != '\0') {
        while (*p == ' ')
            p++;
        if (p[0] != 'U' || p[1] != '+')
            break;
        char *end;
        unsigned long v = strtoul(p + 2, &end, 16);
        if (end == p + 2 || v == 0 || v >= HZ_CP_LIMIT)
            break;
        if (v != cp && (db_add(b->db, cp) == NULL || db_add(b->db, (uint32_t)v) == NULL ||
                        !vp_add(b->db, cp, (uint32_t)v, rel) ||
                        !vp_add(b->db, (uint32_t)v, cp, reverse_rel(rel)))) {
            snprintf(err, errlen, "out of memory");
            return false;
        }
        p = end + strcspn(end, " ");
    }
    return true;
}

/* CJKRadicals.txt: "85; 2F54; 6C34" (85' lines are simplified forms: skipped). */
static bool load_radicals(struct hz_db *db, const char *dir, char *err, size_t errlen)
{
    char path[1024];
    char line[256];
    int pn = snprintf(path, sizeof(path), "%s/CJKRadicals.txt", dir);
    if (pn < 0 || (size_t)pn >= sizeof(path))
        return false;
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        snprintf(err, errlen, "%.200s: %s", path, strerror(errno));
        return false;
    }
    while (fgets(line, sizeof(line), f) != NULL) {
        const char *p;
        long r = parse_num(line, &p, 1, 214);
        if (r < 0 || *p != ';')
            continue;
        const char *last = strrchr(line, ';');
        unsigned long cp = strtoul(last + 1, NULL, 16);
        if (cp == 0 || cp >= HZ_CP_LIMIT)
            continue;
        db->rad_cp[r] = (uint32_t)cp;
    }
    fclose(f);
    return true;
}

static int pair_cmp(const void *a, const void *b)
{
    const struct hz_vpair *x = a, *y = b;
    if (x->a != y->a)
        return x->a < y->a ? -1 : 1;
    return x->b < y->b ? -1 : x->b > y->b;
}

static int cns_pair_cmp(const void *a, const void *b)
{
    const struct cns_pair *x = a, *y = b;
    return x->cns < y->cns ? -1 : x->cns > y->cns;
}

static int char_cmp(const void *a, const void *b)
{
    const struct hz_char *x = a, *y = b;
    return x->cp < y->cp ? -1 : x->cp > y->cp;
}

static uint32_t uf_find(uint32_t *parent, uint32_t i)
{
    while (parent[i] != i) {
        parent[i] = parent[parent[i]];
        i = parent[i];
    }
    return i;
}

/* Merges duplicate pairs (same a, b from several fields) into one with all bits. */
static void vp_merge(struct hz_db *db)
{
    if (db->nvp == 0)
        return;
    qsort(db->vp, db->nvp, sizeof(db->vp[0]), pair_cmp);
    size_t o = 0;
    for (size_t i = 1; i < db->nvp; i++) {
        if (db->vp[i].a == db->vp[o].a && db->vp[i].b == db->vp[o].b)
            db->vp[o].rel |= db->vp[i].rel;
        else
            db->vp[++o] = db->vp[i];
    }
    db->nvp = o + 1;
}

/* The only character @p cp has as @p bit variant, or 0 if it has none or several. */
static uint32_t sole_variant(const struct hz_db *db, uint32_t cp, uint32_t bit)
{
    const struct hz_vpair *vp;
    size_t n = hz_db_variants(db, cp, &vp);
    uint32_t found = 0;
    for (size_t i = 0; i < n; i++) {
        if ((vp[i].rel & bit) == 0)
            continue;
        if (found != 0)
            return 0;
        found = vp[i].b;
    }
    return found;
}

/*
 * True if simplified form @p s folds into its traditional form: s has
 * exactly one traditional form t (besides itself), t has exactly one
 * simplified form (s), and s is not a character of Taiwan's common planes
 * (CNS plane 1 or 2), where it would be a name character of its own.  This
 * joins 黃/黄, 冊/册, 劉/刘, 鄭/郑, 陳/陈 and keeps 范/範, 余/餘, 沈/瀋,
 * 鍾/鐘 (钟 has two traditional forms) and 後/后 apart.
 */
static uint32_t simplified_fold(const struct hz_db *db, const struct hz_char *s)
{
    unsigned plane = s->cns >> 16;
    if (plane == 1 || plane == 2)
        return 0;
    uint32_t t = sole_variant(db, s->cp, HZ_V_TRADITIONAL);
    if (t == 0 || sole_variant(db, t, HZ_V_SIMPLIFIED) != s->cp)
        return 0;
    return t;
}

static void uf_union(uint32_t *parent, uint32_t a, uint32_t b)
{
    uint32_t x = uf_find(parent, a), y = uf_find(parent, b);
    /* entries are sorted by code point: the lower index is the lower cp */
    if (x < y)
        parent[y] = x;
    else if (y < x)
        parent[x] = y;
}

/*
 * Variant classes: the union of kZVariant and kSemanticVariant pairs and of
 * the one-to-one simplified forms (simplified_fold()); the representative
 * is the lowest code point.  Needs the CNS codes filled in.
 */
static bool build_classes(struct hz_db *db)
{
    uint32_t *parent = egov_malloc((db->n + 1) * sizeof(*parent));
    if (parent == NULL)
        return false;
    for (size_t i = 0; i < db->n; i++)
        parent[i] = (uint32_t)i;
    for (size_t i = 0; i < db->nvp; i++) {
        if ((db->vp[i].rel & (HZ_V_Z | HZ_V_SEMANTIC)) == 0)
            continue;
        uf_union(parent, (uint32_t)db->index[db->vp[i].a] - 1,
                 (uint32_t)db->index[db->vp[i].b] - 1);
    }
    for (size_t i = 0; i < db->n; i++) {
        uint32_t t = simplified_fold(db, &db->c[i]);
        if (t != 0 && db->index[t] != 0)
            uf_union(parent, (uint32_t)i, (uint32_t)db->index[t] - 1);
    }
    for (size_t i = 0; i < db->n; i++)
        db->c[i].vkey = db->c[uf_find(parent, (uint32_t)i)].cp;
    egov_free(parent);
    return true;
}

/*
 * Stores the official readings @p cns of @p c, putting first the one
 * Unihan gives as customary in Taiwan (kMandarin) when the official list
 * has it: the official files list readings in no order of use (吧 has
 * ㄅㄚ before ˙ㄅㄚ), and sorting by 注音 uses the first.  Returns the pool
 * offset, 0 on OOM.
 */
static uint32_t cns_readings(struct hz_db *db, const struct hz_char *c, const char *cns)
{
    const char *old = db->pool + c->zhuyin;
    size_t ol = strcspn(old, " ");
    size_t n = strlen(cns);
    const char *p = cns;
    bool found = false;
    while (ol > 0 && *p != '\0') {
        size_t l = strcspn(p, " ");
        if (l == ol && memcmp(p, old, l) == 0) {
            found = true;
            break;
        }
        p += l;
        while (*p == ' ')
            p++;
    }
    if (!found)
        return pool_add(db, cns, n);
    /* old first, then the others in file order */
    char *buf = egov_malloc(n + 2);
    if (buf == NULL)
        return 0;
    size_t o = 0;
    memcpy(buf, old, ol);
    o = ol;
    for (const char *q = cns; *q != '\0';) {
        size_t l = strcspn(q, " ");
        if (l > 0 && q != p) {
            buf[o++] = ' ';
            memcpy(buf + o, q, l);
            o += l;
        }
        q += l;
        while (*q == ' ')
            q++;
    }
    uint32_t off = pool_add(db, buf, o);
    egov_free(buf);
    return off;
}

/* Reads vardir/hanzi/props.tsv (the imported Properties). */
static bool load_imported(struct builder *b, const char *path, bool *found, char *err,
                          size_t errlen)
{
    struct hz_db *db = b->db;
    bool ok = false;
    char line[4096];
    unsigned long lineno = 0;
    FILE *f = fopen(path, "r");
    *found = f != NULL;
    if (f == NULL) {
        if (errno != ENOENT)
            snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return errno == ENOENT;
    }
    while (fgets(line, sizeof(line), f) != NULL) {
        lineno++;
        size_t l = strlen(line);
        if (l > 0 && line[l - 1] == '\n') {
            line[--l] = '\0';
        } else if (!feof(f)) {
            snprintf(err, errlen, "%s:%lu: line too long", path, lineno);
            goto fail;
        }
        if (lineno == 1 && strcmp(line, PROPS_MAGIC) != 0) {
            snprintf(err, errlen, "%s: not a properties file of this version", path);
            goto fail;
        }
        if (line[0] == '#' || l == 0)
            continue;
        char *t1 = strchr(line, '\t');
        char *t2 = t1 != NULL ? strchr(t1 + 1, '\t') : NULL;
        char *t3 = t2 != NULL ? strchr(t2 + 1, '\t') : NULL;
        uint32_t cns;
        long strokes, radical;
        if (t3 == NULL || !parse_cns(line, (size_t)(t1 - line), &cns) ||
            (strokes = parse_num(t1 + 1, NULL, 0, 99)) < 0 ||
            (radical = parse_num(t2 + 1, NULL, 0, 214)) < 0) {
            snprintf(err, errlen, "%s:%lu: malformed line", path, lineno);
            goto fail;
        }
        uint32_t cp = 0;
        cp = egov_hanzi_cp_of_cns(cns);
        if (cp == 0 && b->ntsrc > 0) {
            struct cns_pair key = {cns, 0};
            const struct cns_pair *hit =
                bsearch(&key, b->tsrc, b->ntsrc, sizeof(key), cns_pair_cmp);
            if (hit != NULL)
                cp = hit->cp;
        }
        if (cp == 0)
            continue; /* a CNS code without a code point in the loaded tables */
        struct hz_char *c = db_add(db, cp);
        if (c == NULL)
            goto oom;
        c->from_cns = 1;
        c->cns = cns;
        unsigned int old_rad = c->radical, old_strokes = c->strokes;
        if (strokes > 0)
            c->strokes = (uint8_t)strokes;
        if (radical > 0)
            c->radical = (uint8_t)radical;
        /* keep Unihan's residual only if it counts the same way */
        if (c->residual >= 0 && (old_rad != c->radical || old_strokes != c->strokes))
            c->residual = -1;
        if (*(t3 + 1) != '\0') {
            uint32_t off = cns_readings(db, c, t3 + 1);
            if (off == 0)
                goto oom;
            c->zhuyin = off;
        }
    }
    ok = true;
    goto fail;
oom:
    snprintf(err, errlen, "out of memory");
fail:
    fclose(f);
    return ok;
}

/* Parses every character's readings once, for lookups by reading. */
static bool parse_readings(struct hz_db *db)
{
    size_t cap = db->n + 1024;
    db->syl = egov_malloc(cap * sizeof(*db->syl));
    if (db->syl == NULL)
        return false;
    for (size_t i = 0; i < db->n; i++) {
        struct hz_char *c = &db->c[i];
        const char *z = db->pool + c->zhuyin;
        c->syl_off = (uint32_t)db->nsyl;
        while (*z != '\0' && c->nsyl < UINT8_MAX) {
            size_t l = strcspn(z, " ");
            uint8_t letters[3], tone;
            if (hz_zhuyin_parse(z, l, false, letters, &tone) == l) {
                if (db->nsyl == cap) {
                    uint32_t *n = egov_realloc(db->syl, cap * 2 * sizeof(*n));
                    if (n == NULL)
                        return false;
                    db->syl = n;
                    cap *= 2;
                }
                db->syl[db->nsyl++] = HZ_SYL(letters[0], letters[1], letters[2], tone);
                c->nsyl++;
            }
            z += l;
            while (*z == ' ')
                z++;
        }
    }
    return true;
}

/* Fills residual strokes that are still unknown: total - the radical's strokes. */
static void fill_residuals(struct hz_db *db)
{
    for (unsigned r = 1; r <= 214; r++) {
        const struct hz_char *rc = hz_db_char(db, db->rad_cp[r]);
        db->rad_strokes[r] = rc != NULL ? rc->strokes : 0;
        egov_utf8_encode(db->rad_cp[r] != 0 ? db->rad_cp[r] : 0x2F00 + r - 1, db->rad_utf8[r]);
    }
    for (size_t i = 0; i < db->n; i++) {
        struct hz_char *c = &db->c[i];
        if (c->residual >= 0 || c->radical == 0 || c->strokes == 0 ||
            db->rad_strokes[c->radical] == 0)
            continue;
        int res = (int)c->strokes - (int)db->rad_strokes[c->radical];
        c->residual = (int8_t)(res >= 0 ? res : -1);
    }
}

static struct hz_db *db_load(const char *vardir, const char *unihan_dir, char *err, size_t errlen)
{
    struct builder b;
    memset(&b, 0, sizeof(b));
    char sub[256] = "";
    struct hz_db *db = egov_calloc(1, sizeof(*db));
    if (db == NULL)
        goto oom;
    b.db = db;
    db->index = egov_calloc(HZ_CP_LIMIT, sizeof(db->index[0]));
    if (db->index == NULL || pool_add(db, "", 0) != 0)
        goto oom;
    db->source = "none";
    if (unihan_dir == NULL)
        unihan_dir = getenv("EGOV_UNIHAN_DIR");
    if (unihan_dir == NULL || *unihan_dir == '\0')
        unihan_dir = "/usr/share/unicode";

    bool have_unihan = hz_unihan_each(unihan_dir, "IRGSources", irg_line, &b, err, errlen);
    if (have_unihan) {
        if (!hz_unihan_each(unihan_dir, "Readings", readings_line, &b, err, errlen) ||
            !flush_readings(&b) ||
            !hz_unihan_each(unihan_dir, "Variants", variants_line, &b, err, errlen))
            goto fail;
        if (!load_radicals(db, unihan_dir, sub, sizeof(sub)))
            egov_warn("hanzi: %s; radicals will have no character", sub);
        db->source = "unihan";
    } else {
        snprintf(sub, sizeof(sub), "%s", err);
    }
    if (b.ntsrc > 0)
        qsort(b.tsrc, b.ntsrc, sizeof(b.tsrc[0]), cns_pair_cmp);
    if (vardir != NULL && *vardir != '\0') {
        char path[1024];
        bool found = false;
        int pn = snprintf(path, sizeof(path), "%s/hanzi/" PROPS_FILE, vardir);
        if (pn < 0 || (size_t)pn >= sizeof(path)) {
            snprintf(err, errlen, "data directory path too long");
            goto fail;
        }
        if (!load_imported(&b, path, &found, err, errlen))
            goto fail;
        if (found)
            db->source = have_unihan ? "cns11643+unihan" : "cns11643";
    }
    if (db->n == 0) {
        snprintf(err, errlen, "no character properties: %s", sub);
        goto fail;
    }
    /* sort by code point, rebuild the index, then derive what depends on it */
    qsort(db->c, db->n, sizeof(db->c[0]), char_cmp);
    for (size_t i = 0; i < db->n; i++)
        db->index[db->c[i].cp] = (int32_t)(i + 1);
    vp_merge(db);
    fill_residuals(db);
    if (!parse_readings(db))
        goto oom;
    for (size_t i = 0; i < db->n; i++) {
        struct hz_char *c = &db->c[i];
        if (c->cns != 0)
            continue;
        c->cns = egov_hanzi_cns_of(c->cp);
    }
    /* kIRG_TSource for what the conversion tables did not give */
    for (size_t i = 0; i < b.ntsrc; i++) {
        struct hz_char *c =
            db->index[b.tsrc[i].cp] != 0 ? &db->c[db->index[b.tsrc[i].cp] - 1] : NULL;
        if (c != NULL && c->cns == 0)
            c->cns = b.tsrc[i].cns;
    }
    if (!build_classes(db))
        goto oom;
    egov_free(b.tsrc);
    return db;
oom:
    snprintf(err, errlen, "out of memory");
fail:
    egov_free(b.tsrc);
    db_free(db);
    return NULL;
}

/* ------------------------------------------------------------------ */
/* Publishing and access                                               */
/* ------------------------------------------------------------------ */

bool egov_hanzi_props_load(const char *vardir, const char *unihan_dir, char *err, size_t errlen)
{
    char tmp[16];
    if (err == NULL) {
        err = tmp;
        errlen = sizeof(tmp);
    }
    err[0] = '\0';
    struct hz_db *db = db_load(vardir, unihan_dir, err, errlen);
    bool ok = db != NULL;
    pthread_mutex_lock(&g_lock);
    struct hz_db *old = g_db;
    if (db == NULL && old == NULL) {
        /* publish an empty table so the defaults are not retried on every call */
        db = egov_calloc(1, sizeof(*db));
        if (db != NULL)
            db->source = "none";
    }
    if (db != NULL) {
        __atomic_store_n(&g_db, db, __ATOMIC_RELEASE);
        db_free(old);
    }
    pthread_mutex_unlock(&g_lock);
    return ok;
}

void egov_hanzi_props_unload(void)
{
    pthread_mutex_lock(&g_lock);
    struct hz_db *old = g_db;
    __atomic_store_n(&g_db, NULL, __ATOMIC_RELEASE);
    pthread_mutex_unlock(&g_lock);
    db_free(old);
}

const struct hz_db *hz_db_get(void)
{
    static pthread_mutex_t lazy_lock = PTHREAD_MUTEX_INITIALIZER;
    struct hz_db *db = __atomic_load_n(&g_db, __ATOMIC_ACQUIRE);
    if (db != NULL)
        return db;
    /* first use without an explicit load: one thread loads the defaults */
    pthread_mutex_lock(&lazy_lock);
    db = __atomic_load_n(&g_db, __ATOMIC_ACQUIRE);
    if (db == NULL) {
        char err[256];
        if (!egov_hanzi_props_load(NULL, NULL, err, sizeof(err)))
            egov_warn("hanzi: character properties: %s", err);
        db = __atomic_load_n(&g_db, __ATOMIC_ACQUIRE);
    }
    pthread_mutex_unlock(&lazy_lock);
    return db;
}

const struct hz_char *hz_db_char(const struct hz_db *db, uint32_t cp)
{
    if (db == NULL || db->index == NULL || cp >= HZ_CP_LIMIT || db->index[cp] == 0)
        return NULL;
    return &db->c[db->index[cp] - 1];
}

const char *hz_db_zhuyin(const struct hz_db *db, const struct hz_char *c)
{
    return c != NULL && db->pool != NULL ? db->pool + c->zhuyin : "";
}

size_t hz_db_variants(const struct hz_db *db, uint32_t cp, const struct hz_vpair **first)
{
    *first = NULL;
    if (db == NULL || db->nvp == 0)
        return 0;
    size_t lo = 0, hi = db->nvp;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (db->vp[mid].a < cp)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t end = lo;
    while (end < db->nvp && db->vp[end].a == cp)
        end++;
    *first = db->vp + lo;
    return end - lo;
}

const char *egov_hanzi_props_source(void)
{
    const struct hz_db *db = hz_db_get();
    return db != NULL ? db->source : "none";
}

size_t egov_hanzi_props_count(void)
{
    const struct hz_db *db = hz_db_get();
    return db != NULL ? db->n : 0;
}

bool egov_hanzi_props_get(uint32_t cp, struct egov_hanzi_props *out)
{
    const struct hz_db *db = hz_db_get();
    const struct hz_char *c = hz_db_char(db, cp);
    if (c == NULL)
        return false;
    out->cp = c->cp;
    out->cns = c->cns;
    out->strokes = c->strokes;
    out->radical = c->radical;
    out->residual = c->residual;
    out->zhuyin = hz_db_zhuyin(db, c);
    out->variant_key = c->vkey;
    out->from_cns = c->from_cns != 0;
    return true;
}

bool hz_is_han(uint32_t cp)
{
    return (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x4E00 && cp <= 0x9FFF) ||
           (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x20000 && cp <= 0x3FFFF) ||
           (cp >= 0xF0000 && cp <= 0x10FFFD) || cp == 0x3007;
}

uint32_t *hz_utf8_to_cps(const char *s, size_t n, size_t *count)
{
    uint32_t *out = egov_malloc((n + 1) * sizeof(*out));
    size_t k = 0, i = 0;
    if (out == NULL)
        return NULL;
    while (i < n) {
        size_t l = egov_utf8_decode(s + i, n - i, &out[k]);
        if (l == 0) {
            egov_free(out);
            return NULL;
        }
        i += l;
        k++;
    }
    *count = k;
    return out;
}

/* ------------------------------------------------------------------ */
/* Radicals                                                            */
/* ------------------------------------------------------------------ */

const char *egov_hanzi_radical_char(unsigned int radical, unsigned int *strokes)
{
    const struct hz_db *db = hz_db_get();
    if (radical < 1 || radical > 214 || db == NULL)
        return NULL;
    if (strokes != NULL)
        *strokes = db->rad_strokes[radical];
    return db->rad_utf8[radical];
}

unsigned int egov_hanzi_radical_parse(const char *s)
{
    const struct hz_db *db = hz_db_get();
    uint32_t cp;
    size_t n = s != NULL ? strlen(s) : 0;
    if (n == 0 || db == NULL)
        return 0;
    if (s[0] >= '0' && s[0] <= '9') {
        const char *end;
        long v = parse_num(s, &end, 1, 214);
        return v > 0 && *end == '\0' ? (unsigned int)v : 0;
    }
    if (egov_utf8_decode(s, n, &cp) != n)
        return 0;
    if (cp >= 0x2F00 && cp <= 0x2FD5)
        return cp - 0x2F00 + 1;
    for (unsigned r = 1; r <= 214; r++)
        if (db->rad_cp[r] == cp)
            return r;
    /* a combining form such as 氵 or 扌: its own radical when it is one stroke count of it */
    const struct hz_char *c = hz_db_char(db, cp);
    if (c != NULL && c->radical != 0 && c->residual == 0)
        return c->radical;
    return 0;
}

/* ------------------------------------------------------------------ */
/* Description for `egov hanzi info` and GET /api/hanzi/chars/{c}      */
/* ------------------------------------------------------------------ */

static void set_new(json_t *obj, const char *key, json_t *v)
{
    if (v != NULL)
        json_object_set_new(obj, key, v);
}

/* "U+81FA" */
static json_t *ucode(uint32_t cp)
{
    char t[16];
    snprintf(t, sizeof(t), "U+%04X", (unsigned)cp);
    return json_string(t);
}

static json_t *utf8_char(uint32_t cp)
{
    char t[5] = {0};
    size_t n = egov_utf8_encode(cp, t);
    return n > 0 ? json_stringn(t, n) : NULL;
}

static json_t *variant_relations(uint32_t rel)
{
    static const struct {
        uint32_t bit;
        const char *name;
    } names[] = {
        {HZ_V_Z, "z"},
        {HZ_V_SEMANTIC, "semantic"},
        {HZ_V_SPECIALIZED, "specialized-semantic"},
        {HZ_V_TRADITIONAL, "traditional"},
        {HZ_V_SIMPLIFIED, "simplified"},
    };
    json_t *a = json_array();
    for (size_t i = 0; a != NULL && i < sizeof(names) / sizeof(names[0]); i++)
        if (rel & names[i].bit)
            json_array_append_new(a, json_string(names[i].name));
    return a;
}

void egov_hanzi_props_describe(uint32_t cp, json_t *obj)
{
    const struct hz_db *db = hz_db_get();
    const struct hz_char *c = hz_db_char(db, cp);
    if (obj == NULL || c == NULL)
        return;
    if (c->strokes > 0)
        set_new(obj, "strokes", json_integer(c->strokes));
    if (c->radical > 0) {
        json_t *r =
            json_pack("{s:i, s:s}", "number", (int)c->radical, "char", db->rad_utf8[c->radical]);
        if (r != NULL && c->residual >= 0)
            json_object_set_new(r, "residual", json_integer(c->residual));
        set_new(obj, "radical", r);
    }
    json_t *zy = json_array();
    const char *z = hz_db_zhuyin(db, c);
    while (zy != NULL && *z != '\0') {
        size_t l = strcspn(z, " ");
        json_array_append_new(zy, json_stringn(z, l));
        z += l;
        while (*z == ' ')
            z++;
    }
    set_new(obj, "zhuyin", zy);
    const struct hz_vpair *vp;
    size_t nv = hz_db_variants(db, cp, &vp);
    json_t *vars = json_array();
    for (size_t i = 0; vars != NULL && i < nv; i++) {
        json_t *v = json_object();
        if (v == NULL)
            break;
        set_new(v, "char", utf8_char(vp[i].b));
        set_new(v, "unicode", ucode(vp[i].b));
        set_new(v, "relation", variant_relations(vp[i].rel));
        json_array_append_new(vars, v);
    }
    set_new(obj, "variants", vars);
    if (c->vkey != c->cp)
        set_new(obj, "variant_key", ucode(c->vkey));
    set_new(obj, "properties_source", json_string(c->from_cns ? "cns11643" : "unihan"));
}
