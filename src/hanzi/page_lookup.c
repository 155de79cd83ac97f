/*
 * page_lookup.c -- GET /hanzi/lookup: a citizen finds a rare character of
 * their name by 注音, by radical and remaining strokes or by total strokes,
 * and adds it to the name being put together.  Works without JavaScript:
 * the form is a GET form and "add to my name" is a link carrying the name
 * so far; /static/js/hanzi-lookup.js only adds copy buttons.
 */
#include <stdio.h>
#include <string.h>

#include "hanzi/lookup_query.h"
#include "hanzi/props_internal.h"

#define PAGE_LIMIT   60
#define NAME_MAX_CPS 30

/* Appends @p s percent-encoded for a query value. */
static void url_encode(struct egov_buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
            *p == '-' || *p == '_' || *p == '.' || *p == '~') {
            egov_buf_putc(b, (char)*p);
        } else {
            egov_buf_putc(b, '%');
            egov_buf_putc(b, hex[*p >> 4]);
            egov_buf_putc(b, hex[*p & 15]);
        }
    }
}

static void add_param(struct egov_buf *b, const char *name, const char *value)
{
    if (value == NULL || *value == '\0')
        return;
    if (b->len > 0 && b->data[b->len - 1] != '?')
        egov_buf_putc(b, '&');
    egov_buf_puts(b, name);
    egov_buf_putc(b, '=');
    url_encode(b, value);
}

/* The page's URL for the query args of @p req with name and offset replaced. */
static char *page_href(struct egov_req *req, const char *name, long offset)
{
    static const char *const keep[] = {"zhuyin", "radical", "residual", "strokes", "lang"};
    struct egov_buf b;
    char off[24];
    egov_buf_init(&b);
    egov_buf_puts(&b, "/hanzi/lookup?");
    for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
        add_param(&b, keep[i], egov_req_query(req, keep[i]));
    add_param(&b, "name", name);
    if (offset > 0) {
        snprintf(off, sizeof(off), "%ld", offset);
        add_param(&b, "offset", off);
    }
    char *s = egov_buf_steal(&b);
    char *r = s != NULL ? egov_arena_strdup(req->arena, s) : NULL;
    egov_free(s);
    return r;
}

/* The radicals grouped by their stroke counts, for the form's <select>. */
static json_t *radical_groups(unsigned int selected)
{
    json_t *groups = json_array();
    json_t *cur = NULL;
    unsigned int cur_strokes = 0;
    for (unsigned int r = 1; groups != NULL && r <= 214; r++) {
        unsigned int strokes = 0;
        const char *ch = egov_hanzi_radical_char(r, &strokes);
        if (ch == NULL)
            break;
        if (cur == NULL || strokes != cur_strokes) {
            json_t *g = json_pack("{s:i, s:[]}", "strokes", (int)strokes, "radicals");
            if (g == NULL || json_array_append_new(groups, g) != 0)
                break;
            cur = json_object_get(g, "radicals");
            cur_strokes = strokes;
        }
        json_array_append_new(cur, json_pack("{s:i, s:s, s:b}", "number", (int)r, "char", ch,
                                             "selected", r == selected));
    }
    return groups;
}

/* The message (msgid) for a bad query argument. */
static const char *field_message(const char *field, bool missing)
{
    if (field == NULL)
        return "Please check your search.";
    if (strcmp(field, "zhuyin") == 0)
        return "Enter one 注音 syllable, such as ㄊㄞˊ.";
    if (strcmp(field, "radical") == 0)
        return missing ? "Remaining strokes need a radical: choose one from the list."
                       : "Choose a radical from the list.";
    if (strcmp(field, "strokes") == 0)
        return "Enter a number of strokes from 1 to 99.";
    if (strcmp(field, "residual") == 0)
        return "Enter the remaining strokes as a number from 0 to 99.";
    return "Please check your search.";
}

/* Characters of @p name as a list, for "the name so far". */
static json_t *name_chars(const char *name)
{
    json_t *a = json_array();
    size_t n = strlen(name), i = 0;
    while (a != NULL && i < n) {
        uint32_t cp;
        size_t k = egov_utf8_decode(name + i, n - i, &cp);
        if (k == 0)
            break;
        char uc[16];
        snprintf(uc, sizeof(uc), "U+%04X", (unsigned)cp);
        json_array_append_new(a, json_pack("{s:s%, s:s}", "char", name + i, k, "unicode", uc));
        i += k;
    }
    return a;
}

