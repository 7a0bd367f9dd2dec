#!/usr/bin/env bash
# Sets everything up and runs the main job on its embedded default. Until the ticket search
# lands, that is the native kernel benchmark (quick profile); extra arguments go to it.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh >&2
npm run --silent bench:kernels -- "${@:---quick}"
