#!/usr/bin/env bash
# KME benchmark: simulated secure key rate of the default link, and ETSI enc_keys requests per second over
# mutual TLS from one client (keep-alive, concurrent), against status requests as the same-run baseline.
# Usage: scripts/kme-bench.sh [requests] [concurrency]      (builds the release qkdgate once)
set -euo pipefail
cd "$(dirname "$0")/.."
requests="${1:-10000}"
concurrency="${2:-16}"
swift build -c release --product qkdgate > /tmp/qkdgate-release-build.log 2>&1 || { tail -30 /tmp/qkdgate-release-build.log; exit 1; }
"$(swift build -c release --show-bin-path)/qkdgate" kme bench --requests "$requests" --concurrency "$concurrency"
