/*
 * table.c -- the in-memory character database: CNS <-> code point, the
 * 16-bit code sets, encodings by name, and the loaders (the imported
 * tables.bin, glibc iconv for CP950 and EUC-TW).
 */
#include <errno.h>
#include <iconv.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hanzi/props_internal.h"
#include "hanzi/table.h"

static pthread_mutex_t db_lock = PTHREAD_MUTEX_INITIALIZER;
static struct egov_hanzi_db *db_current;

const struct egov_hanzi_db *egov_hanzi_db_get(void)
{
    return __atomic_load_n(&db_current, __ATOMIC_ACQUIRE);
}

void egov_hanzi_db_publish(struct egov_hanzi_db *db)
{
    pthread_mutex_lock(&db_lock);
    struct egov_hanzi_db *old = db_current;
    __atomic_store_n(&db_current, db, __ATOMIC_RELEASE);
    pthread_mutex_unlock(&db_lock);
    /* loads happen at start-up and in tests, before and after any conversion */
    egov_hanzi_db_free(old);
}

void egov_hanzi_tables_unload(void)
{
    egov_hanzi_db_publish(NULL);
}

const char *egov_hanzi_tables_source(void)
{
    const struct egov_hanzi_db *db = egov_hanzi_db_get();
    return db ? db->source : "none";
}

struct egov_hanzi_db *egov_hanzi_db_new(void)
{
    struct egov_hanzi_db *db = egov_calloc(1, sizeof *db);
    if (!db)
        return NULL;
    db->cns2cp =
        egov_calloc((size_t)EGOV_HANZI_MAX_PLANE * EGOV_HANZI_PLANE_CELLS, sizeof *db->cns2cp);
    if (!db->cns2cp) {
        egov_free(db);
        return NULL;
    }
    static const struct {
        const char *name;
        enum egov_hanzi_kind kind;
    } fixed[] = {
        {"utf-8", EGOV_HANZI_K_UTF8},
        {"cns", EGOV_HANZI_K_CNS},
        {"euc-tw", EGOV_HANZI_K_EUCTW},
    };
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
        snprintf(db->enc[i].name, sizeof db->enc[i].name, "%s", fixed[i].name);
        db->enc[i].kind = fixed[i].kind;
    }
    db->nenc = 3;
    return db;
}

static void dbcs_free(struct egov_hanzi_dbcs *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < EGOV_HANZI_PAGES; i++)
        egov_free(t->enc[i]);
    egov_free(t->wide);
    egov_free(t);
}

void egov_hanzi_db_free(struct egov_hanzi_db *db)
{
    if (!db)
        return;
    for (unsigned int i = 0; i < db->nenc; i++) {
        /* aliases share a table with an earlier entry */
        bool shared = false;
        for (unsigned int j = 0; j < i; j++)
            if (db->enc[j].t == db->enc[i].t)
                shared = true;
        if (!shared)
            dbcs_free(db->enc[i].t);
    }
    for (size_t i = 0; i < EGOV_HANZI_PAGES; i++)
        egov_free(db->cp2cns[i]);
    egov_free(db->cns2cp);
    egov_free(db);
}

static long cns_cell(uint32_t cns)
{
    uint32_t plane = cns >> 16, row = (cns >> 8) & 0xFF, col = cns & 0xFF;
    if (plane < 1 || plane > EGOV_HANZI_MAX_PLANE || row < 0x21 || row > 0x7E || col < 0x21 ||
        col > 0x7E)
        return -1;
    return (long)(plane - 1) * EGOV_HANZI_PLANE_CELLS + (long)(row - 0x21) * 94 + (col - 0x21);
}

bool egov_hanzi_db_set_cns(struct egov_hanzi_db *db, uint32_t cns, uint32_t cp)
{
    long cell = cns_cell(cns);
    if (cell < 0 || cp == 0 || cp > 0x10FFFF)
        return false;
    if (!db->cns2cp[cell])
        db->cns2cp[cell] = cp;
    uint32_t **page = &db->cp2cns[cp >> 8];
    if (!*page && !(*page = egov_calloc(256, sizeof **page)))
        return false;
    if (!(*page)[cp & 0xFF])
        (*page)[cp & 0xFF] = cns;
    return true;
}

