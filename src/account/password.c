/*
 * password.c -- password rules after NIST SP 800-63B section 5.1.1.2,
 * Unicode NFKC normalisation (ICU) and Argon2id hashes (libargon2).
 *
 * Rules: at least 8 and at most 128 characters after NFKC; any printable
 * Unicode including spaces; no composition rules; refused if on the
 * blocklist, if one character repeated or a plain run such as
 * "12345678" / "abcdefgh", or if it contains the holder's national ID,
 * name or e-mail local part.
 *
 * The blocklist is read at run time into a hash set (blocklist.c): the
 * cracklib dictionary Debian ships, or the file account.password_blocklist_file
 * names, with a short compiled-in list of frequent and local passwords.
 */
#include <argon2.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>

#include "account/account_int.h"

/* Argon2id parameters (OWASP's first recommended setting: 19 MiB, t=2, p=1). */
#define ARGON_T    2u
#define ARGON_M    19456u
#define ARGON_P    1u
#define ARGON_SALT 16u
#define ARGON_HASH 32u

bool egov_account_nfkc(const char *in, char *out, size_t outlen)
{
    UErrorCode st = U_ZERO_ERROR;
    const UNormalizer2 *nf = unorm2_getNFKCInstance(&st);
    UChar src[ACCOUNT_PW_MAX_BYTES + 8], dst[4 * ACCOUNT_PW_MAX_BYTES + 8];
    int32_t srclen = 0, dstlen, outn = 0;

    if (in == NULL || out == NULL || outlen == 0 || U_FAILURE(st))
        return false;
    size_t n = strlen(in);
    if (n > ACCOUNT_PW_MAX_BYTES * 4 || !egov_utf8_valid(in, n, NULL))
        return false;
    u_strFromUTF8(src, (int32_t)(sizeof src / sizeof src[0]), &srclen, in, (int32_t)n, &st);
    if (U_FAILURE(st))
        return false;
    dstlen = unorm2_normalize(nf, src, srclen, dst, (int32_t)(sizeof dst / sizeof dst[0]), &st);
    if (U_FAILURE(st))
        return false;
    u_strToUTF8(out, (int32_t)outlen, &outn, dst, dstlen, &st);
    if (U_FAILURE(st) || st == U_STRING_NOT_TERMINATED_WARNING || (size_t)outn >= outlen)
        return false;
    out[outn] = '\0';
    return true;
}

/* Lower-cases ASCII letters into @p out. */
static void lower_copy(const char *s, char *out, size_t outlen)
{
    size_t i = 0;
    for (; s[i] != '\0' && i + 1 < outlen; i++)
        out[i] = (char)tolower((unsigned char)s[i]);
    out[i] = '\0';
}

/* True for one repeated character or an ASCII run going up or down by one. */
static bool trivial_pattern(const char *s)
{
    size_t n = strlen(s);
    bool same = true, up = true, down = true;
    for (size_t i = 1; i < n; i++) {
        same = same && s[i] == s[0];
        up = up && (unsigned char)s[i] == (unsigned char)s[i - 1] + 1;
        down = down && (unsigned char)s[i] + 1 == (unsigned char)s[i - 1];
    }
    return same || up || down;
}

enum egov_account_pw_problem egov_account_password_check(const char *password,
                                                         const char *const *context)
{
    char norm[4 * ACCOUNT_PW_MAX_BYTES + 8], low[sizeof norm];

    if (password == NULL || strlen(password) > ACCOUNT_PW_MAX_BYTES)
        return password == NULL ? EGOV_ACCOUNT_PW_INVALID : EGOV_ACCOUNT_PW_TOO_LONG;
    if (!egov_account_nfkc(password, norm, sizeof norm))
        return EGOV_ACCOUNT_PW_INVALID;
    size_t len = strlen(norm);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)norm[i];
        if (c < 0x20 || c == 0x7f)
            return EGOV_ACCOUNT_PW_INVALID;
    }
    size_t cps = egov_utf8_length(norm, len);
    if (cps < ACCOUNT_PW_MIN)
        return EGOV_ACCOUNT_PW_TOO_SHORT;
    if (cps > ACCOUNT_PW_MAX)
        return EGOV_ACCOUNT_PW_TOO_LONG;
    lower_copy(norm, low, sizeof low);
    if (account_blocklist_has(norm))
        return EGOV_ACCOUNT_PW_COMMON;
    if (trivial_pattern(low))
        return EGOV_ACCOUNT_PW_COMMON;
    if (strstr(low, "egov") != NULL)
        return EGOV_ACCOUNT_PW_CONTEXT;
    for (size_t i = 0; context != NULL && context[i] != NULL; i++) {
        char word[512], wnorm[512];
        const char *w = context[i];
        const char *at = strchr(w, '@');
        size_t wl = at != NULL ? (size_t)(at - w) : strlen(w);
        if (wl >= sizeof word)
            wl = sizeof word - 1;
        memcpy(word, w, wl);
        word[wl] = '\0';
        if (!egov_account_nfkc(word, wnorm, sizeof wnorm))
            continue;
        lower_copy(wnorm, word, sizeof word);
        /* words of fewer than 4 bytes (a one-character name) would refuse too much */
        if (strlen(word) >= 4 && strstr(low, word) != NULL)
            return EGOV_ACCOUNT_PW_CONTEXT;
    }
    return EGOV_ACCOUNT_PW_OK;
}

bool egov_account_password_hash(const char *password, char *out, size_t outlen)
{
    char norm[4 * ACCOUNT_PW_MAX_BYTES + 8];
    uint8_t salt[ARGON_SALT];
    bool ok = false;

    if (password == NULL || out == NULL ||
        outlen < argon2_encodedlen(ARGON_T, ARGON_M, ARGON_P, ARGON_SALT, ARGON_HASH, Argon2_id))
        return false;
    if (!egov_account_nfkc(password, norm, sizeof norm) || !egov_random(salt, sizeof salt))
        goto done;
    ok = argon2id_hash_encoded(ARGON_T, ARGON_M, ARGON_P, norm, strlen(norm), salt, sizeof salt,
                               ARGON_HASH, out, outlen) == ARGON2_OK;
done:
    egov_wipe(norm, sizeof norm);
    return ok;
}

bool account_password_verify(const char *encoded, const char *password)
{
    /* a hash of a random password with the normal parameters, so unknown
     * logins take as long as known ones */
    static const char dummy[] = "$argon2id$v=19$m=19456,t=2,p=1$ZWdvdmR1bW15c2FsdDA$"
                                "Jd5zYqzM4m5GQ1hR9s0Fq3pO1vFJvQ2xq2L0h7mV3cA";
    char norm[4 * ACCOUNT_PW_MAX_BYTES + 8];
    bool ok = false;

    if (password == NULL || !egov_account_nfkc(password, norm, sizeof norm))
        return false;
    if (encoded == NULL || strncmp(encoded, "$argon2id$", 10) != 0) {
        (void)argon2id_verify(dummy, norm, strlen(norm));
        goto done;
    }
    ok = argon2id_verify(encoded, norm, strlen(norm)) == ARGON2_OK;
done:
    egov_wipe(norm, sizeof norm);
    return ok;
}
