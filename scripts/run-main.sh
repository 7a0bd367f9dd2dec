#!/usr/bin/env bash
# Sets everything up and runs the main job on its embedded default: the time-to-ticket benchmark's
# CPU profile (LeNet-300-100 on Fashion-MNIST, Debian's dataset-fashion-mnist, at 95% sparsity,
# with a scaled-down budget named in the output): a ticket found by IMP and one found by KD-LTS,
# both trained, then the table of time-to-ticket, epoch-equivalents and accuracy, and the ratio
# IMP / KD-LTS. About 3-5 minutes on 2 cores after set-up. Extra arguments go to the benchmark
# (e.g. --methods snip,synflow, --seeds 0,1, --threshold 5, --profile medium).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh >&2
node benchmarks/dist/ticket-bench.js --profile cpu "$@"
