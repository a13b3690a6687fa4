#!/usr/bin/env bash
# Downloads the crystal benchmark datasets used by anneal's crystal tests and generators:
# perov_5 and carbon_24 (and mp_20) as published with CDVAE (Xie et al. 2022, MIT licence),
# into DIR/crystal/<name>/{train,val,test}.csv. Tests look in $ANNEAL_SHARED_DATA (default
# ../shared/data beside the repository).
#   data/fetch_crystal_data.sh [DIR]        (default: ../shared/data)
set -euo pipefail
cd "$(dirname "$0")/.."
dest="${1:-../shared/data}/crystal"
base="https://raw.githubusercontent.com/txie-93/cdvae/main/data"
for set in perov_5 carbon_24 mp_20; do
  mkdir -p "$dest/$set"
  for split in train val test; do
    out="$dest/$set/$split.csv"
    [ -s "$out" ] && { echo "have $out"; continue; }
    echo "fetching $set/$split.csv"
    # Download beside the final name, then rename: an interrupted fetch leaves no partial CSV.
    curl -fL --retry 3 -o "$out.tmp" "$base/$set/$split.csv"
    mv "$out.tmp" "$out"
  done
done
echo "crystal data in $dest"
