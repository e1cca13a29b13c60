/* sendcost -- what one small TCP send costs this machine, without Atelier.
 *
 * The floor under "server CPU per delivered message": a broadcast is one
 * write per receiving connection, so the server can never spend less per
 * delivery than the kernel spends on one small write to a local TCP socket.
 * This opens N loopback TCP connections, forks a reader that drains them on
 * epoll (like atelier-load), and writes one message to every connection per
 * burst, as a broadcast does; bursts are spaced like ops in a workshop. It
 * reports the writer's CPU (user + system, getrusage) per write, once with
 * one sendmsg per socket and once through net_batch (the server's own code:
 * one io_uring call per burst). On loopback the write also runs the
 * receiver's TCP input in the writer's context, as it does for the server
 * under atelier-load. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "net/net_batch.h"

static double cpu_seconds(void) {
    struct rusage r;
    getrusage(RUSAGE_SELF, &r);
    return (double)r.ru_utime.tv_sec + r.ru_utime.tv_usec / 1e6 + (double)r.ru_stime.tv_sec + r.ru_stime.tv_usec / 1e6;
}

static void die(const char *what) {
    perror(what);
    exit(2);
}

/* Drains every socket until they close; never returns. */
static void reader(const int *fds, int n) {
    int ep = epoll_create1(0);
    if (ep < 0) die("epoll_create1");
    for (int i = 0; i < n; i++) {
        struct epoll_event e = {.events = EPOLLIN, .data.fd = fds[i]};
        if (epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &e) < 0) die("epoll_ctl");
    }
    static char buf[65536];
    struct epoll_event ev[256];
    int open = n;
    while (open > 0) {
        int k = epoll_wait(ep, ev, 256, -1);
        for (int j = 0; j < k; j++) {
            ssize_t r = read(ev[j].data.fd, buf, sizeof buf);
            if (r == 0) {
                epoll_ctl(ep, EPOLL_CTL_DEL, ev[j].data.fd, NULL);
                open--;
            }
        }
    }
    _exit(0);
}

/* Writes `bursts` bursts of one msg_len-byte message to each connection,
 * gap_us apart; returns the writer's CPU µs per write. */
static double run(net_batch *b, const int *fds, int n, int bursts, int msg_len, int gap_us) {
    char msg[1024];
    memset(msg, 'x', sizeof msg);
    struct iovec iov = {msg, (size_t)msg_len};
    net_sendreq *reqs = calloc((size_t)n, sizeof *reqs);
    if (!reqs) die("calloc");
    long failed = 0;
    double c0 = cpu_seconds();
    for (int k = 0; k < bursts; k++) {
        for (int i = 0; i < n; i++) reqs[i] = (net_sendreq){.fd = fds[i], .iov = &iov, .iovcnt = 1};
        net_batch_send(b, reqs, (size_t)n);
        for (int i = 0; i < n; i++) failed += reqs[i].result != msg_len;
        if (gap_us) {
            struct timespec t = {0, gap_us * 1000L};
            while (nanosleep(&t, &t) < 0 && errno == EINTR) {
            }
        }
    }
    double us = (cpu_seconds() - c0) * 1e6 / ((double)bursts * n);
    free(reqs);
    if (failed) fprintf(stderr, "sendcost: %ld writes did not go out whole\n", failed);
    return us;
}

int main(int argc, char **argv) {
    int n = 200, bursts = 500, msg_len = 100, gap_us = 10000;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--conns")) n = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--bursts")) bursts = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--bytes")) msg_len = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--gap-us")) gap_us = atoi(argv[i + 1]);
        else {
            fprintf(stderr, "usage: sendcost [--conns 200] [--bursts 500] [--bytes 100] [--gap-us 10000]\n");
            return 2;
        }
    }
    if (n < 1 || n > 10000 || bursts < 1 || msg_len < 1 || msg_len > 1024 || gap_us < 0) {
        fprintf(stderr, "sendcost: value out of range\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    int ls = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof a;
    if (ls < 0 || bind(ls, (struct sockaddr *)&a, sizeof a) < 0 || getsockname(ls, (struct sockaddr *)&a, &alen) < 0 ||
        listen(ls, 1024) < 0)
        die("listen");
    int *client = calloc((size_t)n, sizeof *client), *server = calloc((size_t)n, sizeof *server);
    if (!client || !server) die("calloc");
    int one = 1;
    for (int i = 0; i < n; i++) {
        client[i] = socket(AF_INET, SOCK_STREAM, 0);
        if (client[i] < 0 || connect(client[i], (struct sockaddr *)&a, sizeof a) < 0) die("connect");
        server[i] = accept(ls, NULL, NULL);
        if (server[i] < 0) die("accept");
        setsockopt(server[i], IPPROTO_TCP, TCP_NODELAY, &one, sizeof one); /* as lws does */
    }
    pid_t child = fork();
    if (child < 0) die("fork");
    if (child == 0) {
        for (int i = 0; i < n; i++) close(server[i]); /* else the reader never sees its sockets close */
        reader(client, n);
    }
    for (int i = 0; i < n; i++) close(client[i]);

    const char *why = "";
    net_batch *b = net_batch_new(256, &why);
    printf("%d connections, %d bursts of one %d-byte write each, %d us apart\n", n, bursts, msg_len, gap_us);
    run(NULL, server, n, bursts / 10 + 1, msg_len, gap_us); /* warm-up */
    printf("sendmsg, one per socket:    %.2f us CPU per write\n", run(NULL, server, n, bursts, msg_len, gap_us));
    if (b) printf("io_uring, one call a burst: %.2f us CPU per write\n", run(b, server, n, bursts, msg_len, gap_us));
    else printf("io_uring: unavailable (%s)\n", why);
    net_batch_free(b);
    for (int i = 0; i < n; i++) close(server[i]);
    waitpid(child, NULL, 0);
    return 0;
}
