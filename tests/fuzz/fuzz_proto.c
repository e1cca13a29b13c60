/* fuzz_proto.c -- libFuzzer target for the codec: proto_decode on arbitrary
 * bytes, then the promises made about whatever it accepted.
 *
 * Beyond "no crash, no leak, no UB": a decoded op must survive the broadcast
 * encoder (ot_op_write_json) and come back equal, because the server relays
 * that text to every client; every reply an encoder writes for the message
 * (error, ack, pong, op, participant, cursor) must be JSON that says what was
 * decoded. */
#include <cjson/cJSON.h>

#include "fuzz.h"

#include "core/board.h"
#include "core/ot_json.h"
#include "core/proto.h"
#include "core/sbuf.h"
#include "core/utf8.h"

/* Parse an encoder's output: one JSON object, nothing after it. */
static cJSON *fuzz_parse_reply(const sbuf *b) {
    FUZZ_REQUIRE(sbuf_ok(b));
    const char *end = NULL;
    cJSON *v = cJSON_ParseWithLengthOpts(sbuf_data(b), b->len, &end, 0);
    FUZZ_REQUIRE(v != NULL);
    FUZZ_REQUIRE(end == sbuf_data(b) + b->len);
    FUZZ_REQUIRE(cJSON_IsObject(v));
    return v;
}

/* The id the decoder kept, as a cJSON value (NULL when there is none). */
static cJSON *fuzz_parse_idjson(const char *idjson) {
    if (!idjson[0]) return NULL;
    FUZZ_REQUIRE(strlen(idjson) <= PROTO_IDJSON_MAX);
    cJSON *v = cJSON_Parse(idjson);
    FUZZ_REQUIRE(v != NULL);
    FUZZ_REQUIRE(cJSON_IsString(v) || cJSON_IsNumber(v));
    if (cJSON_IsString(v)) {
        size_t n = strlen(v->valuestring);
        FUZZ_REQUIRE(n >= 1 && utf8_count(v->valuestring, n) <= PROTO_ID_MAX);
    }
    return v;
}

static void fuzz_check_op_roundtrip(const proto_msg *m) {
    const ot_op *op = &m->u.op.op;
    FUZZ_REQUIRE(ot_op_check(op) == OT_OK);
    size_t n = ot_op_json_size(op);
    char *json = malloc(n + 1);
    FUZZ_REQUIRE(json != NULL);
    char *end = ot_op_write_json(op, json);
    FUZZ_REQUIRE((size_t)(end - json) == n);
    json[n] = '\0';

    ot_op back;
    ot_op_init(&back);
    FUZZ_REQUIRE(ot_op_parse(json, n, &back) == OT_OK);
    FUZZ_REQUIRE(fuzz_ops_equal(op, &back));
    /* Encoding is canonical: the re-read op encodes to the same bytes. */
    FUZZ_REQUIRE(ot_op_json_size(&back) == n);
    char *again = malloc(n + 1);
    FUZZ_REQUIRE(again != NULL);
    ot_op_write_json(&back, again);
    FUZZ_REQUIRE(memcmp(json, again, n) == 0);
    free(again);

    /* The cJSON form holds the same op. Printed by cJSON it survives too, but
     * only for counts below 10^15: cJSON prints numbers with %.15g whenever
     * that reads back within a relative epsilon, so 9007199254740991 comes
     * out as 9.00719925474099e+15. No op that fits a document comes near. */
    cJSON *arr = ot_op_to_json(op);
    FUZZ_REQUIRE(arr != NULL);
    FUZZ_REQUIRE(ot_op_from_json(arr, &back) == OT_OK);
    FUZZ_REQUIRE(fuzz_ops_equal(op, &back));
    bool small = true;
    for (size_t i = 0; i < op->n; i++) small = small && op->c[i].n < 1000000000000000ULL;
    if (small) {
        char *printed = cJSON_PrintUnformatted(arr);
        FUZZ_REQUIRE(printed != NULL);
        FUZZ_REQUIRE(ot_op_parse(printed, strlen(printed), &back) == OT_OK);
        FUZZ_REQUIRE(fuzz_ops_equal(op, &back));
        cJSON_free(printed);
    }
    cJSON_Delete(arr);

    /* Relayed inside an op message, it still reads back the same. */
    sbuf b;
    sbuf_init(&b, 16);
    proto_write_op(&b, m->u.op.rev, json, n, "p_author");
    cJSON *v = fuzz_parse_reply(&b);
    FUZZ_REQUIRE(ot_op_from_json(cJSON_GetObjectItemCaseSensitive(v, "op"), &back) == OT_OK);
    FUZZ_REQUIRE(fuzz_ops_equal(op, &back));
    const cJSON *rev = cJSON_GetObjectItemCaseSensitive(v, "rev");
    FUZZ_REQUIRE(cJSON_IsNumber(rev) && rev->valuedouble == (double)m->u.op.rev);
    cJSON_Delete(v);
    sbuf_free(&b);

    ot_op_free(&back);
    free(json);
}

