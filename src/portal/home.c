/*
 * home.c -- the one-window home page: every service area of the platform,
 * grouped by who uses it, with a search that filters the list.
 */
#include <string.h>

#include "portal/portal.h"

/** Who a service is for, as bits. */
enum audience_bits {
    AUD_CITIZEN = 1 << 0,
    AUD_BUSINESS = 1 << 1,
    AUD_CIVIL = 1 << 2,
    AUD_ALL = AUD_CITIZEN | AUD_BUSINESS | AUD_CIVIL,
};

struct audience {
    const char *id;
    unsigned int bit;
    const char *title;   /* msgid */
    const char *summary; /* msgid */
};

struct service {
    const char *id;
    const char *title;   /* msgid */
    const char *summary; /* msgid */
    const char *href;
    unsigned int audiences;
    const char *kind; /* CSS modifier: "standard" or "alert" */
};

static const struct audience audiences[] = {
    {"citizen", AUD_CITIZEN, "Citizens and residents",
     "Apply online, follow your cases, pay fees and receive documents and notices "
     "electronically."},
    {"business", AUD_BUSINESS, "Businesses",
     "Register and run a business, file taxes and exchange official documents with agencies."},
    {"civil-servant", AUD_CIVIL, "Civil servants",
     "Process cases, sign off and exchange official documents, meet by video and publish data."},
};

static const struct service services[] = {
    {"household", "Household registration",
     "Household records and certificates; report an address change once and every agency is "
     "notified.",
     "/eservice/household", AUD_CITIZEN, "standard"},
    {"land", "Land administration",
     "Land and building transcripts, ownership registration and cadastral information.",
     "/eservice/land", AUD_CITIZEN | AUD_BUSINESS, "standard"},
    {"tax", "Taxes", "File and pay income, business, house and land taxes; check your records.",
     "/eservice/tax", AUD_CITIZEN | AUD_BUSINESS, "standard"},
    {"vehicle", "Motor vehicles",
     "Driving licences, vehicle registration, inspections and traffic fines.", "/eservice/vehicle",
     AUD_CITIZEN | AUD_BUSINESS, "standard"},
    {"business", "Business registration",
     "Register a company or business, change its details and look up registrations.",
     "/eservice/business", AUD_BUSINESS, "standard"},
    {"health", "Medical and health",
     "Health insurance records, medical certificates and hospital services.", "/eservice/health",
     AUD_CITIZEN, "standard"},
    {"payments", "Payments", "Pay government fees, fines and taxes online in one place.", "/pay",
     AUD_CITIZEN | AUD_BUSINESS, "standard"},
    {"documents", "Official documents",
     "Draft, sign off and exchange official documents between agencies, businesses and "
     "citizens.",
     "/docex", AUD_ALL, "standard"},
    {"data-access", "Who accessed my data",
     "See which agency read your personal records, when, and on what legal basis.",
     "/my/access", AUD_CITIZEN, "standard"},
    {"meet", "Video meetings and web call centre",
     "Meet agencies by video or call an agency directly from a web page.", "/meet", AUD_ALL,
     "standard"},
    {"opendata", "Open government data",
     "Land, disaster-prevention, public works and archive data published for reuse.", "/opendata",
     AUD_ALL, "standard"},
    {"emergency", "Disaster alerts and emergency",
     "Current disaster alerts, shelters and emergency information.", "/emergency", AUD_ALL,
     "alert"},
};

#define N_AUDIENCES (sizeof(audiences) / sizeof(audiences[0]))
#define N_SERVICES  (sizeof(services) / sizeof(services[0]))

/* True if @p needle occurs in msgid @p text or in its translation. */
static bool text_matches(const char *lang, const char *text, const char *needle)
{
    return strcasestr(text, needle) != NULL ||
           strcasestr(egov_i18n_gettext(lang, text), needle) != NULL;
}

static bool service_matches(const struct service *s, const char *lang, const char *query,
                            unsigned int aud)
{
    if (aud != 0 && (s->audiences & aud) == 0)
        return false;
    if (query == NULL || query[0] == '\0')
        return true;
    return text_matches(lang, s->title, query) || text_matches(lang, s->summary, query);
}

static json_t *service_json(const struct service *s)
{
    json_t *aud = json_array();
    for (size_t i = 0; aud != NULL && i < N_AUDIENCES; i++) {
        if ((s->audiences & audiences[i].bit) != 0 &&
            json_array_append_new(aud, json_string(audiences[i].id)) != 0) {
            json_decref(aud);
            aud = NULL;
        }
    }
    if (aud == NULL)
        return NULL;
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:o}", "id", s->id, "title", s->title, "summary",
                     s->summary, "href", s->href, "kind", s->kind, "audiences", aud);
}

json_t *egov_portal_home_data(const char *lang, const char *query, const char *audience)
{
    json_t *data = NULL, *aud_list = json_array(), *svc_list = json_array();
    unsigned int aud = 0;
    size_t count = 0;

    if (aud_list == NULL || svc_list == NULL)
        goto fail;
    for (size_t i = 0; i < N_AUDIENCES; i++) {
        const struct audience *a = &audiences[i];
        bool selected = audience != NULL && strcmp(audience, a->id) == 0;
        if (selected)
            aud = a->bit;
        if (json_array_append_new(aud_list,
                                  json_pack("{s:s, s:s, s:s, s:b}", "id", a->id, "title", a->title,
                                            "summary", a->summary, "selected", selected)) != 0)
            goto fail;
    }
    for (size_t i = 0; i < N_SERVICES; i++) {
        if (!service_matches(&services[i], lang, query, aud))
            continue;
        if (json_array_append_new(svc_list, service_json(&services[i])) != 0)
            goto fail;
        count++;
    }
    data = json_pack("{s:o, s:o, s:I, s:I, s:s?, s:s?, s:b}", "audiences", aud_list, "services",
                     svc_list, "count", (json_int_t)count, "total", (json_int_t)N_SERVICES, "query",
                     query != NULL && query[0] != '\0' ? query : NULL, "audience",
                     aud != 0 ? audience : NULL, "filtered",
                     aud != 0 || (query != NULL && query[0] != '\0'));
    return data; /* json_pack stole both lists, even on failure */
fail:
    json_decref(aud_list);
    json_decref(svc_list);
    return NULL;
}
