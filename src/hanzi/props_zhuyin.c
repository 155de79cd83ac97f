/*
 * props_zhuyin.c -- 注音 (bopomofo) syllables: conversion from Hanyu
 * Pinyin (Unihan's readings are in pinyin) and parsing for sort keys and
 * lookups.
 */
#include <stdio.h>
#include <string.h>

#include "hanzi/props_internal.h"

#define BOPO_FIRST 0x3105u /* ㄅ */
#define BOPO_LAST  0x3129u /* ㄩ */

/* A pinyin letter with the tone its diacritic carries. */
struct toned {
    uint32_t cp;
    char base; /* 'v' for ü, 'E' for ê */
    int tone;  /* 0 = no mark */
};

static const struct toned toned_letters[] = {
    {0x0101, 'a', 1}, {0x00E1, 'a', 2}, {0x01CE, 'a', 3}, {0x00E0, 'a', 4}, {0x0113, 'e', 1},
    {0x00E9, 'e', 2}, {0x011B, 'e', 3}, {0x00E8, 'e', 4}, {0x012B, 'i', 1}, {0x00ED, 'i', 2},
    {0x01D0, 'i', 3}, {0x00EC, 'i', 4}, {0x014D, 'o', 1}, {0x00F3, 'o', 2}, {0x01D2, 'o', 3},
    {0x00F2, 'o', 4}, {0x016B, 'u', 1}, {0x00FA, 'u', 2}, {0x01D4, 'u', 3}, {0x00F9, 'u', 4},
    {0x01D6, 'v', 1}, {0x01D8, 'v', 2}, {0x01DA, 'v', 3}, {0x01DC, 'v', 4}, {0x00FC, 'v', 0},
    {0x00EA, 'E', 0}, {0x1EBF, 'E', 2}, {0x1EC1, 'E', 4},
};

/* Finals after an initial (or standing alone), pinyin spelling -> 注音. */
struct final {
    const char *py;
    const char *zy;
};

static const struct final finals[] = {
    {"a", "ㄚ"},      {"o", "ㄛ"},     {"e", "ㄜ"},     {"E", "ㄝ"},      {"ai", "ㄞ"},
    {"ei", "ㄟ"},     {"ao", "ㄠ"},    {"ou", "ㄡ"},    {"an", "ㄢ"},     {"en", "ㄣ"},
    {"ang", "ㄤ"},    {"eng", "ㄥ"},   {"ong", "ㄨㄥ"}, {"er", "ㄦ"},     {"i", "ㄧ"},
    {"ia", "ㄧㄚ"},   {"io", "ㄧㄛ"},  {"ie", "ㄧㄝ"},  {"iai", "ㄧㄞ"},  {"iao", "ㄧㄠ"},
    {"iu", "ㄧㄡ"},   {"ian", "ㄧㄢ"}, {"in", "ㄧㄣ"},  {"iang", "ㄧㄤ"}, {"ing", "ㄧㄥ"},
    {"iong", "ㄩㄥ"}, {"u", "ㄨ"},     {"ua", "ㄨㄚ"},  {"uo", "ㄨㄛ"},   {"uai", "ㄨㄞ"},
    {"ui", "ㄨㄟ"},   {"uan", "ㄨㄢ"}, {"un", "ㄨㄣ"},  {"uang", "ㄨㄤ"}, {"ueng", "ㄨㄥ"},
    {"v", "ㄩ"},      {"ve", "ㄩㄝ"},  {"van", "ㄩㄢ"}, {"vn", "ㄩㄣ"},   {"ue", "ㄩㄝ"},
    {"iou", "ㄧㄡ"},  {"uei", "ㄨㄟ"}, {"uen", "ㄨㄣ"},
};

