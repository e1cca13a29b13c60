/* net_batch.h -- write to many sockets in one go.
 *
 * A broadcast is one send per connection. With io_uring a whole flush is one
 * system call; without it (not built in, or refused by the kernel or a
 * seccomp filter, as in Docker's default profile) one sendmsg per socket.
 * On this project's VM a system call costs about 1 µs before it does any
 * work, and a 100-byte send to a local TCP socket 5 µs: the batch brings it
 * to about 3 µs (bench/README.md). Sends never block: a full socket takes
 * what fits and the caller keeps the rest. */
#ifndef ATELIER_NET_BATCH_H
#define ATELIER_NET_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <sys/uio.h>

typedef struct net_sendreq {
    int fd;                    /* a stream socket */
    const struct iovec *iov;   /* the bytes to write, in order */
    int iovcnt;
    ssize_t result;            /* out: bytes written (maybe fewer than asked), or -errno */
} net_sendreq;

typedef struct net_batch net_batch;

/* A batch sender with room for depth sends per system call. When io_uring
 * cannot be used, *why says why and NULL is returned; NULL is a valid
 * batch sender that falls back on sendmsg. */
net_batch *net_batch_new(unsigned depth, const char **why);
void net_batch_free(net_batch *b);
/* Write every request, each with MSG_DONTWAIT | MSG_NOSIGNAL; fills result. */
void net_batch_send(net_batch *b, net_sendreq *reqs, size_t n);

#endif
