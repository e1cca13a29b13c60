/* test_discuss.c -- the "to discuss" list (core/discuss.h): an item from a
 * poll keeps its question, passage and alignment then; refusals change
 * nothing; ids are never handed out twice; the stored form reads back the
 * same and a damaged one is refused. */
#include <check.h>
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "core/discuss.h"
#include "core/passage.h"
#include "core/poll_json.h"

static const char *str(const sbuf *b) { return sbuf_data(b) ? sbuf_data(b) : ""; }

/* A request's status on l (o: JSON text of its body). */
static proto_err apply(discuss_list *l, proto_type t, const char *o, const poll_list *polls, discuss_change *c) {
    cJSON *j = cJSON_Parse(o);
    ck_assert_ptr_nonnull(j);
    const char *why = NULL;
    proto_err e = discuss_apply(l, t, j, polls, "Awa", 1795833700000, c, &why);
    if (e != PROTO_OK) ck_assert_ptr_nonnull(why);
    cJSON_Delete(j);
    return e;
}

/* A rank poll, open, about a passage, with two organisations in reverse orders. */
static poll_t *divergent_poll(const char *id) {
    cJSON *o = cJSON_Parse("{\"kind\":\"rank\",\"question\":\"Dans quel ordre ?\",\"choices\":[\"a\",\"b\"],\"threshold\":2}");
    poll_def d;
    const char *why;
    ck_assert_int_eq(poll_def_from_json(o, &d, &why), POLL_OK);
    cJSON_Delete(o);
    poll_t *p;
    ck_assert_int_eq(poll_create(&p, id, true, &d, 1, &why), POLL_OK);
    ck_assert_int_eq(poll_open(p, true, &why), POLL_OK);
    p->passage.set = true;
    poll_passage_set(p, 13, 27, 0, strdup("plus d'emplois"));
    const poll_ballot ab = {.order = {0, 1}}, ba = {.order = {1, 0}};
    ck_assert_int_eq(poll_vote(p, "p1", "Asso", &ab, &why), POLL_OK);
    ck_assert_int_eq(poll_vote(p, "p2", "Asso", &ab, &why), POLL_OK);
    ck_assert_int_eq(poll_vote(p, "p3", "Ville", &ba, &why), POLL_OK);
    ck_assert_int_eq(poll_vote(p, "p4", "Ville", &ba, &why), POLL_OK);
    return p;
}

START_TEST(add_check_remove) {
    poll_list polls;
    poll_list_init(&polls);
    const char *why;
    ck_assert_int_eq(poll_list_add(&polls, divergent_poll("Rk3bT9aK0cE"), &why), POLL_OK);
    discuss_list l;
    discuss_init(&l);
    discuss_change c = {0};
    ck_assert_int_eq(apply(&l, PROTO_DISCUSS_ADD, "{\"poll\":\"AAAAAAAAAAA\"}", &polls, &c), PROTO_ENOT_FOUND);
    ck_assert_int_eq(apply(&l, PROTO_DISCUSS_ADD, "{\"poll\":3}", &polls, &c), PROTO_EBAD_REQUEST);
    ck_assert_int_eq(apply(&l, PROTO_DISCUSS_CHECK, "{\"item\":1,\"done\":true}", &polls, &c), PROTO_ENOT_FOUND);
    ck_assert_uint_eq(l.n, 0);
    ck_assert_int_eq(apply(&l, PROTO_DISCUSS_ADD, "{\"poll\":\"Rk3bT9aK0cE\"}", &polls, &c), PROTO_OK);
    ck_assert_str_eq(c.event, "discuss_added");
    ck_assert_uint_eq(c.item, 1);
    sbuf b;
    sbuf_init(&b, 0);
    discuss_write_message(&b, &l, "7");
    ck_assert_str_eq(str(&b), "{\"type\":\"discuss\",\"id\":7,\"items\":[{\"id\":1,\"poll\":\"Rk3bT9aK0cE\",\"question\":\"Dans "
                              "quel ordre ?\",\"passage\":\"plus d'emplois\",\"alignment\":{\"divergence\":1,\"label\":"
                              "\"divergent\"},\"done\":false,\"added\":1795833700000,\"by\":\"Awa\"}]}");
    /* on the list already: refused, nothing changes */
    ck_assert_int_eq(apply(&l, PROTO_DISCUSS_ADD, "{\"poll\":\"Rk3bT9aK0cE\"}", &polls, &c), PROTO_EBAD_REQUEST);
    ck_assert_int_eq(apply(&l, PROTO_DISCUSS_CHECK, "{\"item\":1,\"done\":1}", &polls, &c), PROTO_EBAD_REQUEST);
    ck_assert_int_eq(apply(&l, PROTO_DISCUSS_CHECK, "{\"item\":1,\"done\":true}", &polls, &c), PROTO_OK);
    ck_assert(l.v[0].done);
    /* ticked off: it may go on again, with a new id */
    ck_assert_int_eq(apply(&l, PROTO_DISCUSS_ADD, "{\"poll\":\"Rk3bT9aK0cE\"}", &polls, &c), PROTO_OK);
    ck_assert_uint_eq(c.item, 2);
    ck_assert_int_eq(apply(&l, PROTO_DISCUSS_REMOVE, "{\"item\":1}", &polls, &c), PROTO_OK);
    ck_assert_int_eq(apply(&l, PROTO_DISCUSS_REMOVE, "{\"item\":1}", &polls, &c), PROTO_ENOT_FOUND);
    ck_assert_uint_eq(l.n, 1);
    ck_assert_uint_eq(l.v[0].id, 2);
    /* The stored form reads back the same; ids go on from next. */
    sbuf_reset(&b);
    discuss_write_stored(&b, &l);
    discuss_list back;
    discuss_init(&back);
    ck_assert(discuss_read_stored(&back, str(&b)));
    sbuf again;
    sbuf_init(&again, 0);
    discuss_write_stored(&again, &back);
    ck_assert_str_eq(str(&again), str(&b));
    ck_assert_int_eq(apply(&back, PROTO_DISCUSS_CHECK, "{\"item\":2,\"done\":true}", &polls, &c), PROTO_OK);
    ck_assert_int_eq(apply(&back, PROTO_DISCUSS_ADD, "{\"poll\":\"Rk3bT9aK0cE\"}", &polls, &c), PROTO_OK);
    ck_assert_uint_eq(c.item, 3);
    /* Damaged: refused, and the list is empty. */
    ck_assert(!discuss_read_stored(&back, "{\"next\":1,\"items\":[{\"id\":2,\"poll\":\"x\",\"question\":\"Q\","
                                          "\"alignment\":null,\"done\":true,\"added\":1,\"by\":\"A\"}]}"));
    ck_assert_uint_eq(back.n, 0);
    ck_assert(!discuss_read_stored(&back, "[]"));
    ck_assert(discuss_read_stored(&back, ""));
    sbuf_free(&b);
    sbuf_free(&again);
    discuss_free(&back);
    discuss_free(&l);
    poll_list_free(&polls);
}
END_TEST

