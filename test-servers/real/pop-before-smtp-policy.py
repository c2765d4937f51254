#!/usr/bin/python3
"""Postfix policy daemon for the sysmail interop harness: POP before SMTP.

Postfix asks, per RCPT, whether the client may send (check_policy_service);
the answer is yes only when the client's address logged in to POP3 within the
last N seconds. Dovecot's pop3 post-login script appends "<ip> <unix time>"
lines to RECORD_FILE. Truncating that file makes the server forget every login,
which is how a test run from 127.0.0.1 gets a "not logged in" client back.
WINDOW_FILE holds N in seconds and is re-read per request, so a test can
shorten the window without a restart.

Usage: pop-before-smtp-policy.py SOCKET_PATH RECORD_FILE WINDOW_FILE
"""

import os
import socket
import socketserver
import sys
import time

SOCKET_PATH, RECORD_FILE, WINDOW_FILE = sys.argv[1:4]
MAX_REQUEST_LINES = 200  # Postfix sends about 30 attributes; bound the rest


def read_window():
    try:
        with open(WINDOW_FILE, encoding="ascii") as f:
            return max(0, int(f.read().strip()))
    except (OSError, ValueError):
        return 60


def last_login(address):
    latest = None
    try:
        with open(RECORD_FILE, encoding="ascii", errors="replace") as f:
            for line in f:
                parts = line.split()
                if len(parts) == 2 and parts[0] == address and parts[1].isdigit():
                    t = int(parts[1])
                    latest = t if latest is None or t > latest else latest
    except FileNotFoundError:
        pass
    return latest


def decide(attributes):
    address = attributes.get("client_address", "")
    window = read_window()
    latest = last_login(address)
    now = int(time.time())
    if latest is not None and now - latest <= window:
        return "OK"
    return (
        "554 5.7.1 POP before SMTP: no POP3 login from %s in the last %d seconds; "
        "log in to POP3 first" % (address or "this client", window)
    )


class PolicyHandler(socketserver.StreamRequestHandler):
    def handle(self):
        while True:
            attributes = {}
            for _ in range(MAX_REQUEST_LINES):
                raw = self.rfile.readline(4096)
                if not raw:
                    return
                line = raw.decode("utf-8", "replace").rstrip("\r\n")
                if line == "":
                    break
                name, _, value = line.partition("=")
                attributes[name] = value
            else:
                return
            self.wfile.write(("action=%s\n\n" % decide(attributes)).encode("utf-8"))
            self.wfile.flush()


class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


if __name__ == "__main__":
    if os.path.exists(SOCKET_PATH):
        os.unlink(SOCKET_PATH)
    with Server(SOCKET_PATH, PolicyHandler) as server:
        # Postfix's smtpd runs as the postfix user and must be able to connect.
        os.chmod(SOCKET_PATH, 0o666)
        server.serve_forever()
