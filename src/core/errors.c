/*
 * errors.c -- lookups into the error registry generated from errors.def.
 */
#include <string.h>

#include "core/core.h"

struct ec_entry {
    enum egov_ec ec;
    const char *name;
    unsigned int status;
    const char *hint;
};

static const struct ec_entry registry[] = {
#define EGOV_ERROR(code, name, status, hint) {EGOV_EC_##name, #name, status, hint},
#include "core/errors.def"
#undef EGOV_ERROR
};

#define REGISTRY_LEN (sizeof(registry) / sizeof(registry[0]))

static const struct ec_entry *find(enum egov_ec ec)
{
    /* errors.def is kept in ascending order; binary search */
    size_t lo = 0, hi = REGISTRY_LEN;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (registry[mid].ec == ec)
            return &registry[mid];
        if ((int)registry[mid].ec < (int)ec)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

unsigned int egov_ec_http_status(enum egov_ec ec)
{
    const struct ec_entry *e = find(ec);
    return e == NULL ? 500 : e->status;
}

const char *egov_ec_name(enum egov_ec ec)
{
    const struct ec_entry *e = find(ec);
    return e == NULL ? "UNKNOWN" : e->name;
}

const char *egov_ec_hint(enum egov_ec ec)
{
    const struct ec_entry *e = find(ec);
    return e == NULL ? "Unknown error." : e->hint;
}

bool egov_ec_by_name(const char *name, enum egov_ec *out)
{
    for (size_t i = 0; i < REGISTRY_LEN; i++) {
        if (strcmp(registry[i].name, name) == 0) {
            *out = registry[i].ec;
            return true;
        }
    }
    return false;
}
