/*
 * import.c -- `egov hanzi import`: reads the official 全字庫 MapingTables
 * into a compact file, PATHS.VAR/hanzi/tables.bin, and reads that file
 * back into the character database at start-up.
 *
 * tables.bin (all integers little-endian):
 *   "EGOVHZ01", release[32], u32 nsections,
 *   then per section: name[48], base[48], u32 kind, u32 count,
 *   count x (u32 cns, u32 value).
 * Section "unicode" holds CNS -> code point; every other section is an
 * encoding holding CNS -> 16-bit code, optionally layered over a base
 * encoding (Big5-E and the land offices' tables over Big5-2003).
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hanzi/table.h"

#define MAGIC    "EGOVHZ01"
#define NAME_LEN 48

struct pair {
    uint32_t cns, val;
    uint32_t line;
};

struct section {
    char name[NAME_LEN];
    char base[NAME_LEN];
    uint32_t kind; /* 0 = unicode, else enum egov_hanzi_kind */
    struct pair *pairs;
    size_t n, cap;
    char files[4][256]; /* source files, for the report */
    size_t nfiles;
    size_t file_start[4];
};

struct sections {
    struct section *v;
    size_t n;
};

static void sections_free(struct sections *s)
{
    for (size_t i = 0; i < s->n; i++)
        egov_free(s->v[i].pairs);
    egov_free(s->v);
    s->v = NULL;
    s->n = 0;
}

static struct section *section_new(struct sections *s, const char *name, const char *base,
                                   uint32_t kind)
{
    struct section *v = egov_realloc(s->v, (s->n + 1) * sizeof *v);
    if (!v)
        return NULL;
    s->v = v;
    struct section *x = &v[s->n++];
    memset(x, 0, sizeof *x);
    size_t nl = strnlen(name, NAME_LEN - 1), bl = strnlen(base, NAME_LEN - 1);
    memcpy(x->name, name, nl);
    memcpy(x->base, base, bl);
    x->kind = kind;
    return x;
}

static bool section_push(struct section *x, uint32_t cns, uint32_t val, uint32_t line)
{
    if (x->n == x->cap) {
        size_t cap = x->cap ? x->cap * 2 : 4096;
        struct pair *p = egov_realloc(x->pairs, cap * sizeof *p);
        if (!p)
            return false;
        x->pairs = p;
        x->cap = cap;
    }
    x->pairs[x->n++] = (struct pair){cns, val, line};
    return true;
}

/* Accepts a code outside the 94x94 cells ("15-FFFF", which some tables use
 * for "no CNS code"), so that the entry is reported instead of refused. */
static bool cns_parse_loose(const char *s, uint32_t *cns)
{
    unsigned int plane = 0, code = 0;
    int used = 0;
    if (sscanf(s, "%3u-%4x%n", &plane, &code, &used) != 2 || s[used] != '\0' || plane < 1 ||
        plane > 255 || strlen(s) - (size_t)(strchr(s, '-') - s) != 5)
        return false;
    *cns = plane << 16 | code;
    return true;
}

/* Reads one "P-XXXX<TAB>HEX" table file into @p x. */
static bool read_table(struct section *x, const char *path, const char *shown,
                       struct egov_hanzi_import_report *rep, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    char line[256];
    uint32_t lineno = 0;
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return false;
    }
    if (x->nfiles < 4) {
        snprintf(x->files[x->nfiles], sizeof x->files[0], "%s", shown);
        x->file_start[x->nfiles++] = x->n;
    }
    while (fgets(line, sizeof line, f)) {
        lineno++;
        char *s = line;
        if (lineno == 1 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
            s += 3;
        s[strcspn(s, "\r\n")] = '\0';
        if (!*s)
            continue;
        char *tab = strchr(s, '\t');
        uint32_t cns, val = 0;
        char *end;
        rep->entries++;
        if (!tab)
            goto bad;
        *tab = '\0';
        if (!egov_hanzi_cns_parse(s, &cns) && !cns_parse_loose(s, &cns))
            goto bad;
        size_t hl = strlen(tab + 1);
        if (x->kind == EGOV_HANZI_K_TAX4) {
            /* 財稅交換碼: four characters such as 6741 or J447 */
            if (hl != 4)
                goto bad;
            for (size_t i = 0; i < 4; i++) {
                unsigned char c = (unsigned char)tab[1 + i];
                if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z')))
                    goto bad;
                val = val << 8 | c;
            }
        } else {
            if (hl < 1 || hl > (x->kind ? 4u : 6u))
                goto bad;
            errno = 0;
            unsigned long v = strtoul(tab + 1, &end, 16);
            if (errno || *end || v > (x->kind ? 0xFFFFul : 0x10FFFFul))
                goto bad;
            val = (uint32_t)v;
        }
        if (!section_push(x, cns, val, lineno)) {
            snprintf(err, errlen, "out of memory");
            fclose(f);
            return false;
        }
        continue;
    bad:
        /* a malformed entry in an official table: reported, not imported */
        if (tab)
            *tab = '\t';
        rep->skipped++;
        egov_buf_printf(&rep->notes, "%s:%u: %.60s: malformed entry (not PLANE-CODE<TAB>CODE)\n",
                        shown, (unsigned)lineno, s);
    }
    fclose(f);
    return true;
}

