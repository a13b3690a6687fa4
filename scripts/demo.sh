#!/usr/bin/env bash
# One command from a fresh Debian 12 machine to anneal's demo: set up, build, run.
#   scripts/demo.sh [anneal demo options, e.g. -o DIR --size 96]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --preset release
exec build/release/bin/anneal demo "$@"
