/*
 * pki_keystore.c -- the one place that touches CA private keys.
 *
 * Keys are ECDSA P-256 in unencrypted PKCS#8 PEM files DIR/NAME.key, mode
 * 0600, in a directory of mode 0700 owned by the node's user.  A key is
 * read on its first use (the file buffer wiped with OPENSSL_cleanse) and
 * kept, parsed, inside the store until egov_keystore_close(), which frees
 * it (OpenSSL clears the private scalar).  Decoding a PEM key through
 * OpenSSL 3's decoders costs about a millisecond, more than the signature,
 * so reading it for every OCSP answer would cap a node at a few hundred
 * answers per second.  The store offers only "generate", "public key" and
 * "sign this object": no call returns private key material.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "crypto/pki_int.h"

#define KEY_NAME_MAX 40
#define KEY_FILE_MAX 16384 /* a P-256 PKCS#8 PEM is about 250 bytes */

#define KEY_CACHE 16

struct egov_keystore {
    char dir[512];
    pthread_mutex_t lock; /* guards keys[] */
    struct {
        char name[KEY_NAME_MAX + 1];
        EVP_PKEY *pk;
    } keys[KEY_CACHE];
};

void egov_pki_say_(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    if (err == NULL || errlen == 0)
        return;
    va_start(ap, fmt);
    (void)vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

void egov_pki_err_(char *err, size_t errlen, const char *what)
{
    char ossl[256] = "";
    unsigned long e = ERR_peek_last_error();

    if (e != 0)
        ERR_error_string_n(e, ossl, sizeof(ossl));
    ERR_clear_error();
    if (err == NULL || errlen == 0)
        return;
    if (ossl[0] != '\0')
        egov_pki_say_(err, errlen, "%s (%s)", what, ossl);
    else
        egov_pki_say_(err, errlen, "%s", what);
}

static bool name_valid(const char *name)
{
    size_t n = name == NULL ? 0 : strlen(name);

    if (n == 0 || n > KEY_NAME_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
            return false;
    }
    return true;
}

static bool key_path(const struct egov_keystore *ks, const char *name, char *out, size_t outlen)
{
    int n;

    if (!name_valid(name))
        return false;
    n = snprintf(out, outlen, "%s/%s.key", ks->dir, name);
    return n > 0 && (size_t)n < outlen;
}

struct egov_keystore *egov_keystore_open(const char *dir, bool create, char *err, size_t errlen)
{
    struct egov_keystore *ks = NULL;
    struct stat st;
    int n;

    if (dir == NULL || dir[0] == '\0') {
        egov_pki_say_(err, errlen, "no key store directory given");
        goto fail;
    }
    if (create && mkdir(dir, 0700) != 0 && errno != EEXIST) {
        egov_pki_say_(err, errlen, "cannot create key store %s: %s", dir, strerror(errno));
        goto fail;
    }
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        egov_pki_say_(err, errlen, "key store %s does not exist; run `egov pki init` first", dir);
        goto fail;
    }
    if ((st.st_mode & 0077) != 0 || st.st_uid != geteuid()) {
        egov_pki_say_(err, errlen,
                      "key store %s must belong to this user and have mode 0700 (it has %04o)", dir,
                      (unsigned int)(st.st_mode & 07777));
        goto fail;
    }
    ks = egov_calloc(1, sizeof(*ks));
    if (ks == NULL) {
        egov_pki_say_(err, errlen, "out of memory");
        goto fail;
    }
    n = snprintf(ks->dir, sizeof(ks->dir), "%s", dir);
    if (n < 0 || (size_t)n >= sizeof(ks->dir) || pthread_mutex_init(&ks->lock, NULL) != 0) {
        egov_pki_say_(err, errlen, "key store path too long");
        egov_free(ks);
        ks = NULL;
    }
fail:
    return ks;
}

void egov_keystore_close(struct egov_keystore *ks)
{
    if (ks == NULL)
        return;
    for (size_t i = 0; i < KEY_CACHE; i++)
        EVP_PKEY_free(ks->keys[i].pk);
    pthread_mutex_destroy(&ks->lock);
    egov_free(ks);
}

