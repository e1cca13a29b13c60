/* test_proto.c -- the wire codec: proto_decode's rules, one by one, and the
 * exact bytes of every reply encoder.
 *
 * Error replies echo `re` and `id` so a client can match them to what it
 * sent; the decoder must therefore fill msg->type and msg->idjson whenever
 * they could be read, even when it refuses the message. Most rejection tests
 * check all three: the code, the type and the id. */
#include <check.h>
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "core/proto.h"
#include "core/sbuf.h"
#include "test_prng.h"

/* ---- helpers ------------------------------------------------------------- */

static proto_err decode_n(const char *json, size_t len, proto_msg *m) {
    const char *why = NULL;
    proto_err e = proto_decode(json, len, m, &why);
    ck_assert_ptr_nonnull(why); /* the hub puts it in error.message */
    if (e != PROTO_OK) ck_assert_msg(why[0] != '\0', "an error without a message for %.*s", (int)len, json);
    return e;
}

static proto_err decode(const char *json, proto_msg *m) { return decode_n(json, strlen(json), m); }

static void reject_n(const char *json, size_t len, proto_err want, proto_type type, const char *idjson, int line) {
    proto_msg m;
    proto_err e = decode_n(json, len, &m);
    ck_assert_msg(e == want, "line %d: %.*s: got %s, want %s", line, (int)len, json, proto_err_code(e),
                  proto_err_code(want));
    ck_assert_msg(m.type == type, "line %d: %.*s: re is %s, want %s", line, (int)len, json,
                  proto_type_name(m.type) ? proto_type_name(m.type) : "(none)",
                  proto_type_name(type) ? proto_type_name(type) : "(none)");
    ck_assert_msg(strcmp(m.idjson, idjson) == 0, "line %d: %.*s: id is '%s', want '%s'", line, (int)len, json, m.idjson,
                  idjson);
    proto_msg_free(&m);
}

#define REJECT(json, err, type, idjson) reject_n((json), strlen(json), (err), (type), (idjson), __LINE__)
#define REJECT_N(json, len, err, type, idjson) reject_n((json), (len), (err), (type), (idjson), __LINE__)

static void accept_n(const char *json, size_t len, proto_type type, int line) {
    proto_msg m;
    proto_err e = decode_n(json, len, &m);
    ck_assert_msg(e == PROTO_OK, "line %d: %.*s: refused with %s", line, (int)len, json, proto_err_code(e));
    ck_assert_msg(m.type == type, "line %d: %.*s: wrong type", line, (int)len, json);
    proto_msg_free(&m);
}

#define ACCEPT(json, type) accept_n((json), strlen(json), (type), __LINE__)

/* s repeated n times. */
static char *repeat(const char *s, size_t n) {
    size_t l = strlen(s);
    char *r = malloc(l * n + 1);
    for (size_t i = 0; i < n; i++) memcpy(r + i * l, s, l);
    r[l * n] = '\0';
    return r;
}

static char *join_with_name(const char *name) {
    sbuf b;
    sbuf_init(&b, 0);
    sbuf_printf(&b, "{\"type\":\"join\",\"id\":1,\"workshop\":\"q3mS0t4rVZ2bJ9m6cQe1xA\",\"name\":\"%s\","
                    "\"organisation\":\"Banque\"}",
                name);
    char *r = strdup(sbuf_data(&b));
    sbuf_free(&b);
    return r;
}

static char *ping_with_id(const char *idjson) {
    sbuf b;
    sbuf_init(&b, 0);
    sbuf_printf(&b, "{\"type\":\"ping\",\"id\":%s}", idjson);
    char *r = strdup(sbuf_data(&b));
    sbuf_free(&b);
    return r;
}

static char *op_with(const char *rev, const char *op) {
    sbuf b;
    sbuf_init(&b, 0);
    sbuf_printf(&b, "{\"type\":\"op\",\"id\":\"c1\",\"rev\":%s,\"op\":%s}", rev, op);
    char *r = strdup(sbuf_data(&b));
    sbuf_free(&b);
    return r;
}

/* Parse what an encoder wrote: it must be one JSON value and nothing more. */
static cJSON *parse_out(const sbuf *b) {
    const char *end = NULL;
    cJSON *v = cJSON_ParseWithLengthOpts(sbuf_data(b), b->len, &end, 0);
    ck_assert_msg(v != NULL, "not JSON: %s", sbuf_data(b));
    ck_assert_msg(end == sbuf_data(b) + b->len, "trailing bytes: %s", sbuf_data(b));
    ck_assert_msg(cJSON_IsObject(v), "not an object: %s", sbuf_data(b));
    return v;
}

static const char *jstr_field(const cJSON *o, const char *k) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    ck_assert_msg(cJSON_IsString(v), "field %s is not a string", k);
    return v->valuestring;
}

static double jnum_field(const cJSON *o, const char *k) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    ck_assert_msg(cJSON_IsNumber(v), "field %s is not a number", k);
    return v->valuedouble;
}

#define WS "q3mS0t4rVZ2bJ9m6cQe1xA"

/* ---- decoding: every message type ---------------------------------------- */

START_TEST(test_join_all_fields) {
    proto_msg m;
    ck_assert_int_eq(decode("{\"type\":\"join\",\"id\":1,\"workshop\":\"" WS "\",\"name\":\"Awa\","
                            "\"organisation\":\"Ville de Lyon\",\"key\":\"b2x8T0Kk1nB4Uq0oV3yD5rH8sZ2aW6cE9fJ1gL4mN7p\"}",
                            &m),
                     PROTO_OK);
    ck_assert_int_eq(m.type, PROTO_JOIN);
    ck_assert_str_eq(m.idjson, "1");
    ck_assert_str_eq(m.u.join.workshop, WS);
    ck_assert_str_eq(m.u.join.name, "Awa");
    ck_assert_str_eq(m.u.join.organisation, "Ville de Lyon");
    ck_assert_str_eq(m.u.join.key, "b2x8T0Kk1nB4Uq0oV3yD5rH8sZ2aW6cE9fJ1gL4mN7p");
    ck_assert(!m.u.join.resume);
    ck_assert_ptr_null(m.u.join.token);
    proto_msg_free(&m);
}
END_TEST

START_TEST(test_join_labels_tidied) {
    proto_msg m;
    ck_assert_int_eq(decode("{\"type\":\"join\",\"workshop\":\"" WS "\",\"name\":\"  Jean   Dupont \","
                            "\"organisation\":\"Ville\u00a0de  Lyon\"}",
                            &m),
                     PROTO_OK);
    ck_assert_str_eq(m.u.join.name, "Jean Dupont");
    ck_assert_str_eq(m.u.join.organisation, "Ville de Lyon");
    proto_msg_free(&m);
    /* Spaces only is no name. */
    REJECT("{\"type\":\"join\",\"id\":2,\"workshop\":\"" WS "\",\"name\":\"   \",\"organisation\":\"B\"}",
           PROTO_EBAD_REQUEST, PROTO_JOIN, "2");
    REJECT("{\"type\":\"join\",\"id\":2,\"workshop\":\"" WS "\",\"name\":\"A\",\"organisation\":\"\u202f\"}",
           PROTO_EBAD_REQUEST, PROTO_JOIN, "2");
}
END_TEST

START_TEST(test_join_without_key) {
    proto_msg m;
    ck_assert_int_eq(decode("{\"type\":\"join\",\"workshop\":\"" WS "\",\"name\":\"Jean\",\"organisation\":\"Banque\"}", &m),
                     PROTO_OK);
    ck_assert_int_eq(m.type, PROTO_JOIN);
    ck_assert_str_eq(m.idjson, "");
    ck_assert_ptr_null(m.u.join.key);
    ck_assert_str_eq(m.u.join.name, "Jean");
    ck_assert(!m.u.join.resume);
    proto_msg_free(&m);
}
END_TEST

START_TEST(test_join_resume_without_name) {
    proto_msg m;
    ck_assert_int_eq(decode("{\"type\":\"join\",\"id\":2,\"workshop\":\"" WS "\","
                            "\"resume\":{\"token\":\"p_3fA9kQ.s3cr3t\",\"rev\":41}}",
                            &m),
                     PROTO_OK);
    ck_assert_int_eq(m.type, PROTO_JOIN);
    ck_assert(m.u.join.resume);
    ck_assert_str_eq(m.u.join.token, "p_3fA9kQ.s3cr3t");
    ck_assert_int_eq(m.u.join.rev, 41);
    ck_assert_ptr_null(m.u.join.name);
    ck_assert_ptr_null(m.u.join.organisation);
    proto_msg_free(&m);
}
END_TEST

START_TEST(test_join_resume_with_name_and_key) {
    proto_msg m;
    ck_assert_int_eq(decode("{\"type\":\"join\",\"workshop\":\"" WS "\",\"name\":\"Awa\",\"organisation\":\"Ville\","
                            "\"key\":\"k\",\"resume\":{\"rev\":0,\"token\":\"t\"}}",
                            &m),
                     PROTO_OK);
    ck_assert(m.u.join.resume);
    ck_assert_int_eq(m.u.join.rev, 0);
    ck_assert_str_eq(m.u.join.token, "t");
    ck_assert_str_eq(m.u.join.name, "Awa");
    ck_assert_str_eq(m.u.join.key, "k");
    proto_msg_free(&m);
}
END_TEST

START_TEST(test_join_resume_null_is_absent) {
    proto_msg m;
    ck_assert_int_eq(
        decode("{\"type\":\"join\",\"workshop\":\"" WS "\",\"name\":\"A\",\"organisation\":\"B\",\"resume\":null}", &m),
        PROTO_OK);
    ck_assert(!m.u.join.resume);
    proto_msg_free(&m);
    REJECT("{\"type\":\"join\",\"id\":3,\"workshop\":\"" WS "\",\"resume\":null}", PROTO_EBAD_REQUEST, PROTO_JOIN, "3");
}
END_TEST

START_TEST(test_op_with_string_id) {
    proto_msg m;
    ck_assert_int_eq(
        decode("{\"type\":\"op\",\"id\":\"c7-12\",\"rev\":41,\"op\":[12,\"partenaires \",{\"d\":3},4,{\"d\":\"é😀\"}]}", &m),
        PROTO_OK);
    ck_assert_int_eq(m.type, PROTO_OP);
    ck_assert_str_eq(m.idjson, "\"c7-12\"");
    ck_assert_int_eq(m.u.op.rev, 41);
    const ot_op *op = &m.u.op.op;
    ck_assert_uint_eq(op->n, 5);
    ck_assert_int_eq(op->c[0].kind, OT_SKIP);
    ck_assert_uint_eq(op->c[0].n, 12);
    ck_assert_int_eq(op->c[1].kind, OT_INSERT);
    ck_assert_uint_eq(op->c[1].n, 12);
    ck_assert_str_eq(op->c[1].s, "partenaires ");
    ck_assert_int_eq(op->c[2].kind, OT_DELETE);
    ck_assert_uint_eq(op->c[2].n, 3);
    ck_assert_ptr_null(op->c[2].s);
    ck_assert_int_eq(op->c[3].kind, OT_SKIP);
    ck_assert_int_eq(op->c[4].kind, OT_DELETE);
    ck_assert_uint_eq(op->c[4].n, 2); /* code points, not bytes */
    ck_assert_str_eq(op->c[4].s, "é😀");
    ck_assert_uint_eq(op->c[4].len, 6);
    proto_msg_free(&m);
}
END_TEST

