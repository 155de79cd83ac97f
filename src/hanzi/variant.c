/*
 * variant.c -- variant folding for search keys and name matching; NFKC and
 * width folding for identifiers (ICU unorm2).
 *
 * Which Unihan variant fields make a safe key for names:
 *  - kZVariant: the same abstract character in another glyph (吳/呉,
 *    恆/恒).  Always safe.
 *  - kSemanticVariant: interchangeable in every sense (臺/台, 峯/峰,
 *    裏/裡, 群/羣, 綫/線).  Safe for searching: a person registered as 臺
 *    at one agency and 台 at another must be found.  The data also pairs
 *    a few characters that are distinct surnames (於/于, 周/週); a search
 *    then finds both, and name matching reports "variant" rather than
 *    "identical" so that a clerk decides.
 *  - kTraditionalVariant / kSimplifiedVariant only where they are one to
 *    one and the simplified form is not one of Taiwan's common characters
 *    (CNS planes 1 and 2): 黃/黄, 冊/册, 劉/刘, 陳/陈, so that a name typed
 *    in simplified or Japanese forms at another agency is found.  The
 *    general mapping is many-to-one and would merge distinct surnames
 *    (范/範, 余/餘, 沈/瀋 are plane-1 characters; 钟 stands for both 鍾 and
 *    鐘; 后 for 后 and 後).
 *  - not kSpecializedSemanticVariant: interchangeable only in some senses
 *    (才/纔, 著/着).
 *  - kCompatibilityVariant (CJK compatibility ideographs such as 﨑) is
 *    covered by NFKC.
 * Classes are the transitive closure of the Z and semantic pairs; the
 * representative is the lowest code point.
 */
#include <string.h>

#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>

#include "hanzi/props_internal.h"

/* Separators inside names: middle dots of transliterated and indigenous names. */
static bool is_name_separator(uint32_t cp)
{
    switch (cp) {
    case 0x00B7: /* · */
    case 0x0387:
    case 0x2022: /* • */
    case 0x2027: /* ‧ */
    case 0x2219:
    case 0x22C5:
    case 0x30FB: /* ・ */
    case 0xFF65:
        return true;
    default:
        return u_isUWhiteSpace((UChar32)cp) != 0;
    }
}

const char *egov_hanzi_relation_name(enum egov_hanzi_relation rel)
{
    switch (rel) {
    case EGOV_HANZI_REL_SAME:
        return "same";
    case EGOV_HANZI_REL_COMPAT:
        return "compatibility";
    case EGOV_HANZI_REL_ZVARIANT:
        return "z-variant";
    case EGOV_HANZI_REL_VARIANT:
        return "variant";
    case EGOV_HANZI_REL_DIFFERENT:
        break;
    }
    return "different";
}

uint32_t egov_hanzi_variant_fold(uint32_t cp)
{
    const struct hz_char *c = hz_db_char(hz_db_get(), cp);
    return c != NULL ? c->vkey : cp;
}

/*
 * Normalises UTF-16 @p src with @p norm into a malloc'd buffer.
 * Returns NULL on OOM or an ICU error.
 */
static UChar *normalize16(const UNormalizer2 *norm, const UChar *src, int32_t n, int32_t *outn)
{
    UErrorCode e = U_ZERO_ERROR;
    int32_t cap = n * 3 + 16;
    UChar *out = egov_malloc((size_t)cap * sizeof(UChar));
    if (out == NULL)
        return NULL;
    int32_t len = unorm2_normalize(norm, src, n, out, cap, &e);
    if (e == U_BUFFER_OVERFLOW_ERROR) {
        egov_free(out);
        cap = len + 1;
        out = egov_malloc((size_t)cap * sizeof(UChar));
        if (out == NULL)
            return NULL;
        e = U_ZERO_ERROR;
        len = unorm2_normalize(norm, src, n, out, cap, &e);
    }
    if (U_FAILURE(e)) {
        egov_free(out);
        return NULL;
    }
    *outn = len;
    return out;
}

/* UTF-8 -> UTF-16, malloc'd.  NULL on invalid input or OOM. */
static UChar *to16(const char *s, size_t len, int32_t *n)
{
    UErrorCode e = U_ZERO_ERROR;
    if (len > INT32_MAX / 2 || !egov_utf8_valid(s, len, NULL))
        return NULL;
    UChar *out = egov_malloc((len + 1) * sizeof(UChar));
    if (out == NULL)
        return NULL;
    u_strFromUTF8(out, (int32_t)len + 1, n, s, (int32_t)len, &e);
    if (U_FAILURE(e)) {
        egov_free(out);
        return NULL;
    }
    return out;
}

