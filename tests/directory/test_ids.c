/*
 * test_ids.c -- check digits of national IDs, resident certificate numbers
 * (2021 and older formats), business IDs (the 2023 divisible-by-5 rule and
 * the 7th-digit-7 case) and the shape of agency codes.
 */
#include <stdio.h>
#include <string.h>

#include "directory/directory.h"
#include "testlib.h"

static void test_national_ids(void **state)
{
    (void)state;
    assert_int_equal(egov_directory_id_check("A123456789"), EGOV_DIRECTORY_ID_NATIONAL);
    assert_int_equal(egov_directory_id_check("A223456781"), EGOV_DIRECTORY_ID_NATIONAL);
    assert_int_equal(egov_directory_id_check("F131104093"), EGOV_DIRECTORY_ID_NATIONAL);
    assert_int_equal(egov_directory_id_gender("A123456789"), 'M');
    assert_int_equal(egov_directory_id_gender("A223456781"), 'F');
    /* every change of a digit whose weight is prime to 10 (7, 3, 1, 1) breaks it; other
       weights miss some changes, a property of the official check digit */
    char id[11] = "A123456789";
    static const int odd_positions[] = {2, 6, 8, 9};
    for (size_t j = 0; j < sizeof(odd_positions) / sizeof(odd_positions[0]); j++) {
        int pos = odd_positions[j];
        char orig = id[pos];
        for (char d = '0'; d <= '9'; d++) {
            if (d == orig)
                continue;
            id[pos] = d;
            enum egov_directory_id_kind k = egov_directory_id_check(id);
            if (k != EGOV_DIRECTORY_ID_INVALID)
                fail_msg("accepted %s", id);
        }
        id[pos] = orig;
    }
    static const char *const bad[] = {"",           "A12345678",  "A1234567890", "a123456789",
                                      "A323456789", "1123456789", "A12345678X",  "AE00000009",
                                      "A023456789", "A723456789"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(egov_directory_id_check(bad[i]), EGOV_DIRECTORY_ID_INVALID);
    assert_int_equal(egov_directory_id_check(NULL), EGOV_DIRECTORY_ID_INVALID);
    assert_int_equal(egov_directory_id_gender("A123456780"), '?');
}

static void test_resident_certificates(void **state)
{
    (void)state;
    /* the 2021 format: 8 (male) or 9 (female) in the second place */
    assert_int_equal(egov_directory_id_check("A800000014"), EGOV_DIRECTORY_ID_RESIDENT);
    assert_int_equal(egov_directory_id_gender("A800000014"), 'M');
    assert_int_equal(egov_directory_id_check("A800000015"), EGOV_DIRECTORY_ID_INVALID);
    /* the old format: two letters */
    assert_int_equal(egov_directory_id_check("AA00000009"), EGOV_DIRECTORY_ID_RESIDENT_OLD);
    assert_int_equal(egov_directory_id_check("AC01234567"), EGOV_DIRECTORY_ID_RESIDENT_OLD);
    assert_int_equal(egov_directory_id_check("AA00000008"), EGOV_DIRECTORY_ID_INVALID);
    /* a valid number in each new-format gender exists for every area letter */
    for (char letter = 'A'; letter <= 'Z'; letter++) {
        for (char g = '8'; g <= '9'; g++) {
            int valid = 0;
            for (char check = '0'; check <= '9'; check++) {
                char id[11];
                snprintf(id, sizeof(id), "%c%c1234567%c", letter, g, check);
                if (egov_directory_id_check(id) == EGOV_DIRECTORY_ID_RESIDENT)
                    valid++;
            }
            assert_int_equal(valid, 1);
        }
    }
}

static void test_business_ids(void **state)
{
    (void)state;
    assert_true(egov_directory_ban_valid("04595257"));
    assert_true(egov_directory_ban_valid("22099131"));
    /* valid only under the rule in force since 2023 (sum divisible by 5, not 10) */
    assert_true(egov_directory_ban_valid("04595252"));
    /* the 7th digit 7: both readings of 28 -> 10 count */
    assert_true(egov_directory_ban_valid("10458574"));
    assert_true(egov_directory_ban_valid("10458575"));
    assert_false(egov_directory_ban_valid("12345678"));
    assert_false(egov_directory_ban_valid("0459525"));
    assert_false(egov_directory_ban_valid("045952570"));
    assert_false(egov_directory_ban_valid("0459525a"));
    assert_false(egov_directory_ban_valid(NULL));
    /* exactly one in five of the last digits is valid when the 7th is not 7 */
    int valid = 0;
    for (char d = '0'; d <= '9'; d++) {
        char ban[9] = "0459525";
        ban[7] = d;
        ban[8] = '\0';
        valid += egov_directory_ban_valid(ban);
    }
    assert_int_equal(valid, 2);
}

static void test_agency_codes(void **state)
{
    (void)state;
    assert_true(egov_directory_agency_code_valid("A00000000A"));
    assert_true(egov_directory_agency_code_valid("376410000A"));
    assert_false(egov_directory_agency_code_valid("A00000000"));
    assert_false(egov_directory_agency_code_valid("a00000000A"));
    assert_false(egov_directory_agency_code_valid("2.16.886.1"));
    assert_false(egov_directory_agency_code_valid(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_national_ids),
        cmocka_unit_test(test_resident_certificates),
        cmocka_unit_test(test_business_ids),
        cmocka_unit_test(test_agency_codes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
