/*
 * conv.c -- the converter: decode one character from the source encoding
 * into a code point, encode it into the target, under a policy.  Input
 * may arrive in pieces; a partial character is carried over in the
 * converter (at most 8 bytes), so memory stays constant.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "hanzi/table.h"

/** Outcome of decoding one character. */
enum step_status {
    STEP_OK = 0,    /**< a character: *cp, *used */
    STEP_INVALID,   /**< *used bytes are not a character */
    STEP_UNMAPPED,  /**< *used bytes are well-formed but name no character */
    STEP_NEED_MORE, /**< the buffer ends inside a character */
};

/** Bytes kept over between feeds: the longest character or token. */
#define PENDING_MAX 8
/** Output staged locally before it is appended to the caller's buffer. */
#define STAGE_SIZE 8192

struct egov_hanzi_conv {
    const struct egov_hanzi_encoding *from;
    const struct egov_hanzi_encoding *to;
    enum egov_hanzi_policy policy;
    unsigned char pending[PENDING_MAX];
    size_t npending;
    uint64_t offset; /**< input offset of pending[0] (or of the next byte) */
    bool cns_sep;    /**< CNS notation output: a token was written, separate the next */
    bool failed;
    size_t nstage;
    unsigned char stage[STAGE_SIZE];
};

/* ------------------------------------------------------------------ */
/* Private use for Big5 user-defined codes (the CP950 EUDC rule)       */
/* ------------------------------------------------------------------ */

/* EUDC blocks of Big5 and the private-use code points they occupy, in
 * the order Microsoft's CP950 assigns them: 157 codes per lead byte. */
static const struct {
    unsigned char lead_lo, lead_hi;
    uint32_t pua;
} eudc_blocks[] = {
    {0xFA, 0xFE, 0xE000},
    {0x8E, 0xA0, 0xE311},
    {0x81, 0x8D, 0xEEB8},
};

static int trail_index(unsigned char t)
{
    if (t >= 0x40 && t <= 0x7E)
        return t - 0x40;
    if (t >= 0xA1 && t <= 0xFE)
        return t - 0xA1 + 63;
    return -1;
}

static uint32_t eudc_to_pua(uint16_t code)
{
    unsigned char lead = (unsigned char)(code >> 8);
    int ti = trail_index((unsigned char)code);
    if (ti < 0)
        return 0;
    for (size_t i = 0; i < sizeof eudc_blocks / sizeof eudc_blocks[0]; i++)
        if (lead >= eudc_blocks[i].lead_lo && lead <= eudc_blocks[i].lead_hi)
            return eudc_blocks[i].pua + (uint32_t)(lead - eudc_blocks[i].lead_lo) * 157u +
                   (uint32_t)ti;
    /* C6A1..C8FE: the reserved tail of the standard area */
    if (code >= 0xC6A1 && code <= 0xC8FE && (unsigned char)code >= 0xA1)
        return 0xF6B1 + (uint32_t)(lead - 0xC6) * 157u + (uint32_t)ti - (lead == 0xC6 ? 63u : 0u);
    return 0;
}