START_TEST(test_op_with_integer_id) {
    proto_msg m;
    ck_assert_int_eq(decode("{\"type\":\"op\",\"id\":42,\"rev\":0,\"op\":[\"a\"]}", &m), PROTO_OK);
    ck_assert_str_eq(m.idjson, "42");
    ck_assert_int_eq(m.u.op.rev, 0);
    ck_assert_uint_eq(m.u.op.op.n, 1);
    proto_msg_free(&m);
    ck_assert_int_eq(decode("{\"type\":\"op\",\"id\":-7,\"rev\":9007199254740991,\"op\":[\"a\"]}", &m), PROTO_OK);
    ck_assert_str_eq(m.idjson, "-7");
    ck_assert_int_eq(m.u.op.rev, 9007199254740991LL);
    proto_msg_free(&m);
}
END_TEST

START_TEST(test_cursor_decodes) {
    proto_msg m;
    ck_assert_int_eq(decode("{\"type\":\"cursor\",\"rev\":42,\"sel\":[17,20]}", &m), PROTO_OK);
    ck_assert_int_eq(m.type, PROTO_CURSOR);
    ck_assert_int_eq(m.u.cursor.rev, 42);
    ck_assert_int_eq(m.u.cursor.anchor, 17);
    ck_assert_int_eq(m.u.cursor.head, 20);
    ck_assert_str_eq(m.idjson, "");
    proto_msg_free(&m);
    ck_assert_int_eq(decode("{\"type\":\"cursor\",\"id\":\"c\",\"rev\":0,\"sel\":[0,0]}", &m), PROTO_OK);
    ck_assert_str_eq(m.idjson, "\"c\"");
    proto_msg_free(&m);
}
END_TEST

START_TEST(test_ping_with_and_without_id) {
    proto_msg m;
    ck_assert_int_eq(decode("{\"type\":\"ping\",\"id\":9}", &m), PROTO_OK);
    ck_assert_int_eq(m.type, PROTO_PING);
    ck_assert_str_eq(m.idjson, "9");
    proto_msg_free(&m);
    ck_assert_int_eq(decode("{\"type\":\"ping\"}", &m), PROTO_OK);
    ck_assert_int_eq(m.type, PROTO_PING);
    ck_assert_str_eq(m.idjson, "");
    proto_msg_free(&m);
}
END_TEST

START_TEST(test_workshop_end_and_reopen) {
    proto_msg m;
    ck_assert_int_eq(decode("{\"type\":\"workshop_end\",\"id\":31}", &m), PROTO_OK);
    ck_assert_int_eq(m.type, PROTO_WORKSHOP_END);
    ck_assert_str_eq(m.idjson, "31");
    proto_msg_free(&m);
    ck_assert_int_eq(decode("{\"type\":\"workshop_reopen\"}", &m), PROTO_OK);
    ck_assert_int_eq(m.type, PROTO_WORKSHOP_REOPEN);
    proto_msg_free(&m);
    ck_assert_str_eq(proto_type_name(PROTO_WORKSHOP_END), "workshop_end");
    ck_assert_str_eq(proto_err_code(PROTO_EENDED), "ended");
    ck_assert(!proto_is_poll(PROTO_WORKSHOP_END) && !proto_is_poll(PROTO_WORKSHOP_REOPEN));
}
END_TEST

START_TEST(test_role_set) {
    proto_msg m;
    ck_assert_int_eq(decode("{\"type\":\"role_set\",\"id\":4,\"participant\":\"pQ3abcdefghij-_0\",\"role\":\"representative\"}", &m),
                     PROTO_EBAD_REQUEST); /* 15 characters after "p" */
    proto_msg_free(&m);
    ck_assert_int_eq(decode("{\"type\":\"role_set\",\"id\":4,\"participant\":\"pQ3abcdefghij-_01\",\"role\":\"representative\"}", &m),
                     PROTO_OK);
    ck_assert_int_eq(m.type, PROTO_ROLE_SET);
    ck_assert_str_eq(m.idjson, "4");
    ck_assert_str_eq(m.u.role.participant, "pQ3abcdefghij-_01");
    ck_assert(m.u.role.representative);
    proto_msg_free(&m);
    ck_assert_int_eq(decode("{\"type\":\"role_set\",\"participant\":\"pAAAAAAAAAAAAAAAA\",\"role\":\"participant\"}", &m), PROTO_OK);
    ck_assert(!m.u.role.representative);
    proto_msg_free(&m);
    ck_assert_str_eq(proto_type_name(PROTO_ROLE_SET), "role_set");
    /* Only the two roles a facilitator gives; a participant id's exact shape. */
    static const char *const bad[] = {
        "{\"type\":\"role_set\",\"id\":\"r\",\"participant\":\"pAAAAAAAAAAAAAAAA\",\"role\":\"facilitator\"}",
        "{\"type\":\"role_set\",\"id\":\"r\",\"participant\":\"pAAAAAAAAAAAAAAAA\",\"role\":\"observer\"}",
        "{\"type\":\"role_set\",\"id\":\"r\",\"participant\":\"pAAAAAAAAAAAAAAAA\",\"role\":\"Representative\"}",
        "{\"type\":\"role_set\",\"id\":\"r\",\"participant\":\"pAAAAAAAAAAAAAAAA\",\"role\":1}",
        "{\"type\":\"role_set\",\"id\":\"r\",\"participant\":\"pAAAAAAAAAAAAAAAA\"}",
        "{\"type\":\"role_set\",\"id\":\"r\",\"role\":\"participant\"}",
        "{\"type\":\"role_set\",\"id\":\"r\",\"participant\":\"qAAAAAAAAAAAAAAAA\",\"role\":\"participant\"}",
        "{\"type\":\"role_set\",\"id\":\"r\",\"participant\":\"pAAAAAAAAAAAAAAA=\",\"role\":\"participant\"}",
        "{\"type\":\"role_set\",\"id\":\"r\",\"participant\":\"pAAAAAAAAAAAAAAAAA\",\"role\":\"participant\"}",
        "{\"type\":\"role_set\",\"id\":\"r\",\"participant\":17,\"role\":\"participant\"}",
        "{\"type\":\"role_set\",\"id\":\"r\",\"participant\":\"pAAAAAAAAAAAAAA\\u00e9\",\"role\":\"participant\"}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) REJECT(bad[i], PROTO_EBAD_REQUEST, PROTO_ROLE_SET, "\"r\"");
}
END_TEST

START_TEST(test_representative_request_and_answer) {
    proto_msg m;
    ck_assert_int_eq(decode("{\"type\":\"representative_request\",\"id\":5}", &m), PROTO_OK);
    ck_assert_int_eq(m.type, PROTO_REPRESENTATIVE_REQUEST);
    ck_assert_str_eq(m.idjson, "5");
    proto_msg_free(&m);
    ck_assert_int_eq(decode("{\"type\":\"representative_answer\",\"id\":6,\"participant\":\"pQ3abcdefghij-_01\",\"accept\":false}", &m),
                     PROTO_OK);
    ck_assert_int_eq(m.type, PROTO_REPRESENTATIVE_ANSWER);
    ck_assert_str_eq(m.u.role.participant, "pQ3abcdefghij-_01");
    ck_assert(!m.u.role.representative);
    proto_msg_free(&m);
    ck_assert_int_eq(decode("{\"type\":\"representative_answer\",\"participant\":\"pQ3abcdefghij-_01\",\"accept\":true}", &m), PROTO_OK);
    ck_assert(m.u.role.representative);
    proto_msg_free(&m);
    static const char *const bad[] = {
        "{\"type\":\"representative_answer\",\"id\":\"a\",\"participant\":\"pQ3abcdefghij-_01\"}",
        "{\"type\":\"representative_answer\",\"id\":\"a\",\"participant\":\"pQ3abcdefghij-_01\",\"accept\":1}",
        "{\"type\":\"representative_answer\",\"id\":\"a\",\"participant\":\"pQ3abcdefghij-_01\",\"accept\":\"yes\"}",
        "{\"type\":\"representative_answer\",\"id\":\"a\",\"participant\":\"p1\",\"accept\":true}",
        "{\"type\":\"representative_answer\",\"id\":\"a\",\"accept\":true}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        REJECT(bad[i], PROTO_EBAD_REQUEST, PROTO_REPRESENTATIVE_ANSWER, "\"a\"");
}
END_TEST

START_TEST(test_presence_page) {
    proto_msg m;
    ck_assert_int_eq(decode("{\"type\":\"presence_page\",\"id\":3}", &m), PROTO_OK);
    ck_assert_int_eq(m.type, PROTO_PRESENCE_PAGE);
    ck_assert_int_eq(m.u.page.limit, PROTO_PAGE_DEFAULT);
    ck_assert_str_eq(m.u.page.after, "");
    ck_assert_ptr_null(m.u.page.prefix);
    proto_msg_free(&m);
    ck_assert_int_eq(decode("{\"type\":\"presence_page\",\"after\":\"pAAAAAAAAAAAAAAAA\",\"prefix\":\"  ZoÃ© \","
                            "\"organisation\":\"Banque\",\"limit\":100}", &m), PROTO_OK);
    ck_assert_str_eq(m.u.page.after, "pAAAAAAAAAAAAAAAA");
    ck_assert_str_eq(m.u.page.prefix, "ZoÃ©"); /* tidied */
    ck_assert_str_eq(m.u.page.organisation, "Banque");
    ck_assert_int_eq(m.u.page.limit, 100);
    proto_msg_free(&m);
    static const char *const bad[] = {
        "{\"type\":\"presence_page\",\"id\":\"a\",\"limit\":0}",
        "{\"type\":\"presence_page\",\"id\":\"a\",\"limit\":101}",
        "{\"type\":\"presence_page\",\"id\":\"a\",\"limit\":1.5}",
        "{\"type\":\"presence_page\",\"id\":\"a\",\"limit\":\"5\"}",
        "{\"type\":\"presence_page\",\"id\":\"a\",\"after\":\"p1\"}",
        "{\"type\":\"presence_page\",\"id\":\"a\",\"after\":7}",
        "{\"type\":\"presence_page\",\"id\":\"a\",\"prefix\":\"\"}",
        "{\"type\":\"presence_page\",\"id\":\"a\",\"prefix\":\"   \"}",
        "{\"type\":\"presence_page\",\"id\":\"a\",\"prefix\":5}",
        "{\"type\":\"presence_page\",\"id\":\"a\",\"organisation\":null}",
        "{\"type\":\"presence_page\",\"id\":\"a\",\"organisation\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) REJECT(bad[i], PROTO_EBAD_REQUEST, PROTO_PRESENCE_PAGE, "\"a\"");
}
END_TEST

