#!/usr/bin/python3
"""Smoke test of the real-server harness, with Python's standard library only.

Checks every listener in servers.json (path in $SYSMAIL_REAL_SERVERS): SMTP
submission with STARTTLS + AUTH, SMTPS, AUTH on a plaintext link (PLAIN, LOGIN,
CRAM-MD5, DIGEST-MD5), POP before SMTP, POP3 USER/PASS, APOP, STLS, SASL, POP3S,
non-ASCII passwords. With -v it also prints what the servers said (greetings,
capabilities, reply texts): the raw material of README.md's interop notes.
"""

import base64
import hashlib
import hmac
import json
import os
import poplib
import re
import smtplib
import socket
import ssl
import sys
import time
import uuid

VERBOSE = "-v" in sys.argv[1:]
cfg = json.load(open(os.environ["SYSMAIL_REAL_SERVERS"], encoding="utf-8"))
users = {u["username"].split("@")[0]: u for u in cfg["users"]}
ctx = ssl.create_default_context(cafile=cfg["tls"]["caFile"])
failures = []
TIMEOUT = 15


def check(name, condition, detail=""):
    print(("ok   " if condition else "FAIL ") + name + ("" if condition else ": " + str(detail)))
    if not condition:
        failures.append(name)


def note(label, text):
    if VERBOSE:
        print("  [%s] %s" % (label, text if isinstance(text, str) else repr(text)))


