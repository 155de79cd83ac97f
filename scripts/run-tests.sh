#!/usr/bin/env bash
# run-tests.sh BUILD_DIR -- runs every test of BUILD_DIR with CTest, on
# SQLite and on a throwaway PostgreSQL cluster started here and stopped
# afterwards (even when tests fail).  Ends with CTest's summary.
set -uo pipefail
build=${1:?usage: run-tests.sh BUILD_DIR}
here=$(cd "$(dirname "$0")" && pwd)
pgdir="$(cd "$build" && pwd)/pg"

cleanup() { "$here/pg-cluster.sh" stop "$pgdir" >/dev/null 2>&1 || true; }
trap cleanup EXIT INT TERM

if ! "$here/pg-cluster.sh" start "$pgdir"; then
  echo "egov: could not start the PostgreSQL test cluster" >&2
  exit 1
fi
EGOV_TEST_PG_URL=$("$here/pg-cluster.sh" url "$pgdir")
export EGOV_TEST_PG_URL
echo "egov: PostgreSQL test cluster at $EGOV_TEST_PG_URL"

ctest --test-dir "$build" --output-on-failure -j"${EGOV_TEST_JOBS:-2}" --timeout 600
