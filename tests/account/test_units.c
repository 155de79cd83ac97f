/*
 * test_units.c -- the account module's pure functions: password rules
 * (NIST SP 800-63B), NFKC, Argon2id strings, TOTP against the RFC 6238
 * test vectors, base32, the national ID checksum, local redirect targets,
 * the QR code.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "account/account_int.h"
#include "testlib.h"

static void test_password_rules(void **state)
{
    (void)state;
    const char *ctx[] = {"A123456789", "王小明", "ming.wang@example.tw", NULL};
    assert_int_equal(egov_account_password_check("short7!", NULL), EGOV_ACCOUNT_PW_TOO_SHORT);
    assert_int_equal(egov_account_password_check("password", NULL), EGOV_ACCOUNT_PW_COMMON);
    assert_int_equal(egov_account_password_check("PassWord123", NULL), EGOV_ACCOUNT_PW_COMMON);
    assert_int_equal(egov_account_password_check("aaaaaaaaaaa", NULL), EGOV_ACCOUNT_PW_COMMON);
    assert_int_equal(egov_account_password_check("abcdefghij", NULL), EGOV_ACCOUNT_PW_COMMON);
    assert_int_equal(egov_account_password_check("9876543210", NULL), EGOV_ACCOUNT_PW_COMMON);
    /* no composition rules: lower-case words with spaces are fine */
    assert_int_equal(egov_account_password_check("correct horse battery staple", ctx),
                     EGOV_ACCOUNT_PW_OK);
    /* any Unicode: eight Han characters are eight characters */
    assert_int_equal(egov_account_password_check("床前明月光疑是地", NULL), EGOV_ACCOUNT_PW_OK);
    assert_int_equal(egov_account_password_check("床前明月光", NULL), EGOV_ACCOUNT_PW_TOO_SHORT);
    assert_int_equal(egov_account_password_check("my A123456789 pass", ctx),
                     EGOV_ACCOUNT_PW_CONTEXT);
    assert_int_equal(egov_account_password_check("ming.wang rules", ctx), EGOV_ACCOUNT_PW_CONTEXT);
    assert_int_equal(egov_account_password_check("egov-is-fine", NULL), EGOV_ACCOUNT_PW_CONTEXT);
    assert_int_equal(egov_account_password_check("bad\x01password", NULL), EGOV_ACCOUNT_PW_INVALID);
    assert_int_equal(egov_account_password_check("\xff\xfe broken utf8", NULL),
                     EGOV_ACCOUNT_PW_INVALID);
    char longpw[200];
    memset(longpw, 'x', sizeof longpw - 1);
    longpw[sizeof longpw - 1] = '\0';
    longpw[5] = 'y';
    assert_int_equal(egov_account_password_check(longpw, NULL), EGOV_ACCOUNT_PW_TOO_LONG);
    longpw[64] = '\0'; /* 64 characters are allowed */
    assert_int_equal(egov_account_password_check(longpw, NULL), EGOV_ACCOUNT_PW_OK);
}

static void test_nfkc_and_hash(void **state)
{
    (void)state;
    char out[64], hash[256];
    /* full-width letters and the ligature ﬁ fold under NFKC */
    assert_true(egov_account_nfkc("ＡＢＣ\xef\xac\x81", out, sizeof out));
    assert_string_equal(out, "ABCfi");
    assert_false(egov_account_nfkc("\xc3\x28", out, sizeof out));
    assert_true(egov_account_password_hash("ＰａｓｓｗｏｒｄＸ99", hash, sizeof hash));
    assert_true(strncmp(hash, "$argon2id$v=19$m=19456,t=2,p=1$", 31) == 0);
    /* the password typed with half-width letters verifies: both are NFKC-normalised */
    assert_true(account_password_verify(hash, "PasswordX99"));
    assert_false(account_password_verify(hash, "PasswordX98"));
    assert_false(account_password_verify(NULL, "PasswordX99"));
    assert_false(account_password_verify("not a hash", "PasswordX99"));
    char hash2[256];
    assert_true(egov_account_password_hash("PasswordX99", hash2, sizeof hash2));
    assert_string_not_equal(hash, hash2); /* salted */
}

