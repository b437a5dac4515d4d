#!/usr/bin/env bash
# The project's test command: installs what is missing, builds, runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
# Progress lines are noise in CI logs; warnings and errors stay.
swift build --build-tests 2>&1 | { grep -vE '^\[[0-9]+/[0-9]+\] ' || true; }
swift test --skip-build 2>&1
