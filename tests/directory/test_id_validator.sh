#!/bin/bash
# egov's ID and business-ID check digits agree with the npm package
# taiwan-id-validator on thousands of generated numbers.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
command -v node >/dev/null || { echo "node missing"; exit 77; }
[ -d "$root/node_modules/taiwan-id-validator" ] || { echo "npm package taiwan-id-validator not installed (npm install)"; exit 77; }
: "${EGOV_BIN:?EGOV_BIN must point at the egov executable}"
# the script imports the package from node_modules of the checkout
node "$here/id_validator.mjs" "$EGOV_BIN"
