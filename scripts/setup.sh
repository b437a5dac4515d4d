#!/usr/bin/env bash
# Installs what qkdgate needs on a Debian 12 machine, only where it is missing. Safe to run again.
set -euo pipefail

APT_PACKAGES=(libdcmtk-dev dcmtk libpng-dev libssl-dev libopenjp2-7-dev libsqlite3-dev dicom3tools orthanc curl)
PIP_PACKAGES=(pydicom pynetdicom etsi-qkd-014-client qkdsec numpy pylibjpeg pylibjpeg-libjpeg pylibjpeg-openjpeg pylibjpeg-rle pyjpegls)

missing=()
for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]}"
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    # Orthanc's package starts a system service; the tests start their own instance, so keep it off.
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    if command -v systemctl >/dev/null 2>&1; then $SUDO systemctl stop orthanc >/dev/null 2>&1 || true; fi
    $SUDO service orthanc stop >/dev/null 2>&1 || true
fi

if command -v python3 >/dev/null 2>&1; then
    need_pip=()
    for p in "${PIP_PACKAGES[@]}"; do
        python3 -m pip show -q "$p" >/dev/null 2>&1 || need_pip+=("$p")
    done
    if [ ${#need_pip[@]} -gt 0 ]; then
        echo "setup: pip installing ${need_pip[*]}"
        python3 -m pip install -q --disable-pip-version-check "${need_pip[@]}"
    fi
fi