static void fuzz_check_label(const char *s) {
    if (!s) return;
    FUZZ_REQUIRE(utf8_valid_label(s, PROTO_NAME_MAX));
    FUZZ_REQUIRE(utf8_valid(s, strlen(s)));
}

static void fuzz_check_join(const proto_join *j) {
    FUZZ_REQUIRE(proto_valid_b64url(j->workshop, PROTO_WORKSHOP_ID_MAX));
    fuzz_check_label(j->name);
    if (!(j->observer_key && j->organisation && !j->organisation[0])) /* an observer may name none */
        fuzz_check_label(j->organisation);
    if (j->key) FUZZ_REQUIRE(strlen(j->key) <= PROTO_KEY_MAX);
    if (j->resume) {
        FUZZ_REQUIRE(j->token && j->token[0] && strlen(j->token) <= PROTO_TOKEN_MAX);
        FUZZ_REQUIRE(j->rev >= 0);
    } else {
        FUZZ_REQUIRE(j->name && j->organisation && !j->token);
    }
    if (j->name && j->organisation) {
        sbuf b;
        sbuf_init(&b, 0);
        proto_write_participant(&b, "p_x", j->name, j->organisation, j->key ? "facilitator" : "participant", false);
        cJSON *v = fuzz_parse_reply(&b);
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(v, "name");
        const cJSON *org = cJSON_GetObjectItemCaseSensitive(v, "organisation");
        FUZZ_REQUIRE(cJSON_IsString(name) && strcmp(name->valuestring, j->name) == 0);
        FUZZ_REQUIRE(cJSON_IsString(org) && strcmp(org->valuestring, j->organisation) == 0);
        cJSON_Delete(v);
        sbuf_free(&b);
    }
}

static void fuzz_check_cursor(const proto_cursor *c) {
    const int64_t max = 9007199254740991LL;
    FUZZ_REQUIRE(c->rev >= 0 && c->rev <= max);
    FUZZ_REQUIRE(c->anchor >= 0 && c->anchor <= max && c->head >= 0 && c->head <= max);
    sbuf b;
    sbuf_init(&b, 0);
    proto_write_cursor(&b, "p_x", c->rev, c->anchor, c->head);
    cJSON *v = fuzz_parse_reply(&b);
    const cJSON *sel = cJSON_GetObjectItemCaseSensitive(v, "sel");
    FUZZ_REQUIRE(cJSON_GetArraySize(sel) == 2);
    FUZZ_REQUIRE(cJSON_GetArrayItem(sel, 0)->valuedouble == (double)c->anchor);
    FUZZ_REQUIRE(cJSON_GetArrayItem(sel, 1)->valuedouble == (double)c->head);
    cJSON_Delete(v);
    sbuf_free(&b);
}

/* A board message checked against a small board (core/board.h): what it
 * accepts is within the limits, and the board, read-only to the check,
 * still writes as JSON. */