bool egov_keystore_generate(struct egov_keystore *ks, const char *name, char *err, size_t errlen)
{
    char path[600];
    EVP_PKEY *pk = NULL;
    BIO *mem = NULL;
    char *pem = NULL;
    long pem_len;
    int fd = -1;
    bool ok = false;

    if (!key_path(ks, name, path, sizeof(path))) {
        egov_pki_say_(err, errlen, "invalid key name");
        goto fail;
    }
    pk = EVP_EC_gen("P-256");
    if (pk == NULL) {
        egov_pki_err_(err, errlen, "key generation failed");
        goto fail;
    }
    mem = BIO_new(BIO_s_secmem());
    if (mem == NULL || !PEM_write_bio_PrivateKey(mem, pk, NULL, NULL, 0, NULL, NULL)) {
        egov_pki_err_(err, errlen, "cannot encode the key");
        goto fail;
    }
    pem_len = BIO_get_mem_data(mem, &pem);
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        egov_pki_say_(err, errlen, "cannot create %s: %s", path, strerror(errno));
        goto fail;
    }
    if (pem_len <= 0 || write(fd, pem, (size_t)pem_len) != (ssize_t)pem_len || fsync(fd) != 0) {
        egov_pki_say_(err, errlen, "cannot write %s: %s", path, strerror(errno));
        (void)unlink(path);
        goto fail;
    }
    ok = true;
fail:
    if (fd >= 0)
        (void)close(fd);
    BIO_free(mem); /* secure memory BIO: wiped on free */
    EVP_PKEY_free(pk);
    return ok;
}

/* Opens key @p name after checking owner and mode; the caller frees with EVP_PKEY_free(). */
static EVP_PKEY *load_key(struct egov_keystore *ks, const char *name, char *err, size_t errlen)
{
    char path[600];
    unsigned char *buf = NULL;
    EVP_PKEY *pk = NULL;
    BIO *bio = NULL;
    struct stat st;
    ssize_t got;
    size_t len = 0;
    int fd = -1;

    if (!key_path(ks, name, path, sizeof(path))) {
        egov_pki_say_(err, errlen, "invalid key name");
        goto fail;
    }
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        egov_pki_say_(err, errlen, "cannot open CA key %s: %s", path, strerror(errno));
        goto fail;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (st.st_mode & 0077) != 0 ||
        st.st_uid != geteuid() || st.st_size <= 0 || st.st_size > KEY_FILE_MAX) {
        egov_pki_say_(err, errlen, "CA key %s must be a small file of mode 0600 owned by us", path);
        goto fail;
    }
    buf = OPENSSL_secure_malloc((size_t)st.st_size);
    if (buf == NULL) {
        egov_pki_say_(err, errlen, "out of memory");
        goto fail;
    }
    while (len < (size_t)st.st_size) {
        got = read(fd, buf + len, (size_t)st.st_size - len);
        if (got <= 0) {
            egov_pki_say_(err, errlen, "cannot read CA key %s", path);
            goto fail;
        }
        len += (size_t)got;
    }
    bio = BIO_new_mem_buf(buf, (int)len);
    if (bio == NULL)
        goto fail;
    pk = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
    if (pk == NULL)
        egov_pki_err_(err, errlen, "CA key file is not a PEM private key");
fail:
    BIO_free(bio);
    if (buf != NULL) {
        OPENSSL_cleanse(buf, len);
        OPENSSL_secure_free(buf);
    }
    if (fd >= 0)
        (void)close(fd);
    return pk;
}