static void test_totp_vectors(void **state)
{
    (void)state;
    /* RFC 6238 appendix B, SHA-1 key "12345678901234567890"; 6-digit codes are
     * the last six digits of the 8-digit vectors */
    const uint8_t *key = (const uint8_t *)"12345678901234567890";
    static const struct {
        int64_t t;
        unsigned int code;
    } v[] = {{59, 287082},       {1111111109, 81804},  {1111111111, 50471},
             {1234567890, 5924}, {2000000000, 279037}, {20000000000LL, 353130}};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        unsigned int code = 0;
        assert_true(account_totp_code(key, 20, (uint64_t)(v[i].t / 30), &code));
        assert_int_equal(code, v[i].code);
    }
    int64_t step = 0;
    assert_true(account_totp_verify(key, 20, "287082", 59, 0, &step));
    assert_int_equal(step, 1);
    assert_true(account_totp_verify(key, 20, "287082", 59 + 30, 0, &step));  /* one step late */
    assert_false(account_totp_verify(key, 20, "287082", 59 + 90, 0, &step)); /* too late */
    assert_false(account_totp_verify(key, 20, "287082", 59, 1, &step));      /* replay */
    assert_false(account_totp_verify(key, 20, "28708", 59, 0, &step));
    assert_false(account_totp_verify(key, 20, "28708a", 59, 0, &step));
}

