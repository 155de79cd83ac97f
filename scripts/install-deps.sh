#!/usr/bin/env bash
# install-deps.sh [build|check|demo|bench] -- installs what egov needs on a
# fresh Debian 12 machine.  Installs only packages that are missing, so a
# second run is quick.  Needs root (or sudo) when something is missing.
set -euo pipefail

what=${1:-build}
build_pkgs=(build-essential cmake pkg-config gettext
  libmicrohttpd-dev libjansson-dev libsqlite3-dev libpq-dev libssl-dev
  libinih-dev libcurl4-openssl-dev zlib1g-dev libargon2-dev libxml2-dev
  libicu-dev libbz2-dev unicode-data libqrencode-dev cracklib-runtime)
check_pkgs=(libcmocka-dev postgresql curl nodejs npm chromium openssl oathtool
  python3 python3-cryptography ldap-utils slapd)
demo_pkgs=(curl)
bench_pkgs=(wrk nginx-light curl procps python3)

pkgs=("${build_pkgs[@]}")
case "$what" in
  build) ;;
  check) pkgs+=("${check_pkgs[@]}") ;;
  demo) pkgs+=("${demo_pkgs[@]}") ;;
  bench) pkgs+=("${bench_pkgs[@]}") ;;
  *) echo "usage: $0 [build|check|demo|bench]" >&2; exit 2 ;;
esac

missing=()
for p in "${pkgs[@]}"; do
  # node/npm may come from elsewhere than Debian; accept them if on PATH
  case "$p" in
    nodejs) command -v node >/dev/null 2>&1 && continue ;;
    npm) command -v npm >/dev/null 2>&1 && continue ;;
  esac
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "egov: installing Debian packages: ${missing[*]}"
  SUDO=
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

if [ "$what" = check ] && [ -f package-lock.json ]; then
  if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    echo "egov: installing npm packages (npm ci)"
    npm ci --no-audit --no-fund --loglevel=error
  fi
fi
