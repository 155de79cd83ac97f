/*
 * der.c -- dotted OID text and its DER encoding (X.690 8.19).
 *
 * Arcs may be larger than 64 bits (2.25.<UUID as an integer> is common),
 * so each arc is carried as a small fixed-size unsigned integer of 32-bit
 * limbs: enough for the 39 decimal digits an arc may have, plus the
 * 40 * X + Y of the first subidentifier.
 */
#include <string.h>

#include "oid/oid.h"

/* Longest arc in decimal digits; 10^39 < 2^130. */
#define ARC_DIGITS_MAX 39
/* Limbs of a big arc: 160 bits hold 2^130 + 80 comfortably. */
#define LIMBS 5
/* Base-128 groups of the largest arc: ceil(133 / 7). */
#define GROUPS_MAX 19

struct big {
    uint32_t w[LIMBS]; /* little-endian limbs */
};

/* b = b * mul + add.  False on overflow. */
static bool big_mul_add(struct big *b, uint32_t mul, uint32_t add)
{
    uint64_t carry = add;
    for (size_t i = 0; i < LIMBS; i++) {
        uint64_t v = (uint64_t)b->w[i] * mul + carry;
        b->w[i] = (uint32_t)v;
        carry = v >> 32;
    }
    return carry == 0;
}

/* b = b / d; returns the remainder. */
static uint32_t big_div_small(struct big *b, uint32_t d)
{
    uint64_t rem = 0;
    for (size_t i = LIMBS; i > 0; i--) {
        uint64_t cur = (rem << 32) | b->w[i - 1];
        b->w[i - 1] = (uint32_t)(cur / d);
        rem = cur % d;
    }
    return (uint32_t)rem;
}

static bool big_is_zero(const struct big *b)
{
    for (size_t i = 0; i < LIMBS; i++)
        if (b->w[i] != 0)
            return false;
    return true;
}

/* Compares b with a small value: <0, 0, >0. */
static int big_cmp_small(const struct big *b, uint32_t v)
{
    for (size_t i = LIMBS; i > 1; i--)
        if (b->w[i - 1] != 0)
            return 1;
    return b->w[0] < v ? -1 : b->w[0] > v ? 1 : 0;
}

/* b -= v; the caller made sure b >= v. */
static void big_sub_small(struct big *b, uint32_t v)
{
    uint64_t borrow = v;
    for (size_t i = 0; i < LIMBS && borrow != 0; i++) {
        uint64_t cur = b->w[i];
        if (cur >= borrow) {
            b->w[i] = (uint32_t)(cur - borrow);
            borrow = 0;
        } else {
            b->w[i] = (uint32_t)(cur + (1ULL << 32) - borrow);
            borrow = 1;
        }
    }
}

/* Number of significant bits of b. */
static unsigned int big_bits(const struct big *b)
{
    for (size_t i = LIMBS; i > 0; i--) {
        uint32_t w = b->w[i - 1];
        if (w != 0)
            return (unsigned int)(i - 1) * 32u + (32u - (unsigned int)__builtin_clz(w));
    }
    return 0;
}

/* Seven bits of b starting at bit @p pos. */
static unsigned int big_get7(const struct big *b, unsigned int pos)
{
    unsigned int v = 0;
    for (unsigned int k = 0; k < 7; k++) {
        unsigned int bit = pos + k;
        if (bit / 32 < LIMBS && (b->w[bit / 32] >> (bit % 32)) & 1u)
            v |= 1u << k;
    }
    return v;
}

/* b = (b << 7) | v.  False on overflow. */
static bool big_shl7_or(struct big *b, unsigned int v)
{
    if (b->w[LIMBS - 1] >> 25 != 0)
        return false;
    for (size_t i = LIMBS; i > 1; i--)
        b->w[i - 1] = (b->w[i - 1] << 7) | (b->w[i - 2] >> 25);
    b->w[0] = (b->w[0] << 7) | (v & 0x7fu);
    return true;
}