uint32_t egov_hanzi_db_cns_of(const struct egov_hanzi_db *db, uint32_t cp)
{
    if (cp > 0x10FFFF || !db->cp2cns[cp >> 8])
        return 0;
    return db->cp2cns[cp >> 8][cp & 0xFF];
}

uint32_t egov_hanzi_db_cp_of(const struct egov_hanzi_db *db, uint32_t cns)
{
    long cell = cns_cell(cns);
    return cell < 0 ? 0 : db->cns2cp[cell];
}

struct egov_hanzi_encoding *egov_hanzi_db_add(struct egov_hanzi_db *db, const char *name,
                                              enum egov_hanzi_kind kind)
{
    if (db->nenc >= EGOV_HANZI_MAX_ENCODINGS || strlen(name) >= sizeof db->enc[0].name)
        return NULL;
    for (unsigned int i = 0; i < db->nenc; i++)
        if (strcasecmp(db->enc[i].name, name) == 0)
            return NULL;
    struct egov_hanzi_encoding *e = &db->enc[db->nenc];
    memset(e, 0, sizeof *e);
    snprintf(e->name, sizeof e->name, "%s", name);
    e->kind = kind;
    if (kind == EGOV_HANZI_K_DBCS || kind == EGOV_HANZI_K_TAX4) {
        e->t = egov_calloc(1, sizeof *e->t);
        if (!e->t)
            return NULL;
        e->t->trail_lo = 0x40;
    }
    db->nenc++;
    return e;
}

bool egov_hanzi_db_alias(struct egov_hanzi_db *db, const char *alias, const char *target)
{
    if (db->nenc >= EGOV_HANZI_MAX_ENCODINGS || strlen(alias) >= sizeof db->enc[0].name)
        return false;
    for (unsigned int i = 0; i < db->nenc; i++)
        if (strcasecmp(db->enc[i].name, target) == 0) {
            db->enc[db->nenc] = db->enc[i];
            snprintf(db->enc[db->nenc].name, sizeof db->enc[0].name, "%s", alias);
            db->nenc++;
            return true;
        }
    return false;
}

int egov_hanzi_dbcs_set(struct egov_hanzi_dbcs *t, uint16_t code, uint32_t cp)
{
    int r = 0;
    if (cp == 0 || cp > 0x10FFFF || code == 0)
        return 0;
    if (!t->dec[code]) {
        t->dec[code] = cp;
        r |= 1;
    }
    uint16_t **page = &t->enc[cp >> 8];
    if (!*page && !(*page = egov_calloc(256, sizeof **page)))
        return -1;
    if (!(*page)[cp & 0xFF]) {
        (*page)[cp & 0xFF] = code;
        r |= 2;
    }
    return r;
}

bool egov_hanzi_wide_add(struct egov_hanzi_dbcs *t, uint32_t code, uint32_t cp)
{
    if (cp == 0 || cp > 0x10FFFF || code == 0)
        return true;
    if (t->nwide == t->capwide) {
        size_t cap = t->capwide ? t->capwide * 2 : 1024;
        struct egov_hanzi_wide *w = egov_realloc(t->wide, cap * sizeof *w);
        if (!w)
            return false;
        t->wide = w;
        t->capwide = cap;
    }
    t->wide[t->nwide] = (struct egov_hanzi_wide){code, cp, (uint32_t)t->nwide};
    t->nwide++;
    return true;
}