static void test_base32(void **state)
{
    (void)state;
    char out[64];
    uint8_t back[64];
    account_base32_encode((const uint8_t *)"12345678901234567890", 20, out, sizeof out);
    assert_string_equal(out, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
    assert_int_equal(account_base32_decode("gezdgnbvgy3tqojqgezdgnbvgy3tqojq", back, sizeof back),
                     20);
    assert_memory_equal(back, "12345678901234567890", 20);
    assert_int_equal(account_base32_decode("GE1", back, sizeof back), -1);
    account_base32_encode((const uint8_t *)"f", 1, out, sizeof out);
    assert_string_equal(out, "MY");
}

static void test_national_id(void **state)
{
    (void)state;
    assert_true(account_national_id_valid("A123456789"));
    assert_false(account_national_id_valid("A123456788"));
    assert_false(account_national_id_valid("A323456789")); /* second digit 3 */
    assert_true(account_national_id_valid("AC01234567"));  /* old resident format */
    assert_true(account_national_id_valid("A800000014"));  /* 2021 resident format */
    assert_false(account_national_id_valid("a123456789")); /* callers upper-case first */
    assert_false(account_national_id_valid("A12345678"));
    assert_false(account_national_id_valid("A1234567890"));
    assert_false(account_national_id_valid(""));
    assert_false(account_national_id_valid(NULL));
}

static void test_local_path(void **state)
{
    (void)state;
    assert_true(account_local_path("/"));
    assert_true(account_local_path("/oidc/authorize?client_id=x&scope=openid"));
    assert_false(account_local_path("//evil.example/"));
    assert_false(account_local_path("/\\evil.example/"));
    assert_false(account_local_path("https://evil.example/"));
    assert_false(account_local_path("javascript:alert(1)"));
    assert_false(account_local_path("/a\r\nSet-Cookie: x=1"));
    assert_false(account_local_path(""));
    assert_false(account_local_path(NULL));
}

static void test_qr(void **state)
{
    (void)state;
    char *uri = account_qr_data_uri("otpauth://totp/egov:A123456789?secret=GEZDGNBV&issuer=egov");
    assert_non_null(uri);
    assert_true(strncmp(uri, "data:image/svg+xml;base64,", 26) == 0);
    assert_true(strlen(uri) > 500);
    egov_free(uri);
}

static void test_secret_sealing(void **state)
{
    (void)state;
    char sealed[160], opened[64];
    const char *id = "01a21c8a-f520-7005-95f1-e9e93b759b1f";
    /* without a key: refused, never stored in clear */
    account_secret_key_set(NULL);
    assert_false(account_secret_seal("GEZDGNBVGY3TQOJQ", id, sealed, sizeof sealed));
    uint8_t key[32];
    for (int i = 0; i < 32; i++)
        key[i] = (uint8_t)(i * 7 + 1);
    account_secret_key_set(key);
    assert_true(account_secret_seal("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", id, sealed, sizeof sealed));
    assert_true(strncmp(sealed, "v1:", 3) == 0);
    assert_null(strstr(sealed, "GEZDGNBV"));
    assert_true(account_secret_open(sealed, id, opened, sizeof opened));
    assert_string_equal(opened, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
    char again[160];
    assert_true(account_secret_seal("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", id, again, sizeof again));
    assert_string_not_equal(sealed, again); /* fresh nonce */
    /* another account's id, an altered byte, another key: refused */
    assert_false(
        account_secret_open(sealed, "01a21c8a-f520-7005-95f1-e9e93b759b1e", opened, sizeof opened));
    sealed[10] = sealed[10] == 'A' ? 'B' : 'A';
    assert_false(account_secret_open(sealed, id, opened, sizeof opened));
    key[0] ^= 1;
    account_secret_key_set(key);
    assert_false(account_secret_open(again, id, opened, sizeof opened));
    assert_false(account_secret_open("v1:!!", id, opened, sizeof opened));
    /* a value stored before the key was configured still opens */
    assert_true(account_secret_open("GEZDGNBV", id, opened, sizeof opened));
    account_secret_key_set(NULL);
    assert_false(account_secret_open(again, id, opened, sizeof opened));
}

/* Writes @p text to @p path with @p mode. */
static void write_file(const char *path, const char *text, mode_t mode)
{
    unlink(path);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, mode);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    assert_int_equal(chmod(path, mode), 0);
}

static void test_secret_key_file(void **state)
{
    (void)state;
    char dir[256], path[600], msg[1400], text[80];
    struct stat st;
    struct egov_config cfg;
    const char *id = "01a21c8a-f520-7005-95f1-e9e93b759b1f";
    snprintf(dir, sizeof dir, "%s/account-key-%d",
             getenv("EGOV_TEST_TMP") ? getenv("EGOV_TEST_TMP") : "/tmp", (int)getpid());
    mkdir(dir, 0700);
    egov_config_defaults(&cfg);
    snprintf(cfg.vardir, sizeof cfg.vardir, "%s", dir);

    /* the default: VAR/account-secret.key, made with mode 0600 on first start */
    assert_true(account_secret_key_path("", dir, path, sizeof path));
    assert_non_null(strstr(path, "/account-secret.key"));
    unlink(path);
    assert_true(egov_account_secret_key_check(&cfg, msg, sizeof msg));
    assert_non_null(strstr(msg, "will create it"));
    account_secret_key_set(NULL);
    assert_false(account_secret_key_load(path, false)); /* not made unless asked */
    assert_true(account_secret_key_load(path, true));
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    assert_non_null(fgets(text, sizeof text, f));
    fclose(f);
    assert_int_equal(strlen(text), 65);
    assert_true(egov_account_secret_key_check(&cfg, msg, sizeof msg));
    assert_string_equal(msg, "");
    char sealed[160], opened[64];
    assert_true(account_secret_seal("GEZDGNBVGY3TQOJQ", id, sealed, sizeof sealed));
    /* a second start reads the same key: what was sealed still opens */
    account_secret_key_set(NULL);
    assert_true(account_secret_key_load(path, true));
    assert_true(account_secret_open(sealed, id, opened, sizeof opened));
    assert_string_equal(opened, "GEZDGNBVGY3TQOJQ");

    /* a key others can read, a bad key, a named file that is missing: refused and reported */
    assert_int_equal(chmod(path, 0644), 0);
    assert_false(account_secret_key_load(path, true));
    assert_false(egov_account_secret_key_check(&cfg, msg, sizeof msg));
    assert_non_null(strstr(msg, "account.secret_key_file"));
    assert_non_null(strstr(msg, "chmod 600"));
    write_file(path, "not a key\n", 0600);
    assert_false(account_secret_key_load(path, true));
    assert_false(egov_account_secret_key_check(&cfg, msg, sizeof msg));
    assert_non_null(strstr(msg, "64 hexadecimal digits"));
    snprintf(cfg.account_secret_key_file, sizeof cfg.account_secret_key_file, "%s/missing.key",
             dir);
    assert_false(egov_account_secret_key_check(&cfg, msg, sizeof msg));
    assert_non_null(strstr(msg, "missing.key"));
    assert_false(account_secret_key_load(cfg.account_secret_key_file, false));
    unlink(path);
    rmdir(dir);
    account_secret_key_set(NULL);
}

static void test_blocklist(void **state)
{
    (void)state;
    char source[512], path[300], msg[1400];
    struct egov_config cfg;

    /* the default: Debian's cracklib dictionary (scripts/install-deps.sh installs it) */
    assert_int_equal(access(ACCOUNT_BLOCKLIST_DEFAULT, R_OK), 0);
    int64_t t0 = egov_now_us();
    assert_true(account_blocklist_load(""));
    int64_t t1 = egov_now_us();
    size_t n = account_blocklist_info(source, sizeof source);
    assert_string_equal(source, ACCOUNT_BLOCKLIST_DEFAULT);
    assert_true(n > 20000);
    /* words of the file that the built-in list lacks, in any case */
    assert_int_equal(egov_account_password_check("dragonfly", NULL), EGOV_ACCOUNT_PW_COMMON);
    assert_int_equal(egov_account_password_check("DragonFLY", NULL), EGOV_ACCOUNT_PW_COMMON);
    assert_int_equal(egov_account_password_check("1QAZxsw2", NULL), EGOV_ACCOUNT_PW_COMMON);
    assert_int_equal(egov_account_password_check("dragonfly over the tea garden", NULL),
                     EGOV_ACCOUNT_PW_OK);
    /* the built-in list is still there */
    assert_int_equal(egov_account_password_check("WoAiNi1314", NULL), EGOV_ACCOUNT_PW_COMMON);
    int64_t t2 = egov_now_us();
    unsigned int hits = 0;
    for (int i = 0; i < 100000; i++)
        hits += account_blocklist_has(i % 2 ? "dragonfly" : "not on any list 42");
    int64_t t3 = egov_now_us();
    assert_int_equal(hits, 50000);
    fprintf(stderr, "# blocklist: %zu entries loaded in %lld ms; %lld ns per lookup\n", n,
            (long long)(t1 - t0) / 1000, (long long)(t3 - t2) * 1000 / 100000);

    /* a file named by account.password_blocklist_file takes the dictionary's place */
    snprintf(path, sizeof path, "%s/blocklist-%d",
             getenv("EGOV_TEST_TMP") ? getenv("EGOV_TEST_TMP") : "/tmp", (int)getpid());
    write_file(path, "Zebra-Crossing-42\r\n\xc3\x84PFELB\xc3\x84UME-123\nshort\n\n", 0644);
    assert_true(account_blocklist_load(path));
    account_blocklist_info(source, sizeof source);
    assert_string_equal(source, path);
    assert_int_equal(egov_account_password_check("zebra-crossing-42", NULL),
                     EGOV_ACCOUNT_PW_COMMON);
    /* Unicode case folding: "äpfelbäume-123" matches "ÄPFELBÄUME-123" */
    assert_int_equal(egov_account_password_check("\xc3\xa4pfelb\xc3\xa4ume-123", NULL),
                     EGOV_ACCOUNT_PW_COMMON);
    assert_int_equal(egov_account_password_check("dragonfly", NULL), EGOV_ACCOUNT_PW_OK);
    assert_int_equal(egov_account_password_check("password1", NULL), EGOV_ACCOUNT_PW_COMMON);
    /* a named file that is missing: refused, and the list in use stays */
    assert_false(account_blocklist_load("/nonexistent/blocklist"));
    assert_int_equal(egov_account_password_check("zebra-crossing-42", NULL),
                     EGOV_ACCOUNT_PW_COMMON);
    egov_config_defaults(&cfg);
    assert_true(egov_account_blocklist_check(&cfg, msg, sizeof msg));
    assert_string_equal(msg, ""); /* the dictionary is installed */
    snprintf(cfg.account_password_blocklist_file, sizeof cfg.account_password_blocklist_file,
             "/nonexistent/blocklist");
    assert_false(egov_account_blocklist_check(&cfg, msg, sizeof msg));
    assert_non_null(strstr(msg, "account.password_blocklist_file"));
    assert_non_null(strstr(msg, "/nonexistent/blocklist"));
    unlink(path);
    assert_true(account_blocklist_load(""));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_password_rules),
        cmocka_unit_test(test_secret_key_file),
        cmocka_unit_test(test_blocklist),
        cmocka_unit_test(test_nfkc_and_hash),
        cmocka_unit_test(test_totp_vectors),
        cmocka_unit_test(test_base32),
        cmocka_unit_test(test_national_id),
        cmocka_unit_test(test_local_path),
        cmocka_unit_test(test_qr),
        cmocka_unit_test(test_secret_sealing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
