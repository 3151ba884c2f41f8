#!/usr/bin/env bash
# Headless Chromium for the Datasette screenshot test (tests/test_serve.py). Idempotent and
# quick when Chromium is already there; without root or apt-get it says so and exits 0, and
# the screenshot test skips itself with that reason. Chinese glyphs come from the CJK font
# the `mplfonts` wheel ships (the test points fontconfig at it), so no font package is needed.
set -euo pipefail

if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "install-browser: chromium missing and cannot apt-get install it (not root / no apt)" >&2
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium >/dev/null
command -v chromium
