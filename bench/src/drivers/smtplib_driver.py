"""Python's smtplib as its users run it: one connection, sendmail() per message."""
import smtplib
import sys

port, count, size = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
auth = len(sys.argv) > 4 and sys.argv[4] == "auth"


def block(length, subject=None):
    lines = bytearray()
    for i in range(length // 64):
        lines += bytes([97 + i % 26]) * 62 + b"\r\n"
    if subject is not None:
        header = (f"Subject: {subject}".ljust(60) + "\r\n\r\n").encode()
        lines[: len(header)] = header
    return bytes(lines)


client = smtplib.SMTP("127.0.0.1", port)
client.ehlo("smtplib")
if auth:
    client.login("user", "password")
message = block(size, "small" if count > 1 else "large")
for _ in range(count):
    client.sendmail("bench@sink.test", ["to@sink.test"], message)
client.quit()
