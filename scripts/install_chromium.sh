#!/usr/bin/env bash
# Install Debian's chromium for the browser tests (Playwright drives it; it cannot download a browser here).
# Root installs directly; otherwise sudo if present. Waits for an apt/dpkg run already in progress instead of
# starting a second one, and does nothing if that run installed chromium meanwhile.
set -euo pipefail
CHROMIUM=/usr/bin/chromium

wait_for_apt() {
    local waited=0
    command -v pgrep >/dev/null 2>&1 || return 0
    while pgrep -x 'apt|apt-get|dpkg|unattended-upgr' >/dev/null 2>&1; do
        if [ "$waited" -eq 0 ]; then echo "waiting for a running apt/dpkg to finish..."; fi
        if [ "$waited" -ge 1200 ]; then echo "apt/dpkg still busy after ${waited}s; trying anyway" >&2; return 0; fi
        sleep 5
        waited=$((waited + 5))
    done
}

wait_for_apt
if [ -x "$CHROMIUM" ]; then
    echo "$CHROMIUM is present"
    exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
    sudo=()
elif command -v sudo >/dev/null 2>&1; then
    sudo=(sudo)
else
    echo "$CHROMIUM is missing and this is neither root nor a user with sudo: install Debian's chromium" >&2
    exit 1
fi

echo "installing Debian chromium for the browser tests"
"${sudo[@]}" apt-get -o DPkg::Lock::Timeout=600 update -q
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends chromium
test -x "$CHROMIUM"
"$CHROMIUM" --version
