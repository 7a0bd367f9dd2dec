#!/usr/bin/env bash
# Sets everything up, runs every workspace's tests (jest, and ctest for the native core), and
# prints one closing line "N passed, N failed[, N skipped]" summed over all of them.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
find . -path ./node_modules -prune -o -type d -name .test-results -print0 | xargs -0 rm -rf
status=0
npm test || status=$?
node scripts/summarize-tests.mjs || status=1
exit "$status"
