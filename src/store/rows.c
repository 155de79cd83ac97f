/*
 * rows.c -- result sets: a row-major table of byte strings, filled by the
 * backends and read through the egov_db_rows_* accessors.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"

struct egov_db_rows *egov_db_rows_new(size_t ncols)
{
    struct egov_db_rows *r = egov_calloc(1, sizeof(*r));

    if (r == NULL)
        goto fail;
    r->ncols = ncols;
    if (ncols > 0) {
        r->names = egov_calloc(ncols, sizeof(*r->names));
        if (r->names == NULL)
            goto fail;
    }
    return r;
fail:
    egov_free(r);
    return NULL;
}

bool egov_db_rows_set_name(struct egov_db_rows *r, size_t col, const char *name)
{
    if (col >= r->ncols)
        return false;
    egov_free(r->names[col]);
    r->names[col] = egov_strdup(name != NULL ? name : "");
    return r->names[col] != NULL;
}

bool egov_db_rows_add(struct egov_db_rows *r)
{
    size_t ncap;
    struct egov_db_cell *cells;

    if (r->nrows == r->cap) {
        ncap = r->cap == 0 ? 16 : r->cap * 2;
        if (r->ncols > 0 && ncap > SIZE_MAX / sizeof(*cells) / r->ncols)
            return false;
        cells = egov_realloc(r->cells, ncap * r->ncols * sizeof(*cells) + 1);
        if (cells == NULL)
            return false;
        r->cells = cells;
        r->cap = ncap;
    }
    if (r->ncols > 0)
        memset(&r->cells[r->nrows * r->ncols], 0, r->ncols * sizeof(*r->cells));
    r->nrows++;
    return true;
}

bool egov_db_rows_set(struct egov_db_rows *r, size_t col, const void *data, size_t len)
{
    struct egov_db_cell *cell;

    if (r->nrows == 0 || col >= r->ncols)
        return false;
    cell = &r->cells[(r->nrows - 1) * r->ncols + col];
    egov_free(cell->data);
    cell->data = NULL;
    cell->len = 0;
    if (data == NULL)
        return true;
    if (len == SIZE_MAX)
        return false;
    cell->data = egov_malloc(len + 1);
    if (cell->data == NULL)
        return false;
    if (len > 0)
        memcpy(cell->data, data, len);
    cell->data[len] = '\0';
    cell->len = len;
    return true;
}

static const struct egov_db_cell *cell_at(const struct egov_db_rows *r, size_t row, size_t col)
{
    if (r == NULL || row >= r->nrows || col >= r->ncols)
        return NULL;
    return &r->cells[row * r->ncols + col];
}

size_t egov_db_rows_count(const struct egov_db_rows *r)
{
    return r != NULL ? r->nrows : 0;
}

size_t egov_db_rows_columns(const struct egov_db_rows *r)
{
    return r != NULL ? r->ncols : 0;
}

const char *egov_db_rows_name(const struct egov_db_rows *r, size_t col)
{
    if (r == NULL || col >= r->ncols)
        return NULL;
    return r->names[col];
}

bool egov_db_rows_is_null(const struct egov_db_rows *r, size_t row, size_t col)
{
    const struct egov_db_cell *cell = cell_at(r, row, col);

    return cell == NULL || cell->data == NULL;
}

const char *egov_db_rows_text(const struct egov_db_rows *r, size_t row, size_t col)
{
    const struct egov_db_cell *cell = cell_at(r, row, col);

    return cell != NULL ? cell->data : NULL;
}

int64_t egov_db_rows_int64(const struct egov_db_rows *r, size_t row, size_t col)
{
    const struct egov_db_cell *cell = cell_at(r, row, col);
    char *end = NULL;
    long long v;

    if (cell == NULL || cell->data == NULL || cell->len == 0)
        return 0;
    errno = 0;
    v = strtoll(cell->data, &end, 10);
    if (errno != 0 || end == cell->data || *end != '\0')
        return 0;
    return (int64_t)v;
}

const void *egov_db_rows_blob(const struct egov_db_rows *r, size_t row, size_t col, size_t *len)
{
    const struct egov_db_cell *cell = cell_at(r, row, col);

    if (len != NULL)
        *len = cell != NULL ? cell->len : 0;
    return cell != NULL ? cell->data : NULL;
}

void egov_db_rows_free(struct egov_db_rows *r)
{
    size_t i;

    if (r == NULL)
        return;
    for (i = 0; i < r->nrows * r->ncols; i++)
        egov_free(r->cells[i].data);
    for (i = 0; i < r->ncols; i++)
        egov_free(r->names[i]);
    egov_free(r->names);
    egov_free(r->cells);
    egov_free(r);
}
