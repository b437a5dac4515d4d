#!/usr/bin/env bash
# KME conformance against independent ETSI GS QKD 014 clients from PyPI.
#   pip install etsi-qkd-014-client qkdsec
# Builds nothing: uses the qkdgate binary given as $1 (default .build/debug/qkdgate). Writes a fresh PKI and
# pool under a temporary directory, starts `qkdgate kme`, runs scripts/kme_conformance.py, stops the KME.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
qkdgate="${1:-$here/../.build/debug/qkdgate}"
work="$(mktemp -d)"
kme_pid=""
cleanup() {
    if [[ -n "$kme_pid" ]]; then kill "$kme_pid" 2>/dev/null || true; wait "$kme_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT
"$qkdgate" kme init-pki --out "$work/pki" --port-a 0 --port-b 0 >/dev/null
# A small pool, so that the 503 check does not first have to drain 100,000 keys.
sed -i 's/max_key_count: 100000/max_key_count: 2000/' "$work/pki/kme.yaml"
"$qkdgate" kme --config "$work/pki/kme.yaml" --log-level warning >"$work/kme.out" 2>"$work/kme.err" &
kme_pid=$!
for _ in $(seq 1 300); do
    grep -q "KME ready" "$work/kme.out" 2>/dev/null && break
    sleep 0.1
done
line="$(grep "KME ready" "$work/kme.out")" || { echo "KME did not start:"; cat "$work/kme.err"; exit 1; }
port_a="$(sed -E 's/.*site A https:\/\/[^:]+:([0-9]+).*/\1/' <<<"$line")"
port_b="$(sed -E 's/.*site B https:\/\/[^:]+:([0-9]+).*/\1/' <<<"$line")"
# Wait until the link has distilled some key.
for _ in $(seq 1 600); do
    count="$(curl -s --cacert "$work/pki/ca.crt" --cert "$work/pki/gateway.crt" --key "$work/pki/gateway.key" \
        "https://127.0.0.1:$port_a/api/v1/keys/decryptor/status" | python3 -c 'import json,sys; print(json.load(sys.stdin)["stored_key_count"])' 2>/dev/null || echo 0)"
    [[ "$count" -ge 20 ]] && break
    sleep 0.1
done
python3 "$here/kme_conformance.py" --pki "$work/pki" --site-a "127.0.0.1:$port_a" --site-b "127.0.0.1:$port_b"
