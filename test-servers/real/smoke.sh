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
out=$("$here/start.sh")
export SYSMAIL_REAL_SERVERS=${out##*SYSMAIL_REAL_SERVERS=}
run=$(dirname "$SYSMAIL_REAL_SERVERS")
trap '"$here/stop.sh" "$run"' EXIT
/usr/bin/python3 "$here/smoke.py" "$@"
