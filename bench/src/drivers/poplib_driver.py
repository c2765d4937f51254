"""Python's poplib as its users run it: retr() per message, discarding the lines."""
import poplib
import sys
import time

port, count = int(sys.argv[1]), int(sys.argv[2])
# The client's own work, without interpreter start-up, as the Node drivers report it.
start = time.perf_counter()
# poplib refuses lines over 2048 bytes by default; the sink's lines are 64.
client = poplib.POP3("127.0.0.1", port)
client.user("bench")
client.pass_("bench")
for number in range(1, count + 1):
    client.retr(number)
client.quit()
print(f"work-seconds {time.perf_counter() - start:.6f}")