START_TEST(test_observer_link_and_join) {
    proto_msg m;
    ck_assert_int_eq(decode("{\"type\":\"observer_link\",\"id\":7,\"action\":\"create\"}", &m), PROTO_OK);
    ck_assert_int_eq(m.type, PROTO_OBSERVER_LINK);
    ck_assert(m.u.observer_link_create);
    proto_msg_free(&m);
    ck_assert_int_eq(decode("{\"type\":\"observer_link\",\"action\":\"revoke\"}", &m), PROTO_OK);
    ck_assert(!m.u.observer_link_create);
    proto_msg_free(&m);
    REJECT("{\"type\":\"observer_link\",\"id\":\"o\",\"action\":\"make\"}", PROTO_EBAD_REQUEST, PROTO_OBSERVER_LINK, "\"o\"");
    REJECT("{\"type\":\"observer_link\",\"id\":\"o\"}", PROTO_EBAD_REQUEST, PROTO_OBSERVER_LINK, "\"o\"");
    /* An observer's organisation is optional: absent or empty is none. */
    static const char *const ok[] = {
        "{\"type\":\"join\",\"workshop\":\"w1\",\"name\":\"Zoé\",\"observer_key\":\"k\"}",
        "{\"type\":\"join\",\"workshop\":\"w1\",\"name\":\"Zoé\",\"organisation\":\"\",\"observer_key\":\"k\"}",
    };
    for (size_t i = 0; i < 2; i++) {
        ck_assert_int_eq(decode(ok[i], &m), PROTO_OK);
        ck_assert_str_eq(m.u.join.organisation, "");
        ck_assert_str_eq(m.u.join.observer_key, "k");
        proto_msg_free(&m);
    }
    ck_assert_int_eq(decode("{\"type\":\"join\",\"workshop\":\"w1\",\"name\":\"Zoé\",\"organisation\":\" Fonds \",\"observer_key\":\"k\"}", &m), PROTO_OK);
    ck_assert_str_eq(m.u.join.organisation, "Fonds");
    proto_msg_free(&m);
    REJECT("{\"type\":\"join\",\"id\":1,\"workshop\":\"w1\",\"name\":\"Z\",\"organisation\":\"\"}", PROTO_EBAD_REQUEST, PROTO_JOIN, "1");
    REJECT("{\"type\":\"join\",\"id\":1,\"workshop\":\"w1\",\"name\":\"Z\",\"key\":\"a\",\"observer_key\":\"k\"}", PROTO_EBAD_REQUEST, PROTO_JOIN, "1");
    REJECT("{\"type\":\"join\",\"id\":1,\"workshop\":\"w1\",\"name\":\"Z\",\"observer_key\":7}", PROTO_EBAD_REQUEST, PROTO_JOIN, "1");
}
END_TEST

START_TEST(test_unknown_fields_ignored) {
    ACCEPT("{\"type\":\"ping\",\"extra\":{\"deep\":[1,2,{\"x\":null}]},\"v\":2}", PROTO_PING);
}
END_TEST

START_TEST(test_whitespace_around_object) {
    ACCEPT(" \t\r\n{ \"type\" : \"ping\" , \"id\" : 1 }\n\r\t ", PROTO_PING);
}
END_TEST

/* The id is echoed as JSON text: escaped once, whatever way the client spelled it. */
START_TEST(test_id_is_kept_as_canonical_json) {
    static const struct {
        const char *in, *idjson;
    } cases[] = {
        {"\"a\\\"b\"", "\"a\\\"b\""},
        {"\"back\\\\slash\"", "\"back\\\\slash\""},
        {"\"\\u00e9t\\u00e9\"", "\"été\""},
        {"\"été\"", "\"été\""},
        {"\"\\ud83d\\ude00\"", "\"😀\""},
        {"\"\\/\"", "\"/\""},
        {"0", "0"},
        {"-0", "0"},
        {"1.0", "1"},
        {"1e3", "1000"},
        {"9007199254740991", "9007199254740991"},
        {"-9007199254740991", "-9007199254740991"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *json = ping_with_id(cases[i].in);
        proto_msg m;
        ck_assert_msg(decode(json, &m) == PROTO_OK, "%s refused", json);
        ck_assert_msg(strcmp(m.idjson, cases[i].idjson) == 0, "%s: id %s, want %s", json, m.idjson, cases[i].idjson);
        proto_msg_free(&m);
        free(json);
    }
}
END_TEST

START_TEST(test_id_length_limits) {
    char *id64 = repeat("x", 64), *id65 = repeat("x", 65);
    char buf[256];
    snprintf(buf, sizeof buf, "\"%s\"", id64);
    char *json = ping_with_id(buf);
    proto_msg m;
    ck_assert_int_eq(decode(json, &m), PROTO_OK);
    ck_assert_uint_eq(strlen(m.idjson), 66);
    proto_msg_free(&m);
    free(json);

    snprintf(buf, sizeof buf, "\"%s\"", id65);
    json = ping_with_id(buf);
    REJECT(json, PROTO_EBAD_REQUEST, PROTO_PING, "");
    free(json);

    /* 64 quotes: the longest escaped form still fits the echo buffer. */
    char *q = repeat("\\\"", 64);
    snprintf(buf, sizeof buf, "\"%s\"", q);
    json = ping_with_id(buf);
    ck_assert_int_eq(decode(json, &m), PROTO_OK);
    ck_assert_uint_eq(strlen(m.idjson), 130);
    proto_msg_free(&m);
    free(json);
    free(q);
    free(id64);
    free(id65);
}
END_TEST

START_TEST(test_id_bad_forms_rejected_with_type_kept) {
    static const char *const bad[] = {
        "\"\"",                  /* empty */
        "\"a\\u0001b\"",         /* control character, escaped */
        "\"a\\nb\"",             /* newline */
        "\"\\t\"",               /* tab */
        "\"\\u001f\"",           /* last C0 control */
        "1.5",                   /* fractional */
        "-0.5",
        "9007199254740992",      /* 2^53: no longer exact */
        "-9007199254740992",
        "1e300",
        "true",
        "null",
        "[1]",
        "{\"x\":1}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char *json = ping_with_id(bad[i]);
        REJECT(json, PROTO_EBAD_REQUEST, PROTO_PING, "");
        free(json);
    }
    REJECT("{\"type\":\"op\",\"id\":2.5,\"rev\":0,\"op\":[\"a\"]}", PROTO_EBAD_REQUEST, PROTO_OP, "");
}
END_TEST

/* Ids are limited in characters, as the spec and schema/common.json say
 * (ajv counts code points), not in bytes. */
START_TEST(test_id_length_counts_characters) {
    static const char *const unit[] = {"é", "😀", "\\u00e9", "\\ud83d\\ude00"};
    static const size_t idjson_len[] = {2 + 64 * 2, 2 + 64 * 4, 2 + 64 * 2, 2 + 64 * 4};
    for (size_t i = 0; i < sizeof unit / sizeof *unit; i++) {
        char *u64 = repeat(unit[i], 64), *u65 = repeat(unit[i], 65);
        char *buf = malloc(strlen(u65) + 3);
        sprintf(buf, "\"%s\"", u64);
        char *json = ping_with_id(buf);
        proto_msg m;
        ck_assert_msg(decode(json, &m) == PROTO_OK, "64 x %s refused", unit[i]);
        ck_assert_uint_eq(strlen(m.idjson), idjson_len[i]);
        ck_assert_uint_le(strlen(m.idjson), PROTO_IDJSON_MAX);
        proto_msg_free(&m);
        free(json);
        sprintf(buf, "\"%s\"", u65);
        json = ping_with_id(buf);
        REJECT(json, PROTO_EBAD_REQUEST, PROTO_PING, "");
        free(json);
        free(buf);
        free(u64);
        free(u65);
    }
}
END_TEST

/* ---- decoding: rejections ------------------------------------------------ */

START_TEST(test_invalid_json) {
    REJECT("", PROTO_EBAD_REQUEST, PROTO_NONE, "");
    REJECT("   ", PROTO_EBAD_REQUEST, PROTO_NONE, "");
    REJECT("{", PROTO_EBAD_REQUEST, PROTO_NONE, "");
    REJECT("{\"type\":\"ping\"", PROTO_EBAD_REQUEST, PROTO_NONE, "");
    REJECT("{\"type\":}", PROTO_EBAD_REQUEST, PROTO_NONE, "");
    REJECT("{type:\"ping\"}", PROTO_EBAD_REQUEST, PROTO_NONE, "");
    REJECT("{'type':'ping'}", PROTO_EBAD_REQUEST, PROTO_NONE, "");
    REJECT("{\"type\":\"ping\",}", PROTO_EBAD_REQUEST, PROTO_NONE, "");
    REJECT("{\"type\":\"ping\",\"id\":NaN}", PROTO_EBAD_REQUEST, PROTO_NONE, "");
    REJECT("{\"type\":\"ping\",\"id\":0x10}", PROTO_EBAD_REQUEST, PROTO_NONE, "");
    REJECT("{\"type\":\"pi\\ud800ng\"}", PROTO_EBAD_REQUEST, PROTO_NONE, ""); /* lone surrogate */
    REJECT("{\"type\":\"pi\\udc00ng\"}", PROTO_EBAD_REQUEST, PROTO_NONE, "");
    REJECT("{\"type\":\"\\x\"}", PROTO_EBAD_REQUEST, PROTO_NONE, "");
}
END_TEST

START_TEST(test_trailing_garbage) {
    REJECT("{\"type\":\"ping\",\"id\":1} x", PROTO_EBAD_REQUEST, PROTO_NONE, "");
    REJECT("{\"type\":\"ping\",\"id\":1}{}", PROTO_EBAD_REQUEST, PROTO_NONE, "");
    REJECT("{\"type\":\"ping\",\"id\":1}}", PROTO_EBAD_REQUEST, PROTO_NONE, "");
    REJECT("{\"type\":\"ping\",\"id\":1},", PROTO_EBAD_REQUEST, PROTO_NONE, "");
    /* A NUL after the object is not whitespace either. */
    REJECT_N("{\"type\":\"ping\",\"id\":1}\0", 23, PROTO_EBAD_REQUEST, PROTO_NONE, "");
}
END_TEST

START_TEST(test_non_object_json) {
    REJECT("[{\"type\":\"ping\"}]", PROTO_EBAD_REQUEST, PROTO_NONE, "");
    REJECT("[]", PROTO_EBAD_REQUEST, PROTO_NONE, "");
    REJECT("\"ping\"", PROTO_EBAD_REQUEST, PROTO_NONE, "");
    REJECT("42", PROTO_EBAD_REQUEST, PROTO_NONE, "");
    REJECT("-1.5e3", PROTO_EBAD_REQUEST, PROTO_NONE, "");
    REJECT("null", PROTO_EBAD_REQUEST, PROTO_NONE, "");
    REJECT("true", PROTO_EBAD_REQUEST, PROTO_NONE, "");
}
END_TEST

START_TEST(test_missing_type) {
    REJECT("{}", PROTO_EBAD_REQUEST, PROTO_NONE, "");
    REJECT("{\"id\":3}", PROTO_EBAD_REQUEST, PROTO_NONE, "3");
    REJECT("{\"id\":\"x\",\"rev\":0,\"op\":[\"a\"]}", PROTO_EBAD_REQUEST, PROTO_NONE, "\"x\"");
}
END_TEST

START_TEST(test_non_string_type) {
    REJECT("{\"type\":1,\"id\":\"a\"}", PROTO_EBAD_REQUEST, PROTO_NONE, "\"a\"");
    REJECT("{\"type\":null,\"id\":\"a\"}", PROTO_EBAD_REQUEST, PROTO_NONE, "\"a\"");
    REJECT("{\"type\":[\"ping\"],\"id\":\"a\"}", PROTO_EBAD_REQUEST, PROTO_NONE, "\"a\"");
    REJECT("{\"type\":{\"ping\":1},\"id\":\"a\"}", PROTO_EBAD_REQUEST, PROTO_NONE, "\"a\"");
    REJECT("{\"type\":true,\"id\":\"a\"}", PROTO_EBAD_REQUEST, PROTO_NONE, "\"a\"");
}
END_TEST

START_TEST(test_unknown_type) {
    REJECT("{\"type\":\"dance\",\"id\":\"a\"}", PROTO_EUNKNOWN_TYPE, PROTO_NONE, "\"a\"");
    REJECT("{\"type\":\"\",\"id\":5}", PROTO_EUNKNOWN_TYPE, PROTO_NONE, "5");
    REJECT("{\"type\":\"welcome\"}", PROTO_EUNKNOWN_TYPE, PROTO_NONE, "");
    REJECT("{\"type\":\"pingx\"}", PROTO_EUNKNOWN_TYPE, PROTO_NONE, "");
    REJECT("{\"type\":\"pin\"}", PROTO_EUNKNOWN_TYPE, PROTO_NONE, "");
    REJECT("{\"type\":\" ping\"}", PROTO_EUNKNOWN_TYPE, PROTO_NONE, "");
    /* Values are case-sensitive too. */
    REJECT("{\"type\":\"Ping\"}", PROTO_EUNKNOWN_TYPE, PROTO_NONE, "");
    REJECT("{\"type\":\"OP\",\"id\":1}", PROTO_EUNKNOWN_TYPE, PROTO_NONE, "1");
}
END_TEST

/* An unknown type with a bad id: the id problem is reported, as bad_request. */
START_TEST(test_unknown_type_with_bad_id) {
    REJECT("{\"type\":\"dance\",\"id\":\"\"}", PROTO_EBAD_REQUEST, PROTO_NONE, "");
}
END_TEST

START_TEST(test_keys_are_case_sensitive) {
    REJECT("{\"Type\":\"ping\"}", PROTO_EBAD_REQUEST, PROTO_NONE, "");
    REJECT("{\"TYPE\":\"ping\",\"id\":1}", PROTO_EBAD_REQUEST, PROTO_NONE, "1");
    /* "ID" is not "id": an op without its id. */
    REJECT("{\"type\":\"op\",\"ID\":\"x\",\"rev\":0,\"op\":[\"a\"]}", PROTO_EBAD_REQUEST, PROTO_OP, "");
    REJECT("{\"type\":\"op\",\"id\":\"x\",\"Rev\":0,\"op\":[\"a\"]}", PROTO_EBAD_REQUEST, PROTO_OP, "\"x\"");
    REJECT("{\"type\":\"op\",\"id\":\"x\",\"rev\":0,\"Op\":[\"a\"]}", PROTO_EBAD_REQUEST, PROTO_OP, "\"x\"");
    REJECT("{\"type\":\"op\",\"id\":\"x\",\"rev\":0,\"op\":[{\"D\":1}]}", PROTO_EBAD_REQUEST, PROTO_OP, "\"x\"");
    REJECT("{\"type\":\"join\",\"id\":1,\"Workshop\":\"" WS "\",\"name\":\"A\",\"organisation\":\"B\"}", PROTO_EBAD_REQUEST,
           PROTO_JOIN, "1");
    REJECT("{\"type\":\"join\",\"id\":1,\"workshop\":\"" WS "\",\"Name\":\"A\",\"organisation\":\"B\"}", PROTO_EBAD_REQUEST,
           PROTO_JOIN, "1");
    REJECT("{\"type\":\"cursor\",\"rev\":0,\"SEL\":[0,0]}", PROTO_EBAD_REQUEST, PROTO_CURSOR, "");
}
END_TEST

/* Duplicate keys are not JSON's business; the decoder must simply pick one
 * consistently and free everything. */
START_TEST(test_duplicate_keys_do_not_crash) {
    static const char *const cases[] = {
        "{\"type\":\"ping\",\"type\":\"op\"}",
        "{\"type\":\"op\",\"type\":\"ping\",\"id\":1,\"rev\":0,\"op\":[\"a\"]}",
        "{\"type\":\"op\",\"id\":\"a\",\"id\":\"b\",\"rev\":0,\"rev\":\"x\",\"op\":[\"x\"],\"op\":7}",
        "{\"type\":\"join\",\"workshop\":\"" WS "\",\"name\":\"A\",\"name\":\"B\",\"organisation\":\"O\","
        "\"organisation\":5,\"key\":\"k\",\"key\":\"l\",\"resume\":{\"token\":\"t\",\"token\":\"u\",\"rev\":1,\"rev\":2}}",
        "{\"type\":\"cursor\",\"rev\":1,\"sel\":[1,2],\"sel\":[3]}",
        "{\"type\":\"op\",\"id\":1,\"rev\":0,\"op\":[{\"d\":1,\"d\":2}]}",
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        proto_msg m;
        proto_err e = decode(cases[i], &m);
        ck_assert_msg(e == PROTO_OK || e == PROTO_EBAD_REQUEST, "%s: %s", cases[i], proto_err_code(e));
        if (e == PROTO_OK && m.type == PROTO_OP) ck_assert_int_eq(ot_op_check(&m.u.op.op), OT_OK);
        proto_msg_free(&m);
    }
    /* The first occurrence wins (cJSON's lookup). */
    proto_msg m;
    ck_assert_int_eq(decode(cases[0], &m), PROTO_OK);
    ck_assert_int_eq(m.type, PROTO_PING);
    proto_msg_free(&m);
    /* {"d":1,"d":2} is not a delete: a delete is an object with the single key "d". */
    REJECT(cases[5], PROTO_EBAD_REQUEST, PROTO_OP, "1");
}
END_TEST

START_TEST(test_op_missing_id) {
    REJECT("{\"type\":\"op\",\"rev\":0,\"op\":[\"a\"]}", PROTO_EBAD_REQUEST, PROTO_OP, "");
}
END_TEST

START_TEST(test_op_bad_rev) {
    static const char *const bad[] = {
        "\"3\"", "-1", "1.5", "0.1", "9007199254740992", "1e300", "null", "true", "[0]", "{}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char *json = op_with(bad[i], "[\"a\"]");
        REJECT(json, PROTO_EBAD_REQUEST, PROTO_OP, "\"c1\"");
        free(json);
    }
    REJECT("{\"type\":\"op\",\"id\":\"c1\",\"op\":[\"a\"]}", PROTO_EBAD_REQUEST, PROTO_OP, "\"c1\"");
    /* The largest safe integer is still a revision. */
    char *json = op_with("9007199254740991", "[\"a\"]");
    ACCEPT(json, PROTO_OP);
    free(json);
    json = op_with("-0", "[\"a\"]");
    ACCEPT(json, PROTO_OP);
    free(json);
}
END_TEST

START_TEST(test_op_not_an_array) {
    static const char *const bad[] = {"{\"d\":1}", "\"abc\"", "3", "null", "true"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char *json = op_with("0", bad[i]);
        REJECT(json, PROTO_EBAD_REQUEST, PROTO_OP, "\"c1\"");
        free(json);
    }
    REJECT("{\"type\":\"op\",\"id\":\"c1\",\"rev\":0}", PROTO_EBAD_REQUEST, PROTO_OP, "\"c1\"");
}
END_TEST

START_TEST(test_op_bad_components) {
    static const char *const bad[] = {
        "[0,\"a\"]",                 /* zero skip */
        "[-1,\"a\"]",                /* negative skip */
        "[1.5,\"a\"]",               /* fractional skip */
        "[9007199254740992,\"a\"]",  /* skip beyond 2^53 - 1 */
        "[\"\"]",                    /* empty insert */
        "[{\"d\":0}]",               /* empty delete */
        "[{\"d\":-2}]",
        "[{\"d\":1.5}]",
        "[{\"d\":\"\"}]",
        "[{\"x\":1}]",               /* not a delete */
        "[{}]",
        "[{\"d\":1,\"e\":2}]",       /* extra key */
        "[{\"d\":null}]",
        "[{\"d\":[1]}]",
        "[3]",                       /* trailing skip */
        "[\"a\",3]",
        "[1,2,\"a\"]",               /* unmerged skips */
        "[\"a\",\"b\"]",             /* unmerged inserts */
        "[{\"d\":1},{\"d\":2}]",     /* unmerged deletes */
        "[null]",
        "[true]",
        "[[1]]",
        "[\"a\",null]",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char *json = op_with("0", bad[i]);
        REJECT(json, PROTO_EBAD_REQUEST, PROTO_OP, "\"c1\"");
        free(json);
    }
}
END_TEST

START_TEST(test_op_good_components) {
    static const char *const good[] = {
        "[\"a\"]", "[{\"d\":1}]", "[{\"d\":\"x\"}]", "[1,\"a\"]", "[\"a\",{\"d\":1}]", "[{\"d\":1},\"a\"]",
        "[9007199254740991,\"a\"]", "[2,{\"d\":\"é\"},3,\"😀\"]",
    };
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        char *json = op_with("0", good[i]);
        ACCEPT(json, PROTO_OP);
        free(json);
    }
}
END_TEST

