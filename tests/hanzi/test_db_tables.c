/*
 * test_db_tables.c -- imported tables travel through the database: one
 * node imports (a small MapingTables folder made here) and stores the
 * files; another node copies them into its PATHS.VAR and converts with
 * them; unchanged files are not copied again; a stored file that does not
 * match its digest is refused.  Runs on SQLite and PostgreSQL.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hanzi/hanzi.h"
#include "hanzi/table.h"
#include "testlib.h"

static struct egov_db *db;
static char root[512];

static void put(const char *rel, const char *text)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", root, rel);
    FILE *f = fopen(path, "w");
    if (!f)
        fail_msg("%s", path);
    fputs(text, f);
    fclose(f);
}

static void mkdirs(const char *rel)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", root, rel);
    mkdir(path, 0755);
}

static int setup(void **state)
{
    char err[256];
    const char *tmp = getenv("EGOV_TEST_TMP");
    snprintf(root, sizeof root, "%s/hanzi-dbtables-%ld", tmp ? tmp : "/tmp", (long)getpid());
    if (tmp)
        mkdir(tmp, 0755);
    mkdir(root, 0755);
    static const char *const dirs[] = {"src",
                                       "src/MapingTables",
                                       "src/MapingTables/Unicode",
                                       "src/MapingTables/Big5",
                                       "src/MapingTables/地政",
                                       "a",
                                       "b"};
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
        mkdirs(dirs[i]);
    put("src/release.txt", "版本：20990101\n");
    put("src/MapingTables/Unicode/CNS2UNICODE_Unicode BMP.txt", "1-4421\t4E00\n1-6A57\t81FA\n");
    put("src/MapingTables/Unicode/CNS2UNICODE_Unicode 2.txt", "");
    put("src/MapingTables/Unicode/CNS2UNICODE_Unicode 3.txt", "");
    put("src/MapingTables/Unicode/CNS2UNICODE_Unicode 15.txt", "15-2121\tF0000\n");
    put("src/MapingTables/Big5/CNS2BIG5_符號.txt", "");
    put("src/MapingTables/Big5/CNS2BIG5.txt", "1-4421\tA440\n1-6A57\tBB4F\n");
    put("src/MapingTables/Big5/CNS2BIG5_七個倚天外字.txt", "");
    put("src/MapingTables/Big5/CNS2BIG5_Big5E.txt", "");
    put("src/MapingTables/CNS2DCI.txt", "1-6A57\tD9A7\n");
    put("src/MapingTables/CNS2FIN.txt", "1-6A57\tBB4F\n");
    put("src/MapingTables/CNS2TAX.txt", "1-6A57\t5270\n");
    put("src/MapingTables/CNS2INC.txt", "1-4421\tC6A1\n");
    put("src/MapingTables/地政/台北市.txt", "15-2121\tFA40\n");
    db = egov_test_db_open();
    if (!db)
        return -1;
    egov_db_register_migrations(egov_hanzi_module.migrations);
    return egov_db_migrate(db, NULL, NULL, err, sizeof err) >= 0 ? 0 : -1;
}

static int teardown(void **state)
{
    char cmd[1100];
    egov_hanzi_tables_unload();
    egov_db_close(db);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    return system(cmd) == 0 ? 0 : -1;
}

static unsigned char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    unsigned char *buf = malloc(1 << 20);
    assert_non_null(buf);
    *n = fread(buf, 1, 1 << 20, f);
    fclose(f);
    return buf;
}

static void test_one_import_every_node(void **state)
{
    char err[512], a[600], b[600], fa[700], fb[700];
    struct egov_hanzi_import_report rep;
    unsigned int n = 0;
    snprintf(a, sizeof a, "%s/a", root);
    snprintf(b, sizeof b, "%s/b", root);
    snprintf(fa, sizeof fa, "%s/hanzi/tables.bin", a);
    snprintf(fb, sizeof fb, "%s/hanzi/tables.bin", b);
    char src[600];
    snprintf(src, sizeof src, "%s/src", root);
    egov_buf_init(&rep.notes);
    if (!egov_hanzi_import(src, a, &rep, err, sizeof err))
        fail_msg("import: %s", err);
    assert_int_equal(rep.entries, 10);
    assert_int_equal(rep.skipped, 0);
    egov_buf_free(&rep.notes);

    /* node a stores; node b has nothing yet and copies */
    assert_true(egov_hanzi_tables_publish(db, a, &n, err, sizeof err));
    assert_int_equal(n, 1);
    if (!egov_hanzi_tables_fetch(db, b, &n, err, sizeof err))
        fail_msg("fetch: %s", err);
    assert_int_equal(n, 1);
    size_t la, lb;
    unsigned char *da = slurp(fa, &la), *dbytes = slurp(fb, &lb);
    assert_int_equal(la, lb);
    assert_memory_equal(da, dbytes, la);
    free(da);
    free(dbytes);
    /* nothing changed: nothing copied */
    assert_true(egov_hanzi_tables_fetch(db, b, &n, err, sizeof err));
    assert_int_equal(n, 0);

    /* node b converts with the imported agency and land tables */
    egov_hanzi_tables_unload();
    if (!egov_hanzi_tables_load(b, err, sizeof err))
        fail_msg("load: %s", err);
    assert_string_equal(egov_hanzi_tables_source(), "imported 20990101");
    struct egov_buf out;
    struct egov_hanzi_error e;
    egov_buf_init(&out);
    assert_true(egov_hanzi_convert(egov_hanzi_encoding_by_name("utf-8"),
                                   egov_hanzi_encoding_by_name("cns-dci"), EGOV_HANZI_STRICT, "臺",
                                   strlen("臺"), &out, &e));
    assert_int_equal(out.len, 2);
    assert_memory_equal(out.data, "\xD9\xA7", 2);
    egov_buf_reset(&out);
    assert_true(egov_hanzi_convert(egov_hanzi_encoding_by_name("land-台北市"),
                                   egov_hanzi_encoding_by_name("utf-8"), EGOV_HANZI_STRICT,
                                   "\xFA\x40", 2, &out, &e));
    assert_int_equal(out.len, 4);
    assert_memory_equal(out.data, "\xF3\xB0\x80\x80", 4);
    egov_buf_free(&out);
}

static void test_corrupt_copy_refused(void **state)
{
    static const struct egov_db_stmt st_spoil = {
        "test_hanzi_spoil", "UPDATE hanzi_file SET sha256 = '00' WHERE name = 'tables.bin'", NULL};
    char err[512], c[600], fc[700];
    unsigned int n = 0;
    snprintf(c, sizeof c, "%s/c", root);
    snprintf(fc, sizeof fc, "%s/hanzi/tables.bin", c);
    struct egov_db_conn *conn = egov_db_acquire(db, 5000);
    assert_non_null(conn);
    assert_int_equal(
        egov_db_exec(conn, &st_spoil, (const struct egov_db_param[]){EGOV_DB_PARAM_END}), 1);
    egov_db_release(conn);
    assert_false(egov_hanzi_tables_fetch(db, c, &n, err, sizeof err));
    assert_non_null(strstr(err, "does not match"));
    assert_int_equal(access(fc, F_OK), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_import_every_node),
        cmocka_unit_test(test_corrupt_copy_refused),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
