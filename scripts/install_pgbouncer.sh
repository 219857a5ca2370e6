#!/usr/bin/env bash
# Install Debian's pgbouncer for the test that runs the API behind PgBouncer in transaction mode
# (tests/db/test_pgbouncer.py, which starts its own PgBouncer on a free port and skips when the binary is missing).
#
# Only the distribution's package. Its install starts a system PgBouncer service on port 6432, which the tests never
# use: it is stopped and disabled again at once. Runs apt-get as root directly, otherwise through sudo (prompting
# only when there is a terminal to answer it).
set -euo pipefail

pgbouncer="${1:-/usr/sbin/pgbouncer}"
if [[ -x "$pgbouncer" ]]; then
    exit 0
fi

fail() {
    echo "install_pgbouncer.sh: $*" >&2
    echo "install_pgbouncer.sh: install Debian's pgbouncer package yourself (apt-get install pgbouncer), then rerun." >&2
    exit 1
}

command -v apt-get >/dev/null || fail "$pgbouncer is missing and there is no apt-get to install it with."

if [[ "$(id -u)" -eq 0 ]]; then
    as_root=()
elif command -v sudo >/dev/null; then
    # Without a terminal (CI) a password prompt would hang: -n makes sudo fail at once instead.
    if [[ -t 0 ]]; then as_root=(sudo); else as_root=(sudo -n); fi
else
    fail "$pgbouncer is missing, this is not root and sudo is not available."
fi

echo "Installing Debian's pgbouncer (for $pgbouncer)..."
"${as_root[@]}" apt-get update -qq || fail "apt-get update failed."
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends pgbouncer \
    || fail "apt-get install pgbouncer failed."
[[ -x "$pgbouncer" ]] || fail "the pgbouncer package is installed but $pgbouncer is still missing."

# The package's own service: not wanted (the test starts its own PgBouncer), and it would hold port 6432.
if [[ -d /run/systemd/system ]]; then
    "${as_root[@]}" systemctl disable --now pgbouncer.service >/dev/null 2>&1 || true
else
    "${as_root[@]}" service pgbouncer stop >/dev/null 2>&1 || true
fi
"$pgbouncer" --version | head -1
