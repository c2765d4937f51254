#!/usr/bin/env bash
# Starts private Postfix and Dovecot instances for sysmail's interop suite:
# config, certificates, users and mailboxes in a fresh temp dir, every
# listener on 127.0.0.1 and a free high port, nothing relayed anywhere.
# Prints servers.json on stderr and, alone on stdout,
#   export SYSMAIL_REAL_SERVERS=<run dir>/servers.json
# so that  eval "$(test-servers/real/start.sh)"  sets the variable.
# Stop with: test-servers/real/stop.sh <run dir>
#
# Environment:
#   SYSMAIL_POP_BEFORE_SMTP_WINDOW  seconds a POP3 login authorises SMTP (default 60)
#   SYSMAIL_REAL_TMPDIR             parent of the run dir (default $TMPDIR or /tmp)
#   SYSMAIL_REAL_DEBUG=1            Dovecot auth_debug and Postfix verbose smtpd logs
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
window=${SYSMAIL_POP_BEFORE_SMTP_WINDOW:-60}
debug=${SYSMAIL_REAL_DEBUG:-0}
domain=test.sysmail
mail_user=sysmail-test

if [[ $(id -u) -ne 0 ]]; then
  echo "start.sh: must run as root (Postfix and Dovecot masters start as root)" >&2
  exit 1
fi
for cmd in postfix postconf dovecot doveconf openssl /usr/bin/python3; do
  command -v "$cmd" >/dev/null || { echo "start.sh: $cmd missing; run $here/install.sh first" >&2; exit 1; }
done
id "$mail_user" >/dev/null 2>&1 || { echo "start.sh: user $mail_user missing; run $here/install.sh first" >&2; exit 1; }
[[ $window =~ ^[0-9]+$ ]] || { echo "start.sh: SYSMAIL_POP_BEFORE_SMTP_WINDOW must be a number of seconds" >&2; exit 1; }

