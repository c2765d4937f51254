"""Python's smtplib as its users run it: one connection, sendmail() per message."""
import smtplib
import sys
import time

port, count, size = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
auth = len(sys.argv) > 4 and sys.argv[4] == "auth"
# The client's own work, without interpreter start-up, as the Node drivers report it.
start = time.perf_counter()


def block(length, subject=None):
    # 26 lines of 62 letters and CRLF, repeated: the same bytes as the Node fixtures, built without a Python loop per line.
    pattern = b"".join(bytes([97 + i]) * 62 + b"\r\n" for i in range(26))
    lines = bytearray((pattern * (length // len(pattern) + 1))[:length])
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
print(f"work-seconds {time.perf_counter() - start:.6f}")
