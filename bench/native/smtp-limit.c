/* The limit: a raw SMTP client that pipelines everything the sink allows,
 * MAIL, RCPT and BDAT ... LAST for every message back to back from a writer
 * thread, while the main thread counts replies. No client can do less work
 * per message, so sysmail's figures are read against this one.
 * Usage: smtp-limit PORT COUNT SIZE [auth]   (SIZE a multiple of 64) */
#include "common.h"

static int fd;
static unsigned long long count, size;
static int authenticate;

static char *body_block(size_t length) {
  char *block = malloc(length);
  for (size_t i = 0; i < length; i += 64) {
    memset(block + i, 'a' + (int)((i / 64) % 26), 62);
    block[i + 62] = '\r';
    block[i + 63] = '\n';
  }
  return block;
}

static void *writer(void *unused) {
  (void)unused;
  const size_t block_size = size < (1 << 20) ? (size_t)size : (1 << 20);
  char *block = body_block(block_size);
  outbuf out = {0};
  char header[128];
  for (unsigned long long i = 0; i < count; i++) {
    snprintf(header, sizeof header, "MAIL FROM:<bench@sink.test>\r\nRCPT TO:<to@sink.test>\r\nBDAT %llu LAST\r\n", size);
    out_text(&out, header);
    unsigned long long left = size;
    while (left > 0) {
      size_t chunk = left < block_size ? (size_t)left : block_size;
      out_append(&out, block, chunk);
      left -= chunk;
      if (out.length >= (1 << 18) && out_flush(fd, &out) < 0) die("write");
    }
  }
  out_text(&out, "QUIT\r\n");
  if (out_flush(fd, &out) < 0) die("write");
  free(block);
  free(out.data);
  return NULL;
}

/* Reads until `lines` final reply lines ("NNN " form) have arrived. */
static void expect_replies(unsigned long long lines) {
  static char buffer[65536];
  static size_t pending;
  unsigned long long seen = 0;
  while (seen < lines) {
    ssize_t n = read(fd, buffer + pending, sizeof buffer - pending);
    if (n <= 0) die("read");
    size_t length = pending + (size_t)n, at = 0;
    char *lf;
    while ((lf = memchr(buffer + at, '\n', length - at)) != NULL) {
      char *line = buffer + at;
      if (lf - line >= 4 && line[3] == ' ') {
        if (line[0] != '2' && line[0] != '3') {
          fprintf(stderr, "unexpected reply: %.*s\n", (int)(lf - line), line);
          exit(1);
        }
        seen++;
      }
      at += (size_t)(lf - line) + 1;
    }
    pending = length - at;
    memmove(buffer, buffer + at, pending);
  }
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: smtp-limit PORT COUNT SIZE [auth]\n");
    return 2;
  }
  count = strtoull(argv[2], NULL, 10);
  size = strtoull(argv[3], NULL, 10);
  authenticate = argc > 4 && strcmp(argv[4], "auth") == 0;
  fd = connect_to("127.0.0.1", atoi(argv[1]));
  expect_replies(1);
  const char *hello = authenticate ? "EHLO limit\r\nAUTH PLAIN AHVzZXIAcGFzc3dvcmQ=\r\n" : "EHLO limit\r\n";
  if (write_all(fd, hello, strlen(hello)) < 0) die("write");
  expect_replies(authenticate ? 2 : 1);
  pthread_t thread;
  pthread_create(&thread, NULL, writer, NULL);
  expect_replies(count * 3 + 1);
  pthread_join(thread, NULL);
  close(fd);
  return 0;
}