run=$(mktemp -d "${SYSMAIL_REAL_TMPDIR:-${TMPDIR:-/tmp}}/sysmail-real.XXXXXX")
# The daemons' unprivileged users (postfix, dovecot, dovenull, sysmail-test)
# must traverse the run dir to reach their sockets and files.
chmod 755 "$run"
started_ok=0
cleanup_on_failure() {
  if [[ $started_ok -ne 1 ]]; then
    echo "start.sh: start failed; logs follow, then the run dir is removed" >&2
    tail -n 40 "$run"/log/*.log >&2 2>/dev/null || true
    "$here/stop.sh" "$run" >&2 || true
  fi
}
trap cleanup_on_failure EXIT

id_tag=$(basename "$run" | sed 's/^sysmail-real\.//' | tr -dc 'A-Za-z0-9' | tr 'A-Z' 'a-z')
mkdir -p "$run"/{log,tls,postfix/etc,postfix/queue,postfix/data,dovecot/etc,dovecot/run,dovecot/state,mail,pop-before-smtp}

chown postfix:postfix "$run/postfix/data"

# --- ports: let the kernel pick free ones, all at once so none repeats ------
read -r p_smtp p_submission p_smtps p_smtp_plain_auth p_pop_before_smtp p_pop3 p_pop3s < <(
  /usr/bin/python3 -c '
import socket
socks = []
for _ in range(7):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
')

# --- TLS: a throwaway CA and a server certificate for localhost/127.0.0.1 ---
(
  cd "$run/tls"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -subj "/CN=sysmail interop test CA $id_tag" -keyout ca.key -out ca.crt \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -subj "/CN=localhost" -keyout server.key -out server.csr 2>/dev/null
  printf '%s\n' "subjectAltName=DNS:localhost,IP:127.0.0.1" "basicConstraints=CA:FALSE" \
    "keyUsage=critical,digitalSignature" "extendedKeyUsage=serverAuth" >server.ext
  openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
    -extfile server.ext -out server.crt 2>/dev/null
  rm -f server.csr server.ext ca.srl ca.key
  chmod 600 server.key
  chmod 644 ca.crt server.crt
)

# --- users: throwaway test data, plaintext so APOP/CRAM-MD5/DIGEST-MD5 work --
# name|password (UTF-8). Passwords must not contain ':' (passwd-file separator).
users=(
  "ascii@$domain|ascii-Secret-42"
  "latin1@$domain|pässwörd"
  "euro@$domain|€uro-pass"
  "other@$domain|other-Secret-7"
)
: >"$run/dovecot/etc/users"
: >"$run/postfix/etc/vmailbox"
for entry in "${users[@]}"; do
  name=${entry%%|*}; password=${entry#*|}
  printf '%s:{PLAIN}%s::::::\n' "$name" "$password" >>"$run/dovecot/etc/users"
  printf '%s OK\n' "$name" >>"$run/postfix/etc/vmailbox"
done
chown root:dovecot "$run/dovecot/etc/users"
chmod 640 "$run/dovecot/etc/users"
chown "$mail_user:$mail_user" "$run/mail"
chmod 700 "$run/mail"

# --- POP before SMTP: login records written by Dovecot, read by the policy ---
pbs=$run/pop-before-smtp
: >"$pbs/logins"
echo "$window" >"$pbs/window-seconds"
# World-writable on purpose: the post-login script runs as dovecot's internal
# user, and a test (possibly not root) truncates the file to "forget" logins.
chmod 666 "$pbs/logins" "$pbs/window-seconds"
chown "$mail_user:$mail_user" "$pbs"
cat >"$run/dovecot/etc/pop3-postlogin.sh" <<SCRIPT
#!/bin/sh
# Dovecot runs this after every successful POP3 login (script-login), with the
# client's address in \$IP; it must exec the rest of the command line.
printf '%s %s\n' "\$IP" "\$(date +%s)" >>'$pbs/logins'
exec "\$@"
SCRIPT
chmod 755 "$run/dovecot/etc/pop3-postlogin.sh"

# --- Dovecot -----------------------------------------------------------------
mail_uid=$(id -u "$mail_user")
auth_debug=no; [[ $debug == 1 ]] && auth_debug=yes

cat >"$run/dovecot/etc/dovecot.conf" <<CONF
# Private Dovecot for sysmail's interop tests (generated by start.sh).
instance_name = sysmail-real-$id_tag
base_dir = $run/dovecot/run
state_dir = $run/dovecot/state
log_path = $run/log/dovecot.log
protocols = pop3 lmtp
listen = 127.0.0.1
# POP3 over plaintext needs USER/PASS and PLAIN/LOGIN allowed without TLS.
disable_plaintext_auth = no
auth_mechanisms = plain login cram-md5 digest-md5 apop
auth_verbose = yes
auth_debug = $auth_debug
auth_debug_passwords = no
# No delay after a failed login: tests try wrong passwords on purpose.
auth_failure_delay = 0
first_valid_uid = $mail_uid
last_valid_uid = $mail_uid
mail_location = maildir:~/Maildir
ssl = yes
ssl_cert = <$run/tls/server.crt
ssl_key = <$run/tls/server.key
ssl_min_protocol = TLSv1.2

passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $run/dovecot/etc/users
}
userdb {
  driver = static
  args = uid=$mail_user gid=$mail_user home=$run/mail/%d/%n
}

service pop3-login {
  inet_listener pop3 {
    address = 127.0.0.1
    port = $p_pop3
  }
  inet_listener pop3s {
    address = 127.0.0.1
    port = $p_pop3s
    ssl = yes
  }
}
service pop3 {
  executable = pop3 pop3-postlogin
}
service pop3-postlogin {
  executable = script-login $run/dovecot/etc/pop3-postlogin.sh
  user = \$default_internal_user
  unix_listener pop3-postlogin {
  }
}
service lmtp {
  unix_listener lmtp {
    user = postfix
    group = postfix
    mode = 0600
  }
}
service auth {
  unix_listener auth-postfix {
    user = postfix
    group = postfix
    mode = 0600
  }
}
protocol lmtp {
  # Deliver to the full address, as the passwd-file names users.
  auth_username_format = %Lu
}
CONF

# --- Postfix -----------------------------------------------------------------
pf=$run/postfix
verbose_flag=""; [[ $debug == 1 ]] && verbose_flag="-v"
cat >"$pf/etc/main.cf" <<CONF
# Private Postfix for sysmail's interop tests (generated by start.sh).
compatibility_level = 3.6
queue_directory = $pf/queue
data_directory = $pf/data
mail_owner = postfix
setgid_group = postdrop
syslog_name = sysmail-real-$id_tag
maillog_file = $run/log/postfix.log
maillog_file_prefixes = $run/log
myhostname = mx.$domain
mydomain = $domain
myorigin = $domain
mydestination =
mynetworks = 127.0.0.1/32
inet_interfaces = 127.0.0.1
inet_protocols = ipv4

# Never relay, never look anything up in DNS: only $domain is delivered,
# through Dovecot LMTP; everything else is refused at RCPT or bounced.
smtp_dns_support_level = disabled
smtp_host_lookup = native
lmtp_host_lookup = native
smtpd_peername_lookup = no
default_transport = error:the sysmail test servers relay nothing
relay_transport = error:the sysmail test servers relay nothing
local_transport = error:the sysmail test servers have no local users
alias_maps =
alias_database =
local_recipient_maps =
virtual_mailbox_domains = $domain
virtual_mailbox_maps = texthash:$pf/etc/vmailbox
virtual_transport = lmtp:unix:$run/dovecot/run/lmtp
smtpd_relay_restrictions = reject_unauth_destination
smtpd_banner = \$myhostname ESMTP sysmail interop Postfix
biff = no
smtputf8_enable = yes
# Large enough for the interop suite's 64 MiB round trip (plus headers and base64 slack).
message_size_limit = 104857600
# Tests provoke errors on purpose; do not slow them down or cut them off.
smtpd_error_sleep_time = 0
smtpd_soft_error_limit = 100
smtpd_hard_error_limit = 100

smtpd_tls_cert_file = $run/tls/server.crt
smtpd_tls_key_file = $run/tls/server.key
smtpd_tls_security_level = may
smtpd_tls_loglevel = 1
smtpd_tls_received_header = yes
smtpd_sasl_type = dovecot
smtpd_sasl_path = $run/dovecot/run/auth-postfix
smtpd_sasl_auth_enable = no
smtpd_sasl_security_options = noanonymous
smtpd_sasl_tls_security_options = noanonymous
smtpd_tls_auth_only = no
broken_sasl_auth_clients = no
CONF

require_auth='{ smtpd_recipient_restrictions = permit_sasl_authenticated, reject }'
cat >"$pf/etc/master.cf" <<CONF
# Private Postfix listeners for sysmail's interop tests (generated by start.sh).
# No chroot: the sockets and files live in the run dir.
# smtp: no AUTH, STARTTLS offered, mail for $domain accepted from anyone.
127.0.0.1:$p_smtp inet n - n - - smtpd $verbose_flag
# submission: STARTTLS required, AUTH offered only after TLS and required.
127.0.0.1:$p_submission inet n - n - - smtpd $verbose_flag
  -o smtpd_tls_security_level=encrypt
  -o smtpd_tls_auth_only=yes
  -o smtpd_sasl_auth_enable=yes
  -o $require_auth
# smtps: implicit TLS, AUTH required.
127.0.0.1:$p_smtps inet n - n - - smtpd $verbose_flag
  -o smtpd_tls_wrappermode=yes
  -o smtpd_sasl_auth_enable=yes
  -o $require_auth
# smtp-plain-auth: no TLS at all, AUTH (every mechanism) on the plaintext link, AUTH required.
127.0.0.1:$p_smtp_plain_auth inet n - n - - smtpd $verbose_flag
  -o smtpd_tls_security_level=none
  -o smtpd_sasl_auth_enable=yes
  -o $require_auth
# pop-before-smtp: no AUTH; RCPT allowed only after a recent POP3 login from the client's address.
127.0.0.1:$p_pop_before_smtp inet n - n - - smtpd $verbose_flag
  -o { smtpd_recipient_restrictions = check_policy_service unix:$pbs/policy.socket, reject_unauth_destination }
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
CONF

# --- start -------------------------------------------------------------------
# Daemons get /dev/null and log files for stdio, so nothing keeps the caller's
# pipes open (CI waits on them).
# A copy in the run dir: the checkout may not be readable by $mail_user.
install -m 755 "$here/pop-before-smtp-policy.py" "$pbs/policy.py"
setpriv --reuid="$mail_user" --regid="$mail_user" --init-groups \
  setsid /usr/bin/python3 "$pbs/policy.py" \
  "$pbs/policy.socket" "$pbs/logins" "$pbs/window-seconds" \
  </dev/null >>"$run/log/pop-before-smtp-policy.log" 2>&1 &
echo $! >"$pbs/policy.pid"

dovecot -c "$run/dovecot/etc/dovecot.conf" </dev/null >>"$run/log/dovecot.log" 2>&1
# "postfix check" creates the queue directories with their owners and modes.
postfix -c "$pf/etc" check </dev/null >>"$run/log/postfix-start.log" 2>&1
postfix -c "$pf/etc" start </dev/null >>"$run/log/postfix-start.log" 2>&1

wait_until_ready() {
  /usr/bin/python3 - "$@" <<'PY'
import os, socket, sys, time
deadline = time.monotonic() + 60
ports = [int(p) for p in sys.argv[1:-1]]
sock_path = sys.argv[-1]
pending = set(ports)
while pending or not os.path.exists(sock_path):
    if time.monotonic() > deadline:
        sys.exit("start.sh: not ready after 60 s: ports %s, policy socket %s" % (sorted(pending), os.path.exists(sock_path)))
    for port in list(pending):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                pending.discard(port)
        except OSError:
            pass
    time.sleep(0.1)
PY
}
wait_until_ready "$p_smtp" "$p_submission" "$p_smtps" "$p_smtp_plain_auth" "$p_pop_before_smtp" \
  "$p_pop3" "$p_pop3s" "$pbs/policy.socket"

# --- servers.json --------------------------------------------------------------
RUN="$run" DOMAIN="$domain" WINDOW="$window" USERS="$(printf '%s\n' "${users[@]}")" \
PORTS="$p_smtp $p_submission $p_smtps $p_smtp_plain_auth $p_pop_before_smtp $p_pop3 $p_pop3s" \
/usr/bin/python3 - <<'PY'
import json, os
run = os.environ["RUN"]
smtp, submission, smtps, plain_auth, pbs, pop3, pop3s = (int(p) for p in os.environ["PORTS"].split())
host = "127.0.0.1"
sasl = ["PLAIN", "LOGIN", "CRAM-MD5", "DIGEST-MD5"]
def listener(port, security, **extra):
    return dict({"host": host, "port": port, "security": security}, **extra)
data = {
    "version": 1,
    "runDir": run,
    "domain": os.environ["DOMAIN"],
    "tls": {"caFile": run + "/tls/ca.crt", "servername": "localhost"},
    "smtp": {
        "open": listener(smtp, "starttls-optional", auth=[], authRequired=False),
        "submission": listener(submission, "starttls", auth=sasl, authRequired=True, authOnlyAfterTls=True),
        "smtps": listener(smtps, "tls", auth=sasl, authRequired=True),
        "plainAuth": listener(plain_auth, "none", auth=sasl, authRequired=True),
        "popBeforeSmtp": listener(pbs, "starttls-optional", auth=[], authRequired=False,
                                  windowSeconds=int(os.environ["WINDOW"]),
                                  loginsFile=run + "/pop-before-smtp/logins",
                                  windowFile=run + "/pop-before-smtp/window-seconds"),
    },
    "pop3": {
        "plain": listener(pop3, "starttls-optional", apop=True, sasl=sasl),
        "pop3s": listener(pop3s, "tls", apop=True, sasl=sasl),
    },
    "users": [
        {"username": u, "password": p, "address": u}
        for u, p in (line.split("|", 1) for line in os.environ["USERS"].splitlines() if line)
    ],
    "logs": {
        "postfix": run + "/log/postfix.log",
        "dovecot": run + "/log/dovecot.log",
        "popBeforeSmtpPolicy": run + "/log/pop-before-smtp-policy.log",
    },
    "pids": {
        "postfix": run + "/postfix/queue/pid/master.pid",
        "dovecot": run + "/dovecot/run/master.pid",
        "popBeforeSmtpPolicy": run + "/pop-before-smtp/policy.pid",
    },
}
with open(run + "/servers.json", "w", encoding="utf-8") as f:
    json.dump(data, f, indent=2, ensure_ascii=False)
    f.write("\n")
PY
chmod 644 "$run/servers.json"

started_ok=1
trap - EXIT
cat "$run/servers.json" >&2
echo "export SYSMAIL_REAL_SERVERS=$run/servers.json"
