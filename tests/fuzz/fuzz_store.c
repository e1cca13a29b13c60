/* fuzz_store.c -- libFuzzer target for the decoders of what the server reads
 * back from Redis: a participant's record, a poll record and its ballots, the
 * agenda and its timer, the sign-off's call, agreement and decisions, the
 * contribution balance's hash, and a history event (folded into a state and
 * written in both views, as /history and /state do, folded into its poll's
 * results (hist_fold.h), and as a compact page's edit). Redis is shared and may
 * hold damage (a bug of another version, a hand edit): a record that does
 * not read must be refused, never crash nor leak.
 *
 * Input: a first byte choosing the decoder, then its texts separated by NUL
 * bytes (a record; or a poll record then field, ballot pairs; or phases and
 * timer; or a stream id then field, value pairs). What a decoder accepts
 * must write back to text that reads again the same. */
#include <cjson/cJSON.h>

#include "fuzz.h"

#include "core/agenda.h"
#include "core/balance.h"
#include "core/discuss.h"
#include "core/hist.h"
#include "core/hist_compact.h"
#include "core/hist_fold.h"
#include "core/person.h"
#include "core/poll_store.h"
#include "core/sbuf.h"
#include "core/signoff.h"
#include "core/utf8.h"

#define FUZZ_STORE_PARTS 32 /* texts an input is cut into, as many as a stream entry's fields */

/* data cut at its NUL bytes into NUL-terminated copies (one buffer, owned by
 * the caller: free(parts[0]) when n > 0). */
static size_t fuzz_split(const uint8_t *data, size_t size, char **parts, size_t max) {
    char *buf = malloc(size + 1);
    if (!buf) return 0;
    memcpy(buf, data, size);
    buf[size] = '\0';
    size_t n = 0;
    for (char *p = buf; n < max && p <= buf + size; p += strlen(p) + 1) parts[n++] = p;
    return n;
}

/* sbuf's text, or "" for an empty buffer. */
static const char *fuzz_sbuf_text(const sbuf *b) { return sbuf_data(b) ? sbuf_data(b) : ""; }

static void fuzz_person(const char *json) {
    person_record p;
    if (!person_read(json, &p)) return;
    FUZZ_REQUIRE(utf8_valid_label(p.name, PROTO_NAME_MAX));
    FUZZ_REQUIRE(utf8_valid_label(p.org, PROTO_NAME_MAX) || (p.role == WK_OBSERVER && !p.org[0]));
    FUZZ_REQUIRE(proto_valid_b64url(p.secret, WK_SECRET_LEN));
    person_record_free(&p);
}

/* A poll record that reads writes back to a record that reads to the same
 * text; its ballots then read, or are refused, one by one. */
static void fuzz_poll(char **parts, size_t n) {
    poll_t *p = NULL;
    const char *why;
    if (poll_store_read(parts[0], strlen(parts[0]), &p, &why) != POLL_OK) {
        FUZZ_REQUIRE(p == NULL);
        return;
    }
    sbuf a, b;
    sbuf_init(&a, 0);
    sbuf_init(&b, 0);
    poll_store_write(&a, p);
    poll_t *again = NULL;
    FUZZ_REQUIRE(poll_store_read(fuzz_sbuf_text(&a), a.len, &again, &why) == POLL_OK);
    poll_store_write(&b, again);
    FUZZ_REQUIRE(a.len == b.len && memcmp(fuzz_sbuf_text(&a), fuzz_sbuf_text(&b), a.len) == 0);
    poll_free(again);
    for (size_t i = 1; i + 1 < n; i += 2) poll_store_read_ballot(p, parts[i], parts[i + 1], strlen(parts[i + 1]), &why);
    poll_store_finish(p);
    for (size_t i = 1; i + 1 < n; i += 2) {
        sbuf_reset(&a);
        poll_store_write_ballot(&a, p, parts[i]);
    }
    sbuf_free(&a);
    sbuf_free(&b);
    poll_free(p);
}

