#!/usr/bin/env bash
# Installs what the local target needs, or says exactly what to install. Idempotent and quiet when all is there.
set -euo pipefail
cd "$(dirname "$0")/.."

need_node_major=20
have=$(node -p 'process.versions.node' 2>/dev/null || echo "none")
if [ "$have" = "none" ] || [ "${have%%.*}" -lt "$need_node_major" ]; then
  echo "deploy-loss-lab needs Node.js >= 20.18 (found: $have). Install it, e.g.: https://nodejs.org or 'apt-get install nodejs npm' on Debian 13+." >&2
  exit 1
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "» npm install"
  npm install --no-audit --no-fund
fi

if ! command -v redis-server >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "» apt-get install redis-server"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
  else
    echo "redis-server is missing. Install it with:  sudo apt-get install -y redis-server" >&2
    exit 1
  fi
fi
