#!/usr/bin/env bash
# Rebuilds data/poisson/dcdm_box32.h5, the DCDM network anneal ships (about an hour on 2 cores):
# the paper's architecture (16 channels, ~97 k parameters) trained on right-hand sides built from
# 1000 Ritz vectors of the all-Neumann 32³ box Laplacian (10 000 vectors, Kaneda et al.'s recipe with
# a smaller Lanczos run and set than their 10 000 / 20 000 at 64³, which do not fit this machine).
#   data/poisson/train_dcdm_box32.sh [ANNEAL_BINARY] [WORK_DIR]
set -euo pipefail
anneal=${1:-build/release/bin/anneal}
work=${2:-$(mktemp -d)}
"$anneal" poisson problem --cells 32 --walls neumann -o "$work/box32.h5"
"$anneal" poisson dataset --system "$work/box32.h5" -o "$work/ritz32.h5" --lanczos-steps 1000 --vectors 10000 --seed 0
"$anneal" poisson train --system "$work/box32.h5" --data "$work/ritz32.h5" -o "$work/dcdm_box32.h5" \
  --epochs 3 --learning-rate 1e-3 --schedule cosine --check-rtol 1e-4 --seed 0 --shuffle-seed 0
echo "trained: $work/dcdm_box32.h5 (copy it to data/poisson/ to replace the shipped one)"
