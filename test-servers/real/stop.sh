#!/usr/bin/env bash
# Stops the private Postfix, Dovecot and POP-before-SMTP policy daemon of one
# run (by the PIDs in their pid files) and removes the run dir.
# Usage: test-servers/real/stop.sh RUN_DIR   (the dir start.sh printed)
set -uo pipefail

run=${1:?usage: stop.sh RUN_DIR}
run=${run%/servers.json}
run=${run%/}
# Refuse anything that does not look like a run dir: this script rm -rf's it.
if [[ ! -d $run || $(basename "$run") != sysmail-real.* ]]; then
  echo "stop.sh: $run is not a sysmail-real run dir" >&2
  exit 1
fi

pid_of() {
  [[ -s $1 ]] && tr -dc '0-9' <"$1"
}
stop_pid() { # name pid
  local name=$1 pid=$2 i
  [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null
  for ((i = 0; i < 100; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  echo "stop.sh: $name (pid $pid) ignored SIGTERM for 10 s; sending SIGKILL" >&2
  kill -KILL "$pid" 2>/dev/null
}

# Read every pid first: stopping Dovecot removes its pid file.
postfix_pid=$(pid_of "$run/postfix/queue/pid/master.pid")
dovecot_pid=$(pid_of "$run/dovecot/run/master.pid")
policy_pid=$(pid_of "$run/pop-before-smtp/policy.pid")

# Postfix's master stops its children on SIGTERM; Dovecot's master likewise.
stop_pid postfix "$postfix_pid"
stop_pid dovecot "$dovecot_pid"
stop_pid pop-before-smtp-policy "$policy_pid"

# Children of a killed master may linger a moment; wait for whatever still
# runs from this run dir's config before deleting it.
for ((i = 0; i < 50; i++)); do
  pgrep -f -- "$run/" >/dev/null || break
  sleep 0.1
done
rm -rf -- "$run"