static void fuzz_check_board(const proto_msg *m) {
    static const char *const items[] = {"a1", "{\"org\":\"Ville\",\"kind\":\"priority\",\"by\":\"pA\",\"at\":1}",
                                        "a1:title", "Accès aux droits", "a1:why", "",
                                        "b1", "{\"org\":\"Banque\",\"kind\":\"strength\",\"by\":\"pB\",\"at\":2}",
                                        "b1:title", "l'accès au droit", "b1:why", "Parce que"};
    static const char *const groups[] = {"g1", "a1 b1"};
    board b;
    board_init(&b);
    FUZZ_REQUIRE(board_read_stored(&b, items, 12, groups, 2, NULL));
    board_request *r = malloc(sizeof *r);
    FUZZ_REQUIRE(r != NULL);
    for (int fac = 0; fac < 2; fac++) {
        const char *why = "";
        proto_err e = board_check(&b, m->type, m->u.obj, "Ville", fac, r, &why);
        FUZZ_REQUIRE(e == PROTO_OK || why[0]);
        if (e != PROTO_OK) continue;
        if (r->title) FUZZ_REQUIRE(utf8_valid_label(r->title, BOARD_TITLE_MAX));
        if (r->why) FUZZ_REQUIRE(!r->why[0] || utf8_valid_line(r->why, BOARD_WHY_MAX));
        FUZZ_REQUIRE(r->nitems <= BOARD_ITEMS_MAX);
        for (size_t i = 0; i < r->nitems; i++) FUZZ_REQUIRE(board_find(&b, r->items[i]) >= 0);
    }
    FUZZ_REQUIRE(b.nitems == 2 && strcmp(b.items[0].title, "Accès aux droits") == 0);
    const board_viewer v = {.org = "Ville", .all = false, .may_group = true};
    sbuf out;
    sbuf_init(&out, 0);
    board_write_message(&out, &b, &v, m->idjson);
    cJSON_Delete(fuzz_parse_reply(&out));
    sbuf_free(&out);
    free(r);
    board_free(&b);
}

int fuzz_proto_one(const uint8_t *data, size_t size) {
    proto_msg m;
    const char *why = NULL;
    proto_err e = proto_decode((const char *)data, size, &m, &why);
    FUZZ_REQUIRE(why != NULL);
    FUZZ_REQUIRE(e >= PROTO_OK && e <= PROTO_EINTERNAL);
    FUZZ_REQUIRE(e == PROTO_OK || why[0] != '\0');
    FUZZ_REQUIRE(e != PROTO_EUNKNOWN_TYPE || m.type == PROTO_NONE);
    FUZZ_REQUIRE(e != PROTO_OK || m.type != PROTO_NONE);
    FUZZ_REQUIRE(e != PROTO_OK || m.type != PROTO_OP || m.idjson[0]);

    /* The reply the hub would send, error or not, echoes the id exactly. */
    cJSON *id = fuzz_parse_idjson(m.idjson);
    sbuf b;
    sbuf_init(&b, 0);
    if (e != PROTO_OK) proto_write_error(&b, e, why, m.type, m.idjson);
    else if (m.type == PROTO_PING) proto_write_pong(&b, m.idjson, 0);
    else proto_write_ack(&b, m.idjson, 0);
    cJSON *reply = fuzz_parse_reply(&b);
    const cJSON *echoed = cJSON_GetObjectItemCaseSensitive(reply, "id");
    FUZZ_REQUIRE(id ? cJSON_Compare(echoed, id, 1) : echoed == NULL);
    if (e != PROTO_OK) {
        const cJSON *msg = cJSON_GetObjectItemCaseSensitive(reply, "message");
        FUZZ_REQUIRE(cJSON_IsString(msg) && strcmp(msg->valuestring, why) == 0);
    }
    cJSON_Delete(reply);
    cJSON_Delete(id);
    sbuf_free(&b);

    if (e == PROTO_OK) {
        switch (m.type) {
        case PROTO_OP: fuzz_check_op_roundtrip(&m); break;
        case PROTO_JOIN: fuzz_check_join(&m.u.join); break;
        case PROTO_CURSOR: fuzz_check_cursor(&m.u.cursor); break;
        default:
            if (proto_is_board(m.type)) fuzz_check_board(&m);
            break;
        }
    }
    proto_msg_free(&m);
    return 0;
}

#ifndef FUZZ_NO_ENTRY
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) { return fuzz_proto_one(data, size); }
#endif