START_TEST(full_list) {
    poll_list polls;
    poll_list_init(&polls);
    const char *why;
    ck_assert_int_eq(poll_list_add(&polls, divergent_poll("p1"), &why), POLL_OK);
    discuss_list l;
    discuss_init(&l);
    discuss_change c;
    for (int i = 0; i < DISCUSS_MAX; i++) {
        ck_assert_int_eq(apply(&l, PROTO_DISCUSS_ADD, "{\"poll\":\"p1\"}", &polls, &c), PROTO_OK);
        ck_assert_int_eq(apply(&l, PROTO_DISCUSS_CHECK, "{\"item\":" "0}", &polls, &c), PROTO_EBAD_REQUEST);
        l.v[l.n - 1].done = true;
    }
    ck_assert_int_eq(apply(&l, PROTO_DISCUSS_ADD, "{\"poll\":\"p1\"}", &polls, &c), PROTO_ETOO_LARGE);
    ck_assert_uint_eq(l.n, DISCUSS_MAX);
    discuss_free(&l);
    poll_list_free(&polls);
}
END_TEST

/* A passage grown past PASSAGE_MAX by edits inside it: the item keeps its start and says it is cut. */
START_TEST(long_passage_cut) {
    poll_list polls;
    poll_list_init(&polls);
    const char *why;
    poll_t *p = divergent_poll("p1");
    char *text = malloc(2 * (PASSAGE_MAX + 500) + 1);
    for (int i = 0; i < PASSAGE_MAX + 500; i++) memcpy(text + 2 * i, "é", 2);
    text[2 * (PASSAGE_MAX + 500)] = '\0';
    poll_passage_set(p, 0, PASSAGE_MAX + 500, 9, text);
    ck_assert_int_eq(poll_list_add(&polls, p, &why), POLL_OK);
    discuss_list l;
    discuss_init(&l);
    discuss_change c;
    ck_assert_int_eq(apply(&l, PROTO_DISCUSS_ADD, "{\"poll\":\"p1\"}", &polls, &c), PROTO_OK);
    ck_assert_uint_eq(strlen(l.v[0].passage), 2 * PASSAGE_MAX + strlen("…"));
    ck_assert_str_eq(l.v[0].passage + 2 * PASSAGE_MAX, "…");
    discuss_free(&l);
    poll_list_free(&polls);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("discuss");
    TCase *tc = tcase_create("discuss");
    tcase_add_test(tc, add_check_remove);
    tcase_add_test(tc, full_list);
    tcase_add_test(tc, long_passage_cut);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(suite)