static bool put32(FILE *f, uint32_t v)
{
    unsigned char b[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
                          (unsigned char)(v >> 24)};
    return fwrite(b, 1, 4, f) == 4;
}

static bool get32(const unsigned char **p, const unsigned char *end, uint32_t *v)
{
    if (end - *p < 4)
        return false;
    *v = (uint32_t)(*p)[0] | (uint32_t)(*p)[1] << 8 | (uint32_t)(*p)[2] << 16 |
         (uint32_t)(*p)[3] << 24;
    *p += 4;
    return true;
}

/* Builds the encodings of @p secs into @p db. */
static bool build(struct egov_hanzi_db *db, const struct sections *secs, char *err, size_t errlen)
{
    for (size_t i = 0; i < secs->n; i++)
        if (secs->v[i].kind == 0)
            for (size_t k = 0; k < secs->v[i].n; k++)
                if (!egov_hanzi_db_set_cns(db, secs->v[i].pairs[k].cns, secs->v[i].pairs[k].val) &&
                    secs->v[i].pairs[k].val != 0) {
                    snprintf(err, errlen, "out of memory");
                    return false;
                }
    for (size_t i = 0; i < secs->n; i++) {
        const struct section *x = &secs->v[i];
        if (x->kind == 0)
            continue;
        struct egov_hanzi_encoding *e =
            egov_hanzi_db_add(db, x->name, (enum egov_hanzi_kind)x->kind);
        if (!e) {
            snprintf(err, errlen, "cannot add encoding %s", x->name);
            return false;
        }
        e->t->eudc = x->kind == EGOV_HANZI_K_DBCS;
        /* the agencies' in-house codes use trail bytes from 0x21 (監理 A43B) */
        if (strncmp(x->name, "cns-", 4) == 0)
            e->t->trail_lo = 0x21;
        /* own entries first, then the base's: the first mapping wins */
        for (int pass = 0; pass < 2; pass++) {
            const struct section *src = x;
            if (pass == 1) {
                src = NULL;
                for (size_t j = 0; x->base[0] && j < secs->n; j++)
                    if (strcmp(secs->v[j].name, x->base) == 0)
                        src = &secs->v[j];
                if (!src)
                    break;
            }
            for (size_t k = 0; k < src->n; k++) {
                uint32_t cp = egov_hanzi_db_cp_of(db, src->pairs[k].cns);
                bool ok = true;
                if (cp && x->kind == EGOV_HANZI_K_TAX4)
                    ok = egov_hanzi_wide_add(e->t, src->pairs[k].val, cp);
                else if (cp)
                    ok = egov_hanzi_dbcs_set(e->t, (uint16_t)src->pairs[k].val, cp) >= 0;
                if (!ok) {
                    snprintf(err, errlen, "out of memory");
                    return false;
                }
            }
        }
        if (x->kind == EGOV_HANZI_K_TAX4 && !egov_hanzi_wide_finish(e->t)) {
            snprintf(err, errlen, "out of memory");
            return false;
        }
    }
    return true;
}

