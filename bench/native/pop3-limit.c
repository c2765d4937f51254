/* The limit: a raw POP3 client that pipelines RETR for every message from a
 * writer thread while the main thread discards the responses, counting their
 * terminators. Bodies from the sink never hold a line that is a lone dot, so
 * CRLF "." CRLF occurs exactly once per message.
 * Usage: pop3-limit PORT COUNT */
#include "common.h"

static int fd;
static unsigned long long count;

static void *writer(void *unused) {
  (void)unused;
  outbuf out = {0};
  char command[64];
  out_text(&out, "USER bench\r\nPASS bench\r\n");
  for (unsigned long long i = 1; i <= count; i++) {
    snprintf(command, sizeof command, "RETR %llu\r\n", i);
    out_text(&out, command);
    if (out.length >= (1 << 16) && out_flush(fd, &out) < 0) die("write");
  }
  if (out_flush(fd, &out) < 0) die("write");
  free(out.data);
  return NULL;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: pop3-limit PORT COUNT\n");
    return 2;
  }
  count = strtoull(argv[2], NULL, 10);
  fd = connect_to("127.0.0.1", atoi(argv[1]));
  pthread_t thread;
  pthread_create(&thread, NULL, writer, NULL);
  static char buffer[1 << 20];
  static const char terminator[] = "\r\n.\r\n";
  int matched = 0;
  unsigned long long seen = 0;
  while (seen < count) {
    ssize_t n = read(fd, buffer, sizeof buffer);
    if (n <= 0) die("read");
    for (char *at = buffer, *end = buffer + n; at < end;) {
      if (matched == 0) {
        char *cr = memchr(at, '\r', (size_t)(end - at));
        if (cr == NULL) break;
        at = cr + 1;
        matched = 1;
        continue;
      }
      char c = *at++;
      if (c == terminator[matched]) {
        if (++matched == 5) {
          seen++;
          matched = 0;
        }
      } else {
        matched = c == '\r' ? 1 : 0;
      }
    }
  }
  pthread_join(thread, NULL);
  if (write_all(fd, "QUIT\r\n", 6) < 0) die("write");
  close(fd);
  return 0;
}