static void fuzz_agenda(char **parts, size_t n) {
    agenda a;
    bool ok = agenda_read_stored(&a, parts[0], n > 1 ? parts[1] : NULL);
    FUZZ_REQUIRE(a.nphases >= 1 && a.nphases <= AGENDA_PHASES_MAX);
    FUZZ_REQUIRE(!a.timer.phase[0] || agenda_find(&a, a.timer.phase) >= 0);
    if (!ok) return;
    sbuf phases, timer;
    sbuf_init(&phases, 0);
    sbuf_init(&timer, 0);
    agenda_write_phases(&phases, &a);
    agenda_write_timer(&timer, &a.timer);
    agenda again;
    FUZZ_REQUIRE(agenda_read_stored(&again, fuzz_sbuf_text(&phases), fuzz_sbuf_text(&timer)));
    FUZZ_REQUIRE(again.nphases == a.nphases && strcmp(again.timer.phase, a.timer.phase) == 0);
    FUZZ_REQUIRE(again.timer.nran == a.timer.nran && a.timer.nran <= a.nphases); /* the phases run: kept, no more than there are */
    sbuf_free(&phases);
    sbuf_free(&timer);
}

static void fuzz_signoff(const char *json) {
    sbuf b;
    sbuf_init(&b, 0);
    signoff_decision d;
    if (signoff_read_decision(json, &d)) {
        signoff_write_decision(&b, &d, true);
        signoff_decision again;
        FUZZ_REQUIRE(signoff_read_decision(fuzz_sbuf_text(&b), &again));
        FUZZ_REQUIRE(again.kind == d.kind && again.rev == d.rev && strcmp(again.org, d.org) == 0);
        signoff_decision_free(&again);
        signoff_decision_free(&d);
    }
    bool open;
    int64_t at;
    if (signoff_read_call(json, &open, &at)) {
        sbuf_reset(&b);
        signoff_write_call(&b, open, at);
        bool open2;
        int64_t at2;
        FUZZ_REQUIRE(signoff_read_call(fuzz_sbuf_text(&b), &open2, &at2) && open2 == open && at2 == at);
    }
    signoff_agreement g;
    if (signoff_read_agreement(json, &g)) {
        sbuf_reset(&b);
        signoff_write_agreement(&b, &g, true);
        signoff_agreement again;
        FUZZ_REQUIRE(signoff_read_agreement(fuzz_sbuf_text(&b), &again));
        FUZZ_REQUIRE(again.rev == g.rev && again.norgs == g.norgs);
        signoff_agreement_free(&again);
        signoff_agreement_free(&g);
    }
    sbuf_free(&b);
}

static void fuzz_balance(char **parts, size_t n) {
    balance_table t;
    balance_table_init(&t);
    balance_table_read_hash(&t, (const char *const *)parts, n & ~(size_t)1);
    balance_table_sort(&t);
    balance_table_free(&t);
}

/* Each written event is one JSON object. */
static void fuzz_written(const sbuf *b) {
    FUZZ_REQUIRE(sbuf_ok(b));
    cJSON *v = cJSON_ParseWithLength(fuzz_sbuf_text(b), b->len);
    FUZZ_REQUIRE(cJSON_IsObject(v));
    cJSON_Delete(v);
}

/* An op event as compact pages read it (hist_op_from_fields): written twice
 * into a page, which must be a JSON object. */
static void fuzz_compact(char **parts, size_t n) {
    hist_event e;
    if (!hist_op_from_fields(&e, parts[0], (const char *const *)parts + 1, (n - 1) & ~(size_t)1)) return;
    sbuf b;
    sbuf_init(&b, 0);
    hist_compact c;
    hist_compact_init(&c, &b);
    sbuf_puts(&b, "{\"ops\":[");
    FUZZ_REQUIRE(hist_compact_add(&c, &e) == HIST_COMPACT_OK);
    FUZZ_REQUIRE(hist_compact_add(&c, &e) == HIST_COMPACT_OK);
    sbuf_putc(&b, ']');
    hist_compact_write_tail(&c, &b);
    sbuf_putc(&b, '}');
    fuzz_written(&b);
    hist_compact_free(&c);
    sbuf_free(&b);
}

