/* A POP3 sink serving a synthetic mailbox of COUNT messages of SIZE bytes
 * (SIZE a multiple of 64: lines of 62 letters and CRLF, none starting with a
 * dot, so nothing needs stuffing). It advertises PIPELINING, accepts any login
 * and writes message bodies from one pre-built buffer.
 * Usage: pop3-sink COUNT SIZE [port]   (prints the port it listens on) */
#include "common.h"

#define BLOCK_SIZE (1 << 20)

static unsigned long long message_count;
static unsigned long long message_size;
static char *block; /* BLOCK_SIZE bytes of 64-byte lines */

static int send_message(int fd, outbuf *out) {
  char status[64];
  snprintf(status, sizeof status, "+OK %llu octets\r\n", message_size);
  out_text(out, status);
  if (message_size <= BLOCK_SIZE) {
    out_append(out, block, message_size);
    out_text(out, ".\r\n");
    return 0;
  }
  if (out_flush(fd, out) < 0) return -1;
  unsigned long long left = message_size;
  while (left > 0) {
    size_t chunk = left < BLOCK_SIZE ? (size_t)left : BLOCK_SIZE;
    if (write_all(fd, block, chunk) < 0) return -1;
    left -= chunk;
  }
  out_text(out, ".\r\n");
  return 0;
}

static void *serve(void *argument) {
  int fd = (int)(intptr_t)argument;
  char buffer[65536];
  size_t pending = 0;
  outbuf out = {0};
  out_text(&out, "+OK sink ready <1.1@sink>\r\n");
  out_flush(fd, &out);
  for (;;) {
    ssize_t n = read(fd, buffer + pending, sizeof buffer - pending);
    if (n <= 0) break;
    size_t length = pending + (size_t)n;
    size_t at = 0;
    char *lf;
    while ((lf = memchr(buffer + at, '\n', length - at)) != NULL) {
      char *line = buffer + at;
      at += (size_t)(lf - line) + 1;
      if (strncasecmp(line, "RETR", 4) == 0) {
        unsigned long long number = strtoull(line + 5, NULL, 10);
        if (number < 1 || number > message_count) {
          out_text(&out, "-ERR no such message\r\n");
        } else if (send_message(fd, &out) < 0) {
          goto done;
        }
      } else if (strncasecmp(line, "CAPA", 4) == 0) {
        out_text(&out, "+OK\r\nUSER\r\nPIPELINING\r\nUIDL\r\nTOP\r\nSASL PLAIN\r\n.\r\n");
      } else if (strncasecmp(line, "STAT", 4) == 0) {
        char reply[96];
        snprintf(reply, sizeof reply, "+OK %llu %llu\r\n", message_count, message_count * message_size);
        out_text(&out, reply);
      } else if (strncasecmp(line, "LIST", 4) == 0) {
        char reply[96];
        out_text(&out, "+OK\r\n");
        for (unsigned long long i = 1; i <= message_count; i++) {
          snprintf(reply, sizeof reply, "%llu %llu\r\n", i, message_size);
          out_text(&out, reply);
        }
        out_text(&out, ".\r\n");
      } else if (strncasecmp(line, "QUIT", 4) == 0) {
        out_text(&out, "+OK bye\r\n");
        out_flush(fd, &out);
        goto done;
      } else if (strncasecmp(line, "AUTH", 4) == 0) {
        out_text(&out, "+OK logged in\r\n");
      } else {
        out_text(&out, "+OK\r\n"); /* USER, PASS, APOP, NOOP, DELE, RSET */
      }
    }
    pending = length - at;
    if (pending == sizeof buffer) pending = 0;
    memmove(buffer, buffer + at, pending);
    if (out.length > 0 && out_flush(fd, &out) < 0) break;
  }
done:
  close(fd);
  free(out.data);
  return NULL;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: pop3-sink COUNT SIZE [port]\n");
    return 2;
  }
  message_count = strtoull(argv[1], NULL, 10);
  message_size = strtoull(argv[2], NULL, 10);
  if (message_size == 0 || message_size % 64 != 0) {
    fprintf(stderr, "SIZE must be a positive multiple of 64\n");
    return 2;
  }
  block = malloc(BLOCK_SIZE);
  for (size_t i = 0; i < BLOCK_SIZE; i += 64) {
    memset(block + i, 'a' + (int)((i / 64) % 26), 62);
    block[i + 62] = '\r';
    block[i + 63] = '\n';
  }
  serve_forever(argc > 3 ? atoi(argv[3]) : 0, serve);
  return 0;
}
