/*
 * blocklist.c -- the passwords refused as too common (NIST SP 800-63B
 * 5.1.1.2: "passwords obtained from previous breach corpuses" and
 * "dictionary words"), read at run time into a hash set.
 *
 * Source, in this order: the file account.password_blocklist_file names;
 * else the cracklib dictionary Debian ships (/usr/share/dict/cracklib-small,
 * package cracklib-runtime, about 54,000 words and known passwords); else
 * nothing.  A short compiled-in list of frequent and local passwords
 * (romanised names, "taiwan", keyboard walks) is always added, and is all
 * there is when no file is there.  Entries are NFKC-normalised and
 * case-folded (Unicode full case folding, ICU) like the passwords they are
 * compared with; entries shorter than the minimum length are skipped (the
 * length rule refuses those anyway).
 *
 * The set is open addressing with linear probing over offsets into one
 * block of words: one lookup is a hash and, usually, one comparison.  It
 * is built once (at start, or at the first password check of a command)
 * and then only read.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unicode/uchar.h>
#include <unicode/ustring.h>
#include <unistd.h>

#include "account/account_int.h"

#define BLOCKLIST_MAX_FILE (64u << 20) /* bytes: a breach corpus of a few million lines */
#define BLOCKLIST_MAX_LINE 256u

static const char *const builtin[] = {
    "password",    "password1",   "password12", "password123", "password1234",   "passw0rd",
    "p@ssw0rd",    "p@ssword",    "pa$$w0rd",   "12345678",    "123456789",      "1234567890",
    "12345678910", "87654321",    "987654321",  "0987654321",  "11111111",       "00000000",
    "88888888",    "66666666",    "12341234",   "11223344",    "12344321",       "123123123",
    "147258369",   "159357456",   "123qweasd",  "1qaz2wsx",    "1qaz2wsx3edc",   "qwertyuiop",
    "qwertyui",    "qwerty123",   "qwerty12",   "asdfghjkl",   "asdfghjk",       "zxcvbnm1",
    "zxcvbnm123",  "qazwsxedc",   "1q2w3e4r",   "1q2w3e4r5t",  "q1w2e3r4",       "q1w2e3r4t5",
    "abcd1234",    "abc12345",    "abcdefg1",   "a1234567",    "a12345678",      "aa123456",
    "aa12345678",  "iloveyou",    "iloveyou1",  "iloveu1314",  "woaini1314",     "woaini520",
    "5201314520",  "13145201314", "sunshine",   "princess",    "football",       "baseball",
    "basketball",  "superman",    "batman123",  "starwars",    "whatever",       "trustno1",
    "letmein1",    "welcome1",    "welcome123", "admin123",    "administrator",  "changeme",
    "computer",    "internet",    "michael1",   "jennifer",    "jordan23",       "dragon123",
    "monkey123",   "master123",   "shadow123",  "football1",   "charlie1",       "liverpool",
    "chelsea1",    "pokemon1",    "naruto123",  "doraemon",    "hellokitty",     "helloworld",
    "hello123",    "loveyou1",    "lovelove",   "forever1",    "yellow123",      "secret123",
    "samsung1",    "google123",   "facebook",   "linkedin",    "qweasdzxc",      "zaq12wsx",
    "zaq1xsw2",    "taiwan123",   "taipei101",  "taiwan520",   "taiwanno1",      "wang1234",
    "chen1234",    "lin12345",    "zhang123",   "a123456789",  "aa123123",       "aaaa1111",
    "abc123456",   "asd12345",    "asdf1234",   "qwer1234",    "zxcv1234",       "1234qwer",
    "1234abcd",    "11112222",    "12121212",   "13131313",    "52013145201314", "passpass",
    "testtest",    "test1234",    "user1234",   "guest123",    "login123",       "default1",
    "government",  "egov1234",
};

struct blockset {
    char *words;     /* folded entries, each NUL-terminated (malloc'd) */
    uint32_t *slots; /* 1 + offset of an entry in words; 0 = free */
    size_t mask;     /* number of slots - 1 (a power of two, minus one) */
    size_t count;    /* distinct entries */
    char source[512];
};

static _Atomic(struct blockset *) current;
static pthread_mutex_t build_mu = PTHREAD_MUTEX_INITIALIZER;

