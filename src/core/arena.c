/*
 * arena.c -- per-request memory: a chain of blocks freed at once, with
 * cleanup callbacks for objects owned by other libraries.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/core.h"

struct arena_block {
    struct arena_block *next;
    size_t size;
    size_t used;
    max_align_t data[]; /* aligned payload */
};

struct arena_cleanup {
    struct arena_cleanup *next;
    void (*fn)(void *);
    void *arg;
};

struct egov_arena {
    struct arena_block *head;
    struct arena_cleanup *cleanups;
    size_t block_size;
    size_t total;
};

#define ALIGN_UP(n) (((n) + _Alignof(max_align_t) - 1) & ~(_Alignof(max_align_t) - 1))

static struct arena_block *block_new(size_t size)
{
    struct arena_block *b = egov_malloc(sizeof(*b) + size);
    if (b == NULL)
        return NULL;
    b->next = NULL;
    b->size = size;
    b->used = 0;
    return b;
}

struct egov_arena *egov_arena_create(size_t block_size)
{
    if (block_size < 256)
        block_size = 256;
    struct egov_arena *a = egov_calloc(1, sizeof(*a));
    if (a == NULL)
        return NULL;
    a->block_size = ALIGN_UP(block_size);
    a->head = block_new(a->block_size);
    if (a->head == NULL) {
        egov_free(a);
        return NULL;
    }
    return a;
}

void egov_arena_destroy(struct egov_arena *a)
{
    if (a == NULL)
        return;
    struct arena_cleanup *c = a->cleanups;
    while (c != NULL) {
        struct arena_cleanup *next = c->next;
        c->fn(c->arg);
        c = next; /* cleanup records live in the arena itself */
    }
    struct arena_block *b = a->head;
    while (b != NULL) {
        struct arena_block *next = b->next;
        egov_free(b);
        b = next;
    }
    egov_free(a);
}

void *egov_arena_alloc(struct egov_arena *a, size_t n)
{
    if (a == NULL)
        return NULL;
    if (n > SIZE_MAX / 2)
        return NULL;
    size_t need = ALIGN_UP(n == 0 ? 1 : n);
    struct arena_block *b = a->head;
    if (b->size - b->used < need) {
        /* Large requests get a block of their own behind the head, so
         * the head's free space is not wasted. */
        if (need > a->block_size / 4) {
            struct arena_block *big = block_new(need);
            if (big == NULL)
                return NULL;
            big->used = need;
            big->next = b->next;
            b->next = big;
            a->total += need;
            return big->data;
        }
        struct arena_block *nb = block_new(a->block_size);
        if (nb == NULL)
            return NULL;
        nb->next = b;
        a->head = nb;
        b = nb;
    }
    void *p = (char *)b->data + b->used;
    b->used += need;
    a->total += need;
    return p;
}

void *egov_arena_calloc(struct egov_arena *a, size_t n)
{
    void *p = egov_arena_alloc(a, n);
    if (p != NULL)
        memset(p, 0, n);
    return p;
}

char *egov_arena_strndup(struct egov_arena *a, const char *s, size_t n)
{
    if (s == NULL)
        return NULL;
    char *d = egov_arena_alloc(a, n + 1);
    if (d == NULL)
        return NULL;
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

char *egov_arena_strdup(struct egov_arena *a, const char *s)
{
    if (s == NULL)
        return NULL;
    return egov_arena_strndup(a, s, strlen(s));
}

char *egov_arena_printf(struct egov_arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *d = NULL;
    if (n >= 0) {
        d = egov_arena_alloc(a, (size_t)n + 1);
        if (d != NULL)
            vsnprintf(d, (size_t)n + 1, fmt, ap2);
    }
    va_end(ap2);
    return d;
}

bool egov_arena_add_cleanup(struct egov_arena *a, void (*fn)(void *), void *arg)
{
    struct arena_cleanup *c = egov_arena_alloc(a, sizeof(*c));
    if (c == NULL) {
        fn(arg);
        return false;
    }
    c->fn = fn;
    c->arg = arg;
    c->next = a->cleanups;
    a->cleanups = c;
    return true;
}

size_t egov_arena_used(const struct egov_arena *a)
{
    return a == NULL ? 0 : a->total;
}