static bool parse_file(const char *path, struct sections *secs, char *release, size_t rellen,
                       char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    unsigned char *buf = NULL;
    long size;
    bool ok = false;
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return false;
    }
    if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0 ||
        size > 64L * 1024 * 1024) {
        snprintf(err, errlen, "%s: cannot read or too large", path);
        goto out;
    }
    buf = egov_malloc((size_t)size + 1);
    if (!buf || fread(buf, 1, (size_t)size, f) != (size_t)size) {
        snprintf(err, errlen, "%s: cannot read", path);
        goto out;
    }
    const unsigned char *p = buf, *end = buf + size;
    uint32_t nsec, kind, count;
    if (end - p < 8 + 32 || memcmp(p, MAGIC, 8) != 0)
        goto bad;
    snprintf(release, rellen, "%.*s", 31, (const char *)p + 8);
    p += 8 + 32;
    if (!get32(&p, end, &nsec) || nsec > EGOV_HANZI_MAX_ENCODINGS)
        goto bad;
    for (uint32_t s = 0; s < nsec; s++) {
        char name[NAME_LEN + 1], base[NAME_LEN + 1];
        if (end - p < 2 * NAME_LEN)
            goto bad;
        memcpy(name, p, NAME_LEN);
        memcpy(base, p + NAME_LEN, NAME_LEN);
        name[NAME_LEN] = base[NAME_LEN] = '\0';
        p += 2 * NAME_LEN;
        if (!get32(&p, end, &kind) || !get32(&p, end, &count) || kind > EGOV_HANZI_K_TAX4 ||
            (uint64_t)count * 8 > (uint64_t)(end - p))
            goto bad;
        struct section *x = section_new(secs, name, base, kind);
        if (!x)
            goto oom;
        for (uint32_t k = 0; k < count; k++) {
            uint32_t cns = 0, val = 0;
            get32(&p, end, &cns);
            get32(&p, end, &val);
            if (!section_push(x, cns, val, k + 1))
                goto oom;
        }
    }
    ok = true;
    goto out;
bad:
    snprintf(err, errlen, "%s: not a hanzi tables file (run egov hanzi import again)", path);
    goto out;
oom:
    snprintf(err, errlen, "out of memory");
out:
    egov_free(buf);
    fclose(f);
    return ok;
}

bool egov_hanzi_table_read(struct egov_hanzi_db *db, const char *path, char *err, size_t errlen)
{
    struct sections secs = {0};
    char release[32] = "";
    bool ok = parse_file(path, &secs, release, sizeof release, err, errlen) &&
              build(db, &secs, err, errlen);
    if (ok)
        snprintf(db->source, sizeof db->source, "imported %s", release);
    sections_free(&secs);
    return ok;
}

/* The release named in srcdir/release.txt ("版本：20260109"), or "unknown". */
static void read_release(const char *srcdir, char *out, size_t outlen)
{
    char path[1024], line[512];
    snprintf(out, outlen, "unknown");
    snprintf(path, sizeof path, "%s/release.txt", srcdir);
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    while (fgets(line, sizeof line, f)) {
        char *v = strstr(line, "版本：");
        if (v) {
            v += strlen("版本：");
            v[strcspn(v, "\r\n \t")] = '\0';
            snprintf(out, outlen, "%.31s", v);
            break;
        }
    }
    fclose(f);
}

/* Writes "a/b" into @p out; false if it does not fit. */
static bool path_join(char *out, size_t outlen, const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la + 1 + lb + 1 > outlen)
        return false;
    memcpy(out, a, la);
    out[la] = '/';
    memcpy(out + la + 1, b, lb + 1);
    return true;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Reads every official table into @p secs. */