enum fold_mode { FOLD_NAME, FOLD_IDENTIFIER };

static char *fold(const char *utf8, size_t len, enum fold_mode mode)
{
    char *result = NULL;
    UChar *u = NULL, *nf = NULL;
    int32_t un = 0, nn = 0;
    UErrorCode e = U_ZERO_ERROR;
    struct egov_buf out;
    egov_buf_init(&out);

    if (utf8 == NULL)
        return NULL;
    u = to16(utf8, len, &un);
    if (u == NULL)
        goto fail;
    const UNormalizer2 *norm =
        mode == FOLD_NAME ? unorm2_getNFKCCasefoldInstance(&e) : unorm2_getNFKCInstance(&e);
    if (U_FAILURE(e))
        goto fail;
    nf = normalize16(norm, u, un, &nn);
    if (nf == NULL)
        goto fail;
    const struct hz_db *db = mode == FOLD_NAME ? hz_db_get() : NULL;
    int32_t i = 0;
    while (i < nn) {
        UChar32 cp;
        U16_NEXT(nf, i, nn, cp);
        if (mode == FOLD_NAME) {
            if (is_name_separator((uint32_t)cp))
                continue;
            const struct hz_char *c = hz_db_char(db, (uint32_t)cp);
            if (c != NULL)
                cp = (UChar32)c->vkey;
        } else {
            if (u_isUWhiteSpace(cp) && out.len == 0)
                continue; /* leading white space */
            if (cp >= 'a' && cp <= 'z')
                cp = cp - 'a' + 'A';
        }
        char enc[4];
        size_t k = egov_utf8_encode((uint32_t)cp, enc);
        if (k == 0)
            continue; /* a lone surrogate cannot come from valid UTF-8 */
        egov_buf_append(&out, enc, k);
    }
    if (mode == FOLD_IDENTIFIER && out.len > 0 && !out.oom) {
        /* drop the trailing white space: walk back over whole characters */
        size_t end = out.len;
        while (end > 0) {
            size_t start = end - 1;
            while (start > 0 && ((unsigned char)out.data[start] & 0xC0) == 0x80)
                start--;
            uint32_t cp;
            egov_utf8_decode(out.data + start, end - start, &cp);
            if (!u_isUWhiteSpace((UChar32)cp))
                break;
            end = start;
        }
        out.len = end;
        out.data[end] = '\0';
    }
    result = egov_buf_steal(&out);
fail:
    egov_buf_free(&out);
    egov_free(u);
    egov_free(nf);
    return result;
}

char *egov_hanzi_search_key(const char *utf8, size_t len)
{
    return fold(utf8, len, FOLD_NAME);
}

char *egov_hanzi_identifier_fold(const char *utf8, size_t len)
{
    return fold(utf8, len, FOLD_IDENTIFIER);
}

/* NFKC with case folding of one character; @p cp itself if it does not stay one character. */
static uint32_t fold_one(uint32_t cp)
{
    UChar in[2], out[8];
    int32_t n = 0;
    UErrorCode e = U_ZERO_ERROR;
    U16_APPEND_UNSAFE(in, n, (UChar32)cp);
    const UNormalizer2 *norm = unorm2_getNFKCCasefoldInstance(&e);
    if (U_FAILURE(e))
        return cp;
    int32_t len = unorm2_normalize(norm, in, n, out, 8, &e);
    if (U_FAILURE(e) || len <= 0)
        return cp;
    int32_t i = 0;
    UChar32 r;
    U16_NEXT(out, i, len, r);
    return i == len ? (uint32_t)r : cp;
}

enum egov_hanzi_relation egov_hanzi_relation(uint32_t a, uint32_t b)
{
    if (a == b)
        return EGOV_HANZI_REL_SAME;
    uint32_t fa = fold_one(a), fb = fold_one(b);
    if (fa == fb)
        return EGOV_HANZI_REL_COMPAT;
    const struct hz_db *db = hz_db_get();
    const struct hz_vpair *vp;
    size_t n = hz_db_variants(db, fa, &vp);
    for (size_t i = 0; i < n; i++)
        if (vp[i].b == fb && (vp[i].rel & HZ_V_Z))
            return EGOV_HANZI_REL_ZVARIANT;
    const struct hz_char *ca = hz_db_char(db, fa), *cb = hz_db_char(db, fb);
    if (ca != NULL && cb != NULL && ca->vkey == cb->vkey)
        return EGOV_HANZI_REL_VARIANT;
    return EGOV_HANZI_REL_DIFFERENT;
}
