/*
 * id.c -- the gateway's identifiers and service paths, parsed strictly.
 */
#include <stdio.h>
#include <string.h>

#include "gateway/gw_int.h"

static bool code_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
}

/*
 * Reads one code of @p what ending at '/' or the end of the string.
 * Advances *@p s past it.  False with a reason on a bad code.
 */
static bool read_code(const char **s, const char *what, char out[EGOV_GATEWAY_CODE_MAX + 1],
                      char *why, size_t whylen)
{
    const char *p = *s;
    size_t n = 0;
    while (p[n] != '\0' && p[n] != '/') {
        if (!code_char(p[n])) {
            snprintf(why, whylen, "the %s contains a character other than A-Z a-z 0-9 . _ -", what);
            return false;
        }
        if (++n > EGOV_GATEWAY_CODE_MAX) {
            snprintf(why, whylen, "the %s is longer than %d characters", what,
                     EGOV_GATEWAY_CODE_MAX);
            return false;
        }
    }
    if (n == 0) {
        snprintf(why, whylen, "the %s is missing", what);
        return false;
    }
    if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.')) {
        snprintf(why, whylen, "the %s may not be \".\" or \"..\"", what);
        return false;
    }
    memcpy(out, p, n);
    out[n] = '\0';
    *s = p + n;
    return true;
}

static bool is_version(const char *p, size_t n)
{
    if (n < 2 || n > 6 || p[0] != 'v')
        return false;
    if (p[1] == '0')
        return false;
    for (size_t i = 1; i < n; i++)
        if (p[i] < '0' || p[i] > '9')
            return false;
    return true;
}

/* Parses "TW/GOV/<agency>/<subsystem>" at *s. */
static bool read_member(const char **s, struct egov_gateway_id *out, char *why, size_t whylen)
{
    const char *p = *s;
    if (strncmp(p, "TW/GOV/", 7) != 0) {
        snprintf(why, whylen, "an identifier must start with \"TW/GOV/\"");
        return false;
    }
    p += 7;
    if (!read_code(&p, "agency code", out->agency, why, whylen))
        return false;
    if (*p != '/') {
        snprintf(why, whylen, "the subsystem code is missing");
        return false;
    }
    p++;
    if (!read_code(&p, "subsystem code", out->subsystem, why, whylen))
        return false;
    *s = p;
    return true;
}

enum egov_ec egov_gateway_service_id_parse(const char *s, struct egov_gateway_id *out,
                                           const char **rest, char *why, size_t whylen)
{
    memset(out, 0, sizeof *out);
    if (s == NULL) {
        snprintf(why, whylen, "the service identifier is missing");
        return EGOV_EC_GATEWAY_SERVICE_ID_INVALID;
    }
    const char *p = s;
    if (!read_member(&p, out, why, whylen))
        return EGOV_EC_GATEWAY_SERVICE_ID_INVALID;
    if (*p != '/') {
        snprintf(why, whylen, "the service code is missing");
        return EGOV_EC_GATEWAY_SERVICE_ID_INVALID;
    }
    p++;
    if (!read_code(&p, "service code", out->service, why, whylen))
        return EGOV_EC_GATEWAY_SERVICE_ID_INVALID;
    if (*p == '/') {
        const char *v = p + 1;
        size_t n = strcspn(v, "/");
        if (is_version(v, n)) {
            memcpy(out->version, v, n);
            out->version[n] = '\0';
            p = v + n;
        } else if (rest == NULL) {
            snprintf(why, whylen, "the version must be \"v\" followed by a number, e.g. v1");
            return EGOV_EC_GATEWAY_SERVICE_ID_INVALID;
        }
    }
    if (rest == NULL && *p != '\0') {
        snprintf(why, whylen, "unexpected text after the service identifier");
        return EGOV_EC_GATEWAY_SERVICE_ID_INVALID;
    }
    if (rest != NULL)
        *rest = p;
    snprintf(out->text, sizeof out->text, "TW/GOV/%s/%s/%s%s%s", out->agency, out->subsystem,
             out->service, out->version[0] ? "/" : "", out->version);
    return EGOV_EC_NONE;
}

enum egov_ec egov_gateway_member_id_parse(const char *s, struct egov_gateway_id *out, char *why,
                                          size_t whylen)
{
    memset(out, 0, sizeof *out);
    if (s == NULL || *s == '\0') {
        snprintf(why, whylen, "the member system identifier is missing");
        return EGOV_EC_GATEWAY_CLIENT_INVALID;
    }
    const char *p = s;
    if (!read_member(&p, out, why, whylen))
        return EGOV_EC_GATEWAY_CLIENT_INVALID;
    if (*p != '\0') {
        snprintf(why, whylen, "a member system identifier has exactly four parts");
        return EGOV_EC_GATEWAY_CLIENT_INVALID;
    }
    snprintf(out->text, sizeof out->text, "TW/GOV/%s/%s", out->agency, out->subsystem);
    return EGOV_EC_NONE;
}

enum egov_ec egov_gateway_path_check(const char *path, char *why, size_t whylen)
{
    if (path == NULL || *path == '\0')
        return EGOV_EC_NONE;
    if (path[0] != '/') {
        snprintf(why, whylen, "the service path must start with \"/\"");
        return EGOV_EC_GATEWAY_PATH_INVALID;
    }
    const char *p = path;
    while (*p == '/') {
        const char *seg = p + 1;
        size_t n = strcspn(seg, "/");
        if (n == 0 && seg[0] == '/') {
            snprintf(why, whylen, "the service path has an empty segment");
            return EGOV_EC_GATEWAY_PATH_INVALID;
        }
        if ((n == 1 && seg[0] == '.') || (n == 2 && seg[0] == '.' && seg[1] == '.')) {
            snprintf(why, whylen,
                     "the service path may not contain \".\" or \"..\" segments "
                     "(also not percent-encoded)");
            return EGOV_EC_GATEWAY_PATH_INVALID;
        }
        for (size_t i = 0; i < n; i++) {
            unsigned char c = (unsigned char)seg[i];
            if (c < 0x20 || c == 0x7f || c == '\\' || c == '%') {
                snprintf(why, whylen,
                         "the service path contains a control character, a backslash or a "
                         "doubly encoded character at segment byte %zu",
                         i);
                return EGOV_EC_GATEWAY_PATH_INVALID;
            }
        }
        p = seg + n;
    }
    return EGOV_EC_NONE;
}

void gw_authz_name(const char *id, char out[300])
{
    size_t i = 0;
    for (; id[i] != '\0' && i + 1 < 300; i++)
        out[i] = id[i] == '/' ? ':' : id[i];
    out[i] = '\0';
}
