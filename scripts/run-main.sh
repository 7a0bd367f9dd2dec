#!/usr/bin/env bash
# Sets everything up and runs the main job on its embedded default: train LeNet-300-100 on
# Fashion-MNIST (Debian's dataset-fashion-mnist) for 3 epochs with `kdlts train`, printing the
# per-epoch table. Extra arguments go to `kdlts train` (e.g. --epochs 20, --model conv4).
# Until the ticket search lands, training is the main job.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh >&2
node packages/cli/dist/bin.js train --model lenet300 --dataset fashion-mnist --epochs 3 "$@"
