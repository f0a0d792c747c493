#!/usr/bin/env bash
# Installs what the chosen target needs, or says exactly what to install. Idempotent and quiet when all is there.
# Usage: scripts/ensure-deps.sh [local|kind]   (default local; only the local target runs Redis on the host)
set -euo pipefail
cd "$(dirname "$0")/.."
target="${1:-${TARGET:-local}}"

need_node_major=20
have=$(node -p 'process.versions.node' 2>/dev/null || echo "none")
if [ "$have" = "none" ] || [ "${have%%.*}" -lt "$need_node_major" ]; then
  echo "deploy-loss-lab needs Node.js >= 20.18 (found: $have). Install it from nodejs.org, with 'brew install node@20' on macOS, or 'apt-get install nodejs npm' on Debian 13+." >&2
  exit 1
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "» npm ci"
  npm ci --no-audit --no-fund
fi

# The kind target runs Redis inside the cluster; only the local target starts redis-server on this machine.
if [ "$target" = "local" ] && ! command -v redis-server >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "» apt-get install redis-server"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
  else
    case "$(uname -s)" in
      Darwin) how="brew install redis" ;;
      *) if command -v apt-get >/dev/null 2>&1; then how="sudo apt-get install -y redis-server"
         elif command -v dnf >/dev/null 2>&1; then how="sudo dnf install -y redis"
         elif command -v apk >/dev/null 2>&1; then how="sudo apk add redis"
         else how="your package manager's redis (redis-server on PATH)"; fi ;;
    esac
    echo "redis-server is missing (the local target starts one). Install it with:  $how" >&2
    exit 1
  fi
fi