START_TEST(test_cursor_bad_fields) {
    static const char *const bad[] = {
        "{\"type\":\"cursor\",\"id\":1,\"rev\":0}",
        "{\"type\":\"cursor\",\"id\":1,\"sel\":[0,0]}",
        "{\"type\":\"cursor\",\"id\":1,\"rev\":\"0\",\"sel\":[0,0]}",
        "{\"type\":\"cursor\",\"id\":1,\"rev\":-1,\"sel\":[0,0]}",
        "{\"type\":\"cursor\",\"id\":1,\"rev\":0,\"sel\":[0]}",
        "{\"type\":\"cursor\",\"id\":1,\"rev\":0,\"sel\":[0,0,0]}",
        "{\"type\":\"cursor\",\"id\":1,\"rev\":0,\"sel\":[]}",
        "{\"type\":\"cursor\",\"id\":1,\"rev\":0,\"sel\":[-1,0]}",
        "{\"type\":\"cursor\",\"id\":1,\"rev\":0,\"sel\":[0,1.5]}",
        "{\"type\":\"cursor\",\"id\":1,\"rev\":0,\"sel\":[\"0\",0]}",
        "{\"type\":\"cursor\",\"id\":1,\"rev\":0,\"sel\":[0,9007199254740992]}",
        "{\"type\":\"cursor\",\"id\":1,\"rev\":0,\"sel\":{\"0\":1,\"1\":2}}",
        "{\"type\":\"cursor\",\"id\":1,\"rev\":0,\"sel\":17}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) REJECT(bad[i], PROTO_EBAD_REQUEST, PROTO_CURSOR, "1");
}
END_TEST

START_TEST(test_join_workshop_id_rules) {
    static const char *const bad[] = {
        "",
        "abc!def",
        "a/b",
        "a+b",
        "abc def",
        "abc=",
        "été",
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQR", /* 44 characters */
    };
    char buf[512];
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        snprintf(buf, sizeof buf, "{\"type\":\"join\",\"id\":1,\"workshop\":\"%s\",\"name\":\"A\",\"organisation\":\"B\"}",
                 bad[i]);
        REJECT(buf, PROTO_EBAD_REQUEST, PROTO_JOIN, "1");
    }
    REJECT("{\"type\":\"join\",\"id\":1,\"name\":\"A\",\"organisation\":\"B\"}", PROTO_EBAD_REQUEST, PROTO_JOIN, "1");
    REJECT("{\"type\":\"join\",\"id\":1,\"workshop\":42,\"name\":\"A\",\"organisation\":\"B\"}", PROTO_EBAD_REQUEST,
           PROTO_JOIN, "1");
    ACCEPT("{\"type\":\"join\",\"workshop\":\"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNO-_\",\"name\":\"A\","
           "\"organisation\":\"B\"}",
           PROTO_JOIN);
}
END_TEST