static int cmp_wide(const void *a, const void *b)
{
    const struct egov_hanzi_wide *x = a, *y = b;
    if (x->code != y->code)
        return x->code < y->code ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

bool egov_hanzi_wide_finish(struct egov_hanzi_dbcs *t)
{
    size_t n = 0;
    qsort(t->wide, t->nwide, sizeof *t->wide, cmp_wide);
    /* one entry per code: the first listed */
    for (size_t i = 0; i < t->nwide; i++)
        if (n == 0 || t->wide[n - 1].code != t->wide[i].code)
            t->wide[n++] = t->wide[i];
    t->nwide = n;
    if (n > 0xFFFE)
        return false;
    for (size_t i = 0; i < n; i++) {
        uint32_t cp = t->wide[i].cp;
        uint16_t **page = &t->enc[cp >> 8];
        if (!*page && !(*page = egov_calloc(256, sizeof **page)))
            return false;
        uint16_t cur = (*page)[cp & 0xFF];
        if (!cur || t->wide[cur - 1].seq > t->wide[i].seq)
            (*page)[cp & 0xFF] = (uint16_t)(i + 1);
    }
    return true;
}

uint32_t egov_hanzi_wide_dec(const struct egov_hanzi_dbcs *t, uint32_t code)
{
    size_t lo = 0, hi = t->nwide;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (t->wide[mid].code < code)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < t->nwide && t->wide[lo].code == code ? t->wide[lo].cp : 0;
}

uint32_t egov_hanzi_wide_enc(const struct egov_hanzi_dbcs *t, uint32_t cp)
{
    uint16_t k = egov_hanzi_dbcs_enc(t, cp);
    return k ? t->wide[k - 1].code : 0;
}

uint16_t egov_hanzi_dbcs_enc(const struct egov_hanzi_dbcs *t, uint32_t cp)
{
    if (cp > 0x10FFFF || !t->enc[cp >> 8])
        return 0;
    return t->enc[cp >> 8][cp & 0xFF];
}

/* ------------------------------------------------------------------ */
/* Encodings by name                                                   */
/* ------------------------------------------------------------------ */

static const struct {
    const char *zh, *slug;
} counties[] = {
    {"台北市", "taipei-city"},       {"台北縣", "taipei-county"},  {"基隆市", "keelung-city"},
    {"桃園縣", "taoyuan-county"},    {"新竹市", "hsinchu-city"},   {"新竹縣", "hsinchu-county"},
    {"苗栗縣", "miaoli-county"},     {"台中市", "taichung-city"},  {"台中縣", "taichung-county"},
    {"彰化縣", "changhua-county"},   {"南投縣", "nantou-county"},  {"雲林縣", "yunlin-county"},
    {"嘉義市", "chiayi-city"},       {"嘉義縣", "chiayi-county"},  {"台南市", "tainan-city"},
    {"台南縣", "tainan-county"},     {"高雄市", "kaohsiung-city"}, {"高雄縣", "kaohsiung-county"},
    {"屏東縣", "pingtung-county"},   {"宜蘭縣", "yilan-county"},   {"花蓮縣", "hualien-county"},
    {"台東縣", "taitung-county"},    {"澎湖縣", "penghu-county"},  {"金門縣", "kinmen-county"},
    {"連江縣", "lienchiang-county"},
};

const char *egov_hanzi_county_slug(const char *county)
{
    for (size_t i = 0; i < sizeof counties / sizeof counties[0]; i++)
        if (strcmp(counties[i].zh, county) == 0 || strcmp(counties[i].slug, county) == 0)
            return counties[i].slug;
    return NULL;
}

const struct egov_hanzi_encoding *egov_hanzi_encoding_by_name(const char *name)
{
    const struct egov_hanzi_db *db = egov_hanzi_db_get();
    char buf[64];
    if (!db || !name)
        return NULL;
    /* land-台北市 and land-臺北市 name the same table as land-taipei-city */
    if (strncasecmp(name, "land-", 5) == 0) {
        char zh[32];
        snprintf(zh, sizeof zh, "%s", name + 5);
        if (strncmp(zh, "臺", strlen("臺")) == 0)
            memcpy(zh, "台", strlen("台"));
        const char *slug = egov_hanzi_county_slug(zh);
        if (slug) {
            snprintf(buf, sizeof buf, "land-%s", slug);
            name = buf;
        }
    }
    static const struct {
        const char *alias, *name;
    } aliases[] = {{"utf8", "utf-8"},          {"euctw", "euc-tw"}, {"big5e", "big5-e"},
                   {"big5-2003", "big5-2003"}, {"ms950", "cp950"},  {"cns11643", "cns"}};
    for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
        if (strcasecmp(name, aliases[i].alias) == 0)
            name = aliases[i].name;
    for (unsigned int i = 0; i < db->nenc; i++)
        if (strcasecmp(db->enc[i].name, name) == 0)
            return &db->enc[i];
    return NULL;
}

const char *egov_hanzi_encoding_name(const struct egov_hanzi_encoding *enc)
{
    return enc ? enc->name : "";
}

void egov_hanzi_encoding_list(struct egov_buf *out)
{
    const struct egov_hanzi_db *db = egov_hanzi_db_get();
    for (unsigned int i = 0; db && i < db->nenc; i++)
        egov_buf_printf(out, "%s%s", i ? "," : "", db->enc[i].name);
}

/* ------------------------------------------------------------------ */
/* CNS codes and characters                                            */
/* ------------------------------------------------------------------ */

bool egov_hanzi_cns_parse(const char *s, uint32_t *cns)
{
    unsigned long plane = 0, code = 0;
    size_t i = 0, digits = 0;
    if (!s)
        return false;
    while (s[i] >= '0' && s[i] <= '9' && digits < 3) {
        plane = plane * 10 + (unsigned long)(s[i++] - '0');
        digits++;
    }
    if (digits == 0 || s[i++] != '-' || plane < 1 || plane > 255)
        return false;
    for (digits = 0; s[i] && digits < 4; digits++, i++) {
        char c = s[i];
        unsigned v;
        if (c >= '0' && c <= '9')
            v = (unsigned)(c - '0');
        else if (c >= 'A' && c <= 'F')
            v = (unsigned)(c - 'A' + 10);
        else if (c >= 'a' && c <= 'f')
            v = (unsigned)(c - 'a' + 10);
        else
            return false;
        code = code << 4 | v;
    }
    if (digits != 4 || s[i] != '\0')
        return false;
    unsigned long row = code >> 8, col = code & 0xFF;
    if (row < 0x21 || row > 0x7E || col < 0x21 || col > 0x7E)
        return false;
    *cns = (uint32_t)(plane << 16 | code);
    return true;
}

void egov_hanzi_cns_format(uint32_t cns, char out[16])
{
    snprintf(out, 16, "%u-%04X", (unsigned)(cns >> 16) & 0xFFu, (unsigned)(cns & 0xFFFF));
}

uint32_t egov_hanzi_cns_of(uint32_t cp)
{
    const struct egov_hanzi_db *db = egov_hanzi_db_get();
    return db ? egov_hanzi_db_cns_of(db, cp) : 0;
}

uint32_t egov_hanzi_cp_of_cns(uint32_t cns)
{
    const struct egov_hanzi_db *db = egov_hanzi_db_get();
    return db ? egov_hanzi_db_cp_of(db, cns) : 0;
}

bool egov_hanzi_char_parse(const char *s, uint32_t *cp)
{
    uint32_t c = 0, cns;
    size_t n;
    if (!s || !*s)
        return false;
    if ((s[0] == 'U' || s[0] == 'u') && s[1] == '+') {
        char *end;
        size_t len = strlen(s + 2);
        if (len < 4 || len > 6)
            return false;
        for (size_t i = 0; i < len; i++)
            if (!((s[2 + i] >= '0' && s[2 + i] <= '9') || (s[2 + i] >= 'A' && s[2 + i] <= 'F') ||
                  (s[2 + i] >= 'a' && s[2 + i] <= 'f')))
                return false;
        errno = 0;
        unsigned long v = strtoul(s + 2, &end, 16);
        if (errno || *end || v == 0 || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
            return false;
        *cp = (uint32_t)v;
        return true;
    }
    if (egov_hanzi_cns_parse(s, &cns)) {
        c = egov_hanzi_cp_of_cns(cns);
        if (!c)
            return false;
        *cp = c;
        return true;
    }
    n = strlen(s);
    if (egov_utf8_decode(s, n, &c) == n && c != 0) {
        *cp = c;
        return true;
    }
    return false;
}

json_t *egov_hanzi_char_info(uint32_t cp)
{
    const struct egov_hanzi_db *db = egov_hanzi_db_get();
    json_t *o = json_object();
    char ch[5] = {0}, buf[32];
    if (!o)
        return NULL;
    size_t n = egov_utf8_encode(cp, ch);
    ch[n] = '\0';
    json_object_set_new(o, "char", json_string(ch));
    snprintf(buf, sizeof buf, "U+%04X", (unsigned)cp);
    json_object_set_new(o, "unicode", json_string(buf));
    bool pua = (cp >= 0xE000 && cp <= 0xF8FF) || cp >= 0xF0000;
    json_object_set_new(o, "private_use", json_boolean(pua));
    if (db) {
        uint32_t cns = egov_hanzi_db_cns_of(db, cp);
        if (cns) {
            egov_hanzi_cns_format(cns, buf);
            json_object_set_new(o, "cns", json_string(buf));
            if ((cns >> 16) == 1)
                snprintf(buf, sizeof buf, "%02X%02X", 0x80 | ((cns >> 8) & 0x7F),
                         0x80 | (cns & 0x7F));
            else
                snprintf(buf, sizeof buf, "8E%02X%02X%02X", 0xA0 + (cns >> 16),
                         0x80 | ((cns >> 8) & 0x7F), 0x80 | (cns & 0x7F));
            json_object_set_new(o, "euc-tw", json_string(buf));
        }
        for (unsigned int i = 0; i < db->nenc; i++) {
            const struct egov_hanzi_encoding *e = &db->enc[i];
            if (!e->t)
                continue;
            if (json_object_get(o, e->name))
                continue;
            if (e->kind == EGOV_HANZI_K_TAX4) {
                uint32_t w = egov_hanzi_wide_enc(e->t, cp);
                if (!w)
                    continue;
                snprintf(buf, sizeof buf, "%c%c%c%c", (char)(w >> 24), (char)(w >> 16),
                         (char)(w >> 8), (char)w);
            } else {
                uint16_t code = egov_hanzi_dbcs_enc(e->t, cp);
                if (!code)
                    continue;
                /* a land office's table is Big5-2003 plus its own characters: list those only */
                const json_t *base = json_object_get(o, "big5-2003");
                snprintf(buf, sizeof buf, "%04X", code);
                if (strncmp(e->name, "land-", 5) == 0 && base &&
                    strcmp(json_string_value(base), buf) == 0)
                    continue;
            }
            json_object_set_new(o, e->name, json_string(buf));
        }
    }
    if (egov_hanzi_props_describe)
        egov_hanzi_props_describe(cp, o);
    return o;
}

/* ------------------------------------------------------------------ */
/* Built-in source: glibc iconv                                        */
/* ------------------------------------------------------------------ */

/* Decodes every 1- and 2-byte sequence of @p charset with iconv(3). */
static bool glibc_dbcs(struct egov_hanzi_dbcs *t, const char *charset)
{
    iconv_t cd = iconv_open("UTF-32LE", charset);
    if (cd == (iconv_t)-1)
        return false;
    /* single bytes 0x80..0xFF that are characters of their own, then pairs */
    for (unsigned int code = 0x80; code <= 0xFEFE; code = code == 0xFF ? 0x8140 : code + 1) {
        unsigned char trail = (unsigned char)code;
        if (code > 0xFF && (trail < 0x40 || trail == 0x7F || trail == 0xFF))
            continue;
        char in[2] = {(char)(code >> 8), (char)trail}, out[8];
        char *ip = code > 0xFF ? in : in + 1, *op = out;
        size_t il = code > 0xFF ? 2 : 1, ol = sizeof out;
        iconv(cd, NULL, NULL, NULL, NULL);
        if (iconv(cd, &ip, &il, &op, &ol) == (size_t)-1 || il != 0 || ol != 4)
            continue;
        uint32_t cp = (uint32_t)(unsigned char)out[0] | (uint32_t)(unsigned char)out[1] << 8 |
                      (uint32_t)(unsigned char)out[2] << 16 | (uint32_t)(unsigned char)out[3] << 24;
        if (egov_hanzi_dbcs_set(t, (uint16_t)code, cp) < 0) {
            iconv_close(cd);
            return false;
        }
    }
    iconv_close(cd);
    /* which code iconv writes for a code point two codes decode to */
    cd = iconv_open(charset, "UTF-32LE");
    if (cd == (iconv_t)-1)
        return false;
    for (size_t pg = 0; pg < EGOV_HANZI_PAGES; pg++) {
        for (unsigned int lo = 0; t->enc[pg] && lo < 256; lo++) {
            if (!t->enc[pg][lo])
                continue;
            uint32_t cp = (uint32_t)(pg << 8 | lo);
            char in[4] = {(char)cp, (char)(cp >> 8), (char)(cp >> 16), 0}, out[8];
            char *ip = in, *op = out;
            size_t il = 4, ol = sizeof out;
            iconv(cd, NULL, NULL, NULL, NULL);
            if (iconv(cd, &ip, &il, &op, &ol) == (size_t)-1)
                continue;
            if (sizeof out - ol == 2)
                t->enc[pg][lo] = (uint16_t)((unsigned char)out[0] << 8 | (unsigned char)out[1]);
            else if (sizeof out - ol == 1)
                t->enc[pg][lo] = (unsigned char)out[0];
        }
    }
    iconv_close(cd);
    return true;
}

/* CNS <-> Unicode from glibc's EUC-TW (CNS 11643 planes 1-7). */
static bool glibc_cns(struct egov_hanzi_db *db)
{
    iconv_t cd = iconv_open("UTF-32LE", "EUC-TW");
    if (cd == (iconv_t)-1)
        return false;
    for (uint32_t plane = 1; plane <= 7; plane++)
        for (uint32_t row = 0x21; row <= 0x7E; row++)
            for (uint32_t col = 0x21; col <= 0x7E; col++) {
                char in[4] = {(char)0x8E, (char)(0xA0 + plane), (char)(0x80 | row),
                              (char)(0x80 | col)},
                     out[8];
                char *ip = in, *op = out;
                size_t il = 4, ol = sizeof out;
                iconv(cd, NULL, NULL, NULL, NULL);
                if (iconv(cd, &ip, &il, &op, &ol) == (size_t)-1 || ol != 4)
                    continue;
                uint32_t cp = (uint32_t)(unsigned char)out[0] |
                              (uint32_t)(unsigned char)out[1] << 8 |
                              (uint32_t)(unsigned char)out[2] << 16;
                if (!egov_hanzi_db_set_cns(db, plane << 16 | row << 8 | col, cp)) {
                    iconv_close(cd);
                    return false;
                }
            }
    iconv_close(cd);
    return true;
}

/* ------------------------------------------------------------------ */
/* Built-in source: Unihan kIRG_TSource (Debian's unicode-data)        */
/* ------------------------------------------------------------------ */

struct tsource_ctx {
    struct egov_hanzi_db *db;
    unsigned long added;
};

/* "T1-4421", "TF-216C" (plane 15), "T13-2A44" (plane 13); "TU-..." has no CNS code. */
static bool tsource_parse(const char *v, uint32_t *cns)
{
    unsigned long plane;
    char *end;
    if (v[0] != 'T')
        return false;
    if (((v[1] >= '1' && v[1] <= '9') || (v[1] >= 'A' && v[1] <= 'F')) && v[2] == '-') {
        plane = (unsigned long)(v[1] <= '9' ? v[1] - '0' : v[1] - 'A' + 10);
        v += 2;
    } else {
        errno = 0;
        plane = strtoul(v + 1, &end, 10);
        if (errno || end == v + 1 || *end != '-' || plane > EGOV_HANZI_MAX_PLANE)
            return false;
        v = end;
    }
    /* v is now "-XXXX" */
    char code[16];
    if (strlen(v) != 5)
        return false;
    snprintf(code, sizeof code, "%u%.5s", (unsigned)plane & 0xFFu, v);
    return egov_hanzi_cns_parse(code, cns);
}

static bool tsource_line(uint32_t cp, const char *field, const char *value, void *ctx, char *err,
                         size_t errlen)
{
    struct tsource_ctx *c = ctx;
    uint32_t cns;
    if (strcmp(field, "kIRG_TSource") != 0 || !tsource_parse(value, &cns) ||
        (cns >> 16) > EGOV_HANZI_MAX_PLANE)
        return true;
    if (egov_hanzi_db_cp_of(c->db, cns) || egov_hanzi_db_cns_of(c->db, cp))
        return true; /* glibc had it first */
    if (!egov_hanzi_db_set_cns(c->db, cns, cp)) {
        snprintf(err, errlen, "out of memory");
        return false;
    }
    c->added++;
    return true;
}

/* Adds the CNS codes Unihan knows and glibc's EUC-TW lacks (planes 8-15 and
 * later additions).  A missing Unihan file is not an error: *added stays 0. */
static bool unihan_cns(struct egov_hanzi_db *db, unsigned long *added, char *err, size_t errlen)
{
    const char *dir = getenv("EGOV_UNIHAN_DIR");
    char path[1024];
    struct tsource_ctx c = {db, 0};
    if (!dir || !*dir)
        dir = "/usr/share/unicode";
    snprintf(path, sizeof path, "%.900s/Unihan_IRGSources.txt.bz2", dir);
    FILE *f = fopen(path, "rb");
    *added = 0;
    if (!f)
        return true;
    fclose(f);
    if (!hz_unihan_each(dir, "IRGSources", tsource_line, &c, err, errlen))
        return false;
    *added = c.added;
    return true;
}

bool egov_hanzi_table_from_glibc(struct egov_hanzi_db *db, char *err, size_t errlen)
{
    struct egov_hanzi_encoding *e = egov_hanzi_db_add(db, "cp950", EGOV_HANZI_K_DBCS);
    if (!e || !glibc_dbcs(e->t, "CP950")) {
        snprintf(err, errlen, "glibc iconv cannot convert CP950 (or out of memory)");
        return false;
    }
    e->t->eudc = true;
    if (!egov_hanzi_db_alias(db, "big5", "cp950")) {
        snprintf(err, errlen, "too many encodings");
        return false;
    }
    return true;
}

/* ------------------------------------------------------------------ */
/* Loading                                                             */
/* ------------------------------------------------------------------ */

bool egov_hanzi_tables_load(const char *vardir, char *err, size_t errlen)
{
    return egov_hanzi_tables_load_opts(vardir, true, err, errlen);
}

bool egov_hanzi_tables_load_opts(const char *vardir, bool unihan, char *err, size_t errlen)
{
    char path[1024];
    struct egov_hanzi_db *db;
    /* loaded already from the same place: nothing to do (readers may be using it) */
    pthread_mutex_lock(&db_lock);
    bool same = db_current && strcmp(db_current->vardir, vardir ? vardir : "") == 0 &&
                (db_current->unihan || !unihan);
    pthread_mutex_unlock(&db_lock);
    if (same)
        return true;
    db = egov_hanzi_db_new();
    if (!db) {
        snprintf(err, errlen, "out of memory");
        return false;
    }
    if (!egov_hanzi_table_from_glibc(db, err, errlen))
        goto fail;
    int n = snprintf(path, sizeof path, "%s/hanzi/tables.bin", vardir ? vardir : ".");
    if (n < 0 || (size_t)n >= sizeof path) {
        snprintf(err, errlen, "paths.var is too long");
        goto fail;
    }
    FILE *f = vardir ? fopen(path, "rb") : NULL;
    if (f) {
        fclose(f);
        if (!egov_hanzi_table_read(db, path, err, errlen))
            goto fail;
    } else {
        if (!glibc_cns(db)) {
            snprintf(err, errlen, "glibc iconv cannot convert EUC-TW (or out of memory)");
            goto fail;
        }
        unsigned long added = 0;
        if (unihan && !unihan_cns(db, &added, err, errlen))
            goto fail;
        snprintf(db->source, sizeof db->source, added ? "glibc+unihan" : "glibc");
    }
    db->unihan = unihan;
    snprintf(db->vardir, sizeof db->vardir, "%s", vardir ? vardir : "");
    egov_hanzi_db_publish(db);
    return true;
fail:
    egov_hanzi_db_free(db);
    return false;
}