static uint16_t pua_to_eudc(uint32_t cp)
{
    for (size_t i = 0; i < sizeof eudc_blocks / sizeof eudc_blocks[0]; i++) {
        uint32_t n = (uint32_t)(eudc_blocks[i].lead_hi - eudc_blocks[i].lead_lo + 1) * 157u;
        if (cp >= eudc_blocks[i].pua && cp < eudc_blocks[i].pua + n) {
            uint32_t k = cp - eudc_blocks[i].pua;
            uint32_t lead = eudc_blocks[i].lead_lo + k / 157u, ti = k % 157u;
            uint32_t trail = ti < 63 ? 0x40 + ti : 0xA1 + ti - 63;
            return (uint16_t)(lead << 8 | trail);
        }
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* Decoders                                                            */
/* ------------------------------------------------------------------ */

static enum step_status dec_utf8(const unsigned char *p, size_t n, uint32_t *cp, size_t *used)
{
    unsigned char b = p[0];
    size_t len;
    uint32_t c, min;
    if (b < 0x80) {
        *cp = b;
        *used = 1;
        return STEP_OK;
    }
    if (b >= 0xC2 && b <= 0xDF) {
        len = 2;
        c = b & 0x1Fu;
        min = 0x80;
    } else if (b >= 0xE0 && b <= 0xEF) {
        len = 3;
        c = b & 0x0Fu;
        min = 0x800;
    } else if (b >= 0xF0 && b <= 0xF4) {
        len = 4;
        c = b & 0x07u;
        min = 0x10000;
    } else {
        *used = 1;
        return STEP_INVALID;
    }
    for (size_t i = 1; i < len; i++) {
        if (i >= n)
            return STEP_NEED_MORE;
        unsigned char t = p[i];
        if ((t & 0xC0) != 0x80) {
            *used = i;
            return STEP_INVALID;
        }
        c = c << 6 | (t & 0x3Fu);
        /* reject overlongs, surrogates and > U+10FFFF as early as the second byte */
        if (i == 1 && ((len == 3 && c < 0x20) || (len == 3 && (c >> 5) == 0x1B) ||
                       (len == 4 && c < 0x10) || (len == 4 && c > 0x10F))) {
            *used = 1;
            return STEP_INVALID;
        }
    }
    if (c < min) {
        *used = len;
        return STEP_INVALID;
    }
    *cp = c;
    *used = len;
    return STEP_OK;
}

static enum step_status dec_euctw(const struct egov_hanzi_db *db, const unsigned char *p, size_t n,
                                  uint32_t *cp, size_t *used)
{
    unsigned char b = p[0];
    uint32_t plane, row, col;
    if (b < 0x80) {
        *cp = b;
        *used = 1;
        return STEP_OK;
    }
    if (b >= 0xA1 && b <= 0xFE) {
        if (n < 2)
            return STEP_NEED_MORE;
        if (p[1] < 0xA1 || p[1] == 0xFF) {
            *used = 1;
            return STEP_INVALID;
        }
        plane = 1;
        row = b;
        col = p[1];
        *used = 2;
    } else if (b == 0x8E) {
        for (size_t i = 1; i < 4; i++) {
            if (i >= n)
                return STEP_NEED_MORE;
            unsigned char hi = i == 1 ? (unsigned char)(0xA0 + EGOV_HANZI_MAX_PLANE) : 0xFE;
            if (p[i] < 0xA1 || p[i] > hi) {
                *used = i;
                return STEP_INVALID;
            }
        }
        plane = p[1] - 0xA0u;
        row = p[2];
        col = p[3];
        *used = 4;
    } else {
        *used = 1;
        return STEP_INVALID;
    }
    *cp = egov_hanzi_db_cp_of(db, plane << 16 | (row - 0x80) << 8 | (col - 0x80));
    return *cp ? STEP_OK : STEP_UNMAPPED;
}

/* The plane-code notation: tokens like 1-4421 separated by spaces or
 * tabs (dropped); CR and LF are characters of their own. */
static enum step_status dec_cns(const struct egov_hanzi_db *db, const unsigned char *p, size_t n,
                                bool final, uint32_t *cp, size_t *used)
{
    size_t i = 0;
    if (p[0] == '\n' || p[0] == '\r') {
        *cp = p[0];
        *used = 1;
        return STEP_OK;
    }
    while (i < n && (p[i] == ' ' || p[i] == '\t'))
        i++;
    if (i == n) {
        /* only separators: consume them as nothing */
        *cp = 0;
        *used = i;
        return STEP_OK;
    }
    if (i > 0) {
        *cp = 0;
        *used = i;
        return STEP_OK;
    }
    size_t j = 0;
    while (j < n && j < 8 && p[j] != ' ' && p[j] != '\t' && p[j] != '\n' && p[j] != '\r')
        j++;
    if (j == n && !final && j < 8)
        return STEP_NEED_MORE;
    uint32_t cns = 0;
    char tok[9];
    memcpy(tok, p, j < 8 ? j : 8);
    tok[j < 8 ? j : 8] = '\0';
    if (j >= 8 || !egov_hanzi_cns_parse(tok, &cns)) {
        *used = j > 0 ? j : 1;
        return STEP_INVALID;
    }
    *used = j;
    *cp = egov_hanzi_db_cp_of(db, cns);
    return *cp ? STEP_OK : STEP_UNMAPPED;
}

static bool tax4_byte(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z');
}

static enum step_status dec_tax4(const struct egov_hanzi_dbcs *t, const unsigned char *p, size_t n,
                                 uint32_t *cp, size_t *used)
{
    if (p[0] == ' ' || p[0] == '\n' || p[0] == '\r') {
        *cp = p[0];
        *used = 1;
        return STEP_OK;
    }
    for (size_t i = 0; i < 4; i++) {
        if (i >= n)
            return STEP_NEED_MORE;
        if (!tax4_byte(p[i])) {
            *used = i ? i : 1;
            return STEP_INVALID;
        }
    }
    *used = 4;
    *cp = egov_hanzi_wide_dec(t, (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
                                     p[3]);
    return *cp ? STEP_OK : STEP_UNMAPPED;
}

static enum step_status dec_dbcs(const struct egov_hanzi_dbcs *t, const unsigned char *p, size_t n,
                                 uint32_t *cp, size_t *used)
{
    unsigned char b = p[0];
    if (b < 0x80) {
        *cp = b;
        *used = 1;
        return STEP_OK;
    }
    if (t->dec[b]) {
        /* a single byte of its own (CP950: 0x80) */
        *cp = t->dec[b];
        *used = 1;
        return STEP_OK;
    }
    if (b == 0x80 || b == 0xFF) {
        *used = 1;
        return STEP_INVALID;
    }
    if (n < 2)
        return STEP_NEED_MORE;
    if (p[1] < t->trail_lo || p[1] == 0xFF) {
        *used = 1;
        return STEP_INVALID;
    }
    uint16_t code = (uint16_t)(b << 8 | p[1]);
    *used = 2;
    *cp = t->dec[code];
    return *cp ? STEP_OK : STEP_UNMAPPED;
}

/* ------------------------------------------------------------------ */
/* The converter                                                       */
/* ------------------------------------------------------------------ */

static bool stage_flush(struct egov_hanzi_conv *cv, struct egov_buf *out)
{
    if (cv->nstage) {
        egov_buf_append(out, cv->stage, cv->nstage);
        cv->nstage = 0;
    }
    return !out->oom;
}

static void fail(struct egov_hanzi_error *err, enum egov_ec ec, uint64_t off,
                 const unsigned char *bytes, size_t n, const char *what, const char *encname)
{
    if (!err)
        return;
    err->ec = ec;
    err->offset = off;
    err->nbytes = n < sizeof err->bytes ? n : sizeof err->bytes;
    if (bytes && err->nbytes)
        memcpy(err->bytes, bytes, err->nbytes);
    char hex[8 * 5 + 1] = "";
    size_t h = 0;
    for (size_t i = 0; i < err->nbytes; i++)
        h += (size_t)snprintf(hex + h, sizeof hex - h, "%s0x%02X", i ? " " : "", err->bytes[i]);
    snprintf(err->detail, sizeof err->detail, "%s %s%s%s at byte %llu", what, encname, h ? " " : "",
             hex, (unsigned long long)off);
}

/* Encodes @p cp for cv->to.  Returns false if the target cannot represent it. */
static bool encode_one(struct egov_hanzi_conv *cv, uint32_t cp)
{
    const struct egov_hanzi_encoding *to = cv->to;
    unsigned char *o = cv->stage + cv->nstage;
    const struct egov_hanzi_db *db;
    switch (to->kind) {
    case EGOV_HANZI_K_UTF8:
        cv->nstage += egov_utf8_encode(cp, (char *)o);
        return true;
    case EGOV_HANZI_K_DBCS:
        if (cp < 0x80) {
            o[0] = (unsigned char)cp;
            cv->nstage++;
            return true;
        }
        {
            uint16_t code = egov_hanzi_dbcs_enc(to->t, cp);
            if (!code && cv->policy == EGOV_HANZI_PRIVATE && to->t->eudc)
                code = pua_to_eudc(cp);
            if (!code)
                return false;
            if (code <= 0xFF) {
                o[0] = (unsigned char)code;
                cv->nstage++;
                return true;
            }
            o[0] = (unsigned char)(code >> 8);
            o[1] = (unsigned char)code;
            cv->nstage += 2;
            return true;
        }
    case EGOV_HANZI_K_TAX4: {
        if (cp == ' ' || cp == '\n' || cp == '\r') {
            o[0] = (unsigned char)cp;
            cv->nstage++;
            return true;
        }
        uint32_t w = egov_hanzi_wide_enc(to->t, cp);
        if (!w)
            return false;
        o[0] = (unsigned char)(w >> 24);
        o[1] = (unsigned char)(w >> 16);
        o[2] = (unsigned char)(w >> 8);
        o[3] = (unsigned char)w;
        cv->nstage += 4;
        return true;
    }
    case EGOV_HANZI_K_EUCTW: {
        if (cp < 0x80) {
            o[0] = (unsigned char)cp;
            cv->nstage++;
            return true;
        }
        db = egov_hanzi_db_get();
        uint32_t cns = db ? egov_hanzi_db_cns_of(db, cp) : 0;
        uint32_t plane = cns >> 16;
        if (!cns || plane > EGOV_HANZI_MAX_PLANE)
            return false;
        if (plane != 1) {
            *o++ = 0x8E;
            *o++ = (unsigned char)(0xA0 + plane);
            cv->nstage += 2;
        }
        o[0] = (unsigned char)(0x80 | ((cns >> 8) & 0x7F));
        o[1] = (unsigned char)(0x80 | (cns & 0x7F));
        cv->nstage += 2;
        return true;
    }
    case EGOV_HANZI_K_CNS: {
        if (cp == '\n' || cp == '\r') {
            o[0] = (unsigned char)cp;
            cv->nstage++;
            cv->cns_sep = false;
            return true;
        }
        db = egov_hanzi_db_get();
        uint32_t cns = db ? egov_hanzi_db_cns_of(db, cp) : 0;
        if (!cns)
            return false;
        char tok[16];
        egov_hanzi_cns_format(cns, tok);
        size_t tl = strlen(tok);
        if (cv->cns_sep)
            o[0] = ' ';
        memcpy(o + cv->cns_sep, tok, tl);
        cv->nstage += tl + cv->cns_sep;
        cv->cns_sep = true;
        return true;
    }
    }
    return false;
}

/* The code point that stands for an unmappable character under the
 * replace policy in the target, or 0 if the target lacks 〓 too. */
static bool encode_replacement(struct egov_hanzi_conv *cv)
{
    if (encode_one(cv, EGOV_HANZI_GETA))
        return true;
    if (cv->to->kind != EGOV_HANZI_K_TAX4 && cv->to->kind != EGOV_HANZI_K_CNS)
        return encode_one(cv, '?');
    return true; /* nothing to stand in with: the character is dropped */
}

/* Handles one decoded step.  Returns false (with err) on a strict failure. */
static bool handle(struct egov_hanzi_conv *cv, enum step_status st, uint32_t cp,
                   const unsigned char *bytes, size_t used, uint64_t off,
                   struct egov_hanzi_error *err)
{
    if (st == STEP_UNMAPPED && cv->policy == EGOV_HANZI_PRIVATE &&
        (cv->from->kind == EGOV_HANZI_K_DBCS) && cv->from->t->eudc && used == 2) {
        cp = eudc_to_pua((uint16_t)(bytes[0] << 8 | bytes[1]));
        if (cp)
            st = STEP_OK;
    }
    if (st != STEP_OK) {
        if (cv->policy == EGOV_HANZI_STRICT) {
            fail(err,
                 st == STEP_INVALID ? EGOV_EC_HANZI_INVALID_SEQUENCE : EGOV_EC_HANZI_UNMAPPABLE,
                 off, bytes, used,
                 st == STEP_INVALID ? "invalid sequence in" : "unmapped character in",
                 cv->from->name);
            return false;
        }
        return encode_replacement(cv);
    }
    if (cp == 0 && cv->from->kind == EGOV_HANZI_K_CNS)
        return true; /* separators of the plane-code notation */
    if (encode_one(cv, cp))
        return true;
    if (cv->policy == EGOV_HANZI_STRICT) {
        char what[128];
        snprintf(what, sizeof what, "U+%04X cannot be written in %s; it is", (unsigned)cp,
                 cv->to->name);
        fail(err, EGOV_EC_HANZI_UNMAPPABLE, off, bytes, used, what, cv->from->name);
        return false;
    }
    return encode_replacement(cv);
}

static enum step_status decode(const struct egov_hanzi_conv *cv, const struct egov_hanzi_db *db,
                               const unsigned char *p, size_t n, bool final, uint32_t *cp,
                               size_t *used)
{
    switch (cv->from->kind) {
    case EGOV_HANZI_K_UTF8:
        return dec_utf8(p, n, cp, used);
    case EGOV_HANZI_K_EUCTW:
        return dec_euctw(db, p, n, cp, used);
    case EGOV_HANZI_K_CNS:
        return dec_cns(db, p, n, final, cp, used);
    case EGOV_HANZI_K_DBCS:
        return dec_dbcs(cv->from->t, p, n, cp, used);
    case EGOV_HANZI_K_TAX4:
        return dec_tax4(cv->from->t, p, n, cp, used);
    }
    *used = 1;
    return STEP_INVALID;
}

/* Converts p[0..n) as far as whole characters go; returns the bytes consumed
 * (the rest is a partial character), or (size_t)-1 on failure. */
/* Fast path Big5 family -> UTF-8: runs of ASCII and mapped pairs.  Stops
 * (leaving the rest to the general path) at anything else.  Returns the new i. */
static size_t fast_dbcs_to_utf8(struct egov_hanzi_conv *cv, const unsigned char *p, size_t n,
                                size_t i)
{
    const struct egov_hanzi_dbcs *t = cv->from->t;
    unsigned char *o = cv->stage;
    size_t k = cv->nstage;
    while (i < n && k <= STAGE_SIZE - 8) {
        unsigned char b = p[i];
        if (b < 0x80) {
            o[k++] = b;
            i++;
            continue;
        }
        if (i + 1 >= n || t->dec[b] || p[i + 1] < t->trail_lo || p[i + 1] == 0xFF)
            break;
        uint32_t cp = t->dec[(unsigned)b << 8 | p[i + 1]];
        if (cp < 0x800 || cp > 0xFFFF) /* unmapped (0), or rare two- and four-byte forms */
            break;
        o[k] = (unsigned char)(0xE0 | cp >> 12);
        o[k + 1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        o[k + 2] = (unsigned char)(0x80 | (cp & 0x3F));
        k += 3;
        i += 2;
    }
    cv->nstage = k;
    return i;
}

/* Fast path UTF-8 -> Big5 family: ASCII and well-formed three-byte
 * characters the table has.  Returns the new i. */
static size_t fast_utf8_to_dbcs(struct egov_hanzi_conv *cv, const unsigned char *p, size_t n,
                                size_t i)
{
    const struct egov_hanzi_dbcs *t = cv->to->t;
    unsigned char *o = cv->stage;
    size_t k = cv->nstage;
    while (i < n && k <= STAGE_SIZE - 8) {
        unsigned char b = p[i];
        if (b < 0x80) {
            o[k++] = b;
            i++;
            continue;
        }
        if (b < 0xE0 || b > 0xEF || i + 2 >= n || (p[i + 1] & 0xC0) != 0x80 ||
            (p[i + 2] & 0xC0) != 0x80)
            break;
        uint32_t cp =
            (uint32_t)(b & 0x0F) << 12 | (uint32_t)(p[i + 1] & 0x3F) << 6 | (p[i + 2] & 0x3Fu);
        if (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF) || !t->enc[cp >> 8])
            break;
        uint16_t code = t->enc[cp >> 8][cp & 0xFF];
        if (code <= 0xFF)
            break;
        o[k] = (unsigned char)(code >> 8);
        o[k + 1] = (unsigned char)code;
        k += 2;
        i += 3;
    }
    cv->nstage = k;
    return i;
}

/* Converts p[0..n) as far as whole characters go; returns the bytes consumed
 * (the rest is a partial character), or (size_t)-1 on failure. */
static size_t run(struct egov_hanzi_conv *cv, const unsigned char *p, size_t n, bool final,
                  uint64_t base, struct egov_buf *out, struct egov_hanzi_error *err)
{
    const struct egov_hanzi_db *db = egov_hanzi_db_get();
    enum egov_hanzi_kind fk = cv->from->kind, tk = cv->to->kind;
    bool ascii_same = fk != EGOV_HANZI_K_TAX4 && fk != EGOV_HANZI_K_CNS &&
                      tk != EGOV_HANZI_K_TAX4 && tk != EGOV_HANZI_K_CNS;
    bool dbcs_utf8 = fk == EGOV_HANZI_K_DBCS && tk == EGOV_HANZI_K_UTF8;
    bool utf8_dbcs = fk == EGOV_HANZI_K_UTF8 && tk == EGOV_HANZI_K_DBCS;
    size_t i = 0;
    while (i < n) {
        if (cv->nstage > STAGE_SIZE - 64 && !stage_flush(cv, out)) {
            fail(err, EGOV_EC_GENERIC_OOM, base + i, NULL, 0, "out of memory converting",
                 cv->from->name);
            return (size_t)-1;
        }
        if (dbcs_utf8) {
            i = fast_dbcs_to_utf8(cv, p, n, i);
            if (i >= n || cv->nstage > STAGE_SIZE - 64)
                continue;
        } else if (utf8_dbcs) {
            i = fast_utf8_to_dbcs(cv, p, n, i);
            if (i >= n || cv->nstage > STAGE_SIZE - 64)
                continue;
        }
        /* ASCII between ASCII-compatible encodings */
        if (p[i] < 0x80 && ascii_same) {
            cv->stage[cv->nstage++] = p[i++];
            continue;
        }
        uint32_t cp = 0;
        size_t used = 0;
        enum step_status st = decode(cv, db, p + i, n - i, final, &cp, &used);
        if (st == STEP_NEED_MORE) {
            if (!final)
                return i;
            st = STEP_INVALID;
            used = n - i;
            if (cv->policy == EGOV_HANZI_STRICT) {
                fail(err, EGOV_EC_HANZI_TRUNCATED, base + i, p + i, used, "truncated sequence in",
                     cv->from->name);
                return (size_t)-1;
            }
        }
        if (!handle(cv, st, cp, p + i, used, base + i, err))
            return (size_t)-1;
        i += used;
    }
    return i;
}

struct egov_hanzi_conv *egov_hanzi_conv_open(const struct egov_hanzi_encoding *from,
                                             const struct egov_hanzi_encoding *to,
                                             enum egov_hanzi_policy policy)
{
    if (!from || !to)
        return NULL;
    struct egov_hanzi_conv *cv = egov_calloc(1, sizeof *cv);
    if (!cv)
        return NULL;
    cv->from = from;
    cv->to = to;
    cv->policy = policy;
    return cv;
}

void egov_hanzi_conv_close(struct egov_hanzi_conv *cv)
{
    egov_free(cv);
}

bool egov_hanzi_conv_feed(struct egov_hanzi_conv *cv, const void *in, size_t len, bool final,
                          struct egov_buf *out, struct egov_hanzi_error *err)
{
    const unsigned char *p = in;
    if (err) {
        memset(err, 0, sizeof *err);
        err->ec = EGOV_EC_NONE;
    }
    if (cv->failed) {
        fail(err, EGOV_EC_GENERIC_BAD_REQUEST, cv->offset, NULL, 0, "converter already failed on",
             cv->from->name);
        return false;
    }
    if (!p && len) {
        fail(err, EGOV_EC_GENERIC_BAD_REQUEST, cv->offset, NULL, 0, "no input buffer for",
             cv->from->name);
        cv->failed = true;
        return false;
    }
    if (len == 0)
        p = (const unsigned char *)"";
    /* finish the character left over from the previous piece */
    if (cv->npending) {
        unsigned char tmp[2 * PENDING_MAX];
        size_t take = len < PENDING_MAX ? len : PENDING_MAX;
        size_t np = cv->npending;
        memcpy(tmp, cv->pending, np);
        memcpy(tmp + np, p, take);
        bool all = take == len;
        size_t k = run(cv, tmp, np + take, final && all, cv->offset, out, err);
        if (k == (size_t)-1)
            goto fail;
        if (k < np) {
            /* still inside a character that began in the previous piece: all of
             * this piece was taken (characters are at most PENDING_MAX bytes) */
            memmove(cv->pending, tmp + k, np + take - k);
            cv->npending = np + take - k;
            cv->offset += k;
            if (!stage_flush(cv, out)) {
                fail(err, EGOV_EC_GENERIC_OOM, cv->offset, NULL, 0, "out of memory converting",
                     cv->from->name);
                goto fail;
            }
            return true;
        }
        p += k - np;
        len -= k - np;
        cv->offset += k;
        cv->npending = 0;
    }
    size_t k = run(cv, p, len, final, cv->offset, out, err);
    if (k == (size_t)-1)
        goto fail;
    if (k < len) {
        memcpy(cv->pending, p + k, len - k);
        cv->npending = len - k;
    }
    cv->offset += k;
    if (!stage_flush(cv, out)) {
        fail(err, EGOV_EC_GENERIC_OOM, cv->offset, NULL, 0, "out of memory converting",
             cv->from->name);
        goto fail;
    }
    return true;
fail:
    stage_flush(cv, out);
    cv->failed = true;
    return false;
}

bool egov_hanzi_convert(const struct egov_hanzi_encoding *from,
                        const struct egov_hanzi_encoding *to, enum egov_hanzi_policy policy,
                        const void *in, size_t len, struct egov_buf *out,
                        struct egov_hanzi_error *err)
{
    struct egov_hanzi_conv *cv = egov_hanzi_conv_open(from, to, policy);
    if (!cv) {
        if (err) {
            memset(err, 0, sizeof *err);
            err->ec = from && to ? EGOV_EC_GENERIC_OOM : EGOV_EC_HANZI_ENCODING_UNKNOWN;
            snprintf(err->detail, sizeof err->detail, "%s",
                     from && to ? "out of memory" : "unknown encoding");
        }
        return false;
    }
    bool ok = egov_hanzi_conv_feed(cv, in, len, true, out, err);
    egov_hanzi_conv_close(cv);
    return ok;
}

bool egov_hanzi_policy_parse(const char *s, enum egov_hanzi_policy *out)
{
    static const char *const names[] = {"strict", "replace", "private"};
    for (int i = 0; s && i < 3; i++)
        if (strcasecmp(s, names[i]) == 0) {
            *out = (enum egov_hanzi_policy)i;
            return true;
        }
    return false;
}
