/*
 * alloc.c -- the egov allocators, with fault injection for tests.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"

static atomic_ulong alloc_count;
static atomic_ulong fail_at; /* allocation number that fails; 0 = never */

static bool should_fail(void)
{
    unsigned long n = atomic_fetch_add(&alloc_count, 1) + 1;
    unsigned long f = atomic_load(&fail_at);
    if (f != 0 && n == f) {
        atomic_store(&fail_at, 0);
        return true;
    }
    return false;
}

void egov_alloc_fail_nth(unsigned long n)
{
    atomic_store(&fail_at, n == 0 ? 0 : atomic_load(&alloc_count) + n);
}

unsigned long egov_alloc_count(void)
{
    return atomic_load(&alloc_count);
}

void *egov_malloc(size_t n)
{
    if (should_fail())
        return NULL;
    return malloc(n == 0 ? 1 : n);
}

void *egov_calloc(size_t nmemb, size_t size)
{
    if (should_fail())
        return NULL;
    if (nmemb == 0 || size == 0)
        return calloc(1, 1);
    return calloc(nmemb, size);
}

void *egov_realloc(void *p, size_t n)
{
    if (should_fail())
        return NULL;
    return realloc(p, n == 0 ? 1 : n);
}

char *egov_strdup(const char *s)
{
    if (s == NULL)
        return NULL;
    size_t n = strlen(s) + 1;
    char *d = egov_malloc(n);
    if (d != NULL)
        memcpy(d, s, n);
    return d;
}

uint32_t egov_str_hash(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

void egov_free(void *p)
{
    free(p);
}
