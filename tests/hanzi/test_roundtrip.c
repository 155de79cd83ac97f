/*
 * test_roundtrip.c -- every entry of every official 全字庫 mapping table
 * ($EGOV_SHARED_DATA/cns11643/MapingTables) round-trips through
 * egov_hanzi_convert() after `egov hanzi import`, or is listed by the
 * import with its reason; and the list holds nothing that does round-trip.
 * The tables are read here independently of the importer.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hanzi/hanzi.h"
#include "testlib.h"

static char srcdir[1024];
static char vardir[1024];
static struct egov_hanzi_import_report rep;

/* The import's notes, one "file:line: ..." per line, sorted for bsearch. */
static char **notes_idx;
static size_t nlisted;

static int cmp_line(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void index_notes(void)
{
    for (char *p = rep.notes.data; p && *p;) {
        char *nl = strchr(p, '\n');
        char **v = realloc(notes_idx, (nlisted + 1) * sizeof *v);
        assert_non_null(v);
        notes_idx = v;
        notes_idx[nlisted++] = p;
        if (!nl)
            break;
        *nl = '\0';
        p = nl + 1;
    }
    /* keep only "file:line:" of each note */
    for (size_t i = 0; i < nlisted; i++) {
        char *c = strchr(notes_idx[i], ':');
        c = c ? strchr(c + 1, ':') : NULL;
        if (c)
            c[1] = '\0';
    }
    qsort(notes_idx, nlisted, sizeof *notes_idx, cmp_line);
}

/* True if the import listed "file:line:". */
static bool reported(const char *file, unsigned line)
{
    char key[320], *k = key;
    snprintf(key, sizeof key, "%s:%u:", file, line);
    return nlisted && bsearch(&k, notes_idx, nlisted, sizeof *notes_idx, cmp_line) != NULL;
}

/*
 * The built-in sources of a fresh machine (glibc EUC-TW, Unihan
 * kIRG_TSource) against the official CNS -> Unicode tables: how many
 * official entries they give the same way, differently, or not at all.
 */
static unsigned long fresh_same, fresh_diff, fresh_missing;

static void compare_fresh(void)
{
    static const char *const files[] = {"BMP", "2", "3", "15"};
    char err[256], path[1400], line[128];
    egov_hanzi_tables_unload();
    if (!egov_hanzi_tables_load(NULL, err, sizeof err))
        fail_msg("load: %s", err);
    for (size_t i = 0; i < 4; i++) {
        snprintf(path, sizeof path, "%s/MapingTables/Unicode/CNS2UNICODE_Unicode %s.txt", srcdir,
                 files[i]);
        FILE *f = fopen(path, "r");
        assert_non_null(f);
        while (fgets(line, sizeof line, f)) {
            char *tab = strchr(line, '\t');
            uint32_t cns;
            if (!tab)
                continue;
            *tab = '\0';
            unsigned long cp = strtoul(tab + 1, NULL, 16);
            if (!egov_hanzi_cns_parse(line, &cns))
                continue;
            uint32_t have = egov_hanzi_cp_of_cns(cns);
            if (cp >= 0xF0000) /* private use: only the official tables have these */
                continue;
            if (!have)
                fresh_missing++;
            else if (have == cp)
                fresh_same++;
            else
                fresh_diff++;
        }
        fclose(f);
    }
    printf("built-in sources (%s) against the official CNS -> Unicode tables: %lu the same, "
           "%lu different, %lu missing\n",
           egov_hanzi_tables_source(), fresh_same, fresh_diff, fresh_missing);
    egov_hanzi_tables_unload();
}

static int setup(void **state)
{
    const char *shared = getenv("EGOV_SHARED_DATA");
    const char *tmp = getenv("EGOV_TEST_TMP");
    char err[512];
    struct stat st;
    if (!shared || snprintf(srcdir, sizeof srcdir, "%s/cns11643", shared) >= (int)sizeof srcdir ||
        stat(srcdir, &st) != 0) {
        fprintf(stderr, "no $EGOV_SHARED_DATA/cns11643: skipped\n");
        exit(77);
    }
    compare_fresh();
    snprintf(vardir, sizeof vardir, "%s/hanzi-roundtrip-%ld", tmp ? tmp : "/tmp", (long)getpid());
    mkdir(tmp ? tmp : "/tmp", 0755);
    egov_buf_init(&rep.notes);
    if (!egov_hanzi_import(srcdir, vardir, &rep, err, sizeof err))
        fail_msg("import: %s", err);
    if (!egov_hanzi_tables_load(vardir, err, sizeof err))
        fail_msg("load: %s", err);
    index_notes();
    return 0;
}

static int teardown(void **state)
{
    char path[1100];
    egov_hanzi_tables_unload();
    free(notes_idx);
    egov_buf_free(&rep.notes);
    snprintf(path, sizeof path, "%s/hanzi/tables.bin", vardir);
    unlink(path);
    snprintf(path, sizeof path, "%s/hanzi", vardir);
    rmdir(path);
    rmdir(vardir);
    return 0;
}

/* Converts and compares; true if @p in converts to exactly @p want. */
static bool converts(const struct egov_hanzi_encoding *f, const struct egov_hanzi_encoding *t,
                     const void *in, size_t n, const void *want, size_t wn)
{
    static struct egov_buf out;
    struct egov_hanzi_error err;
    egov_buf_reset(&out);
    bool ok = egov_hanzi_convert(f, t, EGOV_HANZI_STRICT, in, n, &out, &err) && out.len == wn &&
              memcmp(out.data, want, wn) == 0;
    if (!f) /* the last call frees the buffer */
        egov_buf_free(&out);
    return ok;
}

static const struct egov_hanzi_encoding *must(const char *name)
{
    const struct egov_hanzi_encoding *e = egov_hanzi_encoding_by_name(name);
    if (!e)
        fail_msg("encoding %s missing", name);
    return e;
}

struct tally {
    unsigned long entries, ok, listed;
};

/* Checks one table file against encoding @p encname ("cns" for the Unicode tables). */
static void check_file(const char *rel, const char *encname, struct tally *t)
{
    char path[1400], line[256];
    snprintf(path, sizeof path, "%s/MapingTables/%s", srcdir, rel);
    FILE *f = fopen(path, "r");
    if (!f)
        fail_msg("%s: %s", path, strerror(errno));
    unsigned lineno = 0;
    bool tax = strcmp(encname, "cns-tax") == 0;
    const struct egov_hanzi_encoding *u8 = must("utf-8"), *e = must(encname);
    while (fgets(line, sizeof line, f)) {
        lineno++;
        line[strcspn(line, "\r\n")] = '\0';
        if (!line[0])
            continue;
        t->entries++;
        char *tab = strchr(line, '\t');
        uint32_t cns = 0, cp = 0;
        bool good = false;
        if (tab) {
            *tab = '\0';
            const char *code = tab + 1;
            if (egov_hanzi_cns_parse(line, &cns))
                cp = egov_hanzi_cp_of_cns(cns);
            char u8s[5] = {0};
            size_t u8n = cp ? egov_utf8_encode(cp, u8s) : 0;
            if (strcmp(encname, "cns") == 0) {
                unsigned long v = strtoul(code, NULL, 16);
                char want[5];
                size_t wn = egov_utf8_encode((uint32_t)v, want);
                good = wn && converts(e, u8, line, strlen(line), want, wn) &&
                       converts(u8, e, want, wn, line, strlen(line));
            } else if (u8n) {
                unsigned char bytes[4];
                size_t bn;
                if (tax) {
                    memcpy(bytes, code, 4);
                    bn = strlen(code) == 4 ? 4 : 0;
                } else {
                    unsigned long v = strtoul(code, NULL, 16);
                    bytes[0] = (unsigned char)(v >> 8);
                    bytes[1] = (unsigned char)v;
                    bn = v > 0xFF && strlen(code) == 4 ? 2 : 0;
                }
                good = bn && converts(e, u8, bytes, bn, u8s, u8n) &&
                       converts(u8, e, u8s, u8n, bytes, bn);
            }
            *tab = '\t';
        }
        bool listed = reported(rel, lineno);
        if (good == listed)
            fail_msg("%s:%u (%s): %s", rel, lineno, line,
                     good ? "round-trips but the import listed it"
                          : "does not round-trip and the import did not list it");
        t->ok += good;
        t->listed += listed;
    }
    fclose(f);
}

static void test_every_entry(void **state)
{
    static const struct {
        const char *file, *enc;
    } files[] = {
        {"Unicode/CNS2UNICODE_Unicode BMP.txt", "cns"},
        {"Unicode/CNS2UNICODE_Unicode 2.txt", "cns"},
        {"Unicode/CNS2UNICODE_Unicode 3.txt", "cns"},
        {"Unicode/CNS2UNICODE_Unicode 15.txt", "cns"},
        {"Big5/CNS2BIG5_符號.txt", "big5-2003"},
        {"Big5/CNS2BIG5.txt", "big5-2003"},
        {"Big5/CNS2BIG5_七個倚天外字.txt", "big5-2003"},
        {"Big5/CNS2BIG5_Big5E.txt", "big5-e"},
        {"CNS2DCI.txt", "cns-dci"},
        {"CNS2FIN.txt", "cns-fin"},
        {"CNS2TAX.txt", "cns-tax"},
        {"CNS2INC.txt", "cns-inc"},
    };
    struct tally all = {0};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        struct tally t = {0};
        check_file(files[i].file, files[i].enc, &t);
        printf("%-40s %-10s %6lu entries %6lu round-trip %5lu listed\n", files[i].file,
               files[i].enc, t.entries, t.ok, t.listed);
        all.entries += t.entries;
        all.ok += t.ok;
        all.listed += t.listed;
    }
    char dir[1100];
    snprintf(dir, sizeof dir, "%s/MapingTables/地政", srcdir);
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *e;
    unsigned counties = 0;
    while ((e = readdir(d))) {
        size_t l = strlen(e->d_name);
        if (l < 5 || strcmp(e->d_name + l - 4, ".txt") != 0)
            continue;
        char rel[300], encname[300];
        snprintf(rel, sizeof rel, "地政/%s", e->d_name);
        snprintf(encname, sizeof encname, "land-%.*s", (int)(l - 4), e->d_name);
        struct tally t = {0};
        check_file(rel, encname, &t);
        all.entries += t.entries;
        all.ok += t.ok;
        all.listed += t.listed;
        counties++;
    }
    closedir(d);
    converts(NULL, NULL, NULL, 0, NULL, 0);
    printf("land offices: %u tables\n", counties);
    printf("all: %lu entries, %lu round-trip, %lu listed by the import\n", all.entries, all.ok,
           all.listed);
    assert_int_equal(counties, 25);
    assert_int_equal(all.entries, rep.entries);
    assert_int_equal(all.listed, rep.skipped);
    assert_int_equal(all.ok + all.listed, all.entries);
    /* the characters that matter: the Unicode tables round-trip but for 2 duplicates */
    assert_true(all.ok > 200000);
    /* a fresh machine's sources agree with the official tables where they have a code */
    assert_true(fresh_same > 55000);
    assert_true(fresh_diff * 100 < fresh_same);
}

static void test_plane15_private_use(void **state)
{
    /* CNS characters Unicode lacks map to plane-15 private use, as the official table says */
    uint32_t cns;
    assert_true(egov_hanzi_cns_parse("1-234F", &cns));
    assert_int_equal(egov_hanzi_cp_of_cns(cns), 0xFE270);
    assert_int_equal(egov_hanzi_cns_of(0xFE270), cns);
    json_t *o = egov_hanzi_char_info(0xFE270);
    assert_true(json_is_true(json_object_get(o, "private_use")));
    assert_string_equal(json_string_value(json_object_get(o, "cns")), "1-234F");
    json_decref(o);
    /* imported sets are named in the source */
    assert_non_null(strstr(egov_hanzi_tables_source(), "imported"));
    assert_non_null(egov_hanzi_encoding_by_name("land-臺北市"));
    assert_ptr_equal(egov_hanzi_encoding_by_name("land-台北市"),
                     egov_hanzi_encoding_by_name("land-taipei-city"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_entry),
        cmocka_unit_test(test_plane15_private_use),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
