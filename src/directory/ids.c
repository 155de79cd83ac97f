/*
 * ids.c -- check digits of the identifiers of persons and businesses:
 * national IDs (身分證統一編號), resident certificate numbers (the 2021
 * format with 8/9 in the second place, and the older two-letter format),
 * business identifiers (統一編號, the 2023 divisible-by-5 rule) and the
 * shape of agency codes (機關代碼).
 */
#include <string.h>

#include "directory/directory.h"

/* The two-digit value of an area letter: A=10 ... Z=33 (I, O, W and X-Z out of order). */
static int letter_value(char c)
{
    static const int values[26] = {10, 11, 12, 13, 14, 15, 16, 17, 34, 18, 19, 20, 21,
                                   22, 35, 23, 24, 25, 26, 27, 28, 29, 32, 30, 31, 33};
    if (c < 'A' || c > 'Z')
        return -1;
    return values[c - 'A'];
}

static bool all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

/*
 * The weighted sum of an identifier whose second place has value @p second
 * (0..9): area tens * 1 + area ones * 9 + second * 8 + digits 3..9 * 7..1
 * + check digit * 1.
 */
static bool checksum_ok(int area, int second, const char *rest8)
{
    static const int weights[7] = {7, 6, 5, 4, 3, 2, 1};
    int sum = (area / 10) + (area % 10) * 9 + second * 8;
    for (size_t i = 0; i < 7; i++)
        sum += (rest8[i] - '0') * weights[i];
    sum += rest8[7] - '0';
    return sum % 10 == 0;
}

enum egov_directory_id_kind egov_directory_id_check(const char *id)
{
    if (id == NULL || strlen(id) != 10)
        return EGOV_DIRECTORY_ID_INVALID;
    int area = letter_value(id[0]);
    if (area < 0 || !all_digits(id + 2, 8))
        return EGOV_DIRECTORY_ID_INVALID;
    char second = id[1];
    if (second == '1' || second == '2' || second == '8' || second == '9') {
        if (!checksum_ok(area, second - '0', id + 2))
            return EGOV_DIRECTORY_ID_INVALID;
        return second <= '2' ? EGOV_DIRECTORY_ID_NATIONAL : EGOV_DIRECTORY_ID_RESIDENT;
    }
    if (second >= 'A' && second <= 'D') {
        /* the old format: the second letter counts with the last digit of its value */
        if (!checksum_ok(area, letter_value(second) % 10, id + 2))
            return EGOV_DIRECTORY_ID_INVALID;
        return EGOV_DIRECTORY_ID_RESIDENT_OLD;
    }
    return EGOV_DIRECTORY_ID_INVALID;
}

char egov_directory_id_gender(const char *id)
{
    switch (egov_directory_id_check(id)) {
    case EGOV_DIRECTORY_ID_NATIONAL:
    case EGOV_DIRECTORY_ID_RESIDENT:
        return id[1] == '1' || id[1] == '8' ? 'M' : 'F';
    case EGOV_DIRECTORY_ID_RESIDENT_OLD:
        /* A and C: male; B and D: female */
        return id[1] == 'A' || id[1] == 'C' ? 'M' : 'F';
    default:
        return '?';
    }
}

bool egov_directory_ban_valid(const char *ban)
{
    static const int weights[8] = {1, 2, 1, 2, 1, 2, 4, 1};
    if (ban == NULL || strlen(ban) != 8 || !all_digits(ban, 8))
        return false;
    int sum = 0;
    for (size_t i = 0; i < 8; i++) {
        int p = (ban[i] - '0') * weights[i];
        sum += p / 10 + p % 10;
    }
    if (sum % 5 == 0)
        return true;
    /* 7 * 4 = 28 -> 2 + 8 = 10, which may count as 1 or as 0 */
    return ban[6] == '7' && (sum + 1) % 5 == 0;
}

bool egov_directory_agency_code_valid(const char *code)
{
    if (code == NULL || strlen(code) != 10)
        return false;
    for (size_t i = 0; i < 10; i++) {
        char c = code[i];
        if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z')))
            return false;
    }
    return true;
}
