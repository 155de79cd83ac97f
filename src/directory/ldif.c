/*
 * ldif.c -- the agency tree as LDIF (RFC 2849), ready for slapadd or
 * ldapadd: one entry per agency under its DN, plus the entries its DN
 * needs above it that are not agencies themselves (c=TW, l=<county>, ...),
 * parents always before children.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "directory/directory_int.h"

/* Longest LDIF line before folding (RFC 2849 recommends 76). */
#define LDIF_LINE 76
/* Most RDNs in one DN. */
#define MAX_RDNS 32

static const struct egov_db_stmt st_all = {
    "dir_ldif_all",
    "SELECT id, COALESCE(parent_id, ''), name, COALESCE(oid, ''), COALESCE(code, ''), phone,"
    " address, dn FROM dir_agency WHERE active = 1",
    NULL};

struct node {
    char *dn;          /* owned */
    unsigned int rdns; /* number of RDNs */
    size_t row;        /* row of the agency, or SIZE_MAX for an intermediate entry */
};

/* Appends "attr: value" or "attr:: base64" folded at LDIF_LINE. */
static void put_attr(struct egov_buf *out, const char *attr, const char *value)
{
    size_t n = strlen(value);
    bool safe =
        n == 0 || (value[0] != ' ' && value[0] != ':' && value[0] != '<' && value[n - 1] != ' ');
    for (size_t i = 0; safe && i < n; i++) {
        unsigned char ch = (unsigned char)value[i];
        if (ch >= 0x80 || ch == '\0' || ch == '\n' || ch == '\r')
            safe = false;
    }
    struct egov_buf line;
    egov_buf_init(&line);
    egov_buf_puts(&line, attr);
    if (safe) {
        egov_buf_puts(&line, ": ");
        egov_buf_append(&line, value, n);
    } else {
        size_t blen = 4 * ((n + 2) / 3) + 1;
        unsigned char *b64 = egov_malloc(blen);
        if (b64 == NULL) {
            out->oom = true;
            egov_buf_free(&line);
            return;
        }
        int m = EVP_EncodeBlock(b64, (const unsigned char *)value, (int)n);
        egov_buf_puts(&line, ":: ");
        egov_buf_append(&line, b64, m > 0 ? (size_t)m : 0);
        egov_free(b64);
    }
    if (line.oom) {
        out->oom = true;
        egov_buf_free(&line);
        return;
    }
    /* fold: the first line holds LDIF_LINE bytes, continuations a space and LDIF_LINE - 1 */
    size_t pos = 0;
    bool first = true;
    while (pos < line.len) {
        size_t room = first ? LDIF_LINE : LDIF_LINE - 1;
        size_t take = line.len - pos < room ? line.len - pos : room;
        if (!first)
            egov_buf_putc(out, ' ');
        egov_buf_append(out, line.data + pos, take);
        egov_buf_putc(out, '\n');
        pos += take;
        first = false;
    }
    egov_buf_free(&line);
}

/*
 * Splits @p dn at unescaped commas; stores the start offset of each RDN.
 * Returns the number of RDNs (0 if malformed: an empty RDN, no '=' or too many).
 */
static unsigned int split_dn(const char *dn, size_t starts[MAX_RDNS])
{
    unsigned int n = 0;
    size_t i = 0, len = strlen(dn);
    if (len == 0)
        return 0;
    starts[n++] = 0;
    for (i = 0; i < len; i++) {
        if (dn[i] == '\\' && i + 1 < len) {
            i++;
            continue;
        }
        if (dn[i] == ',') {
            if (n == MAX_RDNS)
                return 0;
            starts[n++] = i + 1;
        }
    }
    for (unsigned int k = 0; k < n; k++) {
        size_t end = k + 1 < n ? starts[k + 1] - 1 : len;
        const char *eq = memchr(dn + starts[k], '=', end - starts[k]);
        if (eq == NULL || eq == dn + starts[k] || (size_t)(eq - dn) + 1 >= end)
            return 0;
    }
    return n;
}

static int cmp_node(const void *x, const void *y)
{
    const struct node *a = x, *b = y;
    if (a->rdns != b->rdns)
        return a->rdns < b->rdns ? -1 : 1;
    return strcmp(a->dn, b->dn);
}

struct ldif_cls {
    struct egov_db_rows *rows;
};

static enum egov_db_qs all_body(struct egov_db_conn *c, void *cls)
{
    struct ldif_cls *lc = cls;
    egov_db_rows_free(lc->rows);
    lc->rows = NULL;
    return egov_db_query(c, &st_all, NULL, &lc->rows);
}

/* Rows sorted by agency id, to find a parent without scanning. */
static pthread_mutex_t sort_lock = PTHREAD_MUTEX_INITIALIZER;
static const struct egov_db_rows *sort_rows; /* guarded by sort_lock */

