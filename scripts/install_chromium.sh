#!/usr/bin/env bash
# Install Debian's chromium for the browser tests (`make test-e2e`), which drive it through Playwright.
#
# Only the distribution's package: Playwright's own browser downloads (`playwright install`) are never used, so
# the tests run where only the Debian mirror is reachable and the browser gets the distribution's security fixes.
# Runs apt-get as root directly, otherwise through sudo (prompting only when there is a terminal to answer it).
set -euo pipefail

chromium="${1:-/usr/bin/chromium}"
if [[ -x "$chromium" ]]; then
    exit 0
fi

fail() {
    echo "install_chromium.sh: $*" >&2
    echo "install_chromium.sh: install Debian's chromium package yourself (apt-get install chromium), then rerun." >&2
    exit 1
}

command -v apt-get >/dev/null || fail "$chromium is missing and there is no apt-get to install it with."

if [[ "$(id -u)" -eq 0 ]]; then
    as_root=()
elif command -v sudo >/dev/null; then
    # Without a terminal (CI) a password prompt would hang: -n makes sudo fail at once instead.
    if [[ -t 0 ]]; then as_root=(sudo); else as_root=(sudo -n); fi
else
    fail "$chromium is missing, this is not root and sudo is not available."
fi

echo "Installing Debian's chromium (for $chromium)..."
"${as_root[@]}" apt-get update -qq || fail "apt-get update failed."
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium \
    || fail "apt-get install chromium failed."
[[ -x "$chromium" ]] || fail "the chromium package is installed but $chromium is still missing."
"$chromium" --version
