/* Shared helpers of the benchmark's native sinks and limit clients: blocking
 * sockets, whole writes, and a growable output buffer flushed once per read so
 * that pipelined commands get their replies in one segment. */
#ifndef SYSMAIL_BENCH_COMMON_H
#define SYSMAIL_BENCH_COMMON_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static inline void die(const char *what) {
  perror(what);
  exit(2);
}

static inline int write_all(int fd, const char *data, size_t length) {
  while (length > 0) {
    ssize_t n = write(fd, data, length);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    data += n;
    length -= (size_t)n;
  }
  return 0;
}

typedef struct {
  char *data;
  size_t length;
  size_t capacity;
} outbuf;

static inline void out_append(outbuf *out, const char *text, size_t length) {
  if (out->length + length > out->capacity) {
    out->capacity = (out->length + length) * 2 + 4096;
    out->data = realloc(out->data, out->capacity);
    if (out->data == NULL) die("realloc");
  }
  memcpy(out->data + out->length, text, length);
  out->length += length;
}

static inline void out_text(outbuf *out, const char *text) { out_append(out, text, strlen(text)); }

static inline int out_flush(int fd, outbuf *out) {
  int rc = write_all(fd, out->data, out->length);
  out->length = 0;
  return rc;
}

/* Listens on 127.0.0.1:port (0 = any free port), prints the port on stdout as
 * the first line, and runs `serve` in a thread per connection until killed. */
static inline void serve_forever(int port, void *(*serve)(void *)) {
  signal(SIGPIPE, SIG_IGN);
  int listener = socket(AF_INET, SOCK_STREAM, 0);
  if (listener < 0) die("socket");
  int yes = 1;
  setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  struct sockaddr_in address = {0};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons((uint16_t)port);
  if (bind(listener, (struct sockaddr *)&address, sizeof address) < 0) die("bind");
  if (listen(listener, 64) < 0) die("listen");
  socklen_t size = sizeof address;
  getsockname(listener, (struct sockaddr *)&address, &size);
  printf("%d\n", ntohs(address.sin_port));
  fflush(stdout);
  for (;;) {
    int client = accept(listener, NULL, NULL);
    if (client < 0) {
      if (errno == EINTR) continue;
      die("accept");
    }
    setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
    pthread_t thread;
    pthread_create(&thread, NULL, serve, (void *)(intptr_t)client);
    pthread_detach(thread);
  }
}

static inline int connect_to(const char *host, int port) {
  signal(SIGPIPE, SIG_IGN);
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) die("socket");
  struct sockaddr_in address = {0};
  address.sin_family = AF_INET;
  address.sin_port = htons((uint16_t)port);
  if (inet_pton(AF_INET, host, &address.sin_addr) != 1) die("inet_pton");
  if (connect(fd, (struct sockaddr *)&address, sizeof address) < 0) die("connect");
  int yes = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
  return fd;
}

#endif
