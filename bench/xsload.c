/*
 * xsload: load generator for any XenStore daemon socket (ours, cxenstored, oxenstored).
 * Raw wire protocol (16-byte header, spec section 1), no libxenstore.
 *
 *   xsload [-p PID] pipeline SOCKET read|write COUNT DEPTH
 *       COUNT requests on one connection, DEPTH at a time: one write() holding DEPTH
 *       requests with distinct req_ids, then the DEPTH replies, repeated. READs read, and
 *       WRITEs overwrite, the DEPTH existing nodes /xsload/p/k<j> (16-byte values).
 *   xsload [-p PID] clients SOCKET read|write|rw NCLIENTS SECONDS [DEPTH=1]
 *       NCLIENTS forked processes, one connection each, doing round trips on their own node
 *       /xsload/c/<k> for SECONDS (DEPTH requests in flight per client; 1 = sequential).
 *       rw alternates WRITE and READ. Only round trips completed in the window count.
 *   xsload [-p PID] writes SOCKET DIR PREFIX FIRST COUNT DEPTH [MAXSECONDS=inf]
 *       WRITEs of new nodes DIR/PREFIX<FIRST..FIRST+COUNT-1> (value "v"), DEPTH in flight
 *       (1 = sequential round trips), stopping early after MAXSECONDS.
 *   xsload [-p PID] churn SOCKET DIR PREFIX COUNT SECONDS DEPTH
 *       Overwrites of existing nodes DIR/PREFIX<i>, i drawn at random below COUNT, for
 *       SECONDS, DEPTH in flight; each value is new (the write's sequence number in decimal),
 *       as counters and states change on a busy host.
 *   xsload [-p PID] fill SOCKET DOMAINS NODES DEPTH
 *       A host's worth of nodes: /local/domain/<d>/data/k<i> for d in 1..DOMAINS and i below
 *       NODES (value "v"), domain after domain on one connection, DEPTH in flight.
 *   xsload probe SOCKET PATH INTERVAL_US
 *       READs PATH every INTERVAL_US, one at a time, until SIGTERM or SIGINT; then prints
 *       "n=<reads> p50_us= p99_us= p999_us= max_us= first_us=" of the round-trip times
 *       (first_us: the first READ's, which pays for a cold daemon's first request). With
 *       XSLOAD_SLOW_US=<us> set, each READ slower than that is also printed to stderr as
 *       "slow at_s=<CLOCK_MONOTONIC seconds when sent> us=<round trip>", to line slow reads
 *       up with the daemon's own events.
 *   xsload rm SOCKET PATH
 *       RM PATH (missing is fine).
 *   xsload ownedfill SOCKET DOMAINS NODES
 *       A store of DOMAINS x NODES nodes for restart measurements: for each domain d in
 *       1..DOMAINS, /local/domain/d owned by d (SET_PERMS "n<d>"), then NODES new nodes
 *       /local/domain/d/n<i> (16-byte values), which a privileged writer creates with their
 *       parent's permissions, so each domain owns its own. 64 requests in flight.
 *   xsload firstread SOCKET PATH TIMEOUT
 *       Waits (polling every millisecond, up to TIMEOUT seconds) until SOCKET accepts a
 *       connection and answers a READ of PATH; prints "first_read_ms=<ms since started>".
 *
 * Each measuring mode prints one line "ops=<n> seconds=<s> rate=<ops/s>", and with -p PID
 * also "cpu_ns=<daemon CPU in the timed window> cpu_per_op=<ns>", the daemon's on-CPU time
 * summed over /proc/PID/task/ * /schedstat (first field). Replies are checked: an error
 * reply or a reply out of order aborts with status 3.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define XS_READ 2
#define XS_WRITE 11
#define XS_MKDIR 12
#define XS_RM 13
#define XS_SET_PERMS 14
#define XS_WATCH_EVENT 15
#define XS_ERROR 16

struct hdr { uint32_t type, req_id, tx_id, len; };

static long daemon_pid;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sleep_until(double t)
{
    double d;
    while ((d = t - now()) > 0) {
        struct timespec ts = { (time_t)d, (long)((d - (time_t)d) * 1e9) };
        nanosleep(&ts, NULL);
    }
}

/* Daemon CPU so far (ns), summed over its threads; 0 without -p. */
static unsigned long long daemon_cpu(void)
{
    if (!daemon_pid) return 0;
    char path[64];
    snprintf(path, sizeof(path), "/proc/%ld/task", daemon_pid);
    DIR *d = opendir(path);
    if (!d) { perror(path); exit(2); }
    unsigned long long sum = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char p[320];
        snprintf(p, sizeof(p), "/proc/%ld/task/%s/schedstat", daemon_pid, e->d_name);
        FILE *f = fopen(p, "r");
        if (!f) continue; /* thread ended meanwhile */
        unsigned long long ns;
        if (fscanf(f, "%llu", &ns) == 1) sum += ns;
        fclose(f);
    }
    closedir(d);
    return sum;
}