START_TEST(test_join_name_length_in_code_points) {
    /* 64 code points: ASCII, accents (2 bytes), emoji outside the BMP (4 bytes). */
    static const char *const unit[] = {"a", "é", "😀", "𝄞"};
    for (size_t i = 0; i < sizeof unit / sizeof *unit; i++) {
        char *n64 = repeat(unit[i], 64), *n65 = repeat(unit[i], 65);
        char *ok = join_with_name(n64), *ko = join_with_name(n65);
        proto_msg m;
        ck_assert_msg(decode(ok, &m) == PROTO_OK, "64 x %s refused", unit[i]);
        ck_assert_str_eq(m.u.join.name, n64);
        proto_msg_free(&m);
        REJECT(ko, PROTO_EBAD_REQUEST, PROTO_JOIN, "1");
        free(n64);
        free(n65);
        free(ok);
        free(ko);
    }
    /* Mixed: 62 'é' + "😀" + "a" = 64. */
    char *mix = repeat("é", 62);
    char name[512];
    snprintf(name, sizeof name, "%s😀a", mix);
    char *json = join_with_name(name);
    ACCEPT(json, PROTO_JOIN);
    free(json);
    snprintf(name, sizeof name, "%s😀ab", mix);
    json = join_with_name(name);
    REJECT(json, PROTO_EBAD_REQUEST, PROTO_JOIN, "1");
    free(json);
    free(mix);
    /* Escaped spellings count as what they decode to. */
    char *esc = repeat("\\u00e9", 64);
    json = join_with_name(esc);
    ACCEPT(json, PROTO_JOIN);
    free(json);
    free(esc);
}
END_TEST

START_TEST(test_join_name_bad) {
    static const char *const bad[] = {
        "",            /* empty */
        "A\\u0001",    /* control character */
        "A\\nB",
        "\\tA",
        "A\\u001fB",
        "A\\u007fB",   /* DEL */
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char *json = join_with_name(bad[i]);
        REJECT(json, PROTO_EBAD_REQUEST, PROTO_JOIN, "1");
        free(json);
    }
    REJECT("{\"type\":\"join\",\"id\":1,\"workshop\":\"" WS "\",\"name\":7,\"organisation\":\"B\"}", PROTO_EBAD_REQUEST,
           PROTO_JOIN, "1");
    REJECT("{\"type\":\"join\",\"id\":1,\"workshop\":\"" WS "\",\"name\":null,\"organisation\":\"B\"}", PROTO_EBAD_REQUEST,
           PROTO_JOIN, "1");
    REJECT("{\"type\":\"join\",\"id\":1,\"workshop\":\"" WS "\",\"name\":\"A\",\"organisation\":\"\"}", PROTO_EBAD_REQUEST,
           PROTO_JOIN, "1");
    REJECT("{\"type\":\"join\",\"id\":1,\"workshop\":\"" WS "\",\"name\":\"A\",\"organisation\":[\"B\"]}",
           PROTO_EBAD_REQUEST, PROTO_JOIN, "1");
    REJECT("{\"type\":\"join\",\"id\":1,\"workshop\":\"" WS "\",\"name\":\"A\"}", PROTO_EBAD_REQUEST, PROTO_JOIN, "1");
    REJECT("{\"type\":\"join\",\"id\":1,\"workshop\":\"" WS "\",\"organisation\":\"B\"}", PROTO_EBAD_REQUEST, PROTO_JOIN,
           "1");
    /* Even when resuming, a name that is present must be valid. */
    REJECT("{\"type\":\"join\",\"id\":1,\"workshop\":\"" WS "\",\"name\":\"\",\"resume\":{\"token\":\"t\",\"rev\":0}}",
           PROTO_EBAD_REQUEST, PROTO_JOIN, "1");
}
END_TEST

START_TEST(test_join_key_rules) {
    REJECT("{\"type\":\"join\",\"id\":1,\"workshop\":\"" WS "\",\"name\":\"A\",\"organisation\":\"B\",\"key\":5}",
           PROTO_EBAD_REQUEST, PROTO_JOIN, "1");
    REJECT("{\"type\":\"join\",\"id\":1,\"workshop\":\"" WS "\",\"name\":\"A\",\"organisation\":\"B\",\"key\":null}",
           PROTO_EBAD_REQUEST, PROTO_JOIN, "1");
    char *k96 = repeat("k", 96), *k97 = repeat("k", 97);
    char buf[512];
    snprintf(buf, sizeof buf,
             "{\"type\":\"join\",\"id\":1,\"workshop\":\"" WS "\",\"name\":\"A\",\"organisation\":\"B\",\"key\":\"%s\"}", k96);
    ACCEPT(buf, PROTO_JOIN);
    snprintf(buf, sizeof buf,
             "{\"type\":\"join\",\"id\":1,\"workshop\":\"" WS "\",\"name\":\"A\",\"organisation\":\"B\",\"key\":\"%s\"}", k97);
    REJECT(buf, PROTO_EBAD_REQUEST, PROTO_JOIN, "1");
    free(k96);
    free(k97);
}
END_TEST

START_TEST(test_join_resume_rules) {
    static const char *const bad[] = {
        "{\"rev\":3}",                     /* no token */
        "{\"token\":\"\",\"rev\":3}",      /* empty token */
        "{\"token\":5,\"rev\":3}",
        "{\"token\":\"t\"}",               /* no rev */
        "{\"token\":\"t\",\"rev\":-1}",
        "{\"token\":\"t\",\"rev\":1.5}",
        "{\"token\":\"t\",\"rev\":\"3\"}",
        "{\"token\":\"t\",\"rev\":9007199254740992}",
        "\"p_x.secret\"",
        "[\"t\",3]",
        "true",
        "{}",
    };
    char buf[512];
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        snprintf(buf, sizeof buf, "{\"type\":\"join\",\"id\":\"j\",\"workshop\":\"" WS "\",\"resume\":%s}", bad[i]);
        REJECT(buf, PROTO_EBAD_REQUEST, PROTO_JOIN, "\"j\"");
    }
    char *t96 = repeat("t", 96), *t97 = repeat("t", 97);
    snprintf(buf, sizeof buf, "{\"type\":\"join\",\"workshop\":\"" WS "\",\"resume\":{\"token\":\"%s\",\"rev\":1}}", t96);
    ACCEPT(buf, PROTO_JOIN);
    snprintf(buf, sizeof buf, "{\"type\":\"join\",\"id\":1,\"workshop\":\"" WS "\",\"resume\":{\"token\":\"%s\",\"rev\":1}}",
             t97);
    REJECT(buf, PROTO_EBAD_REQUEST, PROTO_JOIN, "1");
    free(t96);
    free(t97);
}
END_TEST

/* cJSON strings end at the first NUL: a decoded "\u0000" would silently cut
 * an insert or a name, so the whole message is refused. */
START_TEST(test_escaped_nul_rejected) {
    proto_msg m;
    ck_assert_int_eq(decode("{\"type\":\"op\",\"id\":\"x\",\"rev\":0,\"op\":[\"ab\\u0000cd\"]}", &m), PROTO_EBAD_REQUEST);
    proto_msg_free(&m);
    ck_assert_int_eq(decode("{\"type\":\"ping\",\"id\":\"\\u0000\"}", &m), PROTO_EBAD_REQUEST);
    proto_msg_free(&m);
    char *json = join_with_name("A\\u0000B");
    ck_assert_int_eq(decode(json, &m), PROTO_EBAD_REQUEST);
    proto_msg_free(&m);
    free(json);
    ck_assert_int_eq(decode("{\"type\":\"ping\",\"\\u0000\":1}", &m), PROTO_EBAD_REQUEST);
    proto_msg_free(&m);
}
END_TEST

/* An escaped backslash followed by "u0000" is six ordinary characters. */
START_TEST(test_literal_backslash_u0000_accepted) {
    proto_msg m;
    ck_assert_int_eq(decode("{\"type\":\"op\",\"id\":\"x\",\"rev\":0,\"op\":[\"a\\\\u0000b\"]}", &m), PROTO_OK);
    ck_assert_str_eq(m.u.op.op.c[0].s, "a\\u0000b");
    ck_assert_uint_eq(m.u.op.op.c[0].n, 8);
    proto_msg_free(&m);
    /* ... but a real escape right after one is still caught. */
    ck_assert_int_eq(decode("{\"type\":\"op\",\"id\":\"x\",\"rev\":0,\"op\":[\"a\\\\\\u0000b\"]}", &m), PROTO_EBAD_REQUEST);
    proto_msg_free(&m);
}
END_TEST

/* The type and id are readable, so the error must say them: otherwise the
 * client cannot tell which of its requests failed. */
START_TEST(test_escaped_nul_error_keeps_type_and_id) {
    REJECT("{\"type\":\"op\",\"id\":\"x\",\"rev\":0,\"op\":[\"ab\\u0000cd\"]}", PROTO_EBAD_REQUEST, PROTO_OP, "\"x\"");
}
END_TEST

/* JSON forbids raw control characters; cJSON would let them through, and a
 * raw NUL ends its C strings: ["ab<NUL>cd"] would be read as ["ab"]. */
START_TEST(test_raw_nul_byte_in_string_rejected) {
    static const char json[] = "{\"type\":\"op\",\"id\":\"x\",\"rev\":0,\"op\":[\"ab\0cd\"]}";
    REJECT_N(json, sizeof json - 1, PROTO_EBAD_REQUEST, PROTO_NONE, "");
    static const char name[] = "{\"type\":\"join\",\"workshop\":\"" WS "\",\"name\":\"A\0evil\",\"organisation\":\"B\"}";
    REJECT_N(name, sizeof name - 1, PROTO_EBAD_REQUEST, PROTO_NONE, "");
}
END_TEST

START_TEST(test_raw_control_characters_rejected) {
    char buf[128];
    for (int c = 0; c < 0x20; c++) {
        if (c == '\t' || c == '\n' || c == '\r') continue;
        snprintf(buf, sizeof buf, "{\"type\":\"op\",\"id\":\"x\",\"rev\":0,\"op\":[\"a%cb\"]}", c ? c : ' ');
        size_t len = strlen(buf);
        if (!c) buf[len - 5] = '\0'; /* the space stands for a NUL */
        REJECT_N(buf, len, PROTO_EBAD_REQUEST, PROTO_NONE, "");
        snprintf(buf, sizeof buf, "{\"type\":\"ping\",%c\"id\":1}", c ? c : ' ');
        len = strlen(buf);
        if (!c) buf[15] = '\0';
        REJECT_N(buf, len, PROTO_EBAD_REQUEST, PROTO_NONE, "");
    }
    /* The JSON whitespace among them is fine between tokens. */
    ACCEPT("{\"type\":\t\"ping\",\r\n\"id\":1}", PROTO_PING);
}
END_TEST

START_TEST(test_invalid_utf8_rejected) {
    static const char *const bad[] = {
        "\xff",                 /* never valid */
        "\xc0\xaf",             /* overlong '/' */
        "\xe0\x80\xaf",         /* overlong, 3 bytes */
        "\xed\xa0\x80",         /* UTF-16 surrogate */
        "\xf4\x90\x80\x80",     /* above U+10FFFF */
        "\xe2\x82",             /* truncated sequence */
        "\x80",                 /* stray continuation */
        "\xc3\x28",             /* bad continuation */
    };
    char buf[256];
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        snprintf(buf, sizeof buf, "{\"type\":\"op\",\"id\":\"x\",\"rev\":0,\"op\":[\"a%sb\"]}", bad[i]);
        REJECT(buf, PROTO_EBAD_REQUEST, PROTO_NONE, "");
        snprintf(buf, sizeof buf, "{\"type\":\"ping\",\"id\":1}%s", bad[i]);
        REJECT(buf, PROTO_EBAD_REQUEST, PROTO_NONE, "");
    }
    /* Truncated at the very end of the message. */
    REJECT("{\"type\":\"ping\",\"x\":\"\xf0\x9f\x98", PROTO_EBAD_REQUEST, PROTO_NONE, "");
}
END_TEST