static const struct final initials[] = {
    {"zh", "ㄓ"}, {"ch", "ㄔ"}, {"sh", "ㄕ"}, {"b", "ㄅ"}, {"p", "ㄆ"}, {"m", "ㄇ"}, {"f", "ㄈ"},
    {"d", "ㄉ"},  {"t", "ㄊ"},  {"n", "ㄋ"},  {"l", "ㄌ"}, {"g", "ㄍ"}, {"k", "ㄎ"}, {"h", "ㄏ"},
    {"j", "ㄐ"},  {"q", "ㄑ"},  {"x", "ㄒ"},  {"r", "ㄖ"}, {"z", "ㄗ"}, {"c", "ㄘ"}, {"s", "ㄙ"},
};

static const char *final_lookup(const char *py)
{
    for (size_t i = 0; i < sizeof(finals) / sizeof(finals[0]); i++)
        if (strcmp(finals[i].py, py) == 0)
            return finals[i].zy;
    return NULL;
}

/* Reduces a pinyin syllable to ASCII letters (v = ü, E = ê) and a tone 1..5. */
static bool pinyin_flatten(const char *s, char *out, size_t outlen, int *tone)
{
    size_t n = strlen(s), o = 0;
    *tone = 0;
    size_t i = 0;
    while (i < n) {
        uint32_t cp;
        size_t k = egov_utf8_decode(s + i, n - i, &cp);
        if (k == 0)
            return false;
        i += k;
        char base = 0;
        int t = 0;
        if (cp >= 'a' && cp <= 'z')
            base = (char)cp;
        else if (cp >= 'A' && cp <= 'Z')
            base = (char)(cp - 'A' + 'a');
        else if (cp >= '1' && cp <= '5' && i == n) {
            if (*tone != 0)
                return false;
            *tone = (int)(cp - '0');
            continue;
        } else if (cp == 0x0304 || cp == 0x0301 || cp == 0x030C || cp == 0x0300) {
            /* combining tone mark after its vowel */
            if (*tone != 0 || o == 0)
                return false;
            *tone = cp == 0x0304 ? 1 : cp == 0x0301 ? 2 : cp == 0x030C ? 3 : 4;
            continue;
        } else if (cp == 0x0308 && o > 0 && out[o - 1] == 'u') {
            out[o - 1] = 'v';
            continue;
        } else if (cp == 0x0302 && o > 0 && out[o - 1] == 'e') {
            out[o - 1] = 'E';
            continue;
        } else {
            for (size_t j = 0; j < sizeof(toned_letters) / sizeof(toned_letters[0]); j++) {
                if (toned_letters[j].cp == cp) {
                    base = toned_letters[j].base;
                    t = toned_letters[j].tone;
                    break;
                }
            }
            if (base == 0)
                return false;
        }
        if (t != 0) {
            if (*tone != 0)
                return false;
            *tone = t;
        }
        if (o + 1 >= outlen)
            return false;
        out[o++] = base;
    }
    out[o] = '\0';
    if (o == 0)
        return false;
    if (*tone == 0)
        *tone = 5; /* no mark: the neutral tone, as Unihan writes it */
    return true;
}