static void report(long ops, double secs, unsigned long long cpu)
{
    printf("ops=%ld seconds=%.6f rate=%.0f", ops, secs, ops / secs);
    if (daemon_pid) printf(" cpu_ns=%llu cpu_per_op=%.0f", cpu, ops ? (double)cpu / ops : 0.0);
    printf("\n");
    fflush(stdout);
}

static int connect_to(const char *path)
{
    struct sockaddr_un a = { .sun_family = AF_UNIX };
    strncpy(a.sun_path, path, sizeof(a.sun_path) - 1);
    for (int tries = 0;; tries++) {
        int fd = socket(AF_UNIX, SOCK_STREAM, 0);
        if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0) return fd;
        /* A full listen backlog (100 clients at once) answers EAGAIN: retry. */
        if ((errno != EAGAIN && errno != ECONNREFUSED) || tries > 2000) { perror("connect"); exit(2); }
        close(fd);
        usleep(1000);
    }
}

static void write_all(int fd, const char *buf, size_t n)
{
    while (n) {
        ssize_t w = write(fd, buf, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) { perror("write"); exit(2); }
        buf += w; n -= w;
    }
}

/* Buffered reader: one read() usually brings many pipelined replies. */
struct conn { int fd; size_t have, off; char buf[1 << 16]; };

static void conn_fill(struct conn *c, size_t need)
{
    if (c->off + need > sizeof(c->buf)) {
        memmove(c->buf, c->buf + c->off, c->have - c->off);
        c->have -= c->off; c->off = 0;
    }
    while (c->have - c->off < need) {
        ssize_t r = read(c->fd, c->buf + c->have, sizeof(c->buf) - c->have);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) { perror("read"); exit(2); }
        c->have += r;
    }
}

