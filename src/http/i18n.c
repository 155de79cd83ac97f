/*
 * i18n.c -- message catalogs and language negotiation.
 *
 * Why not gettext(3): its language is process-wide (setlocale) and needs generated system
 * locales, while each request here has its own language; so the msgfmt-compiled .mo files
 * are read here directly: header checked, every offset validated, lookups by binary search.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http/http.h"

#define MO_MAGIC         0x950412deU
#define MO_MAGIC_SWAPPED 0xde120495U
#define MO_HEADER_SIZE   28
/** Largest catalog accepted. */
#define MO_MAX_SIZE (16u * 1024u * 1024u)

/** One loaded catalog: the file's bytes and where its tables are. */
struct catalog {
    unsigned char *data; /* owned */
    size_t size;
    bool swapped;
    uint32_t n;
    uint32_t orig_off;
    uint32_t trans_off;
};

/* The supported languages, index-aligned with their catalog directories. */
enum { LANG_ZH_TW = 0, LANG_EN = 1, LANG_COUNT = 2 };
static const char *const lang_tags[LANG_COUNT] = {"zh-TW", "en"};
static const char *const lang_dirs[LANG_COUNT] = {"zh_TW", "en"};

/* Written only by egov_i18n_load() (at start-up); read by every request. */
static struct catalog catalogs[LANG_COUNT];

static uint32_t rd32(const struct catalog *c, size_t off)
{
    const unsigned char *p = c->data + off;
    if (c->swapped)
        return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
    return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

/* The string of table entry @p i at table offset @p table (validated at load). */
static const char *entry(const struct catalog *c, uint32_t table, uint32_t i, uint32_t *len)
{
    size_t at = (size_t)table + (size_t)i * 8;
    *len = rd32(c, at);
    return (const char *)c->data + rd32(c, at + 4);
}

/* Checks that table entry @p i describes a NUL-terminated string inside the file. */
static bool entry_valid(const struct catalog *c, uint32_t table, uint32_t i)
{
    size_t at = (size_t)table + (size_t)i * 8;
    uint64_t len = rd32(c, at), off = rd32(c, at + 4);
    return off + len < c->size && c->data[off + len] == '\0';
}

/*
 * Validates a catalog's header and tables; on success fills the table
 * fields of @p c.  Every offset is checked against the file size so that
 * lookups need no further checks.
 */
static bool catalog_validate(struct catalog *c, char *err, size_t errlen)
{
    uint32_t magic, rev;

    if (c->size < MO_HEADER_SIZE) {
        snprintf(err, errlen, "shorter than a header");
        return false;
    }
    magic = (uint32_t)c->data[0] | (uint32_t)c->data[1] << 8 | (uint32_t)c->data[2] << 16 |
            (uint32_t)c->data[3] << 24;
    if (magic == MO_MAGIC) {
        c->swapped = false;
    } else if (magic == MO_MAGIC_SWAPPED) {
        c->swapped = true;
    } else {
        snprintf(err, errlen, "bad magic number");
        return false;
    }
    rev = rd32(c, 4);
    if ((rev >> 16) > 1) {
        snprintf(err, errlen, "unsupported revision %u", (unsigned int)rev);
        return false;
    }
    c->n = rd32(c, 8);
    c->orig_off = rd32(c, 12);
    c->trans_off = rd32(c, 16);
    if ((uint64_t)c->orig_off + (uint64_t)c->n * 8 > c->size ||
        (uint64_t)c->trans_off + (uint64_t)c->n * 8 > c->size || c->orig_off % 4 != 0 ||
        c->trans_off % 4 != 0) {
        snprintf(err, errlen, "string tables outside the file");
        return false;
    }
    for (uint32_t i = 0; i < c->n; i++) {
        if (!entry_valid(c, c->orig_off, i) || !entry_valid(c, c->trans_off, i)) {
            snprintf(err, errlen, "string %u outside the file", (unsigned int)i);
            return false;
        }
        if (i > 0) {
            uint32_t l1, l2;
            const char *a = entry(c, c->orig_off, i - 1, &l1);
            const char *b = entry(c, c->orig_off, i, &l2);
            if (strcmp(a, b) >= 0) {
                snprintf(err, errlen, "original strings not sorted at %u", (unsigned int)i);
                return false;
            }
        }
    }
    return true;
}

/* Reads and validates one catalog file into @p c.  False leaves @p c empty. */
static bool catalog_load(struct catalog *c, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    long size;
    bool ok = false;

    memset(c, 0, sizeof(*c));
    if (f == NULL) {
        snprintf(err, errlen, "%s", strerror(errno));
        return false;
    }
    if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
        snprintf(err, errlen, "cannot determine the size");
        goto out;
    }
    if ((unsigned long)size > MO_MAX_SIZE) {
        snprintf(err, errlen, "larger than %u bytes", MO_MAX_SIZE);
        goto out;
    }
    c->size = (size_t)size;
    c->data = egov_malloc(c->size + 1);
    if (c->data == NULL) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    if (fread(c->data, 1, c->size, f) != c->size) {
        snprintf(err, errlen, "read error");
        goto out;
    }
    ok = catalog_validate(c, err, errlen);
out:
    fclose(f);
    if (!ok) {
        egov_free(c->data);
        memset(c, 0, sizeof(*c));
    }
    return ok;
}