def raises(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - the exception is the result here
        return e
    return None


def smtp(listener, tls=False):
    cls = smtplib.SMTP_SSL if tls else smtplib.SMTP
    kwargs = {"context": ctx} if tls else {}
    s = cls(listener["host"], listener["port"], local_hostname="smoke.test.sysmail", timeout=TIMEOUT, **kwargs)
    return s


def message(to, token, extra=""):
    return (
        "From: smoke@test.sysmail\r\nTo: %s\r\nSubject: smoke %s\r\nMessage-ID: <%s@test.sysmail>\r\n\r\n"
        "harness smoke %s\r\n%s" % (to, token, token, token, extra)
    )


def pop_login(listener, user, secure=False):
    cls = poplib.POP3_SSL if secure else poplib.POP3
    kwargs = {"context": ctx} if secure else {}
    p = cls(listener["host"], listener["port"], timeout=TIMEOUT, **kwargs)
    p.user(user["username"])
    p.pass_(user["password"])
    return p


def wait_for_message(user, token, deadline_s=20):
    """Polls the user's mailbox over POP3 until a message carrying token arrives."""
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        p = pop_login(cfg["pop3"]["plain"], user)
        try:
            count, _ = p.stat()
            for n in range(1, count + 1):
                lines = p.retr(n)[1]
                if any(token.encode() in line for line in lines):
                    return b"\r\n".join(lines)
        finally:
            p.quit()
        time.sleep(0.3)
    return None


def digest_md5_response(challenge, username, password, service, host):
    """Builds an RFC 2831 client response (qop=auth) for one challenge."""
    fields = dict(re.findall(r'([a-z-]+)=("[^"]*"|[^,]*)', challenge.decode()))
    fields = {k: v.strip('"') for k, v in fields.items()}
    realm = fields.get("realm", "")
    nonce = fields["nonce"]
    cnonce = uuid.uuid4().hex
    nc = "00000001"
    digest_uri = "%s/%s" % (service, host)
    a1 = hashlib.md5(("%s:%s:%s" % (username, realm, password)).encode()).digest() + (
        ":%s:%s" % (nonce, cnonce)).encode()
    a2 = ("AUTHENTICATE:%s" % digest_uri).encode()
    h = lambda b: hashlib.md5(b).hexdigest()  # noqa: E731
    response = h(("%s:%s:%s:%s:auth:%s" % (h(a1), nonce, nc, cnonce, h(a2))).encode())
    parts = ['username="%s"' % username, 'nonce="%s"' % nonce, 'cnonce="%s"' % cnonce, "nc=%s" % nc,
             "qop=auth", 'digest-uri="%s"' % digest_uri, "response=%s" % response, "charset=utf-8"]
    if realm:
        parts.insert(1, 'realm="%s"' % realm)
    return ",".join(parts).encode(), realm


def b64(b):
    return base64.b64encode(b).decode()


ascii_user, latin1_user, euro_user, other_user = users["ascii"], users["latin1"], users["euro"], users["other"]
smtp_cfg, pop_cfg = cfg["smtp"], cfg["pop3"]

# --- SMTP submission: STARTTLS required, AUTH only after TLS ---------------------
s = smtp(smtp_cfg["submission"])
code, ehlo = s.ehlo()
note("submission EHLO before TLS", ehlo.decode())
check("submission: STARTTLS advertised, AUTH not before TLS", s.has_extn("starttls") and not s.has_extn("auth"), ehlo)
code, text = s.mail("smoke@test.sysmail")
note("submission MAIL before TLS", "%d %s" % (code, text.decode()))
check("submission: MAIL before STARTTLS refused with 530 5.7.0", code == 530 and text.startswith(b"5.7.0"), (code, text))
s.rset()
s.starttls(context=ctx)
code, ehlo = s.ehlo()
note("submission EHLO after TLS", ehlo.decode())
check("submission: AUTH PLAIN LOGIN CRAM-MD5 DIGEST-MD5 after TLS",
      s.has_extn("auth") and set(s.esmtp_features["auth"].upper().split()) >= {"PLAIN", "LOGIN", "CRAM-MD5", "DIGEST-MD5"},
      s.esmtp_features.get("auth"))
s.user, s.password = ascii_user["username"], ascii_user["password"]
code, text = s.auth("PLAIN", s.auth_plain)
note("AUTH PLAIN success", "%d %s" % (code, text.decode()))
check("submission: AUTH PLAIN after STARTTLS", code == 235, (code, text))
token_sub = uuid.uuid4().hex
refused = s.sendmail("smoke@test.sysmail", [ascii_user["address"]], message(ascii_user["address"], token_sub))
check("submission: mail to ascii@ accepted", refused == {}, refused)
s.quit()

s = smtp(smtp_cfg["submission"])
s.starttls(context=ctx)
s.ehlo()
e = raises(lambda: s.sendmail("smoke@test.sysmail", [ascii_user["address"]], "Subject: x\r\n\r\nx\r\n"))
note("submission RCPT without AUTH", repr(e))
check("submission: RCPT without AUTH refused 554 5.7.1",
      isinstance(e, smtplib.SMTPRecipientsRefused) and list(e.recipients.values())[0][0] == 554, e)
s.close()

# --- POP3: USER/PASS retrieves it; APOP; STLS; SASL ---------------------------
body = wait_for_message(ascii_user, token_sub)
check("pop3: USER/PASS retrieves the mail sent over submission", body is not None)
if body is not None:
    note("delivered message head", body.decode("utf-8", "replace").split("\r\n\r\n")[0])

p = poplib.POP3(pop_cfg["plain"]["host"], pop_cfg["plain"]["port"], timeout=TIMEOUT)
greeting = p.getwelcome()
note("pop3 greeting", greeting.decode())
check("pop3: greeting carries an APOP timestamp", re.search(rb"<[^<>]+@[^<>]+>", greeting) is not None, greeting)
capa = p.capa()
note("pop3 CAPA before login", capa)
check("pop3: CAPA before login lists STLS, USER and SASL mechanisms",
      "STLS" in capa and "USER" in capa and set(capa.get("SASL", [])) >= {"PLAIN", "LOGIN", "CRAM-MD5", "DIGEST-MD5"}, capa)
e = raises(lambda: p.apop(ascii_user["username"], "wrong-password"))
note("pop3 APOP failure", repr(e))
check("pop3: APOP with a wrong password fails with -ERR [AUTH]", isinstance(e, poplib.error_proto) and b"[AUTH]" in e.args[0], e)
p.quit()

p = poplib.POP3(pop_cfg["plain"]["host"], pop_cfg["plain"]["port"], timeout=TIMEOUT)
reply = p.apop(ascii_user["username"], ascii_user["password"])
note("pop3 APOP success", reply.decode())
check("pop3: APOP login", reply.startswith(b"+OK"), reply)
note("pop3 CAPA after login", p.capa())
p.quit()

p = poplib.POP3(pop_cfg["plain"]["host"], pop_cfg["plain"]["port"], timeout=TIMEOUT)
reply = p.stls(context=ctx)
note("pop3 STLS reply", reply.decode())
capa = p.capa()
note("pop3 CAPA after STLS", capa)
check("pop3: STLS, then CAPA without STLS", "STLS" not in capa, capa)
p.user(ascii_user["username"])
check("pop3: USER/PASS after STLS", p.pass_(ascii_user["password"]).startswith(b"+OK"))
p.quit()

p = poplib.POP3(pop_cfg["plain"]["host"], pop_cfg["plain"]["port"], timeout=TIMEOUT)
p.user(ascii_user["username"])
e = raises(lambda: p.pass_("wrong-password"))
note("pop3 PASS failure", repr(e))
check("pop3: PASS with a wrong password fails with -ERR [AUTH]", isinstance(e, poplib.error_proto) and b"[AUTH]" in e.args[0], e)
plain_ir = b64(b"\0" + ascii_user["username"].encode() + b"\0" + ascii_user["password"].encode())
reply = p._shortcmd("AUTH PLAIN " + plain_ir)
note("pop3 AUTH PLAIN (initial response) success", reply.decode())
check("pop3: AUTH PLAIN with initial response (RFC 5034)", reply.startswith(b"+OK"), reply)
p.quit()

p = poplib.POP3(pop_cfg["plain"]["host"], pop_cfg["plain"]["port"], timeout=TIMEOUT)
p._putcmd("AUTH CRAM-MD5")
challenge_line = p._getline()[0]
note("pop3 AUTH CRAM-MD5 challenge line", challenge_line.decode())
challenge = base64.b64decode(challenge_line[2:])
note("pop3 CRAM-MD5 challenge (decoded)", challenge.decode())
digest = hmac.new(ascii_user["password"].encode(), challenge, "md5").hexdigest()
p._putcmd(b64(("%s %s" % (ascii_user["username"], digest)).encode()))
reply = p._getresp()
check("pop3: AUTH CRAM-MD5", reply.startswith(b"+OK"), reply)
p.quit()

# --- POP3S ----------------------------------------------------------------------
p = pop_login(pop_cfg["pop3s"], other_user, secure=True)
note("pop3s greeting", p.getwelcome().decode())
check("pop3s: implicit TLS USER/PASS login", p.stat() is not None)
p.quit()

# --- Non-ASCII passwords (UTF-8 on the wire) ----------------------------------
for user in (latin1_user, euro_user):
    p = pop_login(pop_cfg["plain"], user)
    check("pop3: USER/PASS with a UTF-8 password %r" % user["password"], p.stat() is not None)
    p.quit()
    p = poplib.POP3(pop_cfg["plain"]["host"], pop_cfg["plain"]["port"], timeout=TIMEOUT)
    check("pop3: APOP with a UTF-8 password %r" % user["password"],
          p.apop(user["username"], user["password"]).startswith(b"+OK"))
    p.quit()
p = poplib.POP3(pop_cfg["plain"]["host"], pop_cfg["plain"]["port"], timeout=TIMEOUT)
p.user(latin1_user["username"])
p._putline(b"PASS " + latin1_user["password"].encode("latin-1"))
e = raises(p._getresp)
check("pop3: the Latin-1 password sent as ISO-8859-1 bytes is refused (the server compares UTF-8)",
      isinstance(e, poplib.error_proto), e)
p.quit()

# --- SMTPS ----------------------------------------------------------------------
s = smtp(smtp_cfg["smtps"], tls=True)
code, ehlo = s.ehlo()
note("smtps EHLO", ehlo.decode())
s.user, s.password = other_user["username"], other_user["password"]
code, text = s.auth("CRAM-MD5", s.auth_cram_md5)
check("smtps: AUTH CRAM-MD5", code == 235, (code, text))
token_smtps = uuid.uuid4().hex
check("smtps: mail accepted", s.sendmail("smoke@test.sysmail", [other_user["address"]],
                                         message(other_user["address"], token_smtps)) == {})
s.quit()
check("smtps: mail delivered", wait_for_message(other_user, token_smtps) is not None)

# --- SMTP AUTH on a plaintext link ----------------------------------------------
listener = smtp_cfg["plainAuth"]
s = smtp(listener)
code, ehlo = s.ehlo()
note("plainAuth EHLO", ehlo.decode())
check("plainAuth: no STARTTLS, AUTH PLAIN LOGIN CRAM-MD5 DIGEST-MD5 on plaintext",
      not s.has_extn("starttls") and set(s.esmtp_features.get("auth", "").upper().split()) >= {"PLAIN", "LOGIN", "CRAM-MD5", "DIGEST-MD5"},
      ehlo)
code, text = s.docmd("AUTH PLAIN", b64(b"\0" + ascii_user["username"].encode() + b"\0wrong-password"))
note("smtp AUTH failure", "%d %s" % (code, text.decode()))
check("plainAuth: wrong password -> 535 5.7.8", code == 535 and text.startswith(b"5.7.8"), (code, text))
e = raises(lambda: s.sendmail("smoke@test.sysmail", [ascii_user["address"]], "Subject: x\r\n\r\nx\r\n"))
note("plainAuth RCPT without AUTH", repr(e))
check("plainAuth: RCPT without AUTH refused 554 5.7.1",
      isinstance(e, smtplib.SMTPRecipientsRefused) and list(e.recipients.values())[0][0] == 554, e)
s.quit()
for mech in ("LOGIN", "CRAM-MD5"):
    s = smtp(listener)
    s.ehlo()
    s.user, s.password = ascii_user["username"], ascii_user["password"]
    method = {"LOGIN": s.auth_login, "CRAM-MD5": s.auth_cram_md5}[mech]
    code, text = s.auth(mech, method)
    check("plainAuth: AUTH %s" % mech, code == 235, (code, text))
    s.quit()
for user in (latin1_user, euro_user):
    s = smtp(listener)
    s.ehlo()
    code, text = s.docmd("AUTH PLAIN", b64(b"\0" + user["username"].encode() + b"\0" + user["password"].encode("utf-8")))
    check("plainAuth: AUTH PLAIN with UTF-8 password %r" % user["password"], code == 235, (code, text))
    s.quit()
s = smtp(listener)
s.ehlo()
s.user, s.password = euro_user["username"], euro_user["password"]
code, text = s.auth("CRAM-MD5", lambda challenge=None: s.auth_cram_md5(challenge) if challenge is None else
                    euro_user["username"] + " " + hmac.new(euro_user["password"].encode(), challenge, "md5").hexdigest())
check("plainAuth: AUTH CRAM-MD5 with UTF-8 password (HMAC key = UTF-8 bytes)", code == 235, (code, text))
s.quit()
for user in (ascii_user, euro_user):
    s = smtp(listener)
    s.ehlo()
    code, text = s.docmd("AUTH DIGEST-MD5")
    challenge = base64.b64decode(text)
    note("smtp DIGEST-MD5 challenge", challenge.decode())
    response, realm = digest_md5_response(challenge, user["username"], user["password"], "smtp", "localhost")
    code, text = s.docmd(b64(response))
    rspauth = base64.b64decode(text).decode() if code == 334 else ""
    note("smtp DIGEST-MD5 rspauth step", "%d %s" % (code, rspauth))
    if code == 334:
        code, text = s.docmd("")
    check("plainAuth: AUTH DIGEST-MD5 as %s (realm %r)" % (user["username"], realm), code == 235, (code, text))
    s.quit()

# --- POP before SMTP --------------------------------------------------------------
pbs = smtp_cfg["popBeforeSmtp"]
open(pbs["loginsFile"], "w").close()
s = smtp(pbs)
s.ehlo()
check("popBeforeSmtp: no AUTH offered", not s.has_extn("auth"))
e = raises(lambda: s.sendmail("smoke@test.sysmail", [ascii_user["address"]], "Subject: x\r\n\r\nx\r\n"))
detail = list(e.recipients.values())[0] if isinstance(e, smtplib.SMTPRecipientsRefused) else e
note("popBeforeSmtp refusal", repr(detail))
check("popBeforeSmtp: refused with 554 5.7.1 before any POP3 login",
      isinstance(detail, tuple) and detail[0] == 554 and detail[1].startswith(b"5.7.1"), detail)
s.quit()
pop_login(pop_cfg["plain"], other_user).quit()
token_pbs = uuid.uuid4().hex
s = smtp(pbs)
refused = s.sendmail("smoke@test.sysmail", [ascii_user["address"]], message(ascii_user["address"], token_pbs))
check("popBeforeSmtp: accepted right after a POP3 login", refused == {}, refused)
s.quit()
check("popBeforeSmtp: mail delivered", wait_for_message(ascii_user, token_pbs) is not None)
with open(pbs["windowFile"]) as f:
    window = f.read()
with open(pbs["windowFile"], "w") as f:
    f.write("1\n")
open(pbs["loginsFile"], "w").close()
pop_login(pop_cfg["plain"], other_user).quit()
time.sleep(2.2)
s = smtp(pbs)
e = raises(lambda: s.sendmail("smoke@test.sysmail", [ascii_user["address"]], "Subject: x\r\n\r\nx\r\n"))
check("popBeforeSmtp: refused once the login is older than the window", isinstance(e, smtplib.SMTPRecipientsRefused), e)
s.quit()
with open(pbs["windowFile"], "w") as f:
    f.write(window)
open(pbs["loginsFile"], "w").close()

# --- Open listener: relay refusal, unknown users, bare LF, pipelining -------------
listener = smtp_cfg["open"]
raw = socket.create_connection((listener["host"], listener["port"]), timeout=TIMEOUT)
f = raw.makefile("rb")


def replies(n):
    out = []
    for _ in range(n):
        lines = []
        while True:
            line = f.readline()
            lines.append(line.decode().rstrip("\r\n"))
            if line[3:4] != b"-":
                break
        out.append("\n".join(lines))
    return out


greeting = replies(1)[0]
note("smtp greeting", greeting)
raw.sendall(b"EHLO smoke.test.sysmail\r\n")
note("open EHLO", replies(1)[0])
raw.sendall(b"MAIL FROM:<smoke@test.sysmail>\r\nRCPT TO:<someone@example.com>\r\nRCPT TO:<nobody@test.sysmail>\r\n"
            b"RCPT TO:<" + ascii_user["address"].encode() + b">\r\nDATA\r\n")
got = replies(5)
note("open pipelined MAIL/RCPT x3/DATA", got)
check("open: pipelined MAIL, 3 RCPT, DATA answered in order",
      got[0].startswith("250") and got[1].startswith("554 5.7.1") and got[2].startswith("550 5.1.1")
      and got[3].startswith("250") and got[4].startswith("354"), got)
token_lf = uuid.uuid4().hex
raw.sendall(("Subject: bare LF %s\nX-Bare: lf\n\nline one\nline two\r\n.\r\n" % token_lf).encode())
got = replies(1)[0]
note("open DATA with bare LF", got)
check("open: message with bare LF line ends accepted", got.startswith("250"), got)
raw.sendall(b"QUIT\r\n")
replies(1)
raw.close()
delivered = wait_for_message(ascii_user, token_lf)
check("open: bare-LF message delivered", delivered is not None)
if delivered is not None:
    note("bare-LF message as retrieved over POP3", delivered.decode(errors="replace"))

print("\n%d check(s) failed" % len(failures) if failures else "\nall checks passed")
sys.exit(1 if failures else 0)