void egov_hanzi_handle_lookup_page(struct egov_req *req)
{
    struct egov_hanzi_lookup_query q;
    const char *field = NULL;
    char detail[160] = "";
    const char *name = egov_req_query(req, "name");
    const char *zhuyin = egov_req_query(req, "zhuyin");
    json_t *data = NULL;
    unsigned int status = 200;

    if (name == NULL)
        name = "";
    if (!egov_utf8_valid(name, strlen(name), NULL) ||
        (zhuyin != NULL && !egov_utf8_valid(zhuyin, strlen(zhuyin), NULL))) {
        egov_reply_problem(req, EGOV_EC_GENERIC_UTF8_INVALID, *name != '\0' ? "name" : "zhuyin",
                           NULL);
        return;
    }
    if (egov_utf8_length(name, strlen(name)) > NAME_MAX_CPS) {
        egov_reply_problem(req, EGOV_EC_GENERIC_PARAMETER_MALFORMED, "name",
                           "a name of at most 30 characters");
        return;
    }
    data = json_pack(
        "{s:s, s:s, s:s, s:s, s:s}", "name", name, "zhuyin", zhuyin != NULL ? zhuyin : "",
        "residual", egov_req_query(req, "residual") != NULL ? egov_req_query(req, "residual") : "",
        "strokes", egov_req_query(req, "strokes") != NULL ? egov_req_query(req, "strokes") : "",
        "lang", req->lang != NULL ? req->lang : "zh-TW");
    if (data == NULL)
        goto oom;
    bool ok = hz_lookup_query_from_request(req, &q, &field, detail, sizeof(detail));
    json_object_set_new(data, "radical_groups", radical_groups(ok ? q.radical : 0));
    json_object_set_new(data, "name_chars", name_chars(name));
    if (*name != '\0') {
        /* remove the last character (no JavaScript needed) */
        size_t n = strlen(name), cut = n;
        while (cut > 0 && ((unsigned char)name[cut - 1] & 0xC0) == 0x80)
            cut--;
        if (cut > 0)
            cut--;
        char *shorter = egov_arena_strndup(req->arena, name, cut);
        char *href = shorter != NULL ? page_href(req, shorter, 0) : NULL;
        if (href == NULL)
            goto oom;
        json_object_set_new(data, "remove_last_href", json_string(href));
    }
    if (!ok) {
        status = 400;
        json_object_set_new(data, "error",
                            json_pack("{s:s, s:s, s:b}", "field", field, "message",
                                      field_message(field, false), field, true));
        goto render;
    }
    bool searched = q.zhuyin != NULL || q.radical != 0 || q.strokes != 0 || q.residual >= 0;
    if (!searched)
        goto render;
    q.limit = PAGE_LIMIT;
    enum egov_ec ec;
    json_t *res = egov_hanzi_lookup(&q, &ec, &field);
    if (res == NULL) {
        if (ec == EGOV_EC_GENERIC_OOM)
            goto oom;
        status = 400;
        json_object_set_new(data, "error",
                            json_pack("{s:s, s:s, s:b}", "field", field, "message",
                                      field_message(field, ec == EGOV_EC_GENERIC_PARAMETER_MISSING),
                                      field, true));
        goto render;
    }
    json_t *cands = json_object_get(res, "candidates");
    bool name_full = egov_utf8_length(name, strlen(name)) >= NAME_MAX_CPS;
    size_t i;
    json_t *c;
    json_array_foreach(cands, i, c)
    {
        const char *ch = json_string_value(json_object_get(c, "char"));
        if (!name_full) { /* a full name gets no "add" links */
            char *with = egov_arena_printf(req->arena, "%s%s", name, ch != NULL ? ch : "");
            char *href = with != NULL ? page_href(req, with, (long)q.offset) : NULL;
            if (href == NULL) {
                json_decref(res);
                goto oom;
            }
            json_object_set_new(c, "add_href", json_string(href));
        }
        /* readings as one line for display */
        json_t *zy = json_object_get(c, "zhuyin");
        struct egov_buf line;
        egov_buf_init(&line);
        size_t k;
        json_t *z;
        json_array_foreach(zy, k, z)
        {
            if (k > 0)
                egov_buf_puts(&line, "、");
            egov_buf_puts(&line, json_string_value(z));
        }
        json_object_set_new(c, "zhuyin_text", json_string(line.data != NULL ? line.data : ""));
        egov_buf_free(&line);
    }
    json_int_t total = json_integer_value(json_object_get(res, "total"));
    json_object_set_new(res, "first", json_integer((json_int_t)q.offset + (total > 0)));
    json_object_set_new(res, "last", json_integer((json_int_t)(q.offset + json_array_size(cands))));
    if (q.offset > 0) {
        long prev = (long)q.offset - PAGE_LIMIT;
        json_object_set_new(res, "prev_href",
                            json_string(page_href(req, name, prev > 0 ? prev : 0)));
    }
    if ((json_int_t)(q.offset + json_array_size(cands)) < total)
        json_object_set_new(res, "next_href",
                            json_string(page_href(req, name, (long)(q.offset + PAGE_LIMIT))));
    json_object_set_new(data, "result", res);
render:
    egov_reply_view(req, status, "hanzi/lookup", "Find a character of your name", data);
    return;
oom:
    json_decref(data);
    egov_reply_problem(req, EGOV_EC_GENERIC_OOM, NULL, NULL);
}