bool account_fold(const char *in, char *out, size_t outlen)
{
    UErrorCode st = U_ZERO_ERROR;
    UChar src[BLOCKLIST_MAX_LINE * 4 + 8], dst[BLOCKLIST_MAX_LINE * 4 * 3 + 8];
    int32_t srclen = 0, dstlen, outn = 0;
    char norm[BLOCKLIST_MAX_LINE * 4 + 8];
    if (in == NULL || strlen(in) > BLOCKLIST_MAX_LINE * 4 ||
        !egov_account_nfkc(in, norm, sizeof norm))
        return false;
    u_strFromUTF8(src, (int32_t)(sizeof src / sizeof src[0]), &srclen, norm, (int32_t)strlen(norm),
                  &st);
    if (U_FAILURE(st))
        return false;
    dstlen = u_strFoldCase(dst, (int32_t)(sizeof dst / sizeof dst[0]), src, srclen,
                           U_FOLD_CASE_DEFAULT, &st);
    if (U_FAILURE(st))
        return false;
    u_strToUTF8(out, (int32_t)outlen, &outn, dst, dstlen, &st);
    if (U_FAILURE(st) || st == U_STRING_NOT_TERMINATED_WARNING || (size_t)outn >= outlen)
        return false;
    out[outn] = '\0';
    return true;
}

/* FNV-1a, 64 bits. */
static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s != '\0'; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h;
}

/* Folds @p word and appends it to @p b unless it is too short or unusable. */
static void add_word(struct egov_buf *b, const char *word, size_t *n)
{
    char folded[BLOCKLIST_MAX_LINE * 4 + 8];
    if (!account_fold(word, folded, sizeof folded))
        return;
    size_t len = strlen(folded);
    if (egov_utf8_length(folded, len) < ACCOUNT_PW_MIN)
        return;
    egov_buf_append(b, folded, len + 1);
    (*n)++;
}

/* Reads the words of @p path into @p b.  False (with why) if it cannot be read. */
static bool read_words(const char *path, struct egov_buf *b, size_t *n, char *why, size_t whylen)
{
    FILE *f = fopen(path, "r");
    struct stat st;
    char line[BLOCKLIST_MAX_LINE + 2];
    if (f == NULL) {
        snprintf(why, whylen, "%s: cannot read: %s", path, strerror(errno));
        return false;
    }
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode) ||
        (uint64_t)st.st_size > BLOCKLIST_MAX_FILE) {
        snprintf(why, whylen, "%s: not a regular file of at most %u MiB", path,
                 BLOCKLIST_MAX_FILE >> 20);
        fclose(f);
        return false;
    }
    while (fgets(line, sizeof line, f) != NULL) {
        size_t len = strlen(line);
        if (len == sizeof line - 1 && line[len - 1] != '\n') {
            int c; /* longer than any password: skip the rest of the line */
            while ((c = fgetc(f)) != EOF && c != '\n')
                ;
            continue;
        }
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if (len > 0 && egov_utf8_valid(line, len, NULL))
            add_word(b, line, n);
    }
    bool ok = !ferror(f) && !b->oom;
    fclose(f);
    if (!ok)
        snprintf(why, whylen, "%s: read error or out of memory", path);
    return ok;
}

/* Builds the set from @p b (n entries); NULL on OOM. */
static struct blockset *build_set(struct egov_buf *b, size_t n, const char *source)
{
    struct blockset *s = calloc(1, sizeof *s);
    size_t cap = 64;
    while (cap < 2 * n)
        cap <<= 1;
    if (s == NULL || b->len >= UINT32_MAX || (s->slots = calloc(cap, sizeof(uint32_t))) == NULL) {
        free(s);
        return NULL;
    }
    s->mask = cap - 1;
    s->words = b->data; /* the set takes the buffer's memory */
    b->data = NULL;
    b->len = b->cap = 0;
    snprintf(s->source, sizeof s->source, "%s", source);
    for (size_t off = 0, i = 0; i < n; i++) {
        const char *w = s->words + off;
        size_t h = (size_t)hash_str(w) & s->mask;
        for (;;) {
            uint32_t slot = s->slots[h];
            if (slot == 0) {
                s->slots[h] = (uint32_t)off + 1;
                s->count++;
                break;
            }
            if (strcmp(s->words + slot - 1, w) == 0)
                break; /* a duplicate */
            h = (h + 1) & s->mask;
        }
        off += strlen(w) + 1;
    }
    return s;
}

