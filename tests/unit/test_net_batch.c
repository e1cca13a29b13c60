/* test_net_batch.c -- the writes of a flush, many sockets at once.
 *
 * Every case runs twice: with io_uring (when the kernel lets this process
 * use it) and with the sendmsg fallback, which must behave the same. A
 * full socket takes part of a write and then none; a broken one reports an
 * error; neither disturbs the other requests of the batch. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check_main.h"
#include "net/net_batch.h"

#define PAIRS 50

static net_batch *batch_for(int with_uring) {
    if (!with_uring) return NULL;
    const char *why = NULL;
    net_batch *b = net_batch_new(4, &why); /* small: 50 requests take 13 system calls */
    if (!b) fprintf(stderr, "io_uring unavailable (%s): both runs use sendmsg\n", why);
    return b;
}

static void pair(int sv[2]) {
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    ck_assert_int_ne(fcntl(sv[0], F_SETFL, O_NONBLOCK), -1);
}

static size_t read_all(int fd, char *buf, size_t cap) {
    size_t got = 0;
    ssize_t r;
    while (got < cap && (r = recv(fd, buf + got, cap - got, MSG_DONTWAIT)) > 0) got += (size_t)r;
    return got;
}

START_TEST(test_each_socket_gets_its_own_bytes_in_order) {
    net_batch *b = batch_for(_i);
    int sv[PAIRS][2];
    char text[PAIRS][3][40];
    struct iovec iov[PAIRS][3];
    net_sendreq reqs[PAIRS];
    for (int i = 0; i < PAIRS; i++) {
        pair(sv[i]);
        for (int k = 0; k < 3; k++) {
            snprintf(text[i][k], sizeof text[i][k], "[%d:%d:%.*s]", i, k, (i * 7 + k) % 20, "éàô🤝abcdefghijklmnop");
            iov[i][k] = (struct iovec){text[i][k], strlen(text[i][k])};
        }
        /* One, two or three pieces: the single-buffer and the gathered form. */
        reqs[i] = (net_sendreq){.fd = sv[i][0], .iov = iov[i], .iovcnt = 1 + i % 3};
    }
    net_batch_send(b, reqs, PAIRS);
    for (int i = 0; i < PAIRS; i++) {
        char want[128] = "", got[128];
        for (int k = 0; k < reqs[i].iovcnt; k++) strcat(want, text[i][k]);
        ck_assert_int_eq(reqs[i].result, (ssize_t)strlen(want));
        size_t n = read_all(sv[i][1], got, sizeof got - 1);
        got[n] = '\0';
        ck_assert_str_eq(got, want);
        close(sv[i][0]);
        close(sv[i][1]);
    }
    net_batch_free(b);
}
END_TEST

START_TEST(test_full_socket_takes_part_then_nothing) {
    net_batch *b = batch_for(_i);
    int sv[2];
    pair(sv);
    int small = 4096;
    ck_assert_int_eq(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof small), 0);
    size_t big = 1 << 20;
    char *data = malloc(big);
    ck_assert_ptr_nonnull(data);
    for (size_t i = 0; i < big; i++) data[i] = (char)('a' + i % 26);
    struct iovec iov = {data, big};
    net_sendreq r = {.fd = sv[0], .iov = &iov, .iovcnt = 1};
    net_batch_send(b, &r, 1);
    ck_assert_int_gt(r.result, 0);
    ck_assert_int_lt(r.result, (ssize_t)big);
    size_t first = (size_t)r.result;
    net_batch_send(b, &r, 1);
    ck_assert_int_eq(r.result, -EAGAIN);
    /* What went out is the start of the data, byte for byte. */
    char *back = malloc(big);
    ck_assert_ptr_nonnull(back);
    ck_assert_uint_eq(read_all(sv[1], back, big), first);
    ck_assert_int_eq(memcmp(back, data, first), 0);
    free(back);
    free(data);
    close(sv[0]);
    close(sv[1]);
    net_batch_free(b);
}
END_TEST

START_TEST(test_broken_sockets_fail_alone) {
    net_batch *b = batch_for(_i);
    int ok[2], gone[2];
    pair(ok);
    pair(gone);
    close(gone[1]); /* the peer left: a write gets EPIPE, and no SIGPIPE kills us */
    struct iovec iov = {"hello", 5};
    net_sendreq r[3] = {
        {.fd = gone[0], .iov = &iov, .iovcnt = 1},
        {.fd = -1, .iov = &iov, .iovcnt = 1},
        {.fd = ok[0], .iov = &iov, .iovcnt = 1},
    };
    net_batch_send(b, r, 3);
    ck_assert_int_eq(r[0].result, -EPIPE);
    ck_assert_int_eq(r[1].result, -EBADF);
    ck_assert_int_eq(r[2].result, 5);
    char got[8];
    ck_assert_uint_eq(read_all(ok[1], got, sizeof got), 5);
    close(ok[0]);
    close(ok[1]);
    close(gone[0]);
    net_batch_free(b);
}
END_TEST

START_TEST(test_empty_batch_is_a_no_op) {
    net_batch *b = batch_for(_i);
    net_batch_send(b, NULL, 0);
    net_batch_free(b);
}
END_TEST

static Suite *net_batch_suite(void) {
    Suite *s = suite_create("net_batch");
    TCase *tc = tcase_create("sendmsg and io_uring");
    /* _i = 0: the sendmsg fallback; _i = 1: io_uring when available. */
    tcase_add_loop_test(tc, test_each_socket_gets_its_own_bytes_in_order, 0, 2);
    tcase_add_loop_test(tc, test_full_socket_takes_part_then_nothing, 0, 2);
    tcase_add_loop_test(tc, test_broken_sockets_fail_alone, 0, 2);
    tcase_add_loop_test(tc, test_empty_batch_is_a_no_op, 0, 2);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(net_batch_suite)