static bool read_sources(const char *srcdir, struct sections *secs,
                         struct egov_hanzi_import_report *rep, char *err, size_t errlen)
{
    static const struct {
        const char *name, *base;
        uint32_t kind;
        const char *files[4];
    } fixed[] = {
        {"unicode",
         "",
         0,
         {"Unicode/CNS2UNICODE_Unicode BMP.txt", "Unicode/CNS2UNICODE_Unicode 2.txt",
          "Unicode/CNS2UNICODE_Unicode 3.txt", "Unicode/CNS2UNICODE_Unicode 15.txt"}},
        {"big5-2003",
         "",
         EGOV_HANZI_K_DBCS,
         {"Big5/CNS2BIG5_符號.txt", "Big5/CNS2BIG5.txt", "Big5/CNS2BIG5_七個倚天外字.txt", NULL}},
        {"big5-e", "big5-2003", EGOV_HANZI_K_DBCS, {"Big5/CNS2BIG5_Big5E.txt", NULL, NULL, NULL}},
        {"cns-dci", "", EGOV_HANZI_K_DBCS, {"CNS2DCI.txt", NULL, NULL, NULL}},
        {"cns-fin", "", EGOV_HANZI_K_DBCS, {"CNS2FIN.txt", NULL, NULL, NULL}},
        {"cns-tax", "", EGOV_HANZI_K_TAX4, {"CNS2TAX.txt", NULL, NULL, NULL}},
        {"cns-inc", "", EGOV_HANZI_K_DBCS, {"CNS2INC.txt", NULL, NULL, NULL}},
    };
    char path[1024], shown[256];
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
        struct section *x = section_new(secs, fixed[i].name, fixed[i].base, fixed[i].kind);
        if (!x) {
            snprintf(err, errlen, "out of memory");
            return false;
        }
        for (size_t k = 0; k < 4 && fixed[i].files[k]; k++) {
            snprintf(path, sizeof path, "%s/MapingTables/%s", srcdir, fixed[i].files[k]);
            snprintf(shown, sizeof shown, "%s", fixed[i].files[k]);
            if (!read_table(&secs->v[secs->n - 1], path, shown, rep, err, errlen))
                return false;
        }
    }
    /* 地政: one table per county, in a stable order */
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/MapingTables/地政", srcdir);
    DIR *d = opendir(dir);
    if (!d) {
        snprintf(err, errlen, "%s: %s", dir, strerror(errno));
        return false;
    }
    char *names[64];
    size_t nn = 0;
    struct dirent *de;
    while ((de = readdir(d)) && nn < 64) {
        size_t l = strlen(de->d_name);
        if (l > 4 && strcmp(de->d_name + l - 4, ".txt") == 0 &&
            (names[nn] = egov_strdup(de->d_name)))
            nn++;
    }
    closedir(d);
    qsort(names, nn, sizeof names[0], cmp_str);
    bool ok = true;
    for (size_t i = 0; i < nn && ok; i++) {
        char county[64] = "", name[NAME_LEN];
        size_t cl = strlen(names[i]) - 4;
        if (cl < sizeof county)
            memcpy(county, names[i], cl);
        county[cl < sizeof county ? cl : 0] = '\0';
        const char *slug = egov_hanzi_county_slug(county);
        if (!slug) {
            snprintf(err, errlen, "地政/%s: unknown county", names[i]);
            ok = false;
            break;
        }
        snprintf(name, sizeof name, "land-%s", slug);
        if (!section_new(secs, name, "big5-2003", EGOV_HANZI_K_DBCS)) {
            snprintf(err, errlen, "out of memory");
            ok = false;
            break;
        }
        if (!path_join(path, sizeof path, dir, names[i])) {
            snprintf(err, errlen, "地政/%s: path too long", names[i]);
            ok = false;
            break;
        }
        snprintf(shown, sizeof shown, "地政/%.200s", names[i]);
        ok = read_table(&secs->v[secs->n - 1], path, shown, rep, err, errlen);
    }
    for (size_t i = 0; i < nn; i++)
        egov_free(names[i]);
    return ok;
}

static bool write_file(const char *path, const struct sections *secs, const char *release,
                       char *err, size_t errlen)
{
    char tmp[1200];
    int tl = snprintf(tmp, sizeof tmp, "%.1100s.tmp.%ld", path, (long)getpid());
    if (tl < 0 || (size_t)tl >= sizeof tmp) {
        snprintf(err, errlen, "path too long");
        return false;
    }
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
        return false;
    }
    char rel[32] = {0};
    snprintf(rel, sizeof rel, "%s", release);
    bool ok =
        fwrite(MAGIC, 1, 8, f) == 8 && fwrite(rel, 1, 32, f) == 32 && put32(f, (uint32_t)secs->n);
    for (size_t i = 0; ok && i < secs->n; i++) {
        const struct section *x = &secs->v[i];
        char name[NAME_LEN] = {0}, base[NAME_LEN] = {0};
        memcpy(name, x->name, strlen(x->name));
        memcpy(base, x->base, strlen(x->base));
        ok = fwrite(name, 1, NAME_LEN, f) == NAME_LEN && fwrite(base, 1, NAME_LEN, f) == NAME_LEN &&
             put32(f, x->kind) && put32(f, (uint32_t)x->n);
        for (size_t k = 0; ok && k < x->n; k++)
            ok = put32(f, x->pairs[k].cns) && put32(f, x->pairs[k].val);
    }
    if (fflush(f) != 0 || fsync(fileno(f)) != 0)
        ok = false;
    if (fclose(f) != 0)
        ok = false;
    if (!ok || rename(tmp, path) != 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        unlink(tmp);
        return false;
    }
    return true;
}

static const char *file_of(const struct section *x, size_t k)
{
    const char *f = x->files[0];
    for (size_t i = 0; i < x->nfiles; i++)
        if (k >= x->file_start[i])
            f = x->files[i];
    return f;
}