static int cmp_row_id(const void *x, const void *y)
{
    return strcmp(egov_db_rows_text(sort_rows, *(const size_t *)x, 0),
                  egov_db_rows_text(sort_rows, *(const size_t *)y, 0));
}

struct row_index {
    const struct egov_db_rows *rows;
    size_t *by_id; /* row numbers sorted by id */
    size_t n;
};

/* The row of agency @p id, or SIZE_MAX. */
static size_t row_of(const struct row_index *ix, const char *id)
{
    size_t lo = 0, hi = ix->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(egov_db_rows_text(ix->rows, ix->by_id[mid], 0), id);
        if (c == 0)
            return ix->by_id[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return SIZE_MAX;
}

/* True if the agency at @p row is @p root_id or lies below it. */
static bool row_within(const struct row_index *ix, size_t row, const char *root_id)
{
    for (unsigned int guard = 0; guard < 64 && row != SIZE_MAX; guard++) {
        if (strcmp(egov_db_rows_text(ix->rows, row, 0), root_id) == 0)
            return true;
        const char *parent = egov_db_rows_text(ix->rows, row, 1);
        if (parent[0] == '\0')
            return false;
        row = row_of(ix, parent);
    }
    return false;
}

/* Writes one entry for @p node. */
static void put_entry(struct egov_buf *out, const struct node *nd, const struct egov_db_rows *r)
{
    size_t starts[MAX_RDNS];
    split_dn(nd->dn, starts);
    size_t rdn_end = nd->rdns > 1 ? starts[1] - 1 : strlen(nd->dn);
    const char *eq = memchr(nd->dn, '=', rdn_end); /* split_dn() made sure there is one */
    char type[16], value[512];
    size_t tlen = (size_t)(eq - nd->dn), vlen = rdn_end - tlen - 1;
    if (tlen >= sizeof(type))
        tlen = sizeof(type) - 1;
    memcpy(type, nd->dn, tlen);
    type[tlen] = '\0';
    if (vlen >= sizeof(value))
        vlen = sizeof(value) - 1;
    memcpy(value, eq + 1, vlen);
    value[vlen] = '\0';
    for (char *p = type; *p != '\0'; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');

    put_attr(out, "dn", nd->dn);
    put_attr(out, "objectClass", "top");
    if (strcmp(type, "c") == 0)
        put_attr(out, "objectClass", "country");
    else if (strcmp(type, "l") == 0)
        put_attr(out, "objectClass", "locality");
    else if (strcmp(type, "o") == 0)
        put_attr(out, "objectClass", "organization");
    else
        put_attr(out, "objectClass", "organizationalUnit");
    put_attr(out, type, value);
    if (nd->row != SIZE_MAX) {
        const char *name = egov_db_rows_text(r, nd->row, 2);
        const char *oid = egov_db_rows_text(r, nd->row, 3);
        const char *code = egov_db_rows_text(r, nd->row, 4);
        const char *phone = egov_db_rows_text(r, nd->row, 5);
        const char *address = egov_db_rows_text(r, nd->row, 6);
        if (strcmp(name, value) != 0)
            put_attr(out, "description", name);
        if (oid[0] != '\0') {
            struct egov_buf d;
            egov_buf_init(&d);
            egov_buf_printf(&d, "OID %s", oid);
            put_attr(out, "description", d.oom ? oid : d.data);
            egov_buf_free(&d);
        }
        if (code[0] != '\0')
            put_attr(out, "businessCategory", code);
        if (phone[0] != '\0')
            put_attr(out, "telephoneNumber", phone);
        if (address[0] != '\0')
            put_attr(out, "postalAddress", address);
    }
    egov_buf_putc(out, '\n');
}

/* Finds @p dn among nodes[0..n) (linear probing over a small hash). */
struct dn_set {
    size_t *slots;
    size_t nslots;
};

static size_t dn_hash(const char *s)
{
    size_t h = 1469598103934665603ULL;
    for (; *s != '\0'; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

/* The index + 1 of @p dn among the nodes, or 0. */
static size_t dn_set_find(const struct dn_set *set, const struct node *nodes, const char *dn)
{
    size_t i = dn_hash(dn) & (set->nslots - 1);
    while (set->slots[i] != 0) {
        if (strcmp(nodes[set->slots[i] - 1].dn, dn) == 0)
            return set->slots[i];
        i = (i + 1) & (set->nslots - 1);
    }
    return 0;
}

static void dn_set_add(struct dn_set *set, const struct node *nodes, size_t index)
{
    size_t i = dn_hash(nodes[index].dn) & (set->nslots - 1);
    while (set->slots[i] != 0)
        i = (i + 1) & (set->nslots - 1);
    set->slots[i] = index + 1;
}

enum egov_ec egov_directory_export_ldif(struct egov_db *db, const char *root_id,
                                        struct egov_buf *out)
{
    struct ldif_cls lc = {NULL};
    struct node *nodes = NULL;
    struct dn_set set = {NULL, 0};
    struct row_index ix = {NULL, NULL, 0};
    size_t count = 0;
    enum egov_ec ec = EGOV_EC_NONE;

    if (root_id != NULL && root_id[0] == '\0')
        root_id = NULL;
    if (root_id != NULL && !egov_uuid_valid(root_id))
        return EGOV_EC_DIRECTORY_AGENCY_NOT_FOUND;
    enum egov_db_qs qs = dir_txn(db, false, all_body, &lc);
    if (qs < 0) {
        ec = egov_db_qs_ec(qs);
        goto done;
    }
    size_t n = egov_db_rows_count(lc.rows);
    if (root_id != NULL) {
        ix.rows = lc.rows;
        ix.n = n;
        ix.by_id = egov_calloc(n + 1, sizeof(*ix.by_id));
        if (ix.by_id == NULL) {
            ec = EGOV_EC_GENERIC_OOM;
            goto done;
        }
        for (size_t i = 0; i < n; i++)
            ix.by_id[i] = i;
        pthread_mutex_lock(&sort_lock); /* qsort has no context argument */
        sort_rows = lc.rows;
        qsort(ix.by_id, n, sizeof(*ix.by_id), cmp_row_id);
        pthread_mutex_unlock(&sort_lock);
        if (row_of(&ix, root_id) == SIZE_MAX) {
            ec = EGOV_EC_DIRECTORY_AGENCY_NOT_FOUND;
            goto done;
        }
    }
    /* every agency, plus at most MAX_RDNS ancestors each */
    size_t cap = n * 4 + 16;
    nodes = egov_calloc(cap, sizeof(*nodes));
    set.nslots = 1;
    while (set.nslots < cap * 2)
        set.nslots *= 2;
    set.slots = egov_calloc(set.nslots, sizeof(*set.slots));
    if (nodes == NULL || set.slots == NULL) {
        ec = EGOV_EC_GENERIC_OOM;
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        if (root_id != NULL && !row_within(&ix, i, root_id))
            continue;
        const char *dn = egov_db_rows_text(lc.rows, i, 7);
        size_t starts[MAX_RDNS];
        unsigned int rdns = split_dn(dn, starts);
        if (rdns == 0)
            continue; /* no usable DN */
        size_t known = dn_set_find(&set, nodes, dn);
        if (known != 0) {
            /* made earlier as an ancestor of another agency: it is this one */
            if (nodes[known - 1].row == SIZE_MAX)
                nodes[known - 1].row = i;
            continue;
        }
        /* the entry itself, then each missing ancestor */
        for (unsigned int k = 0; k < rdns; k++) {
            const char *sub = dn + starts[k];
            if (k > 0 && dn_set_find(&set, nodes, sub) != 0)
                break;
            if (count == cap) {
                size_t ncap = cap * 2;
                struct node *nn = egov_realloc(nodes, ncap * sizeof(*nn));
                if (nn == NULL) {
                    ec = EGOV_EC_GENERIC_OOM;
                    goto done;
                }
                nodes = nn;
                cap = ncap;
                size_t nslots = set.nslots * 2;
                size_t *slots = egov_calloc(nslots, sizeof(*slots));
                if (slots == NULL) {
                    ec = EGOV_EC_GENERIC_OOM;
                    goto done;
                }
                egov_free(set.slots);
                set.slots = slots;
                set.nslots = nslots;
                for (size_t j = 0; j < count; j++)
                    dn_set_add(&set, nodes, j);
            }
            nodes[count].dn = egov_strdup(sub);
            if (nodes[count].dn == NULL) {
                ec = EGOV_EC_GENERIC_OOM;
                goto done;
            }
            nodes[count].rdns = rdns - k;
            nodes[count].row = k == 0 ? i : SIZE_MAX;
            dn_set_add(&set, nodes, count);
            count++;
        }
    }
    qsort(nodes, count, sizeof(*nodes), cmp_node);
    egov_buf_puts(out, "version: 1\n"); /* OpenLDAP wants the first dn right after it */
    for (size_t i = 0; i < count; i++)
        put_entry(out, &nodes[i], lc.rows);
    if (out->oom)
        ec = EGOV_EC_GENERIC_OOM;
done:
    for (size_t i = 0; i < count; i++)
        egov_free(nodes[i].dn);
    egov_free(nodes);
    egov_free(set.slots);
    egov_free(ix.by_id);
    egov_db_rows_free(lc.rows);
    return ec;
}
