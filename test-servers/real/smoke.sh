#!/usr/bin/env bash
# Smoke test of the harness without sysmail's clients (Python's smtplib and
# poplib): starts fresh servers, checks every listener, stops them.
# Usage: test-servers/real/smoke.sh [-v]      (-v prints what the servers said)
#   or, against servers already started:  SYSMAIL_REAL_SERVERS=... smoke.sh [-v]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

if [[ -n ${SYSMAIL_REAL_SERVERS:-} ]]; then
  exec /usr/bin/python3 "$here/smoke.py" "$@"
fi
# An assignment, not eval "$(...)", so that a failed start stops the script.
exports=$("$here/start.sh" 2>"${TMPDIR:-/tmp}/sysmail-real-smoke-start.$$.log") || {
  cat "${TMPDIR:-/tmp}/sysmail-real-smoke-start.$$.log" >&2; exit 1; }
rm -f "${TMPDIR:-/tmp}/sysmail-real-smoke-start.$$.log"
eval "$exports"
run=$(dirname "$SYSMAIL_REAL_SERVERS")
trap '"$here/stop.sh" "$run"' EXIT
/usr/bin/python3 "$here/smoke.py" "$@"
