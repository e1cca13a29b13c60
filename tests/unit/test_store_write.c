/* test_store_write.c -- the parts of store/store_write.h that need no Redis:
 * which WAIT answers confirm a write, which refusals are "no primary here"
 * (answered unavailable), and the copy that holds a reply until its WAIT's
 * answer. */
#include <check.h>
#include <hiredis/hiredis.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "store/store_write.h"

static redisReply *integer(long long v) {
    redisReply *r = calloc(1, sizeof *r);
    r->type = REDIS_REPLY_INTEGER;
    r->integer = v;
    return r;
}

static redisReply *text(int type, const char *s) {
    redisReply *r = calloc(1, sizeof *r);
    r->type = type;
    r->len = strlen(s);
    r->str = strdup(s);
    return r;
}

START_TEST(test_wait_enough) {
    const store_durability one = {1, 1000, NULL}, two = {2, 1000, NULL};
    redisReply *none = integer(0), *a = integer(1), *b = integer(2);
    redisReply *err = text(REDIS_REPLY_ERROR, "ERR WAIT cannot be used with replica instances");
    ck_assert(!store_wait_enough(none, &one));
    ck_assert(store_wait_enough(a, &one));
    ck_assert(store_wait_enough(b, &one));
    ck_assert(!store_wait_enough(a, &two));
    ck_assert(store_wait_enough(b, &two));
    ck_assert(!store_wait_enough(err, &one)); /* a demoted primary */
    ck_assert(!store_wait_enough(NULL, &one)); /* the link was lost */
    freeReplyObject(none);
    freeReplyObject(a);
    freeReplyObject(b);
    freeReplyObject(err);
}
END_TEST

START_TEST(test_refused_as_no_primary) {
    redisReply *ro = text(REDIS_REPLY_ERROR, "READONLY You can't write against a read only replica.");
    redisReply *nr = text(REDIS_REPLY_ERROR, "NOREPLICAS Not enough good replicas to write.");
    redisReply *other = text(REDIS_REPLY_ERROR, "ERR Error running script: boom");
    redisReply *str = text(REDIS_REPLY_STRING, "READONLY"); /* a value, not a refusal */
    ck_assert(store_write_refused(ro));
    ck_assert(store_write_refused(nr));
    ck_assert(!store_write_refused(other)); /* a bug: internal, as before */
    ck_assert(!store_write_refused(str));
    ck_assert(!store_write_refused(NULL));
    freeReplyObject(ro);
    freeReplyObject(nr);
    freeReplyObject(other);
    freeReplyObject(str);
}
END_TEST

START_TEST(test_reply_dup) {
    /* atelier_append's answer: {1, rev, "event-id"}, with a nested array and a binary string */
    redisReply *r = calloc(1, sizeof *r);
    r->type = REDIS_REPLY_ARRAY;
    r->elements = 4;
    r->element = calloc(4, sizeof *r->element);
    r->element[0] = integer(1);
    r->element[1] = integer(42);
    r->element[2] = text(REDIS_REPLY_STRING, "1733480000000-0");
    redisReply *inner = calloc(1, sizeof *inner);
    inner->type = REDIS_REPLY_ARRAY;
    inner->elements = 1;
    inner->element = calloc(1, sizeof *inner->element);
    inner->element[0] = calloc(1, sizeof **inner->element);
    inner->element[0]->type = REDIS_REPLY_STRING;
    inner->element[0]->len = 3;
    inner->element[0]->str = malloc(4);
    memcpy(inner->element[0]->str, "a\0b", 4);
    r->element[3] = inner;

    redisReply *c = store_reply_dup(r);
    freeReplyObject(r); /* what hiredis does when the callback returns */
    ck_assert_ptr_nonnull(c);
    ck_assert_int_eq(c->type, REDIS_REPLY_ARRAY);
    ck_assert_uint_eq(c->elements, 4);
    ck_assert_int_eq(c->element[0]->integer, 1);
    ck_assert_int_eq(c->element[1]->integer, 42);
    ck_assert_str_eq(c->element[2]->str, "1733480000000-0");
    ck_assert_uint_eq(c->element[2]->len, 15);
    ck_assert_int_eq(c->element[3]->type, REDIS_REPLY_ARRAY);
    ck_assert_uint_eq(c->element[3]->element[0]->len, 3);
    ck_assert(memcmp(c->element[3]->element[0]->str, "a\0b", 4) == 0);
    freeReplyObject(c);

    redisReply *nil = calloc(1, sizeof *nil);
    nil->type = REDIS_REPLY_NIL;
    redisReply *d = store_reply_dup(nil);
    ck_assert_int_eq(d->type, REDIS_REPLY_NIL);
    ck_assert_ptr_null(d->str);
    ck_assert_ptr_null(d->element);
    freeReplyObject(nil);
    freeReplyObject(d);
}
END_TEST

static Suite *store_write_suite(void) {
    Suite *s = suite_create("store_write");
    TCase *tc = tcase_create("store");
    tcase_add_test(tc, test_wait_enough);
    tcase_add_test(tc, test_refused_as_no_primary);
    tcase_add_test(tc, test_reply_dup);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(store_write_suite)
