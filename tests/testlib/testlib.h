/*
 * testlib.h -- helpers shared by the cmocka test programs.
 */
#ifndef EGOV_TESTLIB_H
#define EGOV_TESTLIB_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "store/store.h"

/* ================================================================== */
/* Database (testlib_db.c)                                             */
/* ================================================================== */

/**
 * Opens a fresh, empty database for one test, chosen by EGOV_TEST_DB:
 * "sqlite" (the default) gives a new file under $EGOV_TEST_TMP; "pg" gives
 * a newly created PostgreSQL database on the server at EGOV_TEST_PG_URL
 * (the program exits 77, "skipped", if that is unset).  Databases are
 * dropped / files removed when the program exits (set EGOV_TEST_KEEP_DB=1
 * to keep them).  No migrations are applied.  Returns NULL, after printing
 * why, if the database cannot be made; the caller closes it with
 * egov_db_close().
 */
struct egov_db *egov_test_db_open(void);

/**
 * The URL of the database most recently opened by egov_test_db_open(), to
 * hand to a child process (e.g. `egov serve --db URL`); NULL before the
 * first call.  Static storage, valid until the next egov_test_db_open().
 */
const char *egov_test_db_url(void);

/** True if the test database backend is PostgreSQL (EGOV_TEST_DB=pg). */
bool egov_test_db_is_pg(void);

/* ================================================================== */
/* End of database helpers                                             */
/* ================================================================== */

#endif /* EGOV_TESTLIB_H */