/* Reads one reply (skipping watch events), checks type and req_id. */
static void expect_reply(struct conn *c, uint32_t type, uint32_t req)
{
    for (;;) {
        struct hdr h;
        conn_fill(c, sizeof(h));
        memcpy(&h, c->buf + c->off, sizeof(h));
        if (h.len > 4096) { fprintf(stderr, "reply too long (%u)\n", h.len); exit(2); }
        conn_fill(c, sizeof(h) + h.len);
        const char *body = c->buf + c->off + sizeof(h);
        c->off += sizeof(h) + h.len;
        if (h.type == XS_WATCH_EVENT) continue;
        if (h.type == XS_ERROR) { fprintf(stderr, "error reply %.*s to req %u\n", (int)h.len, body, req); exit(3); }
        if (h.type != type || h.req_id != req) {
            fprintf(stderr, "reply type %u req %u, wanted type %u req %u\n", h.type, h.req_id, type, req);
            exit(3);
        }
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

static struct conn *open_conn(const char *sock)
{
    struct conn *c = calloc(1, sizeof(*c));
    c->fd = connect_to(sock);
    return c;
}

/* One synchronous request; for setup. */
static void call(struct conn *c, uint32_t type, const char *path, const char *value, int ok_if_error)
{
    char buf[512];
    size_t n = put_request(buf, type, 0x7fffffff, path, value);
    write_all(c->fd, buf, n);
    if (!ok_if_error) { expect_reply(c, type, 0x7fffffff); return; }
    struct hdr h;
    conn_fill(c, sizeof(h));
    memcpy(&h, c->buf + c->off, sizeof(h));
    conn_fill(c, sizeof(h) + h.len);
    c->off += sizeof(h) + h.len;
}

/* Sends LEN bytes of N pipelined requests of TYPE numbered from *REQ, checks their N replies
 * in order, and moves *REQ past them. */
static void exchange(struct conn *c, const char *batch, size_t len, uint32_t type, uint32_t *req, int n)
{
    write_all(c->fd, batch, len);
    for (int i = 0; i < n; i++) expect_reply(c, type, *req + i);
    *req += n;
}

static const char VALUE16[] = "0123456789abcdef";

static void pipeline(const char *sock, int write, long count, int depth)
{
    struct conn *c = open_conn(sock);
    char *batch = malloc((size_t)depth * 128);
    char (*paths)[64] = malloc((size_t)depth * 64);
    for (int j = 0; j < depth; j++) {
        snprintf(paths[j], 64, "/xsload/p/k%d", j);
        call(c, XS_WRITE, paths[j], VALUE16, 0);
    }
    uint32_t type = write ? XS_WRITE : XS_READ, req = 1;
    unsigned long long c0 = daemon_cpu();
    double t0 = now();
    for (long done = 0; done < count;) {
        int n = count - done < depth ? (int)(count - done) : depth;
        size_t len = 0;
        for (int i = 0; i < n; i++) len += put_request(batch + len, type, req + i, paths[i], write ? VALUE16 : NULL);
        exchange(c, batch, len, type, &req, n);
        done += n;
    }
    double t = now() - t0;
    unsigned long long c1 = daemon_cpu();
    report(count, t, c1 - c0);
    close(c->fd);
}

static void clients(const char *sock, int kind, int nclients, double seconds, int depth)
{
    /* kind: 0 read, 1 write, 2 alternate write/read */
    long *counts = mmap(NULL, sizeof(long) * nclients, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    volatile double *start = mmap(NULL, sizeof(double) * 2, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    int *ready = mmap(NULL, sizeof(int), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    start[0] = 0;
    *ready = 0;
    pid_t *kids = calloc(nclients, sizeof(pid_t));
    for (int k = 0; k < nclients; k++) {
        pid_t p = fork();
        if (p < 0) { perror("fork"); exit(2); }
        if (p == 0) {
            struct conn *c = open_conn(sock);
            char path[64], *buf = malloc((size_t)depth * 128);
            snprintf(path, sizeof(path), "/xsload/c/%d", k);
            call(c, XS_WRITE, path, VALUE16, 0);
            __atomic_add_fetch(ready, 1, __ATOMIC_ACQ_REL);
            while (start[0] == 0) usleep(2000);
            double t_start = start[0], end = t_start + seconds;
            sleep_until(t_start);
            long n = 0;
            uint32_t req = 1;
            while (now() < end) {
                size_t len = 0;
                uint32_t types[256];
                for (int i = 0; i < depth; i++) {
                    int w = kind == 1 || (kind == 2 && ((req + i) & 1));
                    types[i] = w ? XS_WRITE : XS_READ;
                    len += put_request(buf + len, types[i], req + i, path, w ? VALUE16 : NULL);
                }
                write_all(c->fd, buf, len);
                for (int i = 0; i < depth; i++) expect_reply(c, types[i], req + i);
                req += depth;
                if (now() <= end) n += depth;
            }
            counts[k] = n;
            _exit(0);
        }
        kids[k] = p;
    }
    double deadline = now() + 30;
    while (__atomic_load_n(ready, __ATOMIC_ACQUIRE) < nclients) {
        if (now() > deadline) { fprintf(stderr, "clients did not connect\n"); exit(2); }
        usleep(2000);
    }
    double t_start = now() + 0.2;
    start[0] = t_start;
    sleep_until(t_start);
    unsigned long long c0 = daemon_cpu();
    sleep_until(t_start + seconds);
    unsigned long long c1 = daemon_cpu();
    int failed = 0, status;
    for (int k = 0; k < nclients; k++) {
        waitpid(kids[k], &status, 0);
        failed |= !WIFEXITED(status) || WEXITSTATUS(status);
    }
    if (failed) { fprintf(stderr, "a client failed\n"); exit(3); }
    long total = 0;
    for (int k = 0; k < nclients; k++) total += counts[k];
    report(total, seconds, c1 - c0);
}

static void writes(const char *sock, const char *dir, const char *prefix, long first, long count, int depth, double maxsecs)
{
    struct conn *c = open_conn(sock);
    char *batch = malloc((size_t)depth * 256);
    char path[200];
    uint32_t req = 1;
    long done = 0;
    unsigned long long c0 = daemon_cpu();
    double t0 = now(), end = t0 + maxsecs;
    while (done < count) {
        int n = count - done < depth ? (int)(count - done) : depth;
        size_t len = 0;
        for (int i = 0; i < n; i++) {
            snprintf(path, sizeof(path), "%s/%s%ld", dir, prefix, first + done + i);
            len += put_request(batch + len, XS_WRITE, req + i, path, "v");
        }
        exchange(c, batch, len, XS_WRITE, &req, n);
        done += n;
        if (now() >= end) break;
    }
    double t = now() - t0;
    unsigned long long c1 = daemon_cpu();
    report(done, t, c1 - c0);
    close(c->fd);
}

static void churn(const char *sock, const char *dir, const char *prefix, long count, double seconds, int depth)
{
    struct conn *c = open_conn(sock);
    char *batch = malloc((size_t)depth * 256);
    char path[200], value[32];
    uint32_t req = 1;
    unsigned long long seq = 0, state = 0x9e3779b97f4a7c15ull;
    unsigned long long c0 = daemon_cpu();
    double t0 = now(), end = t0 + seconds;
    while (now() < end) {
        size_t len = 0;
        for (int i = 0; i < depth; i++) {
            state = state * 6364136223846793005ull + 1442695040888963407ull;
            snprintf(path, sizeof(path), "%s/%s%llu", dir, prefix, (state >> 33) % (unsigned long long)count);
            snprintf(value, sizeof(value), "%llu", ++seq);
            len += put_request(batch + len, XS_WRITE, req + i, path, value);
        }
        exchange(c, batch, len, XS_WRITE, &req, depth);
    }
    double t = now() - t0;
    report((long)seq, t, daemon_cpu() - c0);
    close(c->fd);
}

static void fill(const char *sock, long domains, long nodes, int depth)
{
    struct conn *c = open_conn(sock);
    char *batch = malloc((size_t)depth * 256);
    char path[200];
    uint32_t req = 1;
    long total = domains * nodes, done = 0;
    unsigned long long c0 = daemon_cpu();
    double t0 = now();
    while (done < total) {
        int n = total - done < depth ? (int)(total - done) : depth;
        size_t len = 0;
        for (int i = 0; i < n; i++) {
            long k = done + i;
            snprintf(path, sizeof(path), "/local/domain/%ld/data/k%ld", 1 + k / nodes, k % nodes);
            len += put_request(batch + len, XS_WRITE, req + i, path, "v");
        }
        exchange(c, batch, len, XS_WRITE, &req, n);
        done += n;
    }
    report(done, now() - t0, daemon_cpu() - c0);
    close(c->fd);
}

static volatile sig_atomic_t probe_stop;
static void on_probe_stop(int sig) { (void)sig; probe_stop = 1; }
static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void probe(const char *sock, const char *path, long interval_us)
{
    struct sigaction sa = { .sa_handler = on_probe_stop };
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    struct conn *c = open_conn(sock);
    size_t cap = 1 << 16, n = 0;
    double *lat = malloc(cap * sizeof(double));
    char buf[512];
    uint32_t req = 1;
    const char *slow_env = getenv("XSLOAD_SLOW_US");
    double slow_us = slow_env ? atof(slow_env) : 0;
    double first_us = 0;
    while (!probe_stop) {
        size_t len = put_request(buf, XS_READ, req, path, NULL);
        double t0 = now();
        write_all(c->fd, buf, len);
        expect_reply(c, XS_READ, req++);
        if (n == cap) lat = realloc(lat, (cap *= 2) * sizeof(double));
        lat[n] = (now() - t0) * 1e6;
        if (n == 0) first_us = lat[0];
        if (slow_us > 0 && lat[n] > slow_us) fprintf(stderr, "slow at_s=%.6f us=%.0f\n", t0, lat[n]);
        n++;
        sleep_until(t0 + interval_us / 1e6);
    }
    if (!n) { printf("n=0\n"); return; }
    qsort(lat, n, sizeof(double), cmp_double);
#define PCT(q) lat[(size_t)((q) * (n - 1))]
    printf("n=%zu p50_us=%.0f p99_us=%.0f p999_us=%.0f max_us=%.0f first_us=%.0f\n", n, PCT(0.5), PCT(0.99),
           PCT(0.999), lat[n - 1], first_us);
    fflush(stdout);
}

static void ownedfill(const char *sock, long domains, long nodes)
{
    enum { DEPTH = 64 };
    struct conn *c = open_conn(sock);
    char *batch = malloc(DEPTH * 128);
    char path[128], dir[64], perms[200];
    for (long d = 1; d <= domains; d++) {
        snprintf(dir, sizeof(dir), "/local/domain/%ld", d);
        call(c, XS_WRITE, dir, "", 0);
        /* SET_PERMS payload: the path, then each permission, each NUL-terminated. */
        size_t plen = strlen(dir) + 1;
        int n = snprintf(perms + plen, sizeof(perms) - plen, "n%ld", d);
        memcpy(perms, dir, plen);
        struct hdr h = { XS_SET_PERMS, 0x7ffffffe, 0, (uint32_t)(plen + n + 1) };
        write_all(c->fd, (const char *)&h, sizeof(h));
        write_all(c->fd, perms, h.len);
        expect_reply(c, XS_SET_PERMS, 0x7ffffffe);
        uint32_t req = 1;
        for (long done = 0; done < nodes;) {
            int k = nodes - done < DEPTH ? (int)(nodes - done) : DEPTH;
            size_t len = 0;
            for (int i = 0; i < k; i++) {
                snprintf(path, sizeof(path), "%s/n%ld", dir, done + i);
                len += put_request(batch + len, XS_WRITE, req + i, path, VALUE16);
            }
            exchange(c, batch, len, XS_WRITE, &req, k);
            done += k;
        }
    }
    close(c->fd);
}

static void firstread(const char *sock, const char *path, double timeout)
{
    double t0 = now();
    struct sockaddr_un a = { .sun_family = AF_UNIX };
    strncpy(a.sun_path, sock, sizeof(a.sun_path) - 1);
    for (;;) {
        int fd = socket(AF_UNIX, SOCK_STREAM, 0);
        if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0) {
            struct conn *c = calloc(1, sizeof(*c));
            c->fd = fd;
            char buf[256];
            write_all(fd, buf, put_request(buf, XS_READ, 1, path, NULL));
            expect_reply(c, XS_READ, 1);
            printf("first_read_ms=%.1f\n", (now() - t0) * 1e3);
            return;
        }
        /* Not there yet (ENOENT), or bound but not listening (ECONNREFUSED): try again. */
        if (errno != ENOENT && errno != ECONNREFUSED && errno != EAGAIN) { perror("connect"); exit(2); }
        close(fd);
        if (now() - t0 > timeout) { fprintf(stderr, "no answer from %s within %.0f s\n", sock, timeout); exit(2); }
        usleep(1000);
    }
}

static void usage(void)
{
    fprintf(stderr,
            "usage: xsload [-p PID] pipeline SOCKET read|write COUNT DEPTH\n"
            "       xsload [-p PID] clients SOCKET read|write|rw NCLIENTS SECONDS [DEPTH]\n"
            "       xsload [-p PID] writes SOCKET DIR PREFIX FIRST COUNT DEPTH [MAXSECONDS]\n"
            "       xsload [-p PID] churn SOCKET DIR PREFIX COUNT SECONDS DEPTH\n"
            "       xsload [-p PID] fill SOCKET DOMAINS NODES DEPTH\n"
            "       xsload probe SOCKET PATH INTERVAL_US\n"
            "       xsload rm SOCKET PATH\n"
            "       xsload ownedfill SOCKET DOMAINS NODES\n"
            "       xsload firstread SOCKET PATH TIMEOUT\n");
    exit(2);
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    if (argc > 2 && !strcmp(argv[1], "-p")) {
        daemon_pid = atol(argv[2]);
        argv += 2; argc -= 2;
    }
    if (argc < 4) usage();
    const char *mode = argv[1], *sock = argv[2];
    if (!strcmp(mode, "pipeline") && argc >= 6) {
        int depth = atoi(argv[5]);
        if (depth < 1 || depth > 4096) usage();
        pipeline(sock, !strcmp(argv[3], "write"), atol(argv[4]), depth);
    } else if (!strcmp(mode, "clients") && argc >= 6) {
        int kind = !strcmp(argv[3], "write") ? 1 : !strcmp(argv[3], "rw") ? 2 : 0;
        int depth = argc > 6 ? atoi(argv[6]) : 1;
        if (depth < 1 || depth > 256) usage();
        clients(sock, kind, atoi(argv[4]), atof(argv[5]), depth);
    } else if (!strcmp(mode, "writes") && argc >= 8) {
        int depth = atoi(argv[7]);
        if (depth < 1 || depth > 4096) usage();
        writes(sock, argv[3], argv[4], atol(argv[5]), atol(argv[6]), depth, argc > 8 ? atof(argv[8]) : 1e9);
    } else if (!strcmp(mode, "churn") && argc >= 8) {
        int depth = atoi(argv[7]);
        if (depth < 1 || depth > 4096) usage();
        churn(sock, argv[3], argv[4], atol(argv[5]), atof(argv[6]), depth);
    } else if (!strcmp(mode, "fill") && argc >= 6) {
        int depth = atoi(argv[5]);
        if (depth < 1 || depth > 4096) usage();
        fill(sock, atol(argv[3]), atol(argv[4]), depth);
    } else if (!strcmp(mode, "probe") && argc >= 5) {
        probe(sock, argv[3], atol(argv[4]));
    } else if (!strcmp(mode, "ownedfill") && argc >= 5) {
        ownedfill(sock, atol(argv[3]), atol(argv[4]));
    } else if (!strcmp(mode, "firstread") && argc >= 5) {
        firstread(sock, argv[3], atof(argv[4]));
    } else if (!strcmp(mode, "rm")) {
        struct conn *c = open_conn(sock);
        call(c, XS_RM, argv[3], NULL, 1);
    } else {
        usage();
    }
    return 0;
}