/* Checks every entry of @p secs against @p db and lists those that cannot round-trip. */
static void check_round_trip(const struct egov_hanzi_db *db, const struct sections *secs,
                             struct egov_hanzi_import_report *rep)
{
    char cs[16];
    for (size_t i = 0; i < secs->n; i++) {
        const struct section *x = &secs->v[i];
        const struct egov_hanzi_encoding *e = NULL;
        for (unsigned int j = 0; x->kind && j < db->nenc; j++)
            if (strcmp(db->enc[j].name, x->name) == 0)
                e = &db->enc[j];
        rep->tables++;
        for (size_t k = 0; k < x->n; k++) {
            const struct pair *p = &x->pairs[k];
            uint32_t cp = egov_hanzi_db_cp_of(db, p->cns);
            egov_hanzi_cns_format(p->cns, cs);
            const char *why = NULL;
            char buf[160];
            if (x->kind == 0) {
                uint32_t back = egov_hanzi_db_cns_of(db, p->val);
                if (cp != p->val) {
                    snprintf(buf, sizeof buf, "%s is listed before with U+%04X", cs, (unsigned)cp);
                    why = buf;
                } else if (back != p->cns) {
                    char bs[16];
                    egov_hanzi_cns_format(back, bs);
                    snprintf(buf, sizeof buf, "U+%04X is also the character of %s (listed first)",
                             (unsigned)p->val, bs);
                    why = buf;
                }
            } else if (!e) {
                why = "encoding missing";
            } else if (!cp && ((p->cns >> 8 & 0xFF) < 0x21 || (p->cns >> 8 & 0xFF) > 0x7E ||
                               (p->cns & 0xFF) < 0x21 || (p->cns & 0xFF) > 0x7E)) {
                why = "the CNS code is outside the 94x94 cells (the table's mark for a code with "
                      "no CNS character)";
            } else if (!cp) {
                why = "the CNS code has no Unicode (or plane-15) code point in the Unicode tables";
            } else if (p->val == 0) {
                why = "code 0000 is not a character code";
            } else if (x->kind == EGOV_HANZI_K_TAX4) {
                uint32_t d = egov_hanzi_wide_dec(e->t, p->val), w = egov_hanzi_wide_enc(e->t, cp);
                if (d != cp) {
                    snprintf(buf, sizeof buf, "code also stands for U+%04X (listed first)",
                             (unsigned)d);
                    why = buf;
                } else if (w != p->val) {
                    snprintf(buf, sizeof buf,
                             "U+%04X is written as %c%c%c%c (listed first); this "
                             "code only decodes",
                             (unsigned)cp, (char)(w >> 24), (char)(w >> 16), (char)(w >> 8),
                             (char)w);
                    why = buf;
                }
            } else if (e->t->dec[p->val] != cp) {
                snprintf(buf, sizeof buf, "code %04X also stands for U+%04X (listed first)",
                         (unsigned)p->val, (unsigned)e->t->dec[p->val]);
                why = buf;
            } else if (egov_hanzi_dbcs_enc(e->t, cp) != p->val) {
                snprintf(buf, sizeof buf,
                         "U+%04X is written as %04X (listed first); %04X only decodes",
                         (unsigned)cp, (unsigned)egov_hanzi_dbcs_enc(e->t, cp), (unsigned)p->val);
                why = buf;
            }
            if (why) {
                rep->skipped++;
                char code[16];
                if (x->kind == EGOV_HANZI_K_TAX4)
                    snprintf(code, sizeof code, "%c%c%c%c", (char)(p->val >> 24),
                             (char)(p->val >> 16), (char)(p->val >> 8), (char)p->val);
                else
                    snprintf(code, sizeof code, "%04X", (unsigned)p->val);
                egov_buf_printf(&rep->notes, "%s:%u: %s\t%s: %s\n", file_of(x, k),
                                (unsigned)p->line, cs, code, why);
            }
        }
    }
}

bool egov_hanzi_import(const char *srcdir, const char *vardir, struct egov_hanzi_import_report *rep,
                       char *err, size_t errlen)
{
    struct sections secs = {0};
    struct egov_hanzi_db *db = NULL;
    char release[32], dir[1024], path[1100];
    bool ok = false;
    rep->tables = rep->entries = rep->skipped = 0;
    read_release(srcdir, release, sizeof release);
    if (!read_sources(srcdir, &secs, rep, err, errlen))
        goto out;
    snprintf(dir, sizeof dir, "%s/hanzi", vardir);
    if (mkdir(vardir, 0755) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "%s: %s", vardir, strerror(errno));
        goto out;
    }
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "%s: %s", dir, strerror(errno));
        goto out;
    }
    snprintf(path, sizeof path, "%s/tables.bin", dir);
    if (!write_file(path, &secs, release, err, errlen))
        goto out;
    /* read back what was written, as a node will, and check every entry */
    db = egov_hanzi_db_new();
    if (!db) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    if (!egov_hanzi_table_read(db, path, err, errlen))
        goto out;
    check_round_trip(db, &secs, rep);
    ok = true;
out:
    egov_hanzi_db_free(db);
    sections_free(&secs);
    return ok;
}
