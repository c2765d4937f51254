#!/usr/bin/env bash
# Installs Postfix and Dovecot (Debian packages) for the real-server interop
# suite, without letting the distribution start its own daemons on the
# standard ports: the harness runs private instances from a temp dir instead.
# Idempotent: packages already installed are skipped. Must run as root.
set -euo pipefail

if [[ $(id -u) -ne 0 ]]; then
  echo "install.sh: must run as root (apt-get and the system user need it)" >&2
  exit 1
fi

packages=(postfix dovecot-core dovecot-pop3d dovecot-lmtpd openssl python3)
missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} > 0)); then
  # policy-rc.d exit 101 tells invoke-rc.d "action forbidden": the package
  # scripts then leave the services stopped. Keep any policy already there.
  policy=/usr/sbin/policy-rc.d
  backup=""
  if [[ -e $policy ]]; then
    backup=$(mktemp)
    cp -p "$policy" "$backup"
  fi
  restore_policy() {
    if [[ -n $backup ]]; then mv -f "$backup" "$policy"; else rm -f "$policy"; fi
  }
  trap restore_policy EXIT
  printf '#!/bin/sh\nexit 101\n' >"$policy"
  chmod 755 "$policy"

  # "No configuration": the postinst writes no /etc/postfix/main.cf, so nothing
  # system-wide claims to deliver mail; the harness brings its own main.cf.
  echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
    "${missing[@]}"
  restore_policy
  trap - EXIT
fi

# Whatever a package script may have started despite the policy (or an older
# install left running): stop the distribution's instances by their pid files.
for pidfile in /var/spool/postfix/pid/master.pid /run/dovecot/master.pid; do
  if [[ -s $pidfile ]]; then
    pid=$(tr -dc '0-9' <"$pidfile")
    if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
      echo "install.sh: stopping the distribution's daemon (pid $pid from $pidfile)"
      kill "$pid" || true
    fi
  fi
done
if command -v systemctl >/dev/null && [[ -d /run/systemd/system ]]; then
  systemctl disable --now postfix dovecot >/dev/null 2>&1 || true
fi

# One unprivileged owner for every test mailbox (Dovecot's static userdb).
if ! id sysmail-test >/dev/null 2>&1; then
  useradd --system --no-create-home --home-dir /nonexistent \
    --shell /usr/sbin/nologin --user-group sysmail-test
fi

echo "install.sh: postfix $(postconf -d -h mail_version 2>/dev/null), dovecot $(dovecot --version 2>/dev/null)"
