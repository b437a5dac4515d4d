#!/usr/bin/env bash
# The main job on embedded defaults, all on 127.0.0.1: installs what is missing, builds qkdgate (release) and runs
# `qkdgate demo`: PKI, simulated QKD link (both KME sites), gateway, remote PACS (Orthanc, or DCMTK storescp),
# decryptor and a viewer; the sample studies go through the whole chain and every object is checked.
# Exits non-zero if any image object was not restored bit-exact.
#   scripts/demo.sh [SAMPLES_DIR] [more qkdgate demo options, e.g. --json demo.json]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
echo "demo: building qkdgate (release)…"
swift build -c release --product qkdgate 2>&1 | { grep -E "error|Compiling qkdgate|Build of product" || true; }
bin="$(swift build -c release --show-bin-path)/qkdgate"
samples="${1:-dicom-samples}"
shift || true
[ -d "$samples" ] || "$bin" samples --out "$samples"
exec "$bin" demo --samples "$samples" "$@"
