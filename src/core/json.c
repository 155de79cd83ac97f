/*
 * json.c -- jansson helpers: table-driven body parsing with named errors,
 * parsing with positions, compact dumping.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "core/core.h"

static void set_error(struct egov_json_error *err, enum egov_ec ec, const char *field,
                      const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void set_error(struct egov_json_error *err, enum egov_ec ec, const char *field,
                      const char *fmt, ...)
{
    if (err == NULL)
        return;
    err->ec = ec;
    err->field = field;
    va_list ap;
    va_start(ap, fmt);
    /* truncation of a detail message is harmless */
    vsnprintf(err->detail, sizeof(err->detail), fmt, ap);
    va_end(ap);
}

static const char *type_name(enum egov_json_type t)
{
    switch (t) {
    case EGOV_JSON_STRING:
        return "a string";
    case EGOV_JSON_INT:
        return "an integer";
    case EGOV_JSON_BOOL:
        return "true or false";
    case EGOV_JSON_OBJECT:
        return "an object";
    case EGOV_JSON_ARRAY:
        return "an array";
    case EGOV_JSON_ANY:
        return "any value";
    case EGOV_JSON_END:
        break;
    }
    return "?";
}

/* Checks one present value against its spec entry and stores it. */
static bool parse_field(const json_t *v, const struct egov_json_spec *f,
                        struct egov_json_error *err)
{
    switch (f->type) {
    case EGOV_JSON_STRING: {
        if (!json_is_string(v))
            break;
        const char *s = json_string_value(v);
        size_t n = json_string_length(v);
        size_t bad = 0;
        if (memchr(s, '\0', n) != NULL) {
            set_error(err, EGOV_EC_GENERIC_PARAMETER_MALFORMED, f->name,
                      "%s: must not contain NUL characters", f->name);
            return false;
        }
        if (!egov_utf8_valid(s, n, &bad)) {
            set_error(err, EGOV_EC_GENERIC_UTF8_INVALID, f->name, "%s: invalid UTF-8 at byte %zu",
                      f->name, bad);
            return false;
        }
        size_t cps = egov_utf8_length(s, n);
        if ((f->min > 0 && cps < (uint64_t)f->min) || (f->max > 0 && cps > (uint64_t)f->max)) {
            if (f->max > 0)
                set_error(err, EGOV_EC_GENERIC_PARAMETER_MALFORMED, f->name,
                          "%s: must be %" PRId64 " to %" PRId64 " characters long (is %zu)",
                          f->name, f->min, f->max, cps);
            else
                set_error(err, EGOV_EC_GENERIC_PARAMETER_MALFORMED, f->name,
                          "%s: must be at least %" PRId64 " characters long (is %zu)", f->name,
                          f->min, cps);
            return false;
        }
        *(const char **)f->out = s;
        return true;
    }
    case EGOV_JSON_INT: {
        if (!json_is_integer(v))
            break;
        json_int_t i = json_integer_value(v);
        if (i < f->min || i > f->max) {
            set_error(err, EGOV_EC_GENERIC_PARAMETER_MALFORMED, f->name,
                      "%s: must be an integer from %" PRId64 " to %" PRId64, f->name, f->min,
                      f->max);
            return false;
        }
        *(int64_t *)f->out = i;
        return true;
    }
    case EGOV_JSON_BOOL:
        if (!json_is_boolean(v))
            break;
        *(bool *)f->out = json_is_true(v);
        return true;
    case EGOV_JSON_OBJECT:
        if (!json_is_object(v))
            break;
        *(json_t **)f->out = (json_t *)v;
        return true;
    case EGOV_JSON_ARRAY:
        if (!json_is_array(v))
            break;
        *(json_t **)f->out = (json_t *)v;
        return true;
    case EGOV_JSON_ANY:
        *(json_t **)f->out = (json_t *)v;
        return true;
    case EGOV_JSON_END:
        break;
    }
    set_error(err, EGOV_EC_GENERIC_PARAMETER_MALFORMED, f->name, "%s: must be %s", f->name,
              type_name(f->type));
    return false;
}

bool egov_json_parse_spec(const json_t *obj, const struct egov_json_spec *spec,
                          struct egov_json_error *err)
{
    if (!json_is_object(obj)) {
        set_error(err, EGOV_EC_GENERIC_JSON_INVALID, NULL, "the body must be a JSON object");
        return false;
    }
    for (const struct egov_json_spec *f = spec; f->type != EGOV_JSON_END; f++) {
        const json_t *v = json_object_get(obj, f->name);
        if (v == NULL || json_is_null(v)) {
            if (f->optional)
                continue;
            set_error(err, EGOV_EC_GENERIC_PARAMETER_MISSING, f->name, "%s: is required", f->name);
            return false;
        }
        if (!parse_field(v, f, err))
            return false;
    }
    set_error(err, EGOV_EC_NONE, NULL, "%s", "");
    return true;
}

json_t *egov_json_loads(const char *s, size_t n, struct egov_json_error *err)
{
    json_error_t jerr;
    json_t *j = json_loadb(s, n, JSON_REJECT_DUPLICATES, &jerr);
    if (j == NULL) {
        if (json_error_code(&jerr) == json_error_out_of_memory)
            set_error(err, EGOV_EC_GENERIC_OOM, NULL, "out of memory while parsing JSON");
        else
            /* jansson's position counts the bytes read, including the
             * offending one; report that byte's 0-based offset. */
            set_error(err, EGOV_EC_GENERIC_JSON_INVALID, NULL,
                      "invalid JSON at line %d, column %d (byte %d): %s", jerr.line, jerr.column,
                      jerr.position > 0 ? jerr.position - 1 : 0, jerr.text);
        return NULL;
    }
    set_error(err, EGOV_EC_NONE, NULL, "%s", "");
    return j;
}

static int dump_to_buf(const char *buffer, size_t size, void *data)
{
    struct egov_buf *b = data;
    egov_buf_append(b, buffer, size);
    return b->oom ? -1 : 0;
}

char *egov_json_dumps(const json_t *j)
{
    struct egov_buf b;
    egov_buf_init(&b);
    if (j == NULL || json_dump_callback(j, dump_to_buf, &b, JSON_COMPACT | JSON_ENCODE_ANY) != 0)
        b.oom = true;
    return egov_buf_steal(&b);
}

const char *egov_json_get_str(const json_t *obj, const char *key, const char *dflt)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return s == NULL ? dflt : s;
}
