#!/usr/bin/env bash
# The main job on embedded defaults: installs what is missing, builds, and runs qkdgate over the sample studies.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build -c release --product qkdgate 2>&1 | tail -n 3
bin="$(swift build -c release --show-bin-path)/qkdgate"
"$bin" info dicom-samples/*.dcm ../shared/dicom-samples/* 2>/dev/null || "$bin" info dicom-samples/*.dcm