/* The toneless 注音 of an ASCII syllable, or false. */
static bool syllable_zhuyin(const char *py, char *out, size_t outlen)
{
    const char *ini = "";
    const char *fin = NULL;
    char rest[16];

    if (strcmp(py, "er") == 0) {
        fin = "ㄦ";
    } else if (py[0] == 'y') {
        const char *r = py + 1;
        if (r[0] == 'u' || r[0] == 'v') { /* yu, yue, yuan, yun */
            snprintf(rest, sizeof(rest), "v%s", r + 1);
            fin = final_lookup(rest);
        } else if (strcmp(r, "ong") == 0) {
            fin = "ㄩㄥ";
        } else if (r[0] == 'i') { /* yi, yin, ying */
            fin = final_lookup(r);
        } else if (strcmp(r, "e") == 0) {
            fin = "ㄧㄝ";
        } else {
            snprintf(rest, sizeof(rest), "i%s", r);
            fin = final_lookup(rest);
        }
    } else if (py[0] == 'w') {
        const char *r = py + 1;
        if (strcmp(r, "u") == 0) {
            fin = "ㄨ";
        } else if (strcmp(r, "ei") == 0) {
            fin = "ㄨㄟ";
        } else if (strcmp(r, "en") == 0) {
            fin = "ㄨㄣ";
        } else if (strcmp(r, "eng") == 0) {
            fin = "ㄨㄥ";
        } else {
            snprintf(rest, sizeof(rest), "u%s", r);
            fin = final_lookup(rest);
        }
    } else {
        size_t il = 0;
        for (size_t i = 0; i < sizeof(initials) / sizeof(initials[0]); i++) {
            size_t l = strlen(initials[i].py);
            if (strncmp(py, initials[i].py, l) == 0) {
                ini = initials[i].zy;
                il = l;
                break;
            }
        }
        const char *r = py + il;
        if (il > 0 && strcmp(r, "i") == 0 &&
            (strchr("zcsr", py[0]) != NULL && (il == 1 || py[1] == 'h'))) {
            fin = ""; /* zhi chi shi ri zi ci si: the initial alone */
        } else if (il > 0 && strchr("jqx", py[0]) != NULL && r[0] == 'u') {
            snprintf(rest, sizeof(rest), "v%s", r + 1); /* ju = jü */
            fin = final_lookup(rest);
        } else if (il > 0 && r[0] == 'E') {
            fin = NULL;
        } else if (r[0] != '\0' && strlen(r) < sizeof(rest)) {
            if (il == 0 && (r[0] == 'i' || r[0] == 'u' || r[0] == 'v'))
                fin = NULL; /* these need y/w when standing alone */
            else
                fin = final_lookup(r);
        }
    }
    if (fin == NULL)
        return false;
    int n = snprintf(out, outlen, "%s%s", ini, fin);
    return n > 0 && (size_t)n < outlen;
}

bool egov_hanzi_pinyin_to_zhuyin(const char *pinyin, char *out, size_t outlen)
{
    char flat[16];
    int tone;
    char zy[32];
    if (pinyin == NULL || out == NULL || outlen == 0)
        return false;
    if (!pinyin_flatten(pinyin, flat, sizeof(flat), &tone))
        return false;
    if (!syllable_zhuyin(flat, zy, sizeof(zy)))
        return false;
    static const char *const marks[] = {"", "", "ˊ", "ˇ", "ˋ"};
    const char *pre = tone == 5 ? "˙" : "", *post = tone == 5 ? "" : marks[tone];
    size_t lp = strlen(pre), lz = strlen(zy), lt = strlen(post);
    if (lp + lz + lt >= outlen)
        return false;
    memcpy(out, pre, lp);
    memcpy(out + lp, zy, lz);
    memcpy(out + lp + lz, post, lt + 1);
    return true;
}

size_t hz_zhuyin_parse(const char *s, size_t n, bool tone_optional, uint8_t letters[3],
                       uint8_t *tone)
{
    size_t i = 0, nl = 0;
    uint32_t cp;
    int t = 0;
    letters[0] = letters[1] = letters[2] = 0;
    size_t k = egov_utf8_decode(s, n, &cp);
    if (k > 0 && cp == 0x02D9) { /* ˙ before the syllable */
        t = 5;
        i += k;
    }
    while (i < n) {
        k = egov_utf8_decode(s + i, n - i, &cp);
        if (k == 0 || cp < BOPO_FIRST || cp > BOPO_LAST)
            break;
        if (nl == 3)
            return 0;
        letters[nl++] = (uint8_t)(cp - 0x3104);
        i += k;
    }
    if (nl == 0)
        return 0;
    if (i < n && (k = egov_utf8_decode(s + i, n - i, &cp)) > 0) {
        int mark = cp == 0x02C9   ? 1
                   : cp == 0x02CA ? 2
                   : cp == 0x02C7 ? 3
                   : cp == 0x02CB ? 4
                   : cp == 0x02D9 ? 5
                                  : 0;
        if (mark != 0) {
            if (t != 0)
                return 0;
            t = mark;
            i += k;
        }
    }
    if (t == 0)
        t = tone_optional ? 0 : 1;
    *tone = (uint8_t)t;
    return i;
}