/* The decoder reads only len bytes: what follows in memory is not its business. */
START_TEST(test_decode_respects_length) {
    const char *json = "{\"type\":\"ping\",\"id\":1}GARBAGE";
    proto_msg m;
    ck_assert_int_eq(decode_n(json, 22, &m), PROTO_OK);
    ck_assert_str_eq(m.idjson, "1");
    proto_msg_free(&m);
    REJECT_N(json, 21, PROTO_EBAD_REQUEST, PROTO_NONE, "");
}
END_TEST

START_TEST(test_errors_keep_id_for_every_type) {
    REJECT("{\"type\":\"join\",\"id\":\"j1\"}", PROTO_EBAD_REQUEST, PROTO_JOIN, "\"j1\"");
    REJECT("{\"type\":\"op\",\"id\":\"o1\"}", PROTO_EBAD_REQUEST, PROTO_OP, "\"o1\"");
    REJECT("{\"type\":\"cursor\",\"id\":\"c1\"}", PROTO_EBAD_REQUEST, PROTO_CURSOR, "\"c1\"");
}
END_TEST

START_TEST(test_free_is_idempotent_after_error) {
    proto_msg m;
    decode("{\"type\":\"join\",\"id\":1,\"workshop\":\"" WS "\",\"name\":\"A\",\"organisation\":\"B\",\"key\":7}", &m);
    proto_msg_free(&m);
    proto_msg_free(&m);
    ck_assert_int_eq(m.type, PROTO_NONE);
}
END_TEST

/* ---- helpers shared with the HTTP API ------------------------------------ */

START_TEST(test_valid_b64url) {
    ck_assert(proto_valid_b64url("AZaz09-_", 8));
    ck_assert(!proto_valid_b64url("AZaz09-_", 7));
    ck_assert(!proto_valid_b64url("", 8));
    ck_assert(!proto_valid_b64url("ab+", 8));
    ck_assert(!proto_valid_b64url("ab/", 8));
    ck_assert(!proto_valid_b64url("ab=", 8));
    ck_assert(!proto_valid_b64url("ab.", 8));
}
END_TEST

START_TEST(test_err_codes_and_type_names) {
    static const char *const codes[] = {"ok", "bad_request", "unknown_type", "not_found", "forbidden",
                                        "too_large", "rate_limited", "stale", "unavailable", "internal"};
    for (int e = PROTO_OK; e <= PROTO_EINTERNAL; e++) ck_assert_str_eq(proto_err_code((proto_err)e), codes[e]);
    ck_assert_str_eq(proto_err_code((proto_err)99), "internal");
    ck_assert_ptr_null(proto_type_name(PROTO_NONE));
    ck_assert_str_eq(proto_type_name(PROTO_JOIN), "join");
    ck_assert_str_eq(proto_type_name(PROTO_OP), "op");
    ck_assert_str_eq(proto_type_name(PROTO_CURSOR), "cursor");
    ck_assert_str_eq(proto_type_name(PROTO_PING), "ping");
    ck_assert_ptr_null(proto_type_name((proto_type)42));
}
END_TEST

/* ---- encoders ------------------------------------------------------------ */

START_TEST(test_write_error_exact) {
    sbuf b;
    sbuf_init(&b, 0);
    proto_write_error(&b, PROTO_ESTALE, "revision 3 is older than the server's window", PROTO_OP, "\"c7-12\"");
    ck_assert_str_eq(sbuf_data(&b), "{\"type\":\"error\",\"code\":\"stale\",\"message\":\"revision 3 is older than the "
                                    "server's window\",\"re\":\"op\",\"id\":\"c7-12\"}");
    cJSON_Delete(parse_out(&b));
    sbuf_reset(&b);
    proto_write_error(&b, PROTO_EBAD_REQUEST, "not JSON", PROTO_NONE, NULL);
    ck_assert_str_eq(sbuf_data(&b), "{\"type\":\"error\",\"code\":\"bad_request\",\"message\":\"not JSON\"}");
    cJSON_Delete(parse_out(&b));
    sbuf_reset(&b);
    proto_write_error(&b, PROTO_EFORBIDDEN, NULL, PROTO_JOIN, "");
    ck_assert_str_eq(sbuf_data(&b), "{\"type\":\"error\",\"code\":\"forbidden\",\"message\":\"\",\"re\":\"join\"}");
    cJSON_Delete(parse_out(&b));
    sbuf_reset(&b);
    proto_write_error(&b, PROTO_ERATE_LIMITED, "slow", PROTO_PING, "9");
    ck_assert_str_eq(sbuf_data(&b),
                     "{\"type\":\"error\",\"code\":\"rate_limited\",\"message\":\"slow\",\"re\":\"ping\",\"id\":9}");
    cJSON_Delete(parse_out(&b));
    ck_assert(sbuf_ok(&b));
    sbuf_free(&b);
}
END_TEST

START_TEST(test_write_error_escapes_message) {
    sbuf b;
    sbuf_init(&b, 0);
    const char *msg = "«\"cité\"» \\ \n\t\x01 😀";
    proto_write_error(&b, PROTO_EINTERNAL, msg, PROTO_CURSOR, NULL);
    ck_assert_str_eq(sbuf_data(&b), "{\"type\":\"error\",\"code\":\"internal\",\"message\":\"«\\\"cité\\\"» \\\\ \\n\\t\\u0001 "
                                    "😀\",\"re\":\"cursor\"}");
    cJSON *v = parse_out(&b);
    ck_assert_str_eq(jstr_field(v, "message"), msg);
    ck_assert_str_eq(jstr_field(v, "re"), "cursor");
    cJSON_Delete(v);
    sbuf_free(&b);
}
END_TEST

START_TEST(test_write_error_every_code_parses) {
    for (int e = PROTO_EBAD_REQUEST; e <= PROTO_EINTERNAL; e++) {
        for (int t = PROTO_NONE; t <= PROTO_PING; t++) {
            sbuf b;
            sbuf_init(&b, 0);
            proto_write_error(&b, (proto_err)e, "m", (proto_type)t, "\"i\"");
            cJSON *v = parse_out(&b);
            ck_assert_str_eq(jstr_field(v, "type"), "error");
            ck_assert_str_eq(jstr_field(v, "code"), proto_err_code((proto_err)e));
            ck_assert_str_eq(jstr_field(v, "id"), "i");
            if (t == PROTO_NONE) ck_assert_ptr_null(cJSON_GetObjectItemCaseSensitive(v, "re"));
            else ck_assert_str_eq(jstr_field(v, "re"), proto_type_name((proto_type)t));
            cJSON_Delete(v);
            sbuf_free(&b);
        }
    }
}
END_TEST

START_TEST(test_write_ack_exact) {
    sbuf b;
    sbuf_init(&b, 0);
    proto_write_ack(&b, "\"c7-12\"", 41);
    ck_assert_str_eq(sbuf_data(&b), "{\"type\":\"ack\",\"id\":\"c7-12\",\"rev\":41}");
    cJSON_Delete(parse_out(&b));
    sbuf_reset(&b);
    proto_write_ack(&b, "7", 0);
    ck_assert_str_eq(sbuf_data(&b), "{\"type\":\"ack\",\"id\":7,\"rev\":0}");
    cJSON_Delete(parse_out(&b));
    sbuf_reset(&b);
    proto_write_ack(&b, NULL, 9007199254740991LL);
    ck_assert_str_eq(sbuf_data(&b), "{\"type\":\"ack\",\"rev\":9007199254740991}");
    cJSON *v = parse_out(&b);
    ck_assert(jnum_field(v, "rev") == 9007199254740991.0);
    cJSON_Delete(v);
    sbuf_free(&b);
}
END_TEST

START_TEST(test_write_pong_exact) {
    sbuf b;
    sbuf_init(&b, 0);
    proto_write_pong(&b, "9", 1795836000123LL);
    ck_assert_str_eq(sbuf_data(&b), "{\"type\":\"pong\",\"id\":9,\"now\":1795836000123}");
    cJSON_Delete(parse_out(&b));
    sbuf_reset(&b);
    proto_write_pong(&b, "", 5);
    ck_assert_str_eq(sbuf_data(&b), "{\"type\":\"pong\",\"now\":5}");
    cJSON_Delete(parse_out(&b));
    sbuf_free(&b);
}
END_TEST

START_TEST(test_write_op_exact) {
    sbuf b;
    sbuf_init(&b, 0);
    const char *op = "[12,\"partenaires \\\"é\\\" 😀\",{\"d\":3}]";
    proto_write_op(&b, 41, op, strlen(op), "p_3fA9");
    ck_assert_str_eq(sbuf_data(&b), "{\"type\":\"op\",\"rev\":41,\"op\":[12,\"partenaires \\\"é\\\" 😀\",{\"d\":3}],"
                                    "\"author\":\"p_3fA9\"}");
    cJSON *v = parse_out(&b);
    cJSON *o = cJSON_GetObjectItemCaseSensitive(v, "op");
    ck_assert(cJSON_IsArray(o));
    ck_assert_str_eq(cJSON_GetArrayItem(o, 1)->valuestring, "partenaires \"é\" 😀");
    cJSON_Delete(v);
    sbuf_reset(&b);
    /* Only opjson_len bytes of the op are used; the author is escaped. */
    proto_write_op(&b, 0, "[\"a\"]XXXX", 5, "p\"\\\n");
    ck_assert_str_eq(sbuf_data(&b), "{\"type\":\"op\",\"rev\":0,\"op\":[\"a\"],\"author\":\"p\\\"\\\\\\n\"}");
    v = parse_out(&b);
    ck_assert_str_eq(jstr_field(v, "author"), "p\"\\\n");
    cJSON_Delete(v);
    sbuf_free(&b);
}
END_TEST

START_TEST(test_write_cursor_exact) {
    sbuf b;
    sbuf_init(&b, 0);
    proto_write_cursor(&b, "p_x", 44, 17, 20);
    ck_assert_str_eq(sbuf_data(&b), "{\"type\":\"cursor\",\"participant\":\"p_x\",\"rev\":44,\"sel\":[17,20]}");
    cJSON_Delete(parse_out(&b));
    sbuf_reset(&b);
    proto_write_cursor(&b, "p\"q", 9007199254740991LL, 0, 9007199254740991LL);
    ck_assert_str_eq(sbuf_data(&b), "{\"type\":\"cursor\",\"participant\":\"p\\\"q\",\"rev\":9007199254740991,"
                                    "\"sel\":[0,9007199254740991]}");
    cJSON *v = parse_out(&b);
    ck_assert_str_eq(jstr_field(v, "participant"), "p\"q");
    cJSON_Delete(v);
    sbuf_free(&b);
}
END_TEST

START_TEST(test_write_departed_exact) {
    sbuf b;
    sbuf_init(&b, 0);
    proto_write_departed(&b, "p_abc");
    ck_assert_str_eq(sbuf_data(&b), "{\"type\":\"departed\",\"participant\":\"p_abc\"}");
    cJSON_Delete(parse_out(&b));
    sbuf_reset(&b);
    proto_write_departed(&b, "\\\x1f");
    ck_assert_str_eq(sbuf_data(&b), "{\"type\":\"departed\",\"participant\":\"\\\\\\u001f\"}");
    cJSON *v = parse_out(&b);
    ck_assert_str_eq(jstr_field(v, "participant"), "\\\x1f");
    cJSON_Delete(v);
    sbuf_free(&b);
}
END_TEST

