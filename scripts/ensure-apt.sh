#!/usr/bin/env bash
# Installs the Debian packages the build and tests need, only those missing (dpkg check), with sudo
# only when not root. Skips with a message on systems without dpkg/apt-get.
#   bash scripts/ensure-apt.sh
#   MV_APT_PACKAGES="git-lfs ripgrep" bash scripts/ensure-apt.sh    # another list (space-separated)
set -euo pipefail

DEFAULT_PACKAGES="git-lfs chromium ripgrep libkrb5-dev pkg-config python3-onnx python3-h5py python3-numpy"
read -r -a PACKAGES <<<"${MV_APT_PACKAGES:-$DEFAULT_PACKAGES}"

if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-apt: no dpkg/apt-get here (not Debian/Ubuntu); skipping. Install the equivalents of: ${PACKAGES[*]}"
  exit 0
fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "ensure-apt: all present (${PACKAGES[*]})"
  exit 0
fi

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
  else
    echo "ensure-apt: missing ${missing[*]}, and not root and no sudo. As root run:" >&2
    echo "  apt-get update && apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
  fi
fi

echo "ensure-apt: installing ${missing[*]}"
echo "+ ${SUDO[*]:+${SUDO[*]} }apt-get update -qq"
"${SUDO[@]}" apt-get update -qq
echo "+ ${SUDO[*]:+${SUDO[*]} }apt-get install -y --no-install-recommends ${missing[*]}"
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "ensure-apt: done"