/* Key @p name from the cache or its file: a new reference the caller frees. */
static EVP_PKEY *get_key(struct egov_keystore *ks, const char *name, char *err, size_t errlen)
{
    EVP_PKEY *pk = NULL;
    size_t i;

    if (!name_valid(name)) {
        egov_pki_say_(err, errlen, "invalid key name");
        return NULL;
    }
    pthread_mutex_lock(&ks->lock);
    for (i = 0; i < KEY_CACHE && ks->keys[i].pk != NULL; i++)
        if (strcmp(ks->keys[i].name, name) == 0) {
            pk = ks->keys[i].pk;
            if (EVP_PKEY_up_ref(pk) != 1)
                pk = NULL;
            break;
        }
    pthread_mutex_unlock(&ks->lock);
    if (pk != NULL)
        return pk;
    pk = load_key(ks, name, err, errlen);
    if (pk == NULL)
        return NULL;
    pthread_mutex_lock(&ks->lock);
    for (i = 0; i < KEY_CACHE && ks->keys[i].pk != NULL; i++)
        if (strcmp(ks->keys[i].name, name) == 0)
            break; /* another thread was first */
    if (i < KEY_CACHE && ks->keys[i].pk == NULL && EVP_PKEY_up_ref(pk) == 1) {
        memcpy(ks->keys[i].name, name, strlen(name) + 1);
        ks->keys[i].pk = pk;
    }
    pthread_mutex_unlock(&ks->lock);
    return pk;
}

bool egov_keystore_has(struct egov_keystore *ks, const char *name)
{
    char path[600];
    struct stat st;

    if (!key_path(ks, name, path, sizeof(path)) || lstat(path, &st) != 0)
        return false;
    return S_ISREG(st.st_mode) && (st.st_mode & 0077) == 0 && st.st_uid == geteuid();
}

EVP_PKEY *egov_keystore_public_(struct egov_keystore *ks, const char *name, char *err,
                                size_t errlen)
{
    EVP_PKEY *priv = get_key(ks, name, err, errlen);
    EVP_PKEY *pub = NULL;
    unsigned char *der = NULL;
    const unsigned char *p;
    int n;

    if (priv == NULL)
        return NULL;
    n = i2d_PUBKEY(priv, &der);
    if (n > 0) {
        p = der;
        pub = d2i_PUBKEY(NULL, &p, n);
    }
    if (pub == NULL)
        egov_pki_err_(err, errlen, "cannot extract the public key");
    OPENSSL_free(der);
    EVP_PKEY_free(priv);
    return pub;
}

bool egov_keystore_sign_x509_(struct egov_keystore *ks, const char *name, X509 *x, char *err,
                              size_t errlen)
{
    EVP_PKEY *pk = get_key(ks, name, err, errlen);
    bool ok;

    if (pk == NULL)
        return false;
    ok = X509_sign(x, pk, EVP_sha256()) > 0;
    if (!ok)
        egov_pki_err_(err, errlen, "signing the certificate failed");
    EVP_PKEY_free(pk);
    return ok;
}

bool egov_keystore_sign_crl_(struct egov_keystore *ks, const char *name, X509_CRL *crl, char *err,
                             size_t errlen)
{
    EVP_PKEY *pk = get_key(ks, name, err, errlen);
    bool ok;

    if (pk == NULL)
        return false;
    ok = X509_CRL_sign(crl, pk, EVP_sha256()) > 0;
    if (!ok)
        egov_pki_err_(err, errlen, "signing the CRL failed");
    EVP_PKEY_free(pk);
    return ok;
}

bool egov_keystore_sign_ocsp_(struct egov_keystore *ks, const char *name, OCSP_BASICRESP *bs,
                              X509 *signer, char *err, size_t errlen)
{
    EVP_PKEY *pk = get_key(ks, name, err, errlen);
    bool ok;

    if (pk == NULL)
        return false;
    /* the responder is the CA itself; its certificate is included so that
       clients find the signer without being told (openssl ocsp does not) */
    ok = X509_check_private_key(signer, pk) == 1 &&
         OCSP_basic_sign(bs, signer, pk, EVP_sha256(), NULL, 0) == 1;
    if (!ok)
        egov_pki_err_(err, errlen, "signing the OCSP response failed");
    EVP_PKEY_free(pk);
    return ok;
}
