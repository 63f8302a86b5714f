/*
 * xsload: load generator for any XenStore daemon socket (ours, cxenstored, oxenstored).
 *
 *   xsload pipeline SOCKET COUNT DEPTH        COUNT READs, DEPTH in flight at a time
 *   xsload clients  SOCKET CLIENTS SECONDS    CLIENTS processes doing READ round trips
 *   xsload fill     SOCKET FIRST COUNT DIR    pipelined WRITEs of DIR/n<i> (new nodes)
 *   xsload writes   SOCKET FIRST COUNT DIR    same, timed: new-node writes per second
 *
 * Each prints one line "ops=<n> seconds=<s> rate=<ops/s>". Replies are checked: an error
 * reply or a reply out of order aborts the run.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define XS_READ 2
#define XS_WRITE 11
#define XS_ERROR 16
#define XS_WATCH_EVENT 15

struct hdr { uint32_t type, req_id, tx_id, len; };

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int connect_to(const char *path)
{
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un a = { .sun_family = AF_UNIX };
    strncpy(a.sun_path, path, sizeof(a.sun_path) - 1);
    for (int tries = 0; connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0; tries++) {
        if (errno != EAGAIN || tries > 1000) { perror("connect"); exit(2); }
        usleep(1000);
    }
    return fd;
}

static void write_all(int fd, const char *buf, size_t n)
{
    while (n) {
        ssize_t w = write(fd, buf, n);
        if (w <= 0) { perror("write"); exit(2); }
        buf += w; n -= w;
    }
}

static void read_all(int fd, char *buf, size_t n)
{
    while (n) {
        ssize_t r = read(fd, buf, n);
        if (r <= 0) { perror("read"); exit(2); }
        buf += r; n -= r;
    }
}

/* Reads one reply (skipping watch events) and checks it is not an error. */
static void expect_reply(int fd, uint32_t req)
{
    static char body[65536];
    for (;;) {
        struct hdr h;
        read_all(fd, (char *)&h, sizeof(h));
        if (h.len > sizeof(body)) { fprintf(stderr, "reply too long\n"); exit(2); }
        read_all(fd, body, h.len);
        if (h.type == XS_WATCH_EVENT) continue;
        if (h.type == XS_ERROR) { fprintf(stderr, "error reply %.*s to %u\n", (int)h.len, body, req); exit(3); }
        if (h.req_id != req) { fprintf(stderr, "reply %u out of order, wanted %u\n", h.req_id, req); exit(3); }
        return;
    }
}

static size_t put_request(char *out, uint32_t type, uint32_t req, const char *path, const char *value)
{
    struct hdr h = { type, req, 0, 0 };
    size_t plen = strlen(path) + 1, vlen = value ? strlen(value) : 0;
    h.len = plen + vlen;
    memcpy(out, &h, sizeof(h));
    memcpy(out + sizeof(h), path, plen);
    if (vlen) memcpy(out + sizeof(h) + plen, value, vlen);
    return sizeof(h) + h.len;
}

/* COUNT requests, DEPTH at a time in one write, then DEPTH replies. */
static double pipelined(const char *sock, long count, int depth, uint32_t type, const char *dir, long first)
{
    int fd = connect_to(sock);
    char *batch = malloc((size_t)depth * 200);
    char path[128];
    uint32_t req = 1;
    double t0 = now();
    for (long done = 0; done < count; ) {
        int n = count - done < depth ? (int)(count - done) : depth;
        size_t len = 0;
        for (int i = 0; i < n; i++) {
            if (type == XS_WRITE) snprintf(path, sizeof(path), "%s/n%ld", dir, first + done + i);
            else snprintf(path, sizeof(path), "/tool/xenstored");
            len += put_request(batch + len, type, req + i, path, type == XS_WRITE ? "v" : NULL);
        }
        write_all(fd, batch, len);
        for (int i = 0; i < n; i++) expect_reply(fd, req + i);
        req += n;
        done += n;
    }
    double t = now() - t0;
    close(fd);
    free(batch);
    return t;
}

static void clients(const char *sock, int nclients, double seconds)
{
    long *counts = mmap(NULL, sizeof(long) * nclients, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    int *go = mmap(NULL, sizeof(int), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    *go = 0;
    for (int c = 0; c < nclients; c++) {
        if (fork() == 0) {
            int fd = connect_to(sock);
            char buf[256];
            while (!__atomic_load_n(go, __ATOMIC_ACQUIRE)) usleep(1000);
            double end = now() + seconds;
            long n = 0;
            uint32_t req = 1;
            while (now() < end) {
                size_t len = put_request(buf, XS_READ, req, "/tool/xenstored", NULL);
                write_all(fd, buf, len);
                expect_reply(fd, req++);
                n++;
            }
            counts[c] = n;
            _exit(0);
        }
    }
    usleep(300000); /* every client connected */
    double t0 = now();
    __atomic_store_n(go, 1, __ATOMIC_RELEASE);
    int failed = 0, status;
    while (wait(&status) > 0) failed |= !WIFEXITED(status) || WEXITSTATUS(status);
    double t = now() - t0;
    long total = 0;
    for (int c = 0; c < nclients; c++) total += counts[c];
    if (failed) { fprintf(stderr, "a client failed\n"); exit(3); }
    printf("ops=%ld seconds=%.3f rate=%.0f\n", total, t, total / (t < seconds ? seconds : t));
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    if (argc < 5) {
        fprintf(stderr, "usage: xsload pipeline|clients|fill|writes SOCKET ...\n");
        return 2;
    }
    const char *mode = argv[1], *sock = argv[2];
    if (!strcmp(mode, "pipeline")) {
        long count = atol(argv[3]);
        double t = pipelined(sock, count, atoi(argv[4]), XS_READ, NULL, 0);
        printf("ops=%ld seconds=%.3f rate=%.0f\n", count, t, count / t);
    } else if (!strcmp(mode, "clients")) {
        clients(sock, atoi(argv[3]), atof(argv[4]));
    } else if (!strcmp(mode, "fill") || !strcmp(mode, "writes")) {
        long first = atol(argv[3]), count = atol(argv[4]);
        double t = pipelined(sock, count, 64, XS_WRITE, argc > 5 ? argv[5] : "/fill", first);
        printf("ops=%ld seconds=%.3f rate=%.0f\n", count, t, count / t);
    } else {
        fprintf(stderr, "unknown mode %s\n", mode);
        return 2;
    }
    return 0;
}
