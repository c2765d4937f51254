/* An SMTP sink that costs almost nothing per byte: it advertises PIPELINING,
 * 8BITMIME, SIZE, CHUNKING and AUTH PLAIN, accepts every command, and discards
 * DATA (scanning for the terminator) and BDAT chunks (skipping their length).
 * Replies to pipelined commands are flushed once per read.
 * Usage: smtp-sink [port]   (prints the port it listens on) */
#include "common.h"

#define READ_SIZE (1 << 20)

enum mode { COMMANDS, DATA, BDAT };

static void *serve(void *argument) {
  int fd = (int)(intptr_t)argument;
  char *buffer = malloc(READ_SIZE + 4096);
  outbuf out = {0};
  enum mode mode = COMMANDS;
  size_t pending = 0;       /* bytes carried over: an incomplete command line */
  unsigned long long bdat_left = 0;
  int bdat_last = 0;
  /* How much of "\r\n.\r\n" matched at the end of the previous read. */
  int terminator_matched = 2; /* DATA starts after a CRLF */
  static const char terminator[] = "\r\n.\r\n";
  out_text(&out, "220 sink ESMTP\r\n");
  out_flush(fd, &out);
  for (;;) {
    ssize_t n = read(fd, buffer + pending, READ_SIZE);
    if (n <= 0) break;
    size_t length = pending + (size_t)n;
    size_t at = 0;
    while (at < length) {
      if (mode == BDAT) {
        size_t take = length - at < bdat_left ? length - at : (size_t)bdat_left;
        at += take;
        bdat_left -= take;
        if (bdat_left == 0) {
          out_text(&out, bdat_last ? "250 2.0.0 queued\r\n" : "250 2.0.0 chunk ok\r\n");
          mode = COMMANDS;
        }
        continue;
      }
      if (mode == DATA) {
        while (at < length) {
          char c = buffer[at++];
          if (c == terminator[terminator_matched]) {
            if (++terminator_matched == 5) break;
          } else {
            terminator_matched = c == '\r' ? 1 : 0;
          }
        }
        if (terminator_matched == 5) {
          out_text(&out, "250 2.0.0 queued\r\n");
          mode = COMMANDS;
        }
        continue;
      }
      char *lf = memchr(buffer + at, '\n', length - at);
      if (lf == NULL) break;
      char *line = buffer + at;
      size_t line_length = (size_t)(lf - line) + 1;
      at += line_length;
      if (strncasecmp(line, "EHLO", 4) == 0) {
        out_text(&out, "250-sink\r\n250-PIPELINING\r\n250-8BITMIME\r\n250-SIZE 1073741824\r\n"
                       "250-CHUNKING\r\n250-ENHANCEDSTATUSCODES\r\n250 AUTH PLAIN\r\n");
      } else if (strncasecmp(line, "HELO", 4) == 0) {
        out_text(&out, "250 sink\r\n");
      } else if (strncasecmp(line, "AUTH", 4) == 0) {
        out_text(&out, "235 2.7.0 ok\r\n");
      } else if (strncasecmp(line, "MAIL", 4) == 0 || strncasecmp(line, "RCPT", 4) == 0 ||
                 strncasecmp(line, "RSET", 4) == 0 || strncasecmp(line, "NOOP", 4) == 0) {
        out_text(&out, "250 2.0.0 ok\r\n");
      } else if (strncasecmp(line, "DATA", 4) == 0) {
        out_text(&out, "354 go ahead\r\n");
        mode = DATA;
        terminator_matched = 2;
      } else if (strncasecmp(line, "BDAT", 4) == 0) {
        char *end = NULL;
        bdat_left = strtoull(line + 5, &end, 10);
        bdat_last = end != NULL && strncasecmp(end, " LAST", 5) == 0;
        mode = BDAT;
        if (bdat_left == 0) {
          out_text(&out, "250 2.0.0 queued\r\n");
          mode = COMMANDS;
        }
      } else if (strncasecmp(line, "QUIT", 4) == 0) {
        out_text(&out, "221 2.0.0 bye\r\n");
        out_flush(fd, &out);
        goto done;
      } else {
        out_text(&out, "500 5.5.2 unknown\r\n");
      }
    }
    pending = length - at;
    if (pending > 4096) pending = 0; /* an over-long line: drop it */
    memmove(buffer, buffer + at, pending);
    if (out.length > 0 && out_flush(fd, &out) < 0) break;
  }
done:
  close(fd);
  free(buffer);
  free(out.data);
  return NULL;
}

int main(int argc, char **argv) {
  serve_forever(argc > 1 ? atoi(argv[1]) : 0, serve);
  return 0;
}
