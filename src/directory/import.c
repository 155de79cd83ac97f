/*
 * import.c -- import of the government OID list (GDS.csv) and its rename
 * list (change.csv) into agencies and OID arcs.
 *
 * The whole file is read and parsed first (RFC 4180: quoted fields may
 * hold commas, quotes and line breaks), rows are sorted by OID depth so
 * that parents come before children, and then written in batches, one
 * transaction per batch.  Agencies are matched by OID, so importing the
 * same file twice changes nothing the second time.  Every new row's id is
 * chosen before its transaction runs, so a retried transaction writes the
 * same rows again.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "directory/directory_int.h"

/* Largest file accepted (the real list is 1.5 MB). */
#define IMPORT_MAX_BYTES (64u * 1024u * 1024u)
/* Rows per transaction. */
#define IMPORT_BATCH 500u
/* Most rows accepted. */
#define IMPORT_MAX_ROWS 200000u

/* One parsed CSV record: fields point into the record's own buffer. */
struct csv_record {
    char *fields[8];
    size_t nfields;
};

/* An agency known to the import: from the file, the database, or both. */
struct imp_agency {
    char *oid;
    char *name, *phone, *address, *dn; /* from the file (NULL when not in it) */
    char *db_name, *db_phone, *db_address, *db_dn, *db_parent; /* from the database */
    char id[37];
    char parent_id[37];
    unsigned int depth;
    size_t order; /* position in the file, for a stable sort */
    bool in_file;
    bool in_db;
};

struct importer {
    struct imp_agency *items;
    size_t count, cap;
    size_t *slots; /* open addressing: index + 1, 0 = empty */
    size_t nslots;
    struct egov_directory_import_stats *stats;
    char *err;
    size_t errlen;
};

/* ------------------------------------------------------------------ */
/* Files and CSV                                                       */
/* ------------------------------------------------------------------ */

static char *read_file(const char *path, size_t *len, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    if (f == NULL) {
        snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
        return NULL;
    }
    if (fseek(f, 0, SEEK_END) != 0)
        goto fail_io;
    long size = ftell(f);
    if (size < 0 || fseek(f, 0, SEEK_SET) != 0)
        goto fail_io;
    if ((unsigned long)size > IMPORT_MAX_BYTES) {
        snprintf(err, errlen, "%s is larger than %u bytes", path, IMPORT_MAX_BYTES);
        goto fail;
    }
    buf = egov_malloc((size_t)size + 1);
    if (buf == NULL) {
        snprintf(err, errlen, "out of memory reading %s", path);
        goto fail;
    }
    if (fread(buf, 1, (size_t)size, f) != (size_t)size)
        goto fail_io;
    buf[size] = '\0';
    *len = (size_t)size;
    fclose(f);
    if (!egov_utf8_valid(buf, *len, NULL)) {
        snprintf(err, errlen, "%s is not valid UTF-8", path);
        egov_free(buf);
        return NULL;
    }
    return buf;
fail_io:
    snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
fail:
    egov_free(buf);
    fclose(f);
    return NULL;
}

/*
 * Parses the next record from text[*pos..len) in place (quotes are
 * removed, fields are NUL-terminated inside the buffer).  Returns false at
 * the end of the text or on a malformed record (an unterminated quote),
 * which sets *bad.
 */
static bool csv_next(char *text, size_t len, size_t *pos, struct csv_record *rec, bool *bad)
{
    size_t i = *pos;
    *bad = false;
    rec->nfields = 0;
    if (i >= len)
        return false;
    while (true) {
        char *out = text + i; /* the field is rewritten in place, never longer */
        char *field = out;
        if (i < len && text[i] == '"') {
            i++;
            while (true) {
                if (i >= len) {
                    *bad = true;
                    return false;
                }
                if (text[i] == '"') {
                    if (i + 1 < len && text[i + 1] == '"') {
                        *out++ = '"';
                        i += 2;
                        continue;
                    }
                    i++;
                    break;
                }
                *out++ = text[i++];
            }
            /* anything between the closing quote and the separator is kept */
            while (i < len && text[i] != ',' && text[i] != '\n' && text[i] != '\r')
                *out++ = text[i++];
        } else {
            while (i < len && text[i] != ',' && text[i] != '\n' && text[i] != '\r')
                *out++ = text[i++];
        }
        char sep = i < len ? text[i] : '\n';
        *out = '\0';
        if (rec->nfields < sizeof(rec->fields) / sizeof(rec->fields[0]))
            rec->fields[rec->nfields++] = field;
        if (sep == ',') {
            i++;
            continue;
        }
        /* end of record: \n, \r\n or end of text (text[i] may now be the NUL) */
        if (i < len && sep == '\r') {
            i++;
            if (i < len && text[i] == '\n')
                i++;
        } else if (i < len) {
            i++;
        }
        break;
    }
    *pos = i;
    return true;
}