START_TEST(test_write_participant_exact) {
    sbuf b;
    sbuf_init(&b, 0);
    proto_write_participant(&b, "p_1", "Awa", "Ville de Lyon", "facilitator", false);
    ck_assert_str_eq(sbuf_data(&b),
                     "{\"id\":\"p_1\",\"name\":\"Awa\",\"organisation\":\"Ville de Lyon\",\"role\":\"facilitator\"}");
    cJSON_Delete(parse_out(&b));
    sbuf_reset(&b);
    const char *name = "Zoé \"la\" \\ 😀", *org = "Banque\tdu\nNord";
    proto_write_participant(&b, "p_2", name, org, "participant", true);
    ck_assert_str_eq(sbuf_data(&b), "{\"id\":\"p_2\",\"name\":\"Zoé \\\"la\\\" \\\\ 😀\",\"organisation\":"
                                    "\"Banque\\tdu\\nNord\",\"role\":\"participant\",\"asks\":\"representative\"}");
    cJSON *v = parse_out(&b);
    ck_assert_str_eq(jstr_field(v, "name"), name);
    ck_assert_str_eq(jstr_field(v, "organisation"), org);
    ck_assert_str_eq(jstr_field(v, "role"), "participant");
    cJSON_Delete(v);
    sbuf_free(&b);
}
END_TEST

/* Writers append: a hub may build several replies in one buffer. */
START_TEST(test_writers_append) {
    sbuf b;
    sbuf_init(&b, 0);
    proto_write_pong(&b, "1", 7);
    proto_write_pong(&b, "2", 8);
    ck_assert_str_eq(sbuf_data(&b), "{\"type\":\"pong\",\"id\":1,\"now\":7}{\"type\":\"pong\",\"id\":2,\"now\":8}");
    sbuf_free(&b);
}
END_TEST

/* What the decoder keeps as an id, echoed by an encoder, reads back as the
 * id the client sent. */
START_TEST(test_decoded_id_echoes_through_encoders) {
    static const char *const ids[] = {"\"c7-12\"", "\"q\\\"uote\"", "\"back\\\\\"", "\"\\u00e9\\ud83d\\ude00\"",
                                      "\"\\u007f\"", "12", "-3", "\"/\\/\""};
    for (size_t i = 0; i < sizeof ids / sizeof *ids; i++) {
        char *json = ping_with_id(ids[i]);
        proto_msg m;
        ck_assert_int_eq(decode(json, &m), PROTO_OK);
        cJSON *sent = cJSON_Parse(json);
        const cJSON *want = cJSON_GetObjectItemCaseSensitive(sent, "id");
        sbuf b;
        sbuf_init(&b, 0);
        proto_write_ack(&b, m.idjson, 1);
        cJSON *v = parse_out(&b);
        ck_assert_msg(cJSON_Compare(cJSON_GetObjectItemCaseSensitive(v, "id"), want, 1), "id %s", ids[i]);
        cJSON_Delete(v);
        sbuf_reset(&b);
        proto_write_error(&b, PROTO_EBAD_REQUEST, "x", PROTO_PING, m.idjson);
        v = parse_out(&b);
        ck_assert_msg(cJSON_Compare(cJSON_GetObjectItemCaseSensitive(v, "id"), want, 1), "id %s", ids[i]);
        cJSON_Delete(v);
        sbuf_free(&b);
        cJSON_Delete(sent);
        proto_msg_free(&m);
        free(json);
    }
}
END_TEST

/* ---- the fast path for ops agrees with the general decoder --------------- */

#define PICK(r, a) ((a)[below((r), sizeof(a) / sizeof *(a))])

static bool same_op(const ot_op *a, const ot_op *b) {
    if (a->n != b->n) return false;
    for (size_t i = 0; i < a->n; i++) {
        const ot_comp *x = &a->c[i], *y = &b->c[i];
        if (x->kind != y->kind || x->n != y->n || x->len != y->len || !x->s != !y->s) return false;
        if (x->s && memcmp(x->s, y->s, x->len) != 0) return false;
    }
    return true;
}

/* proto_decode (fast path first) and proto_decode_general give the same
 * code, message, type, id and op. Returns the code. */
static proto_err same_both_ways(const char *json, size_t len) {
    proto_msg a, b;
    const char *wa = NULL, *wb = NULL;
    proto_err ea = proto_decode(json, len, &a, &wa);
    proto_err eb = proto_decode_general(json, len, &b, &wb);
    ck_assert_msg(ea == eb, "%.*s: %s against %s", (int)len, json, proto_err_code(ea), proto_err_code(eb));
    ck_assert_msg(strcmp(wa, wb) == 0 && a.type == b.type && strcmp(a.idjson, b.idjson) == 0, "%.*s", (int)len, json);
    if (ea == PROTO_OK && a.type == PROTO_OP)
        ck_assert_msg(a.u.op.rev == b.u.op.rev && same_op(&a.u.op.op, &b.u.op.op), "%.*s", (int)len, json);
    proto_msg_free(&a);
    proto_msg_free(&b);
    return ea;
}

START_TEST(test_op_fast_path_cases) {
    static const char *const cases[] = {
        "{\"type\":\"op\",\"id\":\"c1\",\"rev\":3,\"op\":[2,\"a\"]}",
        " {\n\"op\" : [ \"é😀\" , 4 , { \"d\" : 2 } ] ,\t\"rev\":0,\"id\":12,\"type\":\"op\"}\r\n",
        "{\"type\":\"op\",\"id\":\"c1\",\"rev\":3,\"op\":[2,\"a\\nb\\\"c\\\\d\\/e\\tf\\rg\\bh\\fi\"]}",
        "{\"type\":\"op\",\"id\":\"c1\",\"rev\":3,\"op\":[{\"d\":\"x\\ny\"},\"z\"]}",
        "{\"type\":\"op\",\"id\":\"c1\",\"rev\":3,\"op\":[2,\"\\u00e9\"]}",
        "{\"type\":\"op\",\"id\":\"c1\",\"rev\":3,\"op\":[2,\"\\u0000\"]}",
        "{\"type\":\"op\",\"id\":\"c1\",\"rev\":3,\"op\":[2,\"a\\qb\"]}",
        "{\"type\":\"op\",\"id\":\"c1\",\"rev\":3,\"op\":[2,\"a\tb\"]}",
        "{\"type\":\"op\",\"id\":\"c1\",\"rev\":3,\"op\":[2]}",
        "{\"type\":\"op\",\"id\":\"c1\",\"rev\":3,\"op\":[]}",
        "{\"type\":\"op\",\"id\":\"c1\",\"rev\":3,\"op\":[0,\"a\"]}",
        "{\"type\":\"op\",\"id\":\"c1\",\"rev\":3,\"op\":[\"a\",\"b\"]}",
        "{\"type\":\"op\",\"id\":\"c1\",\"rev\":3,\"op\":[{\"d\":1},{\"d\":\"b\"}]}",
        "{\"type\":\"op\",\"id\":\"c1\",\"rev\":3,\"op\":[\"\"]}",
        "{\"type\":\"op\",\"id\":\"c1\",\"rev\":3,\"op\":[{\"d\":\"\"}]}",
        "{\"type\":\"op\",\"id\":\"c1\",\"rev\":3,\"op\":[{\"d\":0}]}",
        "{\"type\":\"op\",\"id\":\"c1\",\"rev\":3,\"op\":[{\"d\":1,\"e\":2}]}",
        "{\"type\":\"op\",\"id\":\"c1\",\"rev\":3,\"op\":[{}]}",
        "{\"type\":\"op\",\"id\":\"c1\",\"rev\":3,\"op\":[1.0,\"a\"]}",
        "{\"type\":\"op\",\"id\":\"c1\",\"rev\":3,\"op\":[1e1,\"a\"]}",
        "{\"type\":\"op\",\"id\":\"c1\",\"rev\":3,\"op\":[01,\"a\"]}",
        "{\"type\":\"op\",\"id\":\"c1\",\"rev\":3,\"op\":[-1,\"a\"]}",
        "{\"type\":\"op\",\"id\":\"c1\",\"rev\":3,\"op\":[9007199254740991,\"a\"]}",
        "{\"type\":\"op\",\"id\":\"c1\",\"rev\":3,\"op\":[9007199254740992,\"a\"]}",
        "{\"type\":\"op\",\"id\":\"c1\",\"rev\":3,\"op\":[123456789012345,\"a\"]}",
        "{\"type\":\"op\",\"id\":\"c1\",\"rev\":3,\"op\":[1234567890123456,\"a\"]}",
        "{\"type\":\"op\",\"id\":\"c1\",\"rev\":3,\"op\":[2,\"a\"],\"x\":1}",
        "{\"type\":\"op\",\"id\":\"c1\",\"rev\":3,\"op\":[2,\"a\"],\"op\":[1,\"b\"]}",
        "{\"type\":\"op\",\"type\":\"ping\",\"id\":\"c1\",\"rev\":3,\"op\":[2,\"a\"]}",
        "{\"type\":\"op\",\"id\":\"c1\",\"rev\":3,\"op\":[2,\"a\"]} x",
        "{\"type\":\"op\",\"id\":\"c1\",\"rev\":3,\"op\":[2,\"a\"],}",
        "{\"type\":\"op\",\"id\":\"c1\",\"rev\":3,\"op\":[2,\"a\",]}",
        "{\"type\":\"op\",\"id\":\"c1\",\"rev\":3,\"op\":[2,\"a\"]",
        "{\"type\":\"op\",\"id\":\"c1\",\"rev\":3,\"op\":[2,\"a",
        "{\"type\":\"op\",\"id\":\"c1\",\"rev\":3,\"op\":[2,\"a\"]}}",
        "{\"type\":\"op\",\"id\":\"c1\",\"rev\":-0,\"op\":[2,\"a\"]}",
        "{\"type\":\"op\",\"id\":\"c1\",\"rev\":\"3\",\"op\":[2,\"a\"]}",
        "{\"type\":\"op\",\"id\":\"c1\",\"op\":[2,\"a\"]}",
        "{\"type\":\"op\",\"rev\":3,\"op\":[2,\"a\"]}",
        "{\"type\":\"op\",\"id\":\"c1\",\"rev\":3}",
        "{\"type\":\"o\\u0070\",\"id\":\"c1\",\"rev\":3,\"op\":[2,\"a\"]}",
        "{\"typ\\u0065\":\"op\",\"id\":\"c1\",\"rev\":3,\"op\":[2,\"a\"]}",
        "{\"type\":\"OP\",\"id\":\"c1\",\"rev\":3,\"op\":[2,\"a\"]}",
        "{\"type\":\"op\",\"id\":\"\",\"rev\":3,\"op\":[2,\"a\"]}",
        "{\"type\":\"op\",\"id\":\"a\\nb\",\"rev\":3,\"op\":[2,\"a\"]}",
        "{\"type\":\"op\",\"id\":\"a\\\"b\",\"rev\":3,\"op\":[2,\"a\"]}",
        "{\"type\":\"op\",\"id\":0,\"rev\":3,\"op\":[2,\"a\"]}",
        "{\"type\":\"op\",\"id\":-5,\"rev\":3,\"op\":[2,\"a\"]}",
        "{\"type\":\"op\",\"id\":1.5,\"rev\":3,\"op\":[2,\"a\"]}",
        "{\"type\":\"op\",\"id\":null,\"rev\":3,\"op\":[2,\"a\"]}",
        "{\"type\":\"op\",\"id\":\"😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀"
        "😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀\",\"rev\":3,\"op\":[2,\"a\"]}",
        "{\"type\":\"op\",\"id\":\"😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀"
        "😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀x\",\"rev\":3,\"op\":[2,\"a\"]}",
        "{\"type\":\"op\",\"id\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\",\"rev\":3,\"op\":[2,\"a\"]}",
        "{\"type\":\"op\",\"id\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\",\"rev\":3,\"op\":[2,\"a\"]}",
        "\xEF\xBB\xBF{\"type\":\"op\",\"id\":\"c1\",\"rev\":3,\"op\":[2,\"a\"]}",
        "{\"type\":\"op\",\"id\":\"c1\",\"rev\":3,\"op\":{\"d\":1}}",
        "{\"type\":\"op\",\"id\":\"c1\",\"rev\":3,\"op\":[2,\"a\\",
        "{\"type\":\"op\",\"id\":\"c1\",\"rev\":3,\"op\":[2,\"a\"]}\x01",
    };
    int ok = 0;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) ok += same_both_ways(cases[i], strlen(cases[i])) == PROTO_OK;
    ck_assert_int_ge(ok, 8);
    /* Bytes after the given length are not part of the message. */
    static const char cut[] = "{\"type\":\"op\",\"id\":\"c1\",\"rev\":3,\"op\":[2,\"a\"]}garbage";
    ck_assert_int_eq(same_both_ways(cut, sizeof cut - 1 - 7), PROTO_OK);
    ck_assert_int_eq(same_both_ways(cut, 20), PROTO_EBAD_REQUEST);
}
END_TEST