static void fuzz_event(char **parts, size_t n) {
    fuzz_compact(parts, n);
    hist_event e;
    if (!hist_event_from_fields(&e, parts[0], (const char *const *)parts + 1, (n - 1) & ~(size_t)1)) return;
    sbuf b;
    sbuf_init(&b, 0);
    for (int v = HIST_PUBLIC; v <= HIST_FACILITATOR; v++) {
        sbuf_reset(&b);
        if (hist_write_event(&b, &e, (hist_view)v)) fuzz_written(&b);
    }
    /* Folded along a history (hist_fold.h), twice: a repeated ballot. Its
     * results, when folded, are written with the event. */
    hist_fold f;
    hist_fold_init(&f);
    for (int k = 0; k < 2; k++) {
        hist_event fe = e;
        hist_fold_add(&f, &fe, k ? HIST_FOLD_EVERY : HIST_FOLD_STEPS);
        sbuf_reset(&b);
        if (hist_write_event(&b, &fe, HIST_FACILITATOR)) fuzz_written(&b);
    }
    FUZZ_REQUIRE(sbuf_ok(&b));
    (void)hist_fold_results(&f, "k1");
    hist_fold_free(&f);
    hist_state s;
    hist_state_init(&s);
    hist_state_add(&s, &e);
    hist_state_add(&s, &e); /* twice: a second arrival, a repeated ballot */
    sbuf_reset(&b);
    hist_state_write(&b, &s, HIST_FACILITATOR);
    FUZZ_REQUIRE(sbuf_ok(&b));
    hist_state_free(&s);
    sbuf_free(&b);
}

/* The "to discuss" list (meta's `discuss`): what reads writes back to text
 * that reads again the same. */
static void fuzz_discuss(const char *json) {
    discuss_list l;
    discuss_init(&l);
    if (discuss_read_stored(&l, json)) {
        sbuf b;
        sbuf_init(&b, 0);
        discuss_write_stored(&b, &l);
        discuss_list again;
        discuss_init(&again);
        FUZZ_REQUIRE(discuss_read_stored(&again, fuzz_sbuf_text(&b)));
        FUZZ_REQUIRE(again.n == l.n && again.next == l.next);
        sbuf c;
        sbuf_init(&c, 0);
        discuss_write_stored(&c, &again);
        FUZZ_REQUIRE(b.len == c.len && memcmp(fuzz_sbuf_text(&b), fuzz_sbuf_text(&c), b.len) == 0);
        sbuf_free(&b);
        sbuf_free(&c);
        discuss_free(&again);
    }
    discuss_free(&l);
}

int fuzz_store_one(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    char *parts[FUZZ_STORE_PARTS];
    size_t n = fuzz_split(data + 1, size - 1, parts, FUZZ_STORE_PARTS);
    if (n == 0) return 0;
    if (data[0] == 'D') { /* the "to discuss" list (issue 16): a byte no seed before it started with */
        fuzz_discuss(parts[0]);
        free(parts[0]);
        return 0;
    }
    switch (data[0] % 7) {
    case 0: fuzz_person(parts[0]); break;
    case 1: fuzz_poll(parts, n); break;
    case 2: fuzz_agenda(parts, n); break;
    case 3: fuzz_signoff(parts[0]); break;
    case 4: fuzz_balance(parts, n); break;
    default: fuzz_event(parts, n); break;
    }
    free(parts[0]);
    return 0;
}

#ifndef FUZZ_NO_ENTRY
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) { return fuzz_store_one(data, size); }
#endif
