#!/usr/bin/env bash
# Routing benchmark: a 500-image 512x512 16-bit CT study sent with DCMTK storescu
#   (a) straight to storescp, (b) through the gateway with pass-through, (c) through the gateway with
#   qkd-hybrid (only when this build has the qkd-hybrid transform), all in one run on this machine.
# Prints images/s per path and the ratios against (a); the last line is
#   ratio_passthrough=<x> ratio_qkd_hybrid=<y> rss_mb=<z>      (rss_mb: the gateway's peak RSS in (b))
set -euo pipefail
cd "$(dirname "$0")/.."
COUNT=${COUNT:-500}
SIZE=${SIZE:-512}

[ -x scripts/setup.sh ] && scripts/setup.sh
python3 -c "import pydicom, numpy" 2>/dev/null || python3 -m pip install -q pydicom numpy
# SCRATCH=<dir> builds into another scratch path (e.g. to keep a debug .build untouched).
if [ -z "${QKDGATE_BIN:-}" ]; then
    swift build -c release --product qkdgate ${SCRATCH:+--scratch-path "$SCRATCH"} 2>&1 | tail -1
    QKDGATE="$(swift build -c release ${SCRATCH:+--scratch-path "$SCRATCH"} --show-bin-path)/qkdgate"
else
    QKDGATE=$QKDGATE_BIN   # an already built binary (e.g. to check this script against a debug build)
fi
export TCP_NODELAY=1

WORK=$(mktemp -d /tmp/qkdgate-bench.XXXXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
wait_port() { for _ in $(seq 300); do (echo > /dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0; sleep 0.1; done; echo "port $1 never opened" >&2; return 1; }
count_files() { find "$1" -type f | wc -l; }
now() { date +%s.%N; }

mkdir -p "$WORK/study" "$WORK/warm"
python3 Tests/GatewayTests/Scripts/make_synthetic.py "$WORK/study" "$COUNT" "$SIZE"
python3 Tests/GatewayTests/Scripts/make_synthetic.py "$WORK/warm" 10 "$SIZE"
FILES=("$WORK"/study/*.dcm)

# One measured send: storescu -> port $1, until $COUNT files are in $2. Prints images/s.
# A warm-up association of 10 other objects goes first (process start-up, page cache, first-connection costs).
WARM=("$WORK"/warm/*.dcm)
measure() {
    local port=$1 dir=$2 start end
    /usr/bin/storescu -aet MODALITY -aec "$3" 127.0.0.1 "$port" "${WARM[@]}" > /dev/null 2>&1
    for _ in $(seq 3000); do [ "$(count_files "$dir")" -ge 10 ] && break; sleep 0.01; done
    rm -f "$dir"/*
    start=$(now)
    /usr/bin/storescu -aet MODALITY -aec "$3" 127.0.0.1 "$port" "${FILES[@]}" > "$WORK/storescu-$3.log" 2>&1
    for _ in $(seq 6000); do [ "$(count_files "$dir")" -ge "$COUNT" ] && break; sleep 0.01; done
    end=$(now)
    [ "$(count_files "$dir")" -ge "$COUNT" ] || { echo "only $(count_files "$dir") of $COUNT arrived" >&2; exit 1; }
    python3 -c "print(f'{$COUNT/($end-$start):.1f}')"
}

start_storescp() { /usr/bin/storescp -aet PACS -od "$2" "$1" > "$2.log" 2>&1 & PIDS+=($!); wait_port "$1"; }

gateway_yaml() { cat <<YAML
aeTitle: QKDGATE
port: $1
spool: $WORK/spool-$3
logLevel: warning
destinations:
  - { name: pacs, aeTitle: PACS, host: 127.0.0.1, port: $2, associations: 2 }
routes:
  - { name: all, default: true, profile: $3, destinations: [pacs] }
YAML
}

# (a) direct
P=$(free_port); mkdir -p "$WORK/a"; start_storescp "$P" "$WORK/a"
A=$(measure "$P" "$WORK/a" PACS)
echo "(a) storescu -> storescp:                  $A images/s"

# (b) pass-through
P=$(free_port); G=$(free_port); mkdir -p "$WORK/b"; start_storescp "$P" "$WORK/b"
gateway_yaml "$G" "$P" pass-through > "$WORK/b.yaml"
"$QKDGATE" serve --config "$WORK/b.yaml" > "$WORK/gateway-b.log" 2>&1 & GPID=$!; PIDS+=($GPID); wait_port "$G"
B=$(measure "$P" "$WORK/b" QKDGATE)
RSS_KB=$(awk '/VmHWM/ {print $2}' /proc/$GPID/status)
echo "(b) storescu -> gateway (pass-through) -> storescp: $B images/s"

# (c) qkd-hybrid, only where this build encrypts with it
C=na
if "$QKDGATE" serve --list-transforms | grep -qx qkd-hybrid; then
    P=$(free_port); G=$(free_port); mkdir -p "$WORK/c"; start_storescp "$P" "$WORK/c"
    gateway_yaml "$G" "$P" qkd-hybrid > "$WORK/c.yaml"
    "$QKDGATE" serve --config "$WORK/c.yaml" > "$WORK/gateway-c.log" 2>&1 & PIDS+=($!); wait_port "$G"
    C=$(measure "$P" "$WORK/c" QKDGATE)
    echo "(c) storescu -> gateway (qkd-hybrid) -> storescp:   $C images/s"
else
    echo "(c) qkd-hybrid: not measured (no qkd-hybrid transform in this build)"
fi

RATIO_B=$(python3 -c "print(f'{$B/$A:.3f}')")
RATIO_C=$([ "$C" = na ] && echo na || python3 -c "print(f'{$C/$A:.3f}')")
RSS_MB=$(python3 -c "print(f'{$RSS_KB/1024:.0f}')")
echo "ratio (b)/(a) = $RATIO_B (target >= 0.80)"
echo "ratio_passthrough=$RATIO_B ratio_qkd_hybrid=$RATIO_C rss_mb=$RSS_MB"
