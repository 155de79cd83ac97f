/*
 * ids.c -- deterministic random numbers and Taiwan's identifiers: the
 * national ID (身分證統一編號), the business ID (統一編號) and new-format
 * vehicle plates; checks and generation.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "backoffice/bo_int.h"

void bo_rng_seed(struct bo_rng *r, uint64_t seed, uint64_t stream, uint64_t index)
{
    r->s = seed * 0x9E3779B97F4A7C15ULL ^ (stream + 1) * 0xBF58476D1CE4E5B9ULL ^
           (index + 1) * 0x94D049BB133111EBULL;
    (void)bo_rng_next(r);
}

uint64_t bo_rng_next(struct bo_rng *r)
{
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

uint32_t bo_rng_below(struct bo_rng *r, uint32_t n)
{
    return n == 0 ? 0 : (uint32_t)(((bo_rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

int bo_rng_range(struct bo_rng *r, int lo, int hi)
{
    return hi <= lo ? lo : lo + (int)bo_rng_below(r, (uint32_t)(hi - lo + 1));
}

bool bo_rng_chance(struct bo_rng *r, unsigned int percent)
{
    return bo_rng_below(r, 100) < percent;
}

/* ------------------------------------------------------------------ */
/* National ID                                                         */
/* ------------------------------------------------------------------ */

int bo_id_letter_value(char letter)
{
    static const int values[26] = {10, 11, 12, 13, 14, 15, 16, 17, 34, 18, 19, 20, 21,
                                   22, 35, 23, 24, 25, 26, 27, 28, 29, 32, 30, 31, 33};
    if (letter < 'A' || letter > 'Z')
        return -1;
    return values[letter - 'A'];
}

/* Weighted sum of the letter's two digits and the first @p ndigits digits. */
static int id_sum(int lv, const char *digits, int ndigits)
{
    static const int w[9] = {8, 7, 6, 5, 4, 3, 2, 1, 1};
    int sum = (lv / 10) * 1 + (lv % 10) * 9;
    for (int i = 0; i < ndigits; i++)
        sum += (digits[i] - '0') * w[i];
    return sum;
}

bool egov_backoffice_national_id_valid(const char *id)
{
    if (id == NULL || strlen(id) != 10)
        return false;
    int lv = bo_id_letter_value(id[0]);
    if (lv < 0)
        return false;
    for (int i = 1; i < 10; i++)
        if (!isdigit((unsigned char)id[i]))
            return false;
    if (id[1] != '1' && id[1] != '2' && id[1] != '8' && id[1] != '9')
        return false;
    return id_sum(lv, id + 1, 9) % 10 == 0;
}

void bo_id_make(char letter, int sexdigit, uint32_t serial, char out[11])
{
    int lv = bo_id_letter_value(letter);
    uint32_t v = serial % 10000000u;
    out[0] = letter;
    out[1] = (char)('0' + (sexdigit % 10));
    for (int i = 8; i >= 2; i--) {
        out[i] = (char)('0' + v % 10);
        v /= 10;
    }
    out[10] = '\0';
    int s = id_sum(lv, out + 1, 8);
    out[9] = (char)('0' + (10 - s % 10) % 10);
}

/* ------------------------------------------------------------------ */
/* Business ID (統一編號)                                               */
/* ------------------------------------------------------------------ */

static int ban_sum(const char *d)
{
    static const int w[8] = {1, 2, 1, 2, 1, 2, 4, 1};
    int sum = 0;
    for (int i = 0; i < 8; i++) {
        int p = (d[i] - '0') * w[i];
        sum += p / 10 + p % 10;
    }
    return sum;
}

bool egov_backoffice_ban_valid(const char *ban)
{
    if (ban == NULL || strlen(ban) != 8)
        return false;
    for (int i = 0; i < 8; i++)
        if (!isdigit((unsigned char)ban[i]))
            return false;
    int sum = ban_sum(ban);
    if (sum % 5 == 0)
        return true;
    /* a 7 in the seventh place gives 28: both 2+8=10 and 1+0=1 count */
    return ban[6] == '7' && (sum + 1) % 5 == 0;
}

void bo_ban_make(uint32_t serial, char out[9])
{
    /* spread serials over 7 digits with a multiplier coprime to 10^7 */
    uint32_t v = (uint32_t)(((uint64_t)serial * 7654321u + 2345678u) % 10000000u);
    for (int i = 6; i >= 0; i--) {
        out[i] = (char)('0' + v % 10);
        v /= 10;
    }
    out[7] = '0';
    out[8] = '\0';
    int s = ban_sum(out);
    out[7] = (char)('0' + (5 - s % 5) % 5);
}

/* ------------------------------------------------------------------ */
/* Plates                                                              */
/* ------------------------------------------------------------------ */

static const char plate_letters[] = "ABCDEFGHJKLMNPQRSTUVWXYZ"; /* 24: no I, O */
static const char plate_digits[] = "012356789";                 /* 9: no 4 */

bool egov_backoffice_plate_valid(const char *plate)
{
    if (plate == NULL || strlen(plate) != 8 || plate[3] != '-')
        return false;
    for (int i = 0; i < 3; i++)
        if (plate[i] == '\0' || strchr(plate_letters, plate[i]) == NULL)
            return false;
    for (int i = 4; i < 8; i++)
        if (plate[i] == '\0' || strchr(plate_digits, plate[i]) == NULL)
            return false;
    return true;
}

void bo_plate_make(uint32_t serial, char out[9])
{
    const uint64_t total = 24ULL * 24 * 24 * 9 * 9 * 9 * 9; /* 2^9 * 3^11 */
    /* 2654435761 is prime to 2 and 3, so this is a bijection on [0, total) */
    uint64_t v = ((uint64_t)serial * 2654435761ULL + 12345ULL) % total;
    char d[4];
    for (int i = 3; i >= 0; i--) {
        d[i] = plate_digits[v % 9];
        v /= 9;
    }
    out[2] = plate_letters[v % 24];
    v /= 24;
    out[1] = plate_letters[v % 24];
    v /= 24;
    out[0] = plate_letters[v % 24];
    out[3] = '-';
    memcpy(out + 4, d, 4);
    out[8] = '\0';
}
