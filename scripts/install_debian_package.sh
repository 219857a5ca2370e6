#!/usr/bin/env bash
# Install a Debian package a test run needs, when its binary is missing:
#   scripts/install_debian_package.sh PACKAGE BINARY [SERVICE]
# chromium for the browser tests (`make test-e2e`, driven through Playwright) and pgbouncer for the PgBouncer test
# (`make test`). Only the distribution's packages: Playwright's own browser downloads are never used, so the tests
# run where only the Debian mirror is reachable and get the distribution's security fixes. SERVICE, when given, is
# a system service the package starts on install that the tests do not want (they start their own server): it is
# stopped and disabled again at once. Runs apt-get as root directly, otherwise through sudo (prompting only when
# there is a terminal to answer it).
set -euo pipefail

package="$1"
binary="$2"
service="${3:-}"
if [[ -x "$binary" ]]; then
    exit 0
fi

fail() {
    echo "install_debian_package.sh: $*" >&2
    echo "install_debian_package.sh: install Debian's $package package yourself (apt-get install $package), then rerun." >&2
    exit 1
}

command -v apt-get >/dev/null || fail "$binary is missing and there is no apt-get to install it with."

if [[ "$(id -u)" -eq 0 ]]; then
    as_root=()
elif command -v sudo >/dev/null; then
    # Without a terminal (CI) a password prompt would hang: -n makes sudo fail at once instead.
    if [[ -t 0 ]]; then as_root=(sudo); else as_root=(sudo -n); fi
else
    fail "$binary is missing, this is not root and sudo is not available."
fi

echo "Installing Debian's $package (for $binary)..."
"${as_root[@]}" apt-get update -qq || fail "apt-get update failed."
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$package" \
    || fail "apt-get install $package failed."
[[ -x "$binary" ]] || fail "the $package package is installed but $binary is still missing."

if [[ -n "$service" ]]; then
    if [[ -d /run/systemd/system ]]; then
        "${as_root[@]}" systemctl disable --now "$service.service" >/dev/null 2>&1 || true
    else
        "${as_root[@]}" service "$service" stop >/dev/null 2>&1 || true
    fi
fi
"$binary" --version | head -1