/* Binary search over the sorted original strings; NULL if absent or empty. */
static const char *catalog_find(const struct catalog *c, const char *msgid)
{
    uint32_t lo = 0, hi = c->n;

    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2, len;
        int cmp = strcmp(msgid, entry(c, c->orig_off, mid, &len));
        if (cmp == 0) {
            const char *tr = entry(c, c->trans_off, mid, &len);
            return len == 0 ? NULL : tr;
        }
        if (cmp < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

void egov_i18n_load(const char *localedir)
{
    for (int i = 0; i < LANG_COUNT; i++) {
        char path[1024], err[128];
        int n;

        egov_free(catalogs[i].data);
        memset(&catalogs[i], 0, sizeof(catalogs[i]));
        if (localedir == NULL)
            continue;
        n = snprintf(path, sizeof(path), "%s/%s/LC_MESSAGES/egov.mo", localedir, lang_dirs[i]);
        if (n < 0 || (size_t)n >= sizeof(path)) {
            egov_warn("message catalog path too long for %s", lang_dirs[i]);
            continue;
        }
        if (!catalog_load(&catalogs[i], path, err, sizeof(err)))
            egov_warn("message catalog %s not loaded: %s", path, err);
    }
}

/* Index of a supported language for tag @p s ("zh-TW", "zh_Hant", "en-GB", ...); -1 if none. */
static int lang_index(const char *s, size_t n)
{
    if (n >= 2 && strncasecmp(s, "zh", 2) == 0 && (n == 2 || s[2] == '-' || s[2] == '_'))
        return LANG_ZH_TW;
    if (n >= 2 && strncasecmp(s, "en", 2) == 0 && (n == 2 || s[2] == '-' || s[2] == '_'))
        return LANG_EN;
    return -1;
}

const char *egov_i18n_gettext(const char *lang, const char *msgid)
{
    int i = lang == NULL ? LANG_ZH_TW : lang_index(lang, strlen(lang));
    const char *tr;

    if (msgid == NULL || msgid[0] == '\0' || i < 0 || catalogs[i].data == NULL)
        return msgid;
    tr = catalog_find(&catalogs[i], msgid);
    return tr == NULL ? msgid : tr;
}

/* Parses a q-value "1", "0.8", "0.125" into thousandths; -1 if malformed. */
static int parse_q(const char *s, size_t n)
{
    int q = 0, scale = 1000;
    size_t i = 0;

    if (n == 0 || (s[0] != '0' && s[0] != '1'))
        return -1;
    q = (s[0] - '0') * 1000;
    i = 1;
    if (i < n && s[i] == '.') {
        i++;
        for (size_t d = 0; i < n && d < 3; d++, i++) {
            if (s[i] < '0' || s[i] > '9')
                return -1;
            scale /= 10;
            q += (s[i] - '0') * scale;
        }
    }
    if (i != n || q > 1000)
        return -1;
    return q;
}

/* Picks the best supported language of an Accept-Language value; -1 if none. */
static int accept_language_pick(const char *al)
{
    int best = -1, best_q = 0;
    const char *p = al;

    while (*p != '\0') {
        const char *item = p, *end = strchr(p, ',');
        const char *semi, *tag_end;
        size_t tag_len;
        int idx, q = 1000;

        if (end == NULL)
            end = p + strlen(p);
        p = *end == ',' ? end + 1 : end;
        while (item < end && (*item == ' ' || *item == '\t'))
            item++;
        semi = item < end ? memchr(item, ';', (size_t)(end - item)) : NULL;
        tag_end = semi == NULL ? end : semi;
        while (tag_end > item && (tag_end[-1] == ' ' || tag_end[-1] == '\t'))
            tag_end--;
        tag_len = (size_t)(tag_end - item);
        if (semi != NULL) {
            const char *qs = semi + 1, *qe = end;
            while (qs < qe && (*qs == ' ' || *qs == '\t'))
                qs++;
            while (qe > qs && (qe[-1] == ' ' || qe[-1] == '\t'))
                qe--;
            if ((size_t)(qe - qs) < 2 || qs[0] != 'q' || qs[1] != '=')
                continue;
            q = parse_q(qs + 2, (size_t)(qe - qs - 2));
            if (q < 0)
                continue;
        }
        if (tag_len == 1 && item[0] == '*')
            idx = LANG_ZH_TW;
        else
            idx = lang_index(item, tag_len);
        if (idx >= 0 && q > best_q) {
            best = idx;
            best_q = q;
        }
    }
    return best;
}

const char *egov_i18n_negotiate(const char *query_lang, const char *cookie_lang,
                                const char *accept_language)
{
    int i = -1;

    if (query_lang != NULL)
        i = lang_index(query_lang, strlen(query_lang));
    if (i < 0 && cookie_lang != NULL)
        i = lang_index(cookie_lang, strlen(cookie_lang));
    if (i < 0 && accept_language != NULL)
        i = accept_language_pick(accept_language);
    return lang_tags[i < 0 ? LANG_ZH_TW : i];
}
