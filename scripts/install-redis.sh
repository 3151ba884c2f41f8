#!/bin/sh
# Install redis-server for the distributed-crawl tests (tests/test_redis.py), if missing.
# Debian/Ubuntu only (apt-get); needs root or sudo. Harmless when redis-server exists.
set -eu
if command -v redis-server >/dev/null 2>&1; then
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-redis.sh: redis-server missing and apt-get unavailable;" \
         "install Redis by hand (tests/test_redis.py will be skipped)" >&2
    exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO="sudo -n"; else
        echo "install-redis.sh: not root and no sudo; tests/test_redis.py will be skipped" >&2
        exit 0
    fi
fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends redis-server
