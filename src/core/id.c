/*
 * id.c -- UUIDv7 (RFC 9562) and cryptographic random bytes.
 *
 * Ordering: the 48-bit millisecond timestamp is followed by a 12-bit
 * counter in rand_a (RFC 9562 section 6.2, method 1).  The counter starts
 * at a random value below 2048 each millisecond and is incremented for
 * every further id in the same millisecond; when it would overflow, the
 * timestamp is advanced by one millisecond.  If the clock goes backwards
 * the last timestamp is reused.  So ids from one process sort in the
 * order they were made.
 */
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "core/core.h"

static pthread_mutex_t uuid_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t uuid_last_ms;
static uint32_t uuid_counter;

bool egov_random(void *out, size_t n)
{
    unsigned char *p = out;
    while (n > 0) {
        int chunk = n > INT_MAX ? INT_MAX : (int)n;
        if (RAND_bytes(p, chunk) != 1)
            return false;
        p += chunk;
        n -= (size_t)chunk;
    }
    return true;
}

void egov_uuid7(char out[37])
{
    unsigned char rnd[10];
    if (!egov_random(rnd, sizeof(rnd))) {
        /* RAND_bytes failing means the process cannot make safe ids. */
        EGOV_BUG("RAND_bytes failed");
        abort();
    }
    uint64_t now_ms = (uint64_t)(egov_now_us() / 1000);

    pthread_mutex_lock(&uuid_lock);
    if (now_ms > uuid_last_ms) {
        uuid_last_ms = now_ms;
        uuid_counter = ((uint32_t)rnd[8] << 8 | rnd[9]) & 0x7FF;
    } else if (uuid_counter < 0xFFF) {
        uuid_counter++;
    } else {
        uuid_last_ms++;
        uuid_counter = ((uint32_t)rnd[8] << 8 | rnd[9]) & 0x7FF;
    }
    uint64_t ms = uuid_last_ms;
    uint32_t ctr = uuid_counter;
    pthread_mutex_unlock(&uuid_lock);

    unsigned char u[16];
    for (int i = 0; i < 6; i++)
        u[i] = (unsigned char)(ms >> (40 - 8 * i));
    u[6] = (unsigned char)(0x70 | (ctr >> 8)); /* version 7 */
    u[7] = (unsigned char)(ctr & 0xFF);
    memcpy(u + 8, rnd, 8);
    u[8] = (unsigned char)(0x80 | (u[8] & 0x3F)); /* variant 10 */

    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[o++] = '-';
        out[o++] = hex[u[i] >> 4];
        out[o++] = hex[u[i] & 0x0F];
    }
    out[o] = '\0';
}

bool egov_uuid_valid(const char *s)
{
    if (s == NULL)
        return false;
    for (size_t i = 0; i < 36; i++) {
        char c = s[i];
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != '-')
                return false;
        } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
            return false; /* also stops at a NUL */
        }
    }
    return s[36] == '\0';
}