/* Parses the decimal digits s[0..n) (already checked) into b. */
static bool big_from_dec(struct big *b, const char *s, size_t n)
{
    memset(b, 0, sizeof(*b));
    for (size_t i = 0; i < n; i++)
        if (!big_mul_add(b, 10, (uint32_t)(s[i] - '0')))
            return false;
    return true;
}

/* Appends b in decimal to out[*pos..outlen); false if it does not fit. */
static bool big_to_dec(struct big b, char *out, size_t outlen, size_t *pos)
{
    char digits[64];
    size_t n = 0;
    do {
        if (n == sizeof(digits))
            return false;
        digits[n++] = (char)('0' + big_div_small(&b, 10));
    } while (!big_is_zero(&b));
    if (n > ARC_DIGITS_MAX || *pos + n + 1 > outlen)
        return false;
    while (n > 0)
        out[(*pos)++] = digits[--n];
    out[*pos] = '\0';
    return true;
}

bool egov_oid_valid(const char *text)
{
    if (text == NULL)
        return false;
    size_t len = strlen(text);
    if (len == 0 || len > EGOV_OID_TEXT_MAX)
        return false;
    unsigned int arcs = 0;
    const char *p = text;
    char first = 0;
    while (true) {
        const char *start = p;
        while (*p >= '0' && *p <= '9')
            p++;
        size_t n = (size_t)(p - start);
        if (n == 0 || n > ARC_DIGITS_MAX || (n > 1 && start[0] == '0'))
            return false;
        if (arcs == 0) {
            if (n != 1 || start[0] > '2')
                return false;
            first = start[0];
        } else if (arcs == 1 && first != '2') {
            /* second arc under 0 and 1 is 0..39 */
            if (n > 2 || (n == 2 && (start[0] - '0') * 10 + (start[1] - '0') > 39))
                return false;
        }
        arcs++;
        if (arcs > EGOV_OID_MAX_ARCS)
            return false;
        if (*p == '\0')
            break;
        if (*p != '.')
            return false;
        p++;
    }
    return arcs >= 2;
}

unsigned int egov_oid_depth(const char *oid)
{
    if (!egov_oid_valid(oid))
        return 0;
    unsigned int n = 1;
    for (const char *p = oid; *p != '\0'; p++)
        if (*p == '.')
            n++;
    return n;
}

/* Appends the base-128 encoding of b to out[*pos..outlen). */
static bool put_subid(const struct big *b, uint8_t *out, size_t outlen, size_t *pos)
{
    unsigned int bits = big_bits(b);
    unsigned int groups = bits == 0 ? 1 : (bits + 6) / 7;
    if (*pos + groups > outlen)
        return false;
    for (unsigned int g = groups; g > 0; g--) {
        unsigned int v = big_get7(b, (g - 1) * 7);
        out[(*pos)++] = (uint8_t)(g > 1 ? (v | 0x80u) : v);
    }
    return true;
}

long egov_oid_der_encode(const char *text, bool tlv, uint8_t *out, size_t outlen)
{
    if (!egov_oid_valid(text) || out == NULL)
        return -1;
    uint8_t content[EGOV_OID_DER_MAX];
    size_t clen = 0;
    const char *p = text;
    unsigned int first = (unsigned int)(p[0] - '0');
    p += 2; /* the first arc is one digit and a dot */
    unsigned int index = 1;
    while (true) {
        const char *start = p;
        while (*p >= '0' && *p <= '9')
            p++;
        struct big b;
        if (!big_from_dec(&b, start, (size_t)(p - start)))
            return -1;
        if (index == 1) {
            /* first subidentifier: 40 * X + Y */
            if (!big_mul_add(&b, 1, first * 40u))
                return -1;
        }
        if (!put_subid(&b, content, sizeof(content), &clen))
            return -1;
        index++;
        if (*p == '\0')
            break;
        p++;
    }
    if (!tlv) {
        if (clen > outlen)
            return -1;
        memcpy(out, content, clen);
        return (long)clen;
    }
    uint8_t hdr[4];
    size_t hlen = 0;
    hdr[hlen++] = 0x06;
    if (clen < 0x80) {
        hdr[hlen++] = (uint8_t)clen;
    } else if (clen <= 0xff) {
        hdr[hlen++] = 0x81;
        hdr[hlen++] = (uint8_t)clen;
    } else {
        hdr[hlen++] = 0x82;
        hdr[hlen++] = (uint8_t)(clen >> 8);
        hdr[hlen++] = (uint8_t)(clen & 0xff);
    }
    if (hlen + clen > outlen)
        return -1;
    memcpy(out, hdr, hlen);
    memcpy(out + hlen, content, clen);
    return (long)(hlen + clen);
}

