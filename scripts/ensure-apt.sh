#!/usr/bin/env bash
# Installs the Debian packages the build and tests need, only those missing (dpkg check), with sudo
# only when not root. Skips with a message on systems without dpkg/apt-get.
#   bash scripts/ensure-apt.sh
#   MV_APT_PACKAGES="git-lfs ripgrep" bash scripts/ensure-apt.sh    # another list (space-separated)
# When another apt/dpkg holds its locks (unattended-upgrades on a fresh machine, a second setup), it
# says who and waits up to MV_APT_LOCK_TIMEOUT seconds (default 300) instead of failing at once.
# Not root and no usable sudo: stops at once with the exact command to run as root.
set -euo pipefail

# What the build, the tests and `npm start` use: git + git-lfs (model repositories), chromium (UI
# tests), ripgrep + libkrb5-dev + pkg-config + g++ + make + python3 (code-server's native modules),
# python3-onnx/h5py/numpy/scipy/statsmodels/torch and flatc (the reference readers and writers the unit tests compare against),
# curl (npm start).
DEFAULT_PACKAGES="git git-lfs chromium ripgrep libkrb5-dev pkg-config g++ make python3 python3-onnx python3-h5py python3-numpy python3-scipy python3-statsmodels python3-torch flatbuffers-compiler curl"
read -r -a PACKAGES <<<"${MV_APT_PACKAGES:-$DEFAULT_PACKAGES}"
LOCK_TIMEOUT="${MV_APT_LOCK_TIMEOUT:-300}"
LOCK_POLL="${MV_APT_LOCK_POLL:-2}"
# the locks apt-get update (lists) and apt-get install (dpkg, archives) take
read -r -a LOCKS <<<"${MV_APT_LOCK_FILES:-/var/lib/dpkg/lock-frontend /var/lib/dpkg/lock /var/lib/apt/lists/lock /var/cache/apt/archives/lock}"

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

as_root="apt-get update && apt-get install -y --no-install-recommends ${missing[*]}"
SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  if ! command -v sudo >/dev/null 2>&1; then
    echo "ensure-apt: missing ${missing[*]}, and this is not root and there is no sudo. As root run:" >&2
    echo "  $as_root" >&2
    exit 1
  fi
  if ! sudo -n true 2>/dev/null && ! [ -t 0 ]; then
    echo "ensure-apt: missing ${missing[*]}; sudo needs a password and there is no terminal to ask for it. Run:" >&2
    echo "  sudo sh -c '$as_root'" >&2
    exit 1
  fi
  SUDO=(sudo)
fi

# The process holding one of LOCKS, as "LOCKFILE PID", from /proc/locks (which lists POSIX and flock
# locks by device:inode); nothing when none is held or /proc/locks cannot be read.
lock_holder() {
  [ -r /proc/locks ] || return 0
  local f d i key pid
  for f in "${LOCKS[@]}"; do
    [ -e "$f" ] || continue
    d=$(stat -c %d "$f") || continue
    i=$(stat -c %i "$f") || continue
    key=$(printf '%02x:%02x:%d' $(( ((d >> 8) & 0xfff) | ((d >> 32) & ~0xfff) )) $(( (d & 0xff) | ((d >> 12) & ~0xff) )) "$i")
    # "N: POSIX  ADVISORY  WRITE PID MAJ:MIN:INODE START END" (blocked waiters have "->" and are skipped)
    pid=$(grep -v -- '->' /proc/locks | awk -v k="$key" '$6 == k { print $5; exit }')
    if [ -n "$pid" ]; then echo "$f $pid"; return 0; fi
  done
}

wait_for_apt_locks() {
  local start holder said=""
  start=$(date +%s)
  while holder=$(lock_holder) && [ -n "$holder" ]; do
    local f=${holder% *} pid=${holder#* } cmd
    cmd=$(tr '\0\n' '  ' <"/proc/$pid/cmdline" 2>/dev/null | cut -c1-100 || true)
    if [ -z "$said" ]; then
      echo "ensure-apt: another apt/dpkg holds $f (pid $pid: ${cmd:-?}); waiting up to $LOCK_TIMEOUT s for it to finish ..."
      said=1
    fi
    if [ $(( $(date +%s) - start )) -ge "$LOCK_TIMEOUT" ]; then
      echo "ensure-apt: $f is still held by pid $pid (${cmd:-?}) after $LOCK_TIMEOUT s. When it has finished, run:" >&2
      echo "  bash scripts/ensure-apt.sh      (or as root: $as_root)" >&2
      exit 1
    fi
    sleep "$LOCK_POLL"
  done
  if [ -n "$said" ]; then echo "ensure-apt: the apt locks are free after $(( $(date +%s) - start )) s"; fi
}

# apt-get waits for the dpkg lock itself too (DPkg::Lock::Timeout), for a lock taken between our check
# and its start.
APT=(apt-get -o "DPkg::Lock::Timeout=$LOCK_TIMEOUT")
echo "ensure-apt: installing ${missing[*]}"
wait_for_apt_locks
echo "+ ${SUDO[*]:+${SUDO[*]} }apt-get update -qq"
"${SUDO[@]}" "${APT[@]}" update -qq
wait_for_apt_locks
echo "+ ${SUDO[*]:+${SUDO[*]} }apt-get install -y --no-install-recommends ${missing[*]}"
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive "${APT[@]}" install -y -qq --no-install-recommends "${missing[@]}"
echo "ensure-apt: done"
