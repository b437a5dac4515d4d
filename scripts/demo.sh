#!/usr/bin/env bash
# The main job on embedded defaults, all on 127.0.0.1: installs what is missing, builds, creates a PKI, starts
# the simulated QKD link (both KME sites), encrypts the sample studies with QKD-wrapped keys as the gateway SAE,
# restores them as the decryptor SAE (each restore is checked against the original's SHA-256), and prints a
# summary. Exits non-zero if any image was not restored bit-exact.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
echo "demo: building qkdgate (release)…"
swift build -c release --product qkdgate 2>&1 | { grep -E "error|warning: unre|Compiling qkdgate|Build complete" || true; }
bin="$(swift build -c release --show-bin-path)/qkdgate"
samples="${1:-dicom-samples}"

work="$(mktemp -d /tmp/qkdgate-demo.XXXXXX)"
kme_pid=""
cleanup() { [ -n "$kme_pid" ] && kill "$kme_pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

echo "demo: samples in $samples"
"$bin" info "$samples"/*.dcm | grep -E "^/|^[^ ]|Modality|Image|Transfer" | head -n 60 || true

"$bin" kme init-pki --out "$work/pki" --port-a 0 --port-b 0 >/dev/null
"$bin" kme --config "$work/pki/kme.yaml" >"$work/kme.log" 2>&1 &
kme_pid=$!
for _ in $(seq 1 100); do grep -q "KME ready" "$work/kme.log" && break; sleep 0.2; done
ready="$(grep -m1 "KME ready" "$work/kme.log")" || { cat "$work/kme.log"; echo "demo: the KME did not start"; exit 1; }
site_a="$(echo "$ready" | grep -oE 'https://[0-9.]+:[0-9]+' | sed -n 1p)"
site_b="$(echo "$ready" | grep -oE 'https://[0-9.]+:[0-9]+' | sed -n 2p)"
echo "demo: $ready"

status=0
for profile in qkd-hybrid dcgan-vpd aes-ctr; do
    echo; echo "== profile $profile: gateway SAE encrypts with keys from site A ($site_a)"
    "$bin" encrypt --profile "$profile" --kme "$site_a" --cert "$work/pki/gateway.crt" --key "$work/pki/gateway.key" \
        --ca "$work/pki/ca.crt" --uid-secret "$work/uid-secret" "$samples" "$work/enc-$profile" | tail -n 1 || status=1
    echo "== profile $profile: decryptor SAE restores with the same keys from site B ($site_b)"
    "$bin" decrypt --kme "$site_b" --cert "$work/pki/decryptor.crt" --key "$work/pki/decryptor.key" \
        --ca "$work/pki/ca.crt" "$work/enc-$profile" "$work/dec-$profile" | tail -n 1 || status=1
done
echo
if [ $status -eq 0 ]; then echo "demo: every image restored bit-exact (SHA-256 of the original pixel data verified)"; else echo "demo: FAILED"; fi
exit $status
