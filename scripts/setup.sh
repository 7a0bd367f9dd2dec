#!/usr/bin/env bash
# Everything a fresh machine needs, idempotent and quick when already done:
# system packages (apt), npm packages (npm ci, from the committed lockfile), and the build
# (turbo: the native core through cmake-js, then the TypeScript packages).
set -euo pipefail
cd "$(dirname "$0")/.."

system_packages=(cmake g++ pkg-config libopenblas-dev dataset-fashion-mnist)
missing=()
for package in "${system_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ((${#missing[@]})); then
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  echo "setup: installing ${missing[*]}"
  $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund
fi

echo "setup: npm run build"
npm run build
