#!/usr/bin/env bash
# Routing benchmark, all in one run on this machine (release build):
#   a 500-image 512x512 16-bit CT study sent with DCMTK storescu
#     (a) straight to storescp (the baseline),
#     (b) through the gateway with pass-through,
#     (c) through the gateway with qkd-hybrid (keys from the embedded KME, ETSI GS QKD 014 over mTLS),
#     (e) the encrypted study of (c) from the PACS into the decryptor (keys from KME site B) and on to a viewer
#   storescp: the decryptor's images/s next to the gateway's (c) (target: within ±25 %),
#   then (d) a 1 GB study (BIG_COUNT images of 512 KB) through a fresh qkd-hybrid gateway, whose peak RSS
#   (VmHWM) is reported.
# Prints images/s per path, the CPU and page faults per object of the node under test, the gateway's mean time to
# make each object durable before its Success (`admit`, from its qkdgate_admit_seconds metric), and the ratios
# against (a); the last line is
#   ratio_passthrough=<b/a> ratio_qkd_hybrid=<c/a> rss_mb=<gateway VmHWM during (d)>
# Targets: b/a >= 0.80, c/a >= 0.50, rss_mb < 300.
# (a), (b), (c) and (e) run ROUNDS times in turn (a, b, c, e, a, b, c, e, ...) against receivers started once; every figure
# printed after the rounds is the median over the rounds, and each ratio the median of the rounds' own ratios
# (each pairs paths measured minutes apart), so that one slow or fast moment of a shared machine does not decide a
# ratio (on the 2-core VM this was written on, (a) alone ranged 153-618 images/s in one evening).
# Environment: ROUNDS (3), COUNT (500), SIZE (512), BIG_COUNT (2000; 0 skips (d)), QKDGATE_BIN (use this binary instead of
# building), SCRATCH (build into another scratch path), SPOOL_DIR (where the gateways' spools go; default the
# work folder on disk; SPOOL_DIR=/dev/shm shows how much of the cost is the spool's fsyncs), DECRYPTOR_WORKERS
# (the decryptor's `workers`; default 0, one per core).
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-3}
COUNT=${COUNT:-500}
SIZE=${SIZE:-512}
BIG_COUNT=${BIG_COUNT:-2000}

[ -x scripts/setup.sh ] && scripts/setup.sh
python3 -c "import pydicom, numpy" 2>/dev/null || python3 -m pip install -q pydicom numpy
if [ -z "${QKDGATE_BIN:-}" ]; then
    swift build -c release --product qkdgate ${SCRATCH:+--scratch-path "$SCRATCH"} 2>&1 | tail -1
    QKDGATE="$(swift build -c release ${SCRATCH:+--scratch-path "$SCRATCH"} --show-bin-path)/qkdgate"
else
    QKDGATE=$QKDGATE_BIN   # an already built binary (e.g. to check this script against a debug build)
fi
# Debian's DCMTK leaves Nagle on; without this loopback C-STORE crawls (docs: shared/notes/dcmtk.md).
export TCP_NODELAY=1