static void free_set(struct blockset *s)
{
    if (s == NULL)
        return;
    free(s->words);
    free(s->slots);
    free(s);
}

/* Makes the set from @p path ("" = the default), or NULL (with why). */
static struct blockset *make_set(const char *path, char *why, size_t whylen)
{
    struct egov_buf b;
    size_t n = 0;
    char source[512];
    egov_buf_init(&b);
    why[0] = '\0';
    snprintf(source, sizeof source, "built-in list");
    if (path != NULL && path[0] != '\0') {
        if (!read_words(path, &b, &n, why, whylen))
            goto fail;
        snprintf(source, sizeof source, "%s", path);
    } else if (access(ACCOUNT_BLOCKLIST_DEFAULT, R_OK) == 0) {
        if (!read_words(ACCOUNT_BLOCKLIST_DEFAULT, &b, &n, why, whylen))
            goto fail;
        snprintf(source, sizeof source, "%s", ACCOUNT_BLOCKLIST_DEFAULT);
    }
    for (size_t i = 0; i < sizeof builtin / sizeof builtin[0]; i++)
        add_word(&b, builtin[i], &n);
    if (b.oom)
        goto fail;
    struct blockset *s = build_set(&b, n, source);
    if (s == NULL)
        goto fail;
    egov_buf_free(&b);
    return s;
fail:
    if (why[0] == '\0')
        snprintf(why, whylen, "out of memory");
    egov_buf_free(&b);
    return NULL;
}

bool account_blocklist_load(const char *path)
{
    char why[700];
    struct blockset *s = make_set(path, why, sizeof why);
    if (s == NULL) {
        egov_error("account: the password blocklist: %s", why);
        return false;
    }
    pthread_mutex_lock(&build_mu);
    struct blockset *old = atomic_exchange(&current, s);
    pthread_mutex_unlock(&build_mu);
    free_set(old);
    if (strcmp(s->source, "built-in list") == 0)
        egov_warn("account: %s is not installed (Debian package cracklib-runtime); only the "
                  "built-in list of %zu common passwords is refused",
                  ACCOUNT_BLOCKLIST_DEFAULT, s->count);
    return true;
}

/* The set, loaded from the default source on first use. */
static const struct blockset *get_set(void)
{
    struct blockset *s = atomic_load(&current);
    if (s != NULL)
        return s;
    pthread_mutex_lock(&build_mu);
    s = atomic_load(&current);
    if (s == NULL) {
        char why[700];
        s = make_set("", why, sizeof why);
        if (s != NULL)
            atomic_store(&current, s);
        else
            egov_error("account: the password blocklist: %s", why);
    }
    pthread_mutex_unlock(&build_mu);
    return s;
}

bool account_blocklist_has(const char *password)
{
    char folded[BLOCKLIST_MAX_LINE * 4 + 8];
    const struct blockset *s = get_set();
    if (s == NULL || !account_fold(password, folded, sizeof folded))
        return false;
    size_t h = (size_t)hash_str(folded) & s->mask;
    for (uint32_t slot; (slot = s->slots[h]) != 0; h = (h + 1) & s->mask)
        if (strcmp(s->words + slot - 1, folded) == 0)
            return true;
    return false;
}

size_t account_blocklist_info(char *source, size_t sourcelen)
{
    const struct blockset *s = get_set();
    if (source != NULL && sourcelen > 0)
        (void)egov_utf8_copy(source, sourcelen, s != NULL ? s->source : "");
    return s != NULL ? s->count : 0;
}

bool egov_account_blocklist_check(const struct egov_config *cfg, char *msg, size_t msglen)
{
    const char *path = cfg->account_password_blocklist_file;
    msg[0] = '\0';
    if (path[0] != '\0') {
        FILE *f = fopen(path, "r");
        if (f == NULL) {
            snprintf(msg, msglen, "account.password_blocklist_file: %s: cannot read: %s", path,
                     strerror(errno));
            return false;
        }
        fclose(f);
        return true;
    }
    if (access(ACCOUNT_BLOCKLIST_DEFAULT, R_OK) != 0)
        snprintf(msg, msglen,
                 "account.password_blocklist_file: %s is not installed (Debian package "
                 "cracklib-runtime); only a short built-in list of common passwords will be "
                 "refused",
                 ACCOUNT_BLOCKLIST_DEFAULT);
    return true;
}
