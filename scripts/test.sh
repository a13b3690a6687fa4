#!/usr/bin/env bash
# One command from a fresh Debian 12 machine to anneal's test results: set up, build (warnings are
# errors), run every test but those labelled `slow`.
#   scripts/test.sh [extra ctest options, e.g. -L unit]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --preset ci
# OpenMPI refuses to start as root unless told so; CI and containers run as root.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
exec ctest --preset ci "$@"