WORK=$(mktemp -d /tmp/qkdgate-bench.XXXXXX)
SPOOLS=$(mktemp -d "${SPOOL_DIR:-$WORK}/qkdgate-spools.XXXXXX")
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK" "$SPOOLS"; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
wait_port() { for _ in $(seq 300); do (echo > /dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0; sleep 0.1; done; echo "port $1 never opened" >&2; return 1; }
count_files() { find "$1" -maxdepth 1 -type f | wc -l; }
now() { date +%s.%N; }

mkdir -p "$WORK/study" "$WORK/warm"
python3 Tests/GatewayTests/Scripts/make_synthetic.py "$WORK/study" "$COUNT" "$SIZE"
python3 Tests/GatewayTests/Scripts/make_synthetic.py "$WORK/warm" 10 "$SIZE"
FILES=("$WORK"/study/*.dcm)
WARM=("$WORK"/warm/*.dcm)

# CPU seconds (user + system) and minor page faults of process $1 so far (/proc/PID/stat fields 14, 15, 10).
usage() { awk -v tick="$(getconf CLK_TCK)" '{ printf "%.2f %d\n", ($14 + $15) / tick, $10 }' "/proc/$1/stat"; }

# "<node> VmHWM <MB> MB; <cpu> CPU ms and <faults> page faults per object" for node $1 (a name), process $2,
# and the CPU and fault figures $3 and $4 from `measure`.
node_figures() { echo "$1 VmHWM $(vmhwm_mb "$2") MB; $3 CPU ms and $4 page faults per object"; }

# Peak resident memory (VmHWM) of process $1 so far, in whole MB.
vmhwm_mb() { awk '/VmHWM/ { printf "%.0f\n", $2 / 1024 }' "/proc/$1/status"; }

# Mean milliseconds the gateway with admin port $1 spent making each received object durable before its Success
# (qkdgate_admit_seconds: fsync of the spool file, queue commit), warm-up objects included.
admit_ms() {
    python3 -c '
import sys, urllib.request
text = urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/metrics", timeout=5).read().decode()
values = dict(line.rsplit(" ", 1) for line in text.splitlines() if line.startswith("qkdgate_admit_seconds_"))
total, count = float(values["qkdgate_admit_seconds_sum"]), float(values["qkdgate_admit_seconds_count"])
print(f"{1000 * total / count:.2f}")' "$1"
}

# One measured send: storescu -> port $1 (called AE $3) of the files named by array $4, until they are all in
# $2 (the destination storescp's folder). Prints images/s; with a process id $5 (the node under test), also its
# CPU milliseconds and minor page faults per object during the send. A warm-up association of 10 other objects
# goes first (process start-up, page cache, first-connection and first-key costs).
# CPU per object is the steadier figure on a shared VM: it does not move with how long the disk takes to flush.
measure() {
    local port=$1 dir=$2 called=$3 pid=${5:-}
    local -n files=$4
    local count=${#files[@]} start end deadline before after
    /usr/bin/storescu -aet MODALITY -aec "$called" 127.0.0.1 "$port" "${WARM[@]}" > /dev/null 2>&1
    deadline=$(( $(date +%s) + 120 ))
    until [ "$(count_files "$dir")" -ge 10 ] || [ "$(date +%s)" -ge "$deadline" ]; do sleep 0.02; done
    rm -f "$dir"/*
    [ -n "$pid" ] && before=$(usage "$pid")
    start=$(now)
    /usr/bin/storescu -aet MODALITY -aec "$called" 127.0.0.1 "$port" "${files[@]}" > "$WORK/storescu-$called-$port.log" 2>&1
    deadline=$(( $(date +%s) + 1200 ))
    until [ "$(count_files "$dir")" -ge "$count" ] || [ "$(date +%s)" -ge "$deadline" ]; do sleep 0.02; done
    end=$(now)
    [ "$(count_files "$dir")" -ge "$count" ] || { echo "only $(count_files "$dir") of $count arrived" >&2; exit 1; }
    if [ -n "$pid" ]; then
        after=$(usage "$pid")
        python3 -c "b, a = '$before'.split(), '$after'.split(); print(f'{$count/($end-$start):.1f} {1000*(float(a[0])-float(b[0]))/$count:.2f} {(int(a[1])-int(b[1]))/$count:.0f}')"
    else
        python3 -c "print(f'{$count/($end-$start):.1f}')"
    fi
}

# --fork: a PACS takes several associations at once (the gateway opens two per destination); a single-process
# storescp would make the second one wait until the first is released.
start_storescp() { /usr/bin/storescp --fork -aet PACS -od "$2" "$1" > "$2.log" 2>&1 & PIDS+=($!); wait_port "$1"; }

# The embedded KME (both link ends in one process); the gateway is SAE `gateway` at site A. A deployed KME keeps
# a pool and runs on another machine. Here the simulated QKD link (BB84, Cascade, Toeplitz hashing, every key
# committed to the pool's SQLite files) would compete with the measured paths for CPU and for the disk's flushes
# (it cut (b) by a third in a trial), so the link first fills the pool with every pad the runs need, then the
# KME restarts with its link off and serves those keys from the pool.
"$QKDGATE" kme init-pki --out "$WORK/pki" --port-a 0 --port-b 0 > "$WORK/pki.log" 2>&1

# Starts the KME with configuration $1; sets KME_PID, KME_A, KME_B.
start_kme() {
    : > "$WORK/kme.log"
    "$QKDGATE" kme --config "$1" > "$WORK/kme.log" 2>&1 & KME_PID=$!; PIDS+=($KME_PID)
    for _ in $(seq 1200); do grep -qs "KME ready" "$WORK/kme.log" && break; sleep 0.1; done
    KME_A=$(grep -m1 "KME ready" "$WORK/kme.log" | grep -o 'https://[^ ]*' | head -1)
    KME_B=$(grep -m1 "KME ready" "$WORK/kme.log" | grep -o 'https://[^ ]*' | sed -n 2p)
    [ -n "$KME_A" ] || { echo "the KME did not start:" >&2; tail -20 "$WORK/kme.log" >&2; exit 1; }
}

# Keys in the KME pool (256-bit units) for the gateway's SAE, via ETSI `status`.
kme_units() {
    curl -s --max-time 5 --cacert "$WORK/pki/ca.crt" --cert "$WORK/pki/gateway.crt" --key "$WORK/pki/gateway.key" \
        "$KME_A/api/v1/keys/decryptor/status" | python3 -c 'import json,sys; print(json.load(sys.stdin)["stored_key_count"])' 2>/dev/null || echo 0
}
# Waits (at most 300 s) until the pool holds the 2048-bit pads of $1 objects; the link fills it at ~0.67 Mbit/s.
wait_for_keys() {
    local needed=$(( $1 * 8 )) deadline=$(( $(date +%s) + 300 ))
    [ "$needed" -gt 100000 ] && needed=100000
    until [ "$(kme_units)" -ge "$needed" ] || [ "$(date +%s)" -ge "$deadline" ]; do sleep 0.5; done
    echo "KME pool: $(kme_units) units of 256 bits (wanted $needed)"
}

start_kme "$WORK/pki/kme.yaml"
# Pads for every round of (c) and for (d), each with its 10 warm-up objects; (e) reads the same keys at site B.
wait_for_keys $(( ROUNDS * (COUNT + 10) + (BIG_COUNT > 0 ? BIG_COUNT + 10 : 0) ))
kill "$KME_PID"; wait "$KME_PID" 2>/dev/null || true
sed 's/^link:$/link:\n  enabled: false/' "$WORK/pki/kme.yaml" > "$WORK/pki/kme-pool-only.yaml"
start_kme "$WORK/pki/kme-pool-only.yaml"

# The `kme` section for SAE $1 (peer $2) at the KME URL $3.
kme_yaml() { cat <<YAML
kme:
  url: $3
  saeId: $1
  peerSaeId: $2
  certificate: $WORK/pki/$1.crt
  privateKey: $WORK/pki/$1.key
  caCertificate: $WORK/pki/ca.crt
YAML
}

gateway_yaml() { cat <<YAML
aeTitle: QKDGATE
port: $1
spool: $SPOOLS/spool-$3-$1
logLevel: warning
admin: { host: 127.0.0.1, port: $4 }
destinations:
  - { name: pacs, aeTitle: PACS, host: 127.0.0.1, port: $2, associations: 2 }
routes:
  - { name: all, default: true, profile: $3, destinations: [pacs] }
$(kme_yaml gateway decryptor "$KME_A")
YAML
}

# Starts a gateway with profile $1 in front of a fresh storescp; sets GPORT, GADMIN (its admin port), GPID, GDIR.
start_gateway() {
    local pacs_port
    pacs_port=$(free_port); GPORT=$(free_port); GADMIN=$(free_port); GDIR="$WORK/pacs-$1-$GPORT"
    mkdir -p "$GDIR"; start_storescp "$pacs_port" "$GDIR"
    gateway_yaml "$GPORT" "$pacs_port" "$1" "$GADMIN" > "$WORK/gateway-$GPORT.yaml"
    "$QKDGATE" serve --config "$WORK/gateway-$GPORT.yaml" > "$WORK/gateway-$GPORT.log" 2>&1 & GPID=$!; PIDS+=($GPID)
    wait_port "$GPORT"
}

echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); study: $COUNT images ${SIZE}x${SIZE} 16-bit ($(du -sm "$WORK/study" | cut -f1) MB); spools in $SPOOLS"

# The median of the numbers given as arguments (two decimals).
median() { python3 -c 'import statistics, sys; print(f"{statistics.median(map(float, sys.argv[1:])):.2f}")' "$@"; }
# $2 / $1 with three decimals.
ratio() { python3 -c "print(f'{$2 / $1:.3f}')"; }
# node_figures for node $1 (process $2) with the medians of the per-round CPU and page-fault figures in the arrays
# named by $3 and $4.
median_figures() {
    local -n cpu=$3 faults=$4
    node_figures "$1" "$2" "$(median "${cpu[@]}")" "$(median "${faults[@]}" | cut -d. -f1)"
}
# The median of the per-round ratios $2[i]/$1[i] (arrays named by $1 and $2): each ratio pairs two paths measured
# minutes apart, so a drift of the machine between rounds cancels out of it.
median_ratio() {
    local -n over=$1 under=$2
    python3 -c 'import statistics, sys; n = len(sys.argv) // 2; a, b = sys.argv[1:n + 1], sys.argv[n + 1:]
print(f"{statistics.median(float(y) / float(x) for x, y in zip(a, b)):.3f}")' "${over[@]}" "${under[@]}"
}

# The receivers, started once: (a) a storescp; (b) and (c) a gateway each, in front of a storescp of its own;
# (e) the decryptor in front of a viewer storescp.
P=$(free_port); mkdir -p "$WORK/a"; start_storescp "$P" "$WORK/a"
start_gateway pass-through; B_PORT=$GPORT B_DIR=$GDIR B_PID=$GPID B_ADMIN=$GADMIN
start_gateway qkd-hybrid; C_PORT=$GPORT C_DIR=$GDIR C_PID=$GPID C_ADMIN=$GADMIN
# (e) the decryptor: the PACS's encrypted copies of each round's (c) → decryptor (restore, keys by key_ID from
# site B) → viewer.
DPORT=$(free_port); VPORT=$(free_port); VDIR="$WORK/viewer-$DPORT"
mkdir -p "$VDIR"; start_storescp "$VPORT" "$VDIR"
cat > "$WORK/decryptor-$DPORT.yaml" <<YAML
aeTitle: QKDDECRYPT
port: $DPORT
workers: ${DECRYPTOR_WORKERS:-0}
spool: $SPOOLS/decryptor-$DPORT
logLevel: warning
$(kme_yaml decryptor gateway "$KME_B")
destinations:
  - { name: viewer, aeTitle: PACS, host: 127.0.0.1, port: $VPORT, associations: 2 }
YAML
"$QKDGATE" decryptor --config "$WORK/decryptor-$DPORT.yaml" > "$WORK/decryptor-$DPORT.log" 2>&1 & DPID=$!; PIDS+=($DPID)
wait_port "$DPORT"

A_ALL=() B_ALL=() C_ALL=() E_ALL=() B_CPU_ALL=() C_CPU_ALL=() E_CPU_ALL=() B_FAULTS_ALL=() C_FAULTS_ALL=() E_FAULTS_ALL=()
for ROUND in $(seq "$ROUNDS"); do
    A=$(measure "$P" "$WORK/a" PACS FILES)   # (a failed measure stops the script here)
    RESULT=$(measure "$B_PORT" "$B_DIR" QKDGATE FILES "$B_PID"); read -r B B_CPU B_FAULTS <<< "$RESULT"
    RESULT=$(measure "$C_PORT" "$C_DIR" QKDGATE FILES "$C_PID"); read -r C C_CPU C_FAULTS <<< "$RESULT"
    ENCRYPTED=("$C_DIR"/*)
    RESULT=$(measure "$DPORT" "$VDIR" QKDDECRYPT ENCRYPTED "$DPID"); read -r E E_CPU E_FAULTS <<< "$RESULT"
    A_ALL+=("$A") B_ALL+=("$B") C_ALL+=("$C") E_ALL+=("$E") B_CPU_ALL+=("$B_CPU") C_CPU_ALL+=("$C_CPU") E_CPU_ALL+=("$E_CPU")
    B_FAULTS_ALL+=("$B_FAULTS") C_FAULTS_ALL+=("$C_FAULTS") E_FAULTS_ALL+=("$E_FAULTS")
    echo "round $ROUND of $ROUNDS: (a) $A, (b) $B, (c) $C, (e) $E images/s; (b)/(a) $(ratio "$A" "$B"), (c)/(a) $(ratio "$A" "$C"), (e)/(c) $(ratio "$C" "$E"); CPU ms per object: gateway (b) $B_CPU, (c) $C_CPU, decryptor (e) $E_CPU"
done
A=$(median "${A_ALL[@]}") B=$(median "${B_ALL[@]}") C=$(median "${C_ALL[@]}") E=$(median "${E_ALL[@]}")
echo "medians over $ROUNDS rounds:"
echo "(a) storescu -> storescp:                           $A images/s"
B_ADMIT=$(admit_ms "$B_ADMIN")
echo "(b) storescu -> gateway (pass-through) -> storescp: $B images/s ($(median_figures gateway "$B_PID" B_CPU_ALL B_FAULTS_ALL); admit $B_ADMIT ms per object)"
echo "(c) storescu -> gateway (qkd-hybrid) -> storescp:   $C images/s ($(median_figures gateway "$C_PID" C_CPU_ALL C_FAULTS_ALL); admit $(admit_ms "$C_ADMIN") ms per object)"
echo "(e) PACS copies of (c) -> decryptor (restore) -> storescp: $E images/s ($(median_figures decryptor "$DPID" E_CPU_ALL E_FAULTS_ALL))"
kill "$B_PID" "$C_PID" "$DPID" 2>/dev/null || true

RATIO_B=$(median_ratio A_ALL B_ALL)
RATIO_C=$(median_ratio A_ALL C_ALL)
# storescp in (a) answers without flushing anything; the gateway answers after `admit`, so (b) can only come near
# (a) where that flush time is small next to (a)'s whole time per object (docs/gateway.md, "What bounds (b)").
echo "ratio (b)/(a) = $RATIO_B (median of the rounds' ratios; target >= 0.80); per object (a) $(python3 -c "print(f'{1000 / $A:.2f}')") ms, (b) $(python3 -c "print(f'{1000 / $B:.2f}')") ms, of which admit $B_ADMIT ms"
echo "ratio (c)/(a) = $RATIO_C (median of the rounds' ratios; target >= 0.50)"
RATIO_E=$(median_ratio C_ALL E_ALL)
echo "ratio (e)/(c) = $RATIO_E (median of the rounds' ratios; decryptor vs encrypting gateway; target 0.75 … 1.25)"

# (d) a 1 GB study through a fresh qkd-hybrid gateway: its peak RSS must stay < 300 MB.
RSS_MB=na
if [ "$BIG_COUNT" -gt 0 ]; then
    rm -rf "$WORK/study" "$WORK"/pacs-*/*
    mkdir -p "$WORK/big"
    python3 Tests/GatewayTests/Scripts/make_synthetic.py "$WORK/big" "$BIG_COUNT" 512
    BIG=("$WORK"/big/*.dcm)
    start_gateway qkd-hybrid
    D=$(measure "$GPORT" "$GDIR" QKDGATE BIG)
    RSS_MB=$(vmhwm_mb "$GPID")
    echo "(d) $BIG_COUNT images ($(du -sm "$WORK/big" | cut -f1) MB) through the qkd-hybrid gateway: $D images/s, $(python3 -c "print(f'{$D*0.5:.0f}')") MB/s, gateway VmHWM $RSS_MB MB (target < 300)"
fi
echo "ratio_decryptor_vs_gateway=$RATIO_E"
echo "ratio_passthrough=$RATIO_B ratio_qkd_hybrid=$RATIO_C rss_mb=$RSS_MB"
