#!/usr/bin/env bash
# The project's test command: installs what is missing, builds, runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
# Progress lines are noise in CI logs; warnings and errors stay.
swift build --build-tests 2>&1 | { grep -vE '^\[[0-9]+/[0-9]+\] ' || true; }
# Serial: several suites start real servers (KME, gateway, Orthanc) whose answers must not queue behind
# CPU-heavy property tests on a 2-core machine.
swift test --skip-build --no-parallel 2>&1
# The main job end to end (qkdgate demo: KME, gateway, Orthanc, decryptor, viewer) over the repo's samples and
# the shared third-party set; it exits non-zero if any image object is not restored bit for bit.
demo=.build/debug/qkdgate
"$demo" demo --samples dicom-samples
if [ -d ../shared/dicom-samples ]; then "$demo" demo --samples ../shared/dicom-samples; fi
