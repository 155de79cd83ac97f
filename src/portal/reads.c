/*
 * reads.c -- "who read my records": the directory's audit of reads of the
 * signed-in person's citizen or resident record and staff memberships.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "account/account.h"
#include "directory/directory.h"
#include "portal/portal.h"

#define READS_DEFAULT 100u
#define READS_MAX     1000u

/* ?limit=: 1..READS_MAX, READS_DEFAULT when absent; false if malformed. */
static bool parse_limit(const char *s, unsigned int *out)
{
    char *end = NULL;
    unsigned long v;

    *out = READS_DEFAULT;
    if (s == NULL || s[0] == '\0')
        return true;
    if (strspn(s, "0123456789") != strlen(s) || strlen(s) > 4)
        return false;
    errno = 0;
    v = strtoul(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < 1 || v > READS_MAX)
        return false;
    *out = (unsigned int)v;
    return true;
}

/* English msgids describing how a record was read. */
static const char *via_text(const char *via)
{
    if (strcmp(via, "get") == 0)
        return "Looked up by identity number";
    if (strcmp(via, "search") == 0)
        return "Found by a search for a name";
    if (strcmp(via, "staff") == 0)
        return "Listed with the staff of an agency";
    if (strcmp(via, "staff-of") == 0)
        return "Looked up among the agencies a person works for";
    return "Read";
}

static const char *record_text(const char *kind)
{
    return strcmp(kind, "staff") == 0 ? "Your staff record" : "Your personal record";
}

void egov_portal_my_reads(struct egov_req *req)
{
    struct egov_account_session s;
    unsigned int limit;
    json_t *items = NULL, *it;
    size_t i;
    enum egov_ec ec;

    if (!parse_limit(egov_req_query(req, "limit"), &limit)) {
        egov_reply_problem(req, EGOV_EC_GENERIC_PARAMETER_MALFORMED, "limit",
                           "limit is a number from 1 to 1000");
        return;
    }
    if (!egov_account_require(req, NULL, &s))
        return;
    ec = egov_directory_reads_of(egov_req_db(req), s.national_id, s.principal_id, limit, &items);
    if (ec != EGOV_EC_NONE) {
        egov_reply_problem(req, ec, NULL, NULL);
        return;
    }
    json_array_foreach(items, i, it)
    {
        json_object_set_new(it, "via_text",
                            json_string(via_text(egov_json_get_str(it, "via", ""))));
        json_object_set_new(it, "record_text",
                            json_string(record_text(egov_json_get_str(it, "record", ""))));
    }
    json_t *data =
        json_pack("{s:o, s:I, s:b}", "items", items, "count", (json_int_t)json_array_size(items),
                  "has_items", json_array_size(items) > 0);
    if (data == NULL) {
        egov_reply_problem(req, EGOV_EC_GENERIC_OOM, NULL, NULL);
        return;
    }
    egov_reply_view(req, 200, "my_reads", "Who read my records", data);
}