bool egov_oid_der_decode(const uint8_t *der, size_t len, bool tlv, char *out, size_t outlen)
{
    if (der == NULL || out == NULL || outlen == 0)
        return false;
    out[0] = '\0';
    const uint8_t *c = der;
    size_t clen = len;
    if (tlv) {
        if (len < 2 || der[0] != 0x06)
            return false;
        size_t hlen;
        if (der[1] < 0x80) {
            clen = der[1];
            hlen = 2;
        } else if (der[1] == 0x81) {
            if (len < 3 || der[2] < 0x80) /* DER: the shortest length form */
                return false;
            clen = der[2];
            hlen = 3;
        } else if (der[1] == 0x82) {
            if (len < 4 || der[2] == 0)
                return false;
            clen = ((size_t)der[2] << 8) | der[3];
            hlen = 4;
        } else {
            return false; /* indefinite or absurdly long */
        }
        if (len - hlen != clen)
            return false;
        c = der + hlen;
    }
    if (clen == 0 || clen > EGOV_OID_DER_MAX)
        return false;
    size_t pos = 0;
    size_t i = 0;
    bool first = true;
    unsigned int arcs = 0;
    while (i < clen) {
        if (c[i] == 0x80) /* a leading zero group is not minimal */
            return false;
        struct big b;
        memset(&b, 0, sizeof(b));
        unsigned int groups = 0;
        bool done = false;
        while (i < clen) {
            uint8_t byte = c[i++];
            if (++groups > GROUPS_MAX || !big_shl7_or(&b, byte & 0x7fu))
                return false;
            if ((byte & 0x80u) == 0) {
                done = true;
                break;
            }
        }
        if (!done)
            return false; /* the last subidentifier is cut off */
        if (first) {
            unsigned int x;
            if (big_cmp_small(&b, 40) < 0) {
                x = 0;
            } else if (big_cmp_small(&b, 80) < 0) {
                x = 1;
                big_sub_small(&b, 40);
            } else {
                x = 2;
                big_sub_small(&b, 80);
            }
            if (outlen < 3)
                return false;
            out[pos++] = (char)('0' + x);
            out[pos++] = '.';
            out[pos] = '\0';
            arcs = 2;
            first = false;
        } else {
            if (pos + 2 > outlen)
                return false;
            out[pos++] = '.';
            out[pos] = '\0';
            arcs++;
        }
        if (arcs > EGOV_OID_MAX_ARCS || !big_to_dec(b, out, outlen, &pos))
            return false;
    }
    return pos <= EGOV_OID_TEXT_MAX;
}

bool egov_oid_is_under(const char *oid, const char *arc)
{
    if (!egov_oid_valid(oid) || !egov_oid_valid(arc))
        return false;
    size_t n = strlen(arc);
    return strncmp(oid, arc, n) == 0 && (oid[n] == '\0' || oid[n] == '.');
}

bool egov_oid_parent(const char *oid, char *out, size_t outlen)
{
    if (egov_oid_depth(oid) <= 2 || out == NULL)
        return false;
    const char *dot = strrchr(oid, '.');
    size_t n = (size_t)(dot - oid);
    if (n + 1 > outlen)
        return false;
    memcpy(out, oid, n);
    out[n] = '\0';
    return true;
}
