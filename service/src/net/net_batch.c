#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "net/net_batch.h"

#ifdef ATELIER_HAVE_URING
#include <liburing.h>
#endif

static ssize_t send_one(const net_sendreq *r) {
    struct msghdr h = {.msg_iov = (struct iovec *)r->iov, .msg_iovlen = (size_t)r->iovcnt};
    for (;;) {
        ssize_t w = sendmsg(r->fd, &h, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (w >= 0) return w;
        if (errno != EINTR) return -errno;
    }
}

#ifdef ATELIER_HAVE_URING

struct net_batch {
    struct io_uring ring;
    unsigned depth;            /* submission entries: sends per system call */
    struct msghdr *hdrs;       /* one per entry, alive until its completion */
    bool broken;               /* the ring failed once: sendmsg from then on */
};

net_batch *net_batch_new(unsigned depth, const char **why) {
    net_batch *b = calloc(1, sizeof *b);
    if (b) b->hdrs = calloc(depth, sizeof *b->hdrs);
    if (!b || !b->hdrs) {
        if (b) free(b);
        *why = "out of memory";
        return NULL;
    }
    int r = io_uring_queue_init(depth, &b->ring, 0);
    if (r < 0) {
        free(b->hdrs);
        free(b);
        *why = strerror(-r);
        return NULL;
    }
    b->depth = depth;
    return b;
}

void net_batch_free(net_batch *b) {
    if (!b) return;
    if (!b->broken) io_uring_queue_exit(&b->ring);
    free(b->hdrs);
    free(b);
}

/* Submit everything prepared and reap one completion per request. False
 * when the ring itself failed: which requests ran is then unknown. */
static bool run(net_batch *b, net_sendreq *reqs, unsigned count) {
    unsigned seen = 0;
    int tries = 0;
    while (seen < count) {
        int r = io_uring_submit_and_wait(&b->ring, 1);
        if (r < 0 && r != -EINTR && r != -EAGAIN && r != -EBUSY) return false;
        if (r < 0 && ++tries > 1000) return false;
        struct io_uring_cqe *cqe;
        unsigned head, got = 0;
        io_uring_for_each_cqe(&b->ring, head, cqe) {
            if (cqe->user_data < count) reqs[cqe->user_data].result = cqe->res;
            got++;
        }
        io_uring_cq_advance(&b->ring, got);
        seen += got;
    }
    return true;
}

void net_batch_send(net_batch *b, net_sendreq *reqs, size_t n) {
    if (!b || b->broken) {
        for (size_t i = 0; i < n; i++) reqs[i].result = send_one(&reqs[i]);
        return;
    }
    for (size_t done = 0; done < n;) {
        unsigned count = (unsigned)(n - done < b->depth ? n - done : b->depth);
        net_sendreq *chunk = reqs + done;
        for (unsigned i = 0; i < count; i++) {
            struct io_uring_sqe *sqe = io_uring_get_sqe(&b->ring); /* never NULL: the ring is empty and count <= depth */
            const net_sendreq *r = &chunk[i];
            if (r->iovcnt == 1) {
                io_uring_prep_send(sqe, r->fd, r->iov[0].iov_base, r->iov[0].iov_len, MSG_DONTWAIT | MSG_NOSIGNAL);
            } else {
                b->hdrs[i] = (struct msghdr){.msg_iov = (struct iovec *)r->iov, .msg_iovlen = (size_t)r->iovcnt};
                io_uring_prep_sendmsg(sqe, r->fd, &b->hdrs[i], MSG_DONTWAIT | MSG_NOSIGNAL);
            }
            io_uring_sqe_set_data64(sqe, i);
            chunk[i].result = -EIO;
        }
        if (!run(b, chunk, count)) {
            /* Never seen; if it happens, these connections are reported
             * broken (their clients resume) and the ring is dropped for good. */
            io_uring_queue_exit(&b->ring);
            b->broken = true;
            for (size_t i = done + count; i < n; i++) reqs[i].result = send_one(&reqs[i]);
            return;
        }
        done += count;
    }
}

#else

net_batch *net_batch_new(unsigned depth, const char **why) {
    (void)depth;
    *why = "built without liburing";
    return NULL;
}

void net_batch_free(net_batch *b) { (void)b; }

void net_batch_send(net_batch *b, net_sendreq *reqs, size_t n) {
    (void)b;
    for (size_t i = 0; i < n; i++) reqs[i].result = send_one(&reqs[i]);
}

#endif