/* Op messages put together from good and bad pieces, then sometimes damaged
 * by one byte: both decoders must agree on every one. */
START_TEST(test_op_fast_path_agrees_on_random_messages) {
    static const char *const ws[] = {"", "", "", " ", "\n", "\t", "\r\n  "};
    static const char *const skips[] = {"1", "2", "17", "123456789012345", "0", "01", "1.0", "1e2", "-1",
                                        "1234567890123456", "9007199254740993", "true"};
    static const char *const texts[] = {"\"a\"", "\"é😀«\"", "\"\\n\"", "\"x\\\"y\"", "\"\\/\\\\\"", "\"\\u00e9\"",
                                        "\"\\u0000\"", "\"\"", "\"\\q\"", "\"a\tb\"", "\"’ \\t\\r\\b\\f\"",
                                        "\"\\ud83d\\ude00\"", "\"\\ud83d\""};
    static const char *const ids[] = {"\"c1\"", "\"é\"", "7", "0", "900719925474099", "-3", "1.5", "\"\"",
                                      "\"a\\nb\"", "null", "\"x\\\"\"", "1234567890123456"};
    static const char *const revs[] = {"0", "5", "123456789012345", "-1", "1.5", "\"3\"", "01", "9007199254740991", "1e3"};
    static const char *const types[] = {"\"op\"", "\"op\"", "\"op\"", "\"ping\"", "\"o\\u0070\"", "\"OP\"", "1"};
    static const char noise[] = "{}[],:\"\\ 0a-.e";
    prng r = {42};
    int accepted = 0;
    enum { N = 30000 };
    for (int it = 0; it < N; it++) {
        sbuf b;
        sbuf_init(&b, 0);
        /* The four fields (sometimes one missing, one twice, or an extra), shuffled. */
        int order[6] = {0, 1, 2, 3, below(&r, 8) == 0 ? (int)below(&r, 4) : -1, below(&r, 10) == 0 ? 4 : -1};
        if (below(&r, 12) == 0) order[below(&r, 4)] = -1;
        for (int i = 5; i > 0; i--) {
            int j = (int)below(&r, (size_t)i + 1), t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        sbuf_puts(&b, PICK(&r, ws));
        sbuf_putc(&b, '{');
        bool first = true;
        for (int i = 0; i < 6; i++) {
            if (order[i] < 0) continue;
            if (!first) sbuf_putc(&b, ',');
            first = false;
            sbuf_puts(&b, PICK(&r, ws));
            static const char *const keys[] = {"\"type\"", "\"id\"", "\"rev\"", "\"op\"", "\"other\""};
            sbuf_puts(&b, keys[order[i]]);
            sbuf_puts(&b, PICK(&r, ws));
            sbuf_putc(&b, ':');
            sbuf_puts(&b, PICK(&r, ws));
            switch (order[i]) {
            case 0: sbuf_puts(&b, below(&r, 4) ? "\"op\"" : PICK(&r, types)); break;
            case 1: sbuf_puts(&b, below(&r, 3) ? "\"c1\"" : PICK(&r, ids)); break;
            case 2: sbuf_puts(&b, below(&r, 3) ? "3" : PICK(&r, revs)); break;
            case 3: {
                sbuf_putc(&b, '[');
                size_t n = below(&r, 5);
                for (size_t k = 0; k < n; k++) {
                    if (k) sbuf_putc(&b, ',');
                    sbuf_puts(&b, PICK(&r, ws));
                    size_t kind = below(&r, 3);
                    bool good = below(&r, 4) != 0;
                    if (kind == 0) {
                        sbuf_puts(&b, good ? "4" : PICK(&r, skips));
                    } else if (kind == 1) {
                        sbuf_puts(&b, good ? "\"a\"" : PICK(&r, texts));
                    } else {
                        sbuf_puts(&b, "{");
                        sbuf_puts(&b, PICK(&r, ws));
                        sbuf_puts(&b, below(&r, 10) ? "\"d\"" : "\"e\"");
                        sbuf_puts(&b, ":");
                        sbuf_puts(&b, below(&r, 2) ? (good ? "1" : PICK(&r, skips)) : (good ? "\"b\"" : PICK(&r, texts)));
                        sbuf_puts(&b, PICK(&r, ws));
                        sbuf_puts(&b, "}");
                    }
                    sbuf_puts(&b, PICK(&r, ws));
                }
                sbuf_putc(&b, ']');
                break;
            }
            default: sbuf_puts(&b, "[1,{\"a\":\"b\"}]"); break;
            }
            sbuf_puts(&b, PICK(&r, ws));
        }
        sbuf_putc(&b, '}');
        sbuf_puts(&b, PICK(&r, ws));
        ck_assert(sbuf_ok(&b));
        char *m = sbuf_data(&b);
        size_t len = b.len;
        if (below(&r, 5) == 0 && len > 1) { /* one byte damaged */
            size_t at = below(&r, len);
            size_t how = below(&r, 3);
            if (how == 0) memmove(m + at, m + at + 1, len - at), len--;
            else if (how == 1) m[at] = noise[below(&r, sizeof noise - 1)];
            else len = at;
        }
        accepted += same_both_ways(m, len) == PROTO_OK;
        sbuf_free(&b);
    }
    ck_assert_int_ge(accepted, N / 10); /* the valid shape is well covered too */
}
END_TEST

static Suite *proto_suite(void) {
    Suite *s = suite_create("proto");
    TCase *tc = tcase_create("decode");
    tcase_add_test(tc, test_join_all_fields);
    tcase_add_test(tc, test_join_labels_tidied);
    tcase_add_test(tc, test_join_without_key);
    tcase_add_test(tc, test_join_resume_without_name);
    tcase_add_test(tc, test_join_resume_with_name_and_key);
    tcase_add_test(tc, test_join_resume_null_is_absent);
    tcase_add_test(tc, test_op_with_string_id);
    tcase_add_test(tc, test_op_with_integer_id);
    tcase_add_test(tc, test_cursor_decodes);
    tcase_add_test(tc, test_ping_with_and_without_id);
    tcase_add_test(tc, test_workshop_end_and_reopen);
    tcase_add_test(tc, test_role_set);
    tcase_add_test(tc, test_representative_request_and_answer);
    tcase_add_test(tc, test_observer_link_and_join);
    tcase_add_test(tc, test_unknown_fields_ignored);
    tcase_add_test(tc, test_whitespace_around_object);
    tcase_add_test(tc, test_id_is_kept_as_canonical_json);
    tcase_add_test(tc, test_id_length_limits);
    tcase_add_test(tc, test_id_length_counts_characters);
    tcase_add_test(tc, test_id_bad_forms_rejected_with_type_kept);
    tcase_add_test(tc, test_decode_respects_length);
    tcase_add_test(tc, test_free_is_idempotent_after_error);
    suite_add_tcase(s, tc);

    tc = tcase_create("reject");
    tcase_add_test(tc, test_invalid_json);
    tcase_add_test(tc, test_trailing_garbage);
    tcase_add_test(tc, test_non_object_json);
    tcase_add_test(tc, test_missing_type);
    tcase_add_test(tc, test_non_string_type);
    tcase_add_test(tc, test_unknown_type);
    tcase_add_test(tc, test_unknown_type_with_bad_id);
    tcase_add_test(tc, test_keys_are_case_sensitive);
    tcase_add_test(tc, test_duplicate_keys_do_not_crash);
    tcase_add_test(tc, test_op_missing_id);
    tcase_add_test(tc, test_op_bad_rev);
    tcase_add_test(tc, test_op_not_an_array);
    tcase_add_test(tc, test_op_bad_components);
    tcase_add_test(tc, test_op_good_components);
    tcase_add_test(tc, test_cursor_bad_fields);
    tcase_add_test(tc, test_join_workshop_id_rules);
    tcase_add_test(tc, test_join_name_length_in_code_points);
    tcase_add_test(tc, test_join_name_bad);
    tcase_add_test(tc, test_join_key_rules);
    tcase_add_test(tc, test_join_resume_rules);
    tcase_add_test(tc, test_escaped_nul_rejected);
    tcase_add_test(tc, test_literal_backslash_u0000_accepted);
    tcase_add_test(tc, test_invalid_utf8_rejected);
    tcase_add_test(tc, test_errors_keep_id_for_every_type);
    tcase_add_test(tc, test_op_fast_path_cases);
    tcase_add_test(tc, test_op_fast_path_agrees_on_random_messages);
    suite_add_tcase(s, tc);

    tcase_add_test(tc, test_raw_nul_byte_in_string_rejected);
    tcase_add_test(tc, test_raw_control_characters_rejected);
    tcase_add_test(tc, test_escaped_nul_error_keeps_type_and_id);
    suite_add_tcase(s, tc);

    tc = tcase_create("helpers");
    tcase_add_test(tc, test_valid_b64url);
    tcase_add_test(tc, test_err_codes_and_type_names);
    suite_add_tcase(s, tc);

    tc = tcase_create("encode");
    tcase_add_test(tc, test_write_error_exact);
    tcase_add_test(tc, test_write_error_escapes_message);
    tcase_add_test(tc, test_write_error_every_code_parses);
    tcase_add_test(tc, test_write_ack_exact);
    tcase_add_test(tc, test_write_pong_exact);
    tcase_add_test(tc, test_write_op_exact);
    tcase_add_test(tc, test_write_cursor_exact);
    tcase_add_test(tc, test_write_departed_exact);
    tcase_add_test(tc, test_write_participant_exact);
    tcase_add_test(tc, test_writers_append);
    tcase_add_test(tc, test_decoded_id_echoes_through_encoders);
    tcase_add_test(tc, test_presence_page);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(proto_suite)