/* Trims spaces and turns control characters (line breaks inside fields) into spaces. */
static char *clean(char *s)
{
    for (char *p = s; *p != '\0'; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = ' ';
    while (*s == ' ')
        s++;
    size_t n = strlen(s);
    while (n > 0 && s[n - 1] == ' ')
        s[--n] = '\0';
    /* collapse runs of spaces left by line breaks */
    char *w = s;
    for (char *r = s; *r != '\0'; r++)
        if (!(*r == ' ' && w > s && w[-1] == ' '))
            *w++ = *r;
    *w = '\0';
    return s;
}

/* ------------------------------------------------------------------ */
/* The agency table of the import                                      */
/* ------------------------------------------------------------------ */

static size_t hash_str(const char *s)
{
    size_t h = 1469598103934665603ULL;
    for (; *s != '\0'; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static struct imp_agency *imp_find(struct importer *im, const char *oid)
{
    if (im->nslots == 0)
        return NULL;
    size_t i = hash_str(oid) & (im->nslots - 1);
    while (im->slots[i] != 0) {
        struct imp_agency *a = &im->items[im->slots[i] - 1];
        if (strcmp(a->oid, oid) == 0)
            return a;
        i = (i + 1) & (im->nslots - 1);
    }
    return NULL;
}

static bool imp_rehash(struct importer *im, size_t nslots)
{
    size_t *slots = egov_calloc(nslots, sizeof(*slots));
    if (slots == NULL)
        return false;
    for (size_t k = 0; k < im->count; k++) {
        size_t i = hash_str(im->items[k].oid) & (nslots - 1);
        while (slots[i] != 0)
            i = (i + 1) & (nslots - 1);
        slots[i] = k + 1;
    }
    egov_free(im->slots);
    im->slots = slots;
    im->nslots = nslots;
    return true;
}

/* Adds an agency for @p oid (copied); NULL on OOM. */
static struct imp_agency *imp_add(struct importer *im, const char *oid)
{
    if (im->count == im->cap) {
        size_t cap = im->cap == 0 ? 1024 : im->cap * 2;
        struct imp_agency *items = egov_realloc(im->items, cap * sizeof(*items));
        if (items == NULL)
            return NULL;
        im->items = items;
        im->cap = cap;
    }
    if ((im->count + 1) * 2 > im->nslots &&
        !imp_rehash(im, im->nslots == 0 ? 2048 : im->nslots * 2))
        return NULL;
    struct imp_agency *a = &im->items[im->count];
    memset(a, 0, sizeof(*a));
    a->oid = egov_strdup(oid);
    if (a->oid == NULL)
        return NULL;
    a->depth = egov_oid_depth(oid);
    a->order = im->count;
    size_t i = hash_str(oid) & (im->nslots - 1);
    while (im->slots[i] != 0)
        i = (i + 1) & (im->nslots - 1);
    im->slots[i] = ++im->count;
    return a;
}

static void imp_free(struct importer *im)
{
    for (size_t k = 0; k < im->count; k++) {
        struct imp_agency *a = &im->items[k];
        egov_free(a->oid);
        egov_free(a->db_name);
        egov_free(a->db_phone);
        egov_free(a->db_address);
        egov_free(a->db_dn);
        egov_free(a->db_parent);
    }
    egov_free(im->items);
    egov_free(im->slots);
}

static const struct egov_db_stmt st_load = {
    "dir_import_load",
    "SELECT id, oid, name, phone, address, dn, COALESCE(parent_id, '') FROM dir_agency"
    " WHERE oid IS NOT NULL",
    NULL};
static const struct egov_db_stmt st_insert = {
    "dir_import_insert",
    "INSERT INTO dir_agency (id, code, oid, parent_id, name, search_key, address, phone, dn,"
    " active, created_at, updated_at) VALUES ($1, NULL, $2, $3, $4, $5, $6, $7, $8, 1, $9, $9)",
    NULL};
static const struct egov_db_stmt st_update = {
    "dir_import_update",
    "UPDATE dir_agency SET parent_id = $2, name = $3, search_key = $4, address = $5,"
    " phone = $6, dn = $7, updated_at = $8 WHERE id = $1",
    NULL};
static const struct egov_db_stmt st_history = {
    "dir_import_history",
    "INSERT INTO dir_agency_history (id, agency_id, name, search_key, oid, valid_until, source,"
    " created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
    " ON CONFLICT (agency_id, name, oid) DO NOTHING",
    NULL};

static const struct egov_db_stmt st_history_has = {
    "dir_import_history_has",
    "SELECT 1 FROM dir_agency_history WHERE agency_id = $1 AND name = $2 AND oid = $3", NULL};

struct load_cls {
    struct importer *im;
    bool oom;
};

static enum egov_db_qs load_body(struct egov_db_conn *c, void *cls)
{
    struct load_cls *lc = cls;
    struct egov_db_rows *r = NULL;
    enum egov_db_qs qs = egov_db_query(c, &st_load, NULL, &r);
    if (qs < 0)
        return qs;
    for (size_t i = 0; i < egov_db_rows_count(r); i++) {
        const char *oid = egov_db_rows_text(r, i, 1);
        if (!egov_oid_valid(oid) || imp_find(lc->im, oid) != NULL)
            continue;
        struct imp_agency *a = imp_add(lc->im, oid);
        if (a == NULL) {
            lc->oom = true;
            break;
        }
        egov_utf8_copy(a->id, sizeof(a->id), egov_db_rows_text(r, i, 0));
        a->db_name = egov_strdup(egov_db_rows_text(r, i, 2));
        a->db_phone = egov_strdup(egov_db_rows_text(r, i, 3));
        a->db_address = egov_strdup(egov_db_rows_text(r, i, 4));
        a->db_dn = egov_strdup(egov_db_rows_text(r, i, 5));
        a->db_parent = egov_strdup(egov_db_rows_text(r, i, 6));
        a->in_db = true;
        if (a->db_name == NULL || a->db_phone == NULL || a->db_address == NULL ||
            a->db_dn == NULL || a->db_parent == NULL) {
            lc->oom = true;
            break;
        }
    }
    egov_db_rows_free(r);
    return lc->oom ? EGOV_DB_HARD_ERROR : EGOV_DB_ONE_ROW;
}

/* Finds the nearest ancestor of @p oid known to the import; its id into @p parent_id. */
static void find_parent(struct importer *im, const char *oid, char parent_id[37])
{
    char cur[EGOV_OID_TEXT_MAX + 1], up[EGOV_OID_TEXT_MAX + 1];
    parent_id[0] = '\0';
    egov_utf8_copy(cur, sizeof(cur), oid);
    while (egov_oid_parent(cur, up, sizeof(up))) {
        struct imp_agency *p = imp_find(im, up);
        if (p != NULL) {
            egov_utf8_copy(parent_id, 37, p->id);
            return;
        }
        egov_utf8_copy(cur, sizeof(cur), up);
    }
}

static int cmp_depth(const void *x, const void *y)
{
    const struct imp_agency *const *a = x, *const *b = y;
    if ((*a)->depth != (*b)->depth)
        return (*a)->depth < (*b)->depth ? -1 : 1;
    return (*a)->order < (*b)->order ? -1 : (*a)->order > (*b)->order;
}

static bool same(const char *a, const char *b)
{
    return strcmp(a != NULL ? a : "", b != NULL ? b : "") == 0;
}

struct batch_cls {
    struct importer *im;
    struct imp_agency **rows;
    size_t n;
    const char *today;
    unsigned long created, updated, unchanged;
};

static enum egov_db_qs batch_body(struct egov_db_conn *c, void *cls)
{
    struct batch_cls *b = cls;
    b->created = b->updated = b->unchanged = 0;
    int64_t now = egov_now_us();
    for (size_t k = 0; k < b->n; k++) {
        struct imp_agency *a = b->rows[k];
        char key[DIR_KEY_MAX];
        enum egov_db_qs qs;
        bool changed = !a->in_db || !same(a->name, a->db_name) || !same(a->phone, a->db_phone) ||
                       !same(a->address, a->db_address) || !same(a->dn, a->db_dn) ||
                       !same(a->parent_id, a->db_parent);
        if (changed) /* folding costs; an unchanged row needs no key */
            egov_oid_search_key(a->name, key, sizeof(key));
        if (!a->in_db) {
            struct egov_db_param p[] = {
                EGOV_DB_PARAM_TEXT(a->id),
                EGOV_DB_PARAM_TEXT(a->oid),
                EGOV_DB_PARAM_TEXT(a->parent_id[0] != '\0' ? a->parent_id : NULL),
                EGOV_DB_PARAM_TEXT(a->name),
                EGOV_DB_PARAM_TEXT(key),
                EGOV_DB_PARAM_TEXT(a->address),
                EGOV_DB_PARAM_TEXT(a->phone),
                EGOV_DB_PARAM_TEXT(a->dn),
                EGOV_DB_PARAM_INT64(now),
                EGOV_DB_PARAM_END,
            };
            qs = egov_db_exec(c, &st_insert, p);
            if (qs < 0)
                return qs;
            b->created++;
        } else if (changed) {
            if (!same(a->name, a->db_name)) {
                char hid[37], okey[DIR_KEY_MAX];
                egov_uuid7(hid);
                egov_oid_search_key(a->db_name, okey, sizeof(okey));
                struct egov_db_param hp[] = {
                    EGOV_DB_PARAM_TEXT(hid),
                    EGOV_DB_PARAM_TEXT(a->id),
                    EGOV_DB_PARAM_TEXT(a->db_name),
                    EGOV_DB_PARAM_TEXT(okey),
                    EGOV_DB_PARAM_TEXT(a->oid),
                    EGOV_DB_PARAM_TEXT(b->today),
                    EGOV_DB_PARAM_TEXT("import"),
                    EGOV_DB_PARAM_INT64(now),
                    EGOV_DB_PARAM_END,
                };
                qs = egov_db_exec(c, &st_history, hp);
                if (qs < 0)
                    return qs;
            }
            struct egov_db_param p[] = {
                EGOV_DB_PARAM_TEXT(a->id),
                EGOV_DB_PARAM_TEXT(a->parent_id[0] != '\0' ? a->parent_id : NULL),
                EGOV_DB_PARAM_TEXT(a->name),
                EGOV_DB_PARAM_TEXT(key),
                EGOV_DB_PARAM_TEXT(a->address),
                EGOV_DB_PARAM_TEXT(a->phone),
                EGOV_DB_PARAM_TEXT(a->dn),
                EGOV_DB_PARAM_INT64(now),
                EGOV_DB_PARAM_END,
            };
            qs = egov_db_exec(c, &st_update, p);
            if (qs < 0)
                return qs;
            b->updated++;
        } else {
            b->unchanged++;
        }
        struct egov_oid_entry e;
        memset(&e, 0, sizeof(e));
        egov_utf8_copy(e.oid, sizeof(e.oid), a->oid);
        egov_utf8_copy(e.name, sizeof(e.name), a->name);
        egov_utf8_copy(e.agency_id, sizeof(e.agency_id), a->id);
        egov_utf8_copy(e.created_by, sizeof(e.created_by), "import");
        qs = egov_oid_upsert(c, &e, changed ? key : NULL);
        if (qs < 0)
            return qs;
    }
    return EGOV_DB_ONE_ROW;
}

/* Marks a committed batch as the database's state. */
static bool batch_commit(struct batch_cls *b)
{
    for (size_t k = 0; k < b->n; k++) {
        struct imp_agency *a = b->rows[k];
        char *fresh[5] = {egov_strdup(a->name), egov_strdup(a->phone), egov_strdup(a->address),
                          egov_strdup(a->dn), egov_strdup(a->parent_id)};
        if (fresh[0] == NULL || fresh[1] == NULL || fresh[2] == NULL || fresh[3] == NULL ||
            fresh[4] == NULL) {
            for (size_t i = 0; i < 5; i++)
                egov_free(fresh[i]);
            return false;
        }
        egov_free(a->db_name);
        egov_free(a->db_phone);
        egov_free(a->db_address);
        egov_free(a->db_dn);
        egov_free(a->db_parent);
        a->db_name = fresh[0];
        a->db_phone = fresh[1];
        a->db_address = fresh[2];
        a->db_dn = fresh[3];
        a->db_parent = fresh[4];
        a->in_db = true;
    }
    return true;
}

/* ------------------------------------------------------------------ */
/* The rename list                                                     */
/* ------------------------------------------------------------------ */

/* "2016/1/15" -> "2016-01-15"; "" if malformed. */
static void slash_date(const char *s, char out[11])
{
    int y, m, d;
    char tail;
    out[0] = '\0';
    if (sscanf(s, "%4d/%2d/%2d%c", &y, &m, &d, &tail) == 3 && y >= 1900 && y <= 2200 && m >= 1 &&
        m <= 12 && d >= 1 && d <= 31) {
        char tmp[48];
        snprintf(tmp, sizeof(tmp), "%04d-%02d-%02d", y, m, d);
        egov_utf8_copy(out, 11, tmp);
    }
}

struct change {
    const char *agency_id;
    const char *name;
    const char *oid;
    char date[11];
};

struct changes_cls {
    struct change *list;
    size_t n;
    unsigned long added;
};

static enum egov_db_qs changes_body(struct egov_db_conn *c, void *cls)
{
    struct changes_cls *cc = cls;
    int64_t now = egov_now_us();
    cc->added = 0;
    for (size_t k = 0; k < cc->n; k++) {
        struct change *ch = &cc->list[k];
        char hid[37], key[DIR_KEY_MAX];
        struct egov_db_param hp[] = {EGOV_DB_PARAM_TEXT(ch->agency_id),
                                     EGOV_DB_PARAM_TEXT(ch->name), EGOV_DB_PARAM_TEXT(ch->oid),
                                     EGOV_DB_PARAM_END};
        struct egov_db_rows *r = NULL;
        enum egov_db_qs have = egov_db_query(c, &st_history_has, hp, &r);
        egov_db_rows_free(r);
        if (have < 0)
            return have;
        if (have > 0)
            continue; /* recorded by an earlier import; folding its name costs */
        egov_uuid7(hid);
        egov_oid_search_key(ch->name, key, sizeof(key));
        struct egov_db_param p[] = {
            EGOV_DB_PARAM_TEXT(hid),
            EGOV_DB_PARAM_TEXT(ch->agency_id),
            EGOV_DB_PARAM_TEXT(ch->name),
            EGOV_DB_PARAM_TEXT(key),
            EGOV_DB_PARAM_TEXT(ch->oid),
            EGOV_DB_PARAM_TEXT(ch->date),
            EGOV_DB_PARAM_TEXT("changes"),
            EGOV_DB_PARAM_INT64(now),
            EGOV_DB_PARAM_END,
        };
        enum egov_db_qs qs = egov_db_exec(c, &st_history, p);
        if (qs < 0)
            return qs;
        cc->added += (unsigned long)qs;
    }
    return EGOV_DB_ONE_ROW;
}

/*
 * Applies change.csv.  Its rows are not all in the same direction (some
 * list the current name first), so the current side is the one whose OID
 * is in the list with that name; the other side becomes history.
 */
static enum egov_ec import_changes(struct egov_db *db, struct importer *im, const char *path)
{
    size_t len = 0, pos = 0;
    char *text = read_file(path, &len, im->err, im->errlen);
    if (text == NULL)
        return EGOV_EC_DIRECTORY_IMPORT_FAILED;
    enum egov_ec ec = EGOV_EC_NONE;
    struct change *list = NULL;
    size_t n = 0, cap = 0;
    struct csv_record rec;
    bool bad = false, header = true;
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
        pos = 3;
    while (csv_next(text, len, &pos, &rec, &bad)) {
        if (header) {
            header = false;
            if (rec.nfields < 5 || strcmp(clean(rec.fields[0]), "old_name") != 0) {
                snprintf(im->err, im->errlen,
                         "%s: expected the header old_name,new_name,old_oid,new_oid,change_date",
                         path);
                ec = EGOV_EC_DIRECTORY_IMPORT_FAILED;
                goto done;
            }
            continue;
        }
        if (rec.nfields < 5) {
            im->stats->skipped++;
            continue;
        }
        const char *old_name = clean(rec.fields[0]), *new_name = clean(rec.fields[1]);
        const char *old_oid = clean(rec.fields[2]), *new_oid = clean(rec.fields[3]);
        struct imp_agency *o = egov_oid_valid(old_oid) ? imp_find(im, old_oid) : NULL;
        struct imp_agency *w = egov_oid_valid(new_oid) ? imp_find(im, new_oid) : NULL;
        struct imp_agency *cur = NULL;
        const char *hist_name = NULL, *hist_oid = NULL;
        if (w != NULL && w->in_db && same(w->db_name, new_name)) {
            cur = w, hist_name = old_name, hist_oid = old_oid;
        } else if (o != NULL && o->in_db && same(o->db_name, old_name)) {
            cur = o, hist_name = new_name, hist_oid = new_oid;
        } else if (w != NULL && w->in_db) {
            cur = w, hist_name = old_name, hist_oid = old_oid;
        }
        if (cur == NULL || !dir_text_ok(hist_name, 200, false) ||
            (same(hist_name, cur->db_name) && same(hist_oid, cur->oid))) {
            im->stats->skipped++;
            continue;
        }
        if (n == cap) {
            size_t ncap = cap == 0 ? 64 : cap * 2;
            struct change *nl = egov_realloc(list, ncap * sizeof(*nl));
            if (nl == NULL) {
                ec = EGOV_EC_GENERIC_OOM;
                goto done;
            }
            list = nl;
            cap = ncap;
        }
        list[n].agency_id = cur->id;
        list[n].name = hist_name;
        list[n].oid = egov_oid_valid(hist_oid) ? hist_oid : "";
        slash_date(clean(rec.fields[4]), list[n].date);
        n++;
    }
    if (bad) {
        snprintf(im->err, im->errlen, "%s: a quoted field is not closed", path);
        ec = EGOV_EC_DIRECTORY_IMPORT_FAILED;
        goto done;
    }
    struct changes_cls cc = {list, n, 0};
    enum egov_db_qs qs = dir_txn(db, true, changes_body, &cc);
    if (qs < 0) {
        ec = egov_db_qs_ec(qs);
        snprintf(im->err, im->errlen, "the database refused the rename list");
        goto done;
    }
    im->stats->renamed += cc.added;
done:
    egov_free(list);
    egov_free(text);
    return ec;
}

/* ------------------------------------------------------------------ */
/* The import                                                          */
/* ------------------------------------------------------------------ */

enum egov_ec egov_directory_import_oid_list(struct egov_db *db, const char *gds_path,
                                            const char *changes_path,
                                            egov_directory_import_progress progress, void *cls,
                                            struct egov_directory_import_stats *stats, char *err,
                                            size_t errlen)
{
    struct importer im = {.stats = stats, .err = err, .errlen = errlen};
    struct imp_agency **order = NULL;
    enum egov_ec ec = EGOV_EC_NONE;
    size_t len = 0, pos = 0;
    char today[32];

    memset(stats, 0, sizeof(*stats));
    err[0] = '\0';
    egov_time_rfc3339(egov_now_us(), today);
    today[10] = '\0';
    char *text = read_file(gds_path, &len, err, errlen);
    if (text == NULL)
        return EGOV_EC_DIRECTORY_IMPORT_FAILED;

    struct load_cls lc = {&im, false};
    enum egov_db_qs qs = dir_txn(db, false, load_body, &lc);
    if (qs < 0) {
        ec = lc.oom ? EGOV_EC_GENERIC_OOM : egov_db_qs_ec(qs);
        snprintf(err, errlen, "cannot read the agencies already in the database");
        goto done;
    }

    /* parse */
    struct csv_record rec;
    bool bad = false, header = true;
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
        pos = 3;
    size_t file_rows = 0;
    while (csv_next(text, len, &pos, &rec, &bad)) {
        if (header) {
            header = false;
            if (rec.nfields < 5 || strcmp(clean(rec.fields[1]), "OID") != 0) {
                snprintf(err, errlen, "%s: expected the header 機關名稱,OID,電話,地址,DN",
                         gds_path);
                ec = EGOV_EC_DIRECTORY_IMPORT_FAILED;
                goto done;
            }
            continue;
        }
        if (rec.nfields == 1 && rec.fields[0][0] == '\0')
            continue; /* an empty line */
        stats->rows++;
        if (stats->rows > IMPORT_MAX_ROWS) {
            snprintf(err, errlen, "%s has more than %u rows", gds_path, IMPORT_MAX_ROWS);
            ec = EGOV_EC_DIRECTORY_IMPORT_FAILED;
            goto done;
        }
        char *name = rec.nfields >= 5 ? clean(rec.fields[0]) : NULL;
        char *oid = rec.nfields >= 5 ? clean(rec.fields[1]) : NULL;
        if (name == NULL || !egov_oid_valid(oid) || egov_oid_depth(oid) < 4 ||
            !egov_oid_is_under(oid, EGOV_OID_TW_ROOT) || !dir_text_ok(name, 200, false)) {
            egov_warn("import: row %lu skipped (bad OID or name)", stats->rows);
            stats->skipped++;
            continue;
        }
        struct imp_agency *a = imp_find(&im, oid);
        if (a != NULL && a->in_file) {
            egov_warn("import: row %lu skipped (OID %s listed twice)", stats->rows, oid);
            stats->skipped++;
            continue;
        }
        if (a == NULL) {
            a = imp_add(&im, oid);
            if (a == NULL) {
                ec = EGOV_EC_GENERIC_OOM;
                goto done;
            }
            egov_uuid7(a->id);
        }
        a->in_file = true;
        a->order = file_rows++;
        a->name = name;
        a->phone = clean(rec.fields[2]);
        a->address = clean(rec.fields[3]);
        a->dn = clean(rec.fields[4]);
        if (!dir_text_ok(a->phone, 60, true))
            a->phone[0] = '\0';
        if (!dir_text_ok(a->address, 250, true))
            a->address[0] = '\0';
        if (!dir_text_ok(a->dn, 500, true))
            a->dn[0] = '\0';
    }
    if (bad) {
        snprintf(err, errlen, "%s: a quoted field is not closed", gds_path);
        ec = EGOV_EC_DIRECTORY_IMPORT_FAILED;
        goto done;
    }

    /* parents first */
    order = egov_calloc(file_rows + 1, sizeof(*order));
    if (order == NULL) {
        ec = EGOV_EC_GENERIC_OOM;
        goto done;
    }
    size_t n = 0;
    for (size_t k = 0; k < im.count; k++)
        if (im.items[k].in_file)
            order[n++] = &im.items[k];
    qsort(order, n, sizeof(*order), cmp_depth);
    for (size_t k = 0; k < n; k++)
        find_parent(&im, order[k]->oid, order[k]->parent_id);

    /* write in batches */
    for (size_t start = 0; start < n; start += IMPORT_BATCH) {
        struct batch_cls b = {
            &im, order + start, n - start < IMPORT_BATCH ? n - start : IMPORT_BATCH, today, 0, 0,
            0};
        qs = dir_txn(db, true, batch_body, &b);
        if (qs < 0) {
            ec = egov_db_qs_ec(qs);
            snprintf(err, errlen, "the database refused rows %zu to %zu", start + 1, start + b.n);
            goto done;
        }
        if (!batch_commit(&b)) {
            ec = EGOV_EC_GENERIC_OOM;
            goto done;
        }
        stats->created += b.created;
        stats->updated += b.updated;
        stats->unchanged += b.unchanged;
        if (progress != NULL)
            progress(start + b.n, n, cls);
    }

    if (changes_path != NULL)
        ec = import_changes(db, &im, changes_path);
done:
    if (ec != EGOV_EC_NONE && err[0] == '\0')
        snprintf(err, errlen, "%s", egov_ec_hint(ec));
    egov_free(order);
    imp_free(&im);
    egov_free(text);
    return ec;
}
