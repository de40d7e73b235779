#!/usr/bin/env bash
# Installs Chromium from Debian's packages for the browser tests (test/web/page.test.ts), only when
# /usr/bin/chromium is missing. It never downloads a browser build of its own (playwright-core
# drives the Debian binary).
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
  echo "setup-browser: $(/usr/bin/chromium --version 2>/dev/null || echo 'chromium present')"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y chromium
echo "setup-browser: installed $(/usr/bin/chromium --version 2>/dev/null)"
