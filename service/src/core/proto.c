#include "core/proto.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/digest.h"
#include "core/ot_json.h"
#include "core/utf8.h"

_Static_assert(PROTO_SHA256_HEX == DIGEST_SHA256_HEX, "one length of a SHA-256");
_Static_assert(PROTO_OP_COMPONENTS_MAX == 1024, "decode_op's message says 1024");

static const char *const err_codes[] = {
    [PROTO_OK] = "ok",
    [PROTO_EBAD_REQUEST] = "bad_request",
    [PROTO_EUNKNOWN_TYPE] = "unknown_type",
    [PROTO_ENOT_FOUND] = "not_found",
    [PROTO_EFORBIDDEN] = "forbidden",
    [PROTO_ETOO_LARGE] = "too_large",
    [PROTO_ERATE_LIMITED] = "rate_limited",
    [PROTO_ESTALE] = "stale",
    [PROTO_EUNAVAILABLE] = "unavailable",
    [PROTO_EINTERNAL] = "internal",
    [PROTO_EENDED] = "ended",
    [PROTO_ENOT_ENDED] = "not_ended",
};

const char *proto_err_code(proto_err e) {
    if ((size_t)e >= sizeof err_codes / sizeof *err_codes) return "internal";
    return err_codes[e];
}

static const char *const type_names[] = {
    [PROTO_NONE] = NULL, [PROTO_JOIN] = "join", [PROTO_OP] = "op",
    [PROTO_CURSOR] = "cursor", [PROTO_PING] = "ping",
    [PROTO_POLL_CREATE] = "poll_create", [PROTO_POLL_EDIT] = "poll_edit", [PROTO_POLL_OPEN] = "poll_open",
    [PROTO_POLL_CLOSE] = "poll_close", [PROTO_POLL_REOPEN] = "poll_reopen", [PROTO_POLL_RESULTS] = "poll_results",
    [PROTO_POLL_DELETE] = "poll_delete", [PROTO_VOTE] = "vote", [PROTO_ANSWER] = "answer", [PROTO_UPVOTE] = "upvote",
    [PROTO_WORKSHOP_END] = "workshop_end", [PROTO_WORKSHOP_REOPEN] = "workshop_reopen",
    [PROTO_AGENDA_SET] = "agenda_set", [PROTO_PHASE_START] = "phase_start", [PROTO_PHASE_NEXT] = "phase_next",
    [PROTO_PHASE_PAUSE] = "phase_pause", [PROTO_PHASE_RESUME] = "phase_resume", [PROTO_PHASE_EXTEND] = "phase_extend",
    [PROTO_SIGNOFF_CALL] = "signoff_call", [PROTO_SIGNOFF_CLOSE] = "signoff_close", [PROTO_ENDORSE] = "endorse",
    [PROTO_DECLINE] = "decline",
    [PROTO_ROLE_SET] = "role_set", [PROTO_REPRESENTATIVE_REQUEST] = "representative_request",
    [PROTO_REPRESENTATIVE_ANSWER] = "representative_answer", [PROTO_OBSERVER_LINK] = "observer_link",
    [PROTO_BOARD_ADD] = "board_add", [PROTO_BOARD_EDIT] = "board_edit", [PROTO_BOARD_DELETE] = "board_delete",
    [PROTO_BOARD_GROUP] = "board_group", [PROTO_BOARD_UNGROUP] = "board_ungroup",
    [PROTO_BOARD_SETTINGS] = "board_settings",
    [PROTO_DISCUSS_ADD] = "discuss_add", [PROTO_DISCUSS_CHECK] = "discuss_check", [PROTO_DISCUSS_REMOVE] = "discuss_remove",
    [PROTO_PRESENCE_PAGE] = "presence_page",
};

const char *proto_type_name(proto_type t) {
    if ((size_t)t >= sizeof type_names / sizeof *type_names) return NULL;
    return type_names[t];
}

bool proto_valid_b64url(const char *s, size_t max) {
    size_t n = strlen(s);
    if (n == 0 || n > max) return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
        if (!ok) return false;
    }
    return true;
}

bool proto_same_secret(const char *secret, const char *guess) {
    size_t ls = strlen(secret), lg = strlen(guess);
    unsigned char diff = (unsigned char)(ls != lg);
    for (size_t i = 0; i < ls; i++) diff |= (unsigned char)(secret[i] ^ guess[i < lg ? i : 0]);
    return diff == 0 && ls > 0;
}

bool proto_json_int(const cJSON *v, double lo, double hi, int64_t *out) {
    if (!cJSON_IsNumber(v)) return false;
    double d = v->valuedouble;
    if (!isfinite(d) || d != floor(d) || d < lo || d > hi) return false;
    *out = (int64_t)d;
    return true;
}

/* An integer field in [min, PROTO_SAFE_INT_MAX]. */
static bool get_int(const cJSON *o, const char *name, double min, int64_t *out) {
    return proto_json_int(cJSON_GetObjectItemCaseSensitive(o, name), min, PROTO_SAFE_INT_MAX, out);
}

/* A string field; NULL when absent or not a string. */
static const char *get_str(const cJSON *o, const char *name) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static bool has(const cJSON *o, const char *name) {
    return cJSON_GetObjectItemCaseSensitive(o, name) != NULL;
}

/* The request id: a string of 1..PROTO_ID_MAX bytes without control
 * characters, or a safe integer. Stored as JSON text to echo verbatim. */
static bool read_id(const cJSON *o, char *dst) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "id");
    dst[0] = '\0';
    if (!v) return true;
    sbuf b;
    sbuf_init(&b, 0);
    bool ok = false;
    if (cJSON_IsString(v)) {
        size_t n = strlen(v->valuestring);
        ok = n >= 1 && utf8_count(v->valuestring, n) <= PROTO_ID_MAX;
        for (size_t i = 0; ok && i < n; i++) /* no control characters: an id is a label */
            if ((unsigned char)v->valuestring[i] < 0x20) ok = false;
        if (ok) sbuf_put_jstr(&b, v->valuestring, n);
    } else {
        int64_t n;
        ok = proto_json_int(v, -PROTO_SAFE_INT_MAX, PROTO_SAFE_INT_MAX, &n);
        if (ok) sbuf_put_i64(&b, n);
    }
    ok = ok && sbuf_ok(&b) && b.len <= PROTO_IDJSON_MAX;
    if (ok) memcpy(dst, sbuf_data(&b), b.len + 1);
    sbuf_free(&b);
    return ok;
}

/* A name or organisation, tidied (utf8_tidy_label): "  Jean  " is "Jean",
 * and one made of spaces only is refused like an empty one. */
static char *dup_label(const char *s, size_t max_cps, bool *bad) {
    if (!s) return NULL;
    char *d = utf8_valid_label(s, max_cps) ? malloc(strlen(s) + 1) : NULL;
    if (!d || utf8_tidy_label(s, d) == 0) {
        free(d);
        *bad = true;
        return NULL;
    }
    return d;
}

static proto_err decode_join(const cJSON *o, proto_join *j, const char **why) {
    const char *w = get_str(o, "workshop");
    if (!w || !proto_valid_b64url(w, PROTO_WORKSHOP_ID_MAX)) {
        *why = "join needs \"workshop\": a workshop id";
        return PROTO_EBAD_REQUEST;
    }
    strcpy(j->workshop, w);
    bool bad = false;
    if ((has(o, "name") && !get_str(o, "name")) || (has(o, "organisation") && !get_str(o, "organisation")) ||
        (has(o, "key") && !get_str(o, "key")) || (has(o, "observer_key") && !get_str(o, "observer_key"))) {
        *why = "name, organisation, key and observer_key must be strings";
        return PROTO_EBAD_REQUEST;
    }
    if (has(o, "key") && has(o, "observer_key")) {
        *why = "join with \"key\" or \"observer_key\", not both";
        return PROTO_EBAD_REQUEST;
    }
    j->name = dup_label(get_str(o, "name"), PROTO_NAME_MAX, &bad);
    const char *org = get_str(o, "organisation");
    bool observer_without_org = has(o, "observer_key") && org && !org[0];
    j->organisation = observer_without_org ? NULL : dup_label(org, PROTO_NAME_MAX, &bad);
    if (bad) {
        *why = "name and organisation must be 1 to 64 characters, not only spaces, without control or invisible characters";
        return PROTO_EBAD_REQUEST;
    }
    const char *key = get_str(o, "key"), *okey = get_str(o, "observer_key");
    if (key) {
        if (strlen(key) > PROTO_KEY_MAX || !(j->key = strdup(key))) {
            *why = "key is too long";
            return PROTO_EBAD_REQUEST;
        }
    }
    if (okey) {
        if (strlen(okey) > PROTO_KEY_MAX || !(j->observer_key = strdup(okey))) {
            *why = "observer_key is too long";
            return PROTO_EBAD_REQUEST;
        }
        /* An observer need not name an organisation (none: ""); an empty
         * string says the same. */
        if (!j->organisation && !(j->organisation = strdup(""))) return PROTO_EINTERNAL;
    }
    const cJSON *r = cJSON_GetObjectItemCaseSensitive(o, "resume");
    if (r && !cJSON_IsNull(r)) {
        const char *tok = cJSON_IsObject(r) ? get_str(r, "token") : NULL;
        if (!tok || strlen(tok) == 0 || strlen(tok) > PROTO_TOKEN_MAX || !get_int(r, "rev", 0, &j->rev)) {
            *why = "resume must be {\"token\": string, \"rev\": integer >= 0}";
            return PROTO_EBAD_REQUEST;
        }
        if (!(j->token = strdup(tok))) return PROTO_EINTERNAL;
        j->resume = true;
    }
    if (!j->resume && (!j->name || !j->organisation)) {
        *why = "join needs \"name\" and \"organisation\" (unless resuming)";
        return PROTO_EBAD_REQUEST;
    }
    return PROTO_OK;
}

static proto_err decode_op(const cJSON *o, proto_msg *m, const char **why) {
    if (!m->idjson[0]) {
        *why = "op needs an \"id\" (string or integer) to be acknowledged";
        return PROTO_EBAD_REQUEST;
    }
    if (!get_int(o, "rev", 0, &m->u.op.rev)) {
        *why = "op needs \"rev\": an integer >= 0";
        return PROTO_EBAD_REQUEST;
    }
    const cJSON *op = cJSON_GetObjectItemCaseSensitive(o, "op");
    if (!op) {
        *why = "op needs \"op\": an array of components";
        return PROTO_EBAD_REQUEST;
    }
    if (cJSON_IsArray(op) && cJSON_GetArraySize(op) > PROTO_OP_COMPONENTS_MAX) {
        *why = "\"op\" has more than 1024 components: send it in parts";
        return PROTO_ETOO_LARGE;
    }
    ot_status s = ot_op_from_json(op, &m->u.op.op);
    if (s != OT_OK) {
        *why = s == OT_ENOMEM ? "out of memory" : "\"op\" is not a valid ot-text-unicode op (positive integer skips, non-empty inserts, {\"d\": n or \"text\"}, merged components, no trailing skip)";
        return s == OT_ENOMEM ? PROTO_EINTERNAL : PROTO_EBAD_REQUEST;
    }
    if (m->u.op.op.n == 0) { /* a no-op would still take a revision and a place in everyone's window */
        *why = "\"op\" is empty: send nothing when nothing changed";
        return PROTO_EBAD_REQUEST;
    }
    return PROTO_OK;
}

static proto_err decode_cursor(const cJSON *o, proto_cursor *c, const char **why) {
    const cJSON *sel = cJSON_GetObjectItemCaseSensitive(o, "sel");
    if (!get_int(o, "rev", 0, &c->rev) || !cJSON_IsArray(sel) || cJSON_GetArraySize(sel) != 2) {
        *why = "cursor needs \"rev\" (integer >= 0) and \"sel\": [anchor, head]";
        return PROTO_EBAD_REQUEST;
    }
    int64_t v[2];
    for (int i = 0; i < 2; i++)
        if (!proto_json_int(cJSON_GetArrayItem(sel, i), 0, PROTO_SAFE_INT_MAX, &v[i])) {
            *why = "cursor positions must be integers >= 0";
            return PROTO_EBAD_REQUEST;
        }
    c->anchor = v[0];
    c->head = v[1];
    return PROTO_OK;
}

static proto_err decode_endorse(const cJSON *o, proto_endorse *e, const char **why) {
    const char *sha = get_str(o, "sha256");
    if (!get_int(o, "rev", 0, &e->rev) || !digest_valid_sha256_hex(sha)) {
        *why = "endorse needs \"rev\" (integer >= 0) and \"sha256\": the SHA-256 of that revision's text, 64 lower-case hex digits";
        return PROTO_EBAD_REQUEST;
    }
    memcpy(e->sha256, sha, PROTO_SHA256_HEX + 1);
    return PROTO_OK;
}

static proto_err decode_decline(const cJSON *o, char **reason, const char **why) {
    const char *r = get_str(o, "reason");
    if (!utf8_valid_line(r, PROTO_REASON_MAX)) {
        *why = "decline needs \"reason\": 1 to 500 characters, without control characters, not only spaces";
        return PROTO_EBAD_REQUEST;
    }
    return (*reason = strdup(r)) ? PROTO_OK : PROTO_EINTERNAL;
}

/* A participant id's shape ("p" and 16 base64url characters). */
static bool read_participant_id(const char *p, char dst[PROTO_PID_LEN + 1]) {
    if (!p || strlen(p) != PROTO_PID_LEN || p[0] != 'p' || !proto_valid_b64url(p + 1, PROTO_PID_LEN - 1)) return false;
    memcpy(dst, p, PROTO_PID_LEN + 1);
    return true;
}

/* "participant": a participant id. */
static bool read_participant(const cJSON *o, char dst[PROTO_PID_LEN + 1]) {
    return read_participant_id(get_str(o, "participant"), dst);
}

/* {"participant": "p…", "role": "representative" | "participant"}: the two
 * roles a facilitator gives (a facilitator or an observer is made by a link). */
static proto_err decode_role_set(const cJSON *o, proto_role *r, const char **why) {
    const char *role = get_str(o, "role");
    if (!read_participant(o, r->participant)) {
        *why = "role_set needs \"participant\": a participant id";
        return PROTO_EBAD_REQUEST;
    }
    if (!role || (strcmp(role, "representative") != 0 && strcmp(role, "participant") != 0)) {
        *why = "\"role\" must be \"representative\" or \"participant\"";
        return PROTO_EBAD_REQUEST;
    }
    r->representative = strcmp(role, "representative") == 0;
    return PROTO_OK;
}

/* {"participant": "p…", "accept": true | false}: a facilitator's answer to a request. */
static proto_err decode_representative_answer(const cJSON *o, proto_role *r, const char **why) {
    const cJSON *accept = cJSON_GetObjectItemCaseSensitive(o, "accept");
    if (!read_participant(o, r->participant) || !cJSON_IsBool(accept)) {
        *why = "representative_answer needs \"participant\" (a participant id) and \"accept\" (true or false)";
        return PROTO_EBAD_REQUEST;
    }
    r->representative = cJSON_IsTrue(accept);
    return PROTO_OK;
}

/* {"action": "create" | "revoke"} */
static proto_err decode_observer_link(const cJSON *o, proto_msg *m, const char **why) {
    const char *action = get_str(o, "action");
    if (!action || (strcmp(action, "create") != 0 && strcmp(action, "revoke") != 0)) {
        *why = "observer_link needs \"action\": \"create\" or \"revoke\"";
        return PROTO_EBAD_REQUEST;
    }
    m->u.observer_link_create = strcmp(action, "create") == 0;
    return PROTO_OK;
}

/* Raw control characters are not JSON (only whitespace may appear, between
 * tokens); cJSON lets them through, and a raw NUL would end its C strings. */
static bool has_raw_control(const char *s, size_t len) {
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') return true;
    }
    return false;
}

/* cJSON strings are C strings: an escaped NUL would silently cut a string
 * (an insert would lose its tail), so such messages are refused whole. */
bool proto_has_escaped_nul(const char *s, size_t len) {
    for (size_t i = 0; i + 6 <= len; i++) {
        if (s[i] != '\\') continue;
        if (s[i + 1] == 'u' && s[i + 2] == '0' && s[i + 3] == '0' && s[i + 4] == '0' && s[i + 5] == '0') return true;
        i++; /* skip the escaped character, so "\\u0000" (a literal backslash) is not matched */
    }
    return false;
}

/* ---- The fast path for ops ----------------------------------------------
 *
 * Ops are most of the traffic, and the general decoder spends an allocation
 * per JSON value (cJSON's tree), strtod per number and a pass per check on
 * each. A message of the usual shape is read here in one pass instead: one
 * object whose keys are "type" (the string "op"), "id", "rev" and "op", each
 * once and without escapes; integers of 1 to 15 digits, no sign, fraction,
 * exponent or leading zero (exact as doubles); strings without \u escapes or
 * raw control characters. Anything else, every invalid message included,
 * goes to the general decoder: this path refuses nothing itself, and what it
 * accepts it decodes exactly as the general decoder would (tests compare the
 * two). The message is already known to be valid UTF-8. */

typedef struct {
    const char *p, *end;
} scan;

static inline bool is_ws(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

/* Inline, and the usual case (no whitespace: what clients send) first. */
static inline void sc_ws(scan *s) {
    while (s->p < s->end && (unsigned char)*s->p <= ' ' && is_ws(*s->p)) s->p++;
}

static inline bool sc_eat(scan *s, char c) {
    sc_ws(s);
    if (s->p == s->end || *s->p != c) return false;
    s->p++;
    return true;
}

static inline bool sc_peek(scan *s, char c) {
    sc_ws(s);
    return s->p < s->end && *s->p == c;
}

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

/* An integer of 1 to PROTO_SAFE_INT_DIGITS digits: cJSON's double holds it exactly. */
static bool sc_uint(scan *s, int64_t *out) {
    sc_ws(s);
    const char *q = s->p;
    int64_t v = 0;
    while (q < s->end && is_digit(*q) && q - s->p <= PROTO_SAFE_INT_DIGITS) v = v * 10 + (*q++ - '0');
    size_t n = (size_t)(q - s->p);
    if (n == 0 || n > PROTO_SAFE_INT_DIGITS || (n > 1 && *s->p == '0')) return false;
    if (q < s->end && (is_digit(*q) || *q == '.' || *q == 'e' || *q == 'E' || *q == '+' || *q == '-')) return false;
    s->p = q;
    *out = v;
    return true;
}

/* The string "w" (n bytes, none to escape) comes next: consumed if so. */
static bool sc_word(scan *s, const char *w, size_t n) {
    sc_ws(s);
    if ((size_t)(s->end - s->p) < n + 2 || s->p[0] != '"' || memcmp(s->p + 1, w, n) != 0 || s->p[n + 1] != '"')
        return false;
    s->p += n + 2;
    return true;
}

/* A string without escapes or control characters: its bytes, in place. */
static bool sc_plain(scan *s, const char **str, size_t *len) {
    if (!sc_eat(s, '"')) return false;
    for (const char *q = s->p; q < s->end; q++) {
        unsigned char c = (unsigned char)*q;
        if (c == '"') {
            *str = s->p;
            *len = (size_t)(q - s->p);
            s->p = q + 1;
            return true;
        }
        if (c < 0x20 || c == '\\') return false;
    }
    return false;
}

/* A string that may hold the one-character escapes (typing a newline sends
 * "\n"): unescaped into tmp when it has any. */
static bool sc_text(scan *s, sbuf *tmp, const char **str, size_t *len) {
    const char *start = s->p;
    if (sc_plain(s, str, len)) return true;
    s->p = start;
    if (!sc_eat(s, '"')) return false;
    sbuf_reset(tmp);
    const char *run = s->p; /* bytes not yet copied */
    for (const char *q = s->p; q < s->end; q++) {
        unsigned char c = (unsigned char)*q;
        if (c == '"') {
            sbuf_put(tmp, run, (size_t)(q - run));
            s->p = q + 1;
            *str = sbuf_data(tmp);
            *len = tmp->len;
            return sbuf_ok(tmp) && *str;
        }
        if (c < 0x20) return false;
        if (c != '\\') continue;
        if (q + 1 == s->end) return false;
        char e;
        switch (q[1]) {
        case '"': e = '"'; break;
        case '\\': e = '\\'; break;
        case '/': e = '/'; break;
        case 'b': e = '\b'; break;
        case 'f': e = '\f'; break;
        case 'n': e = '\n'; break;
        case 'r': e = '\r'; break;
        case 't': e = '\t'; break;
        default: return false; /* \u: surrogates, U+0000; the general decoder's business */
        }
        sbuf_put(tmp, run, (size_t)(q - run));
        sbuf_putc(tmp, e);
        q++;
        run = q + 1;
    }
    return false;
}

/* The id, as read_id would store it: a plain string is quoted as it is (it
 * has nothing to escape), an integer written in decimal. */
static bool sc_id(scan *s, char *dst) {
    if (sc_peek(s, '"')) {
        const char *str;
        size_t n;
        if (!sc_plain(s, &str, &n) || n == 0 || n + 2 > PROTO_IDJSON_MAX || utf8_count(str, n) > PROTO_ID_MAX)
            return false;
        dst[0] = '"';
        memcpy(dst + 1, str, n);
        dst[n + 1] = '"';
        dst[n + 2] = '\0';
        return true;
    }
    int64_t v;
    if (!sc_uint(s, &v)) return false;
    dst[sbuf_i64_text(dst, v)] = '\0';
    return true;
}

/* A count (skip, or {"d": n}) or a non-empty text (insert, or {"d": "text"}). */
static bool sc_amount(scan *s, sbuf *tmp, size_t *n, const char **str, size_t *len) {
    if (sc_peek(s, '"')) {
        if (!sc_text(s, tmp, str, len) || *len == 0) return false;
        *n = utf8_count(*str, *len);
        return true;
    }
    int64_t v;
    if (!sc_uint(s, &v) || v < 1) return false;
    *n = (size_t)v;
    *str = NULL;
    *len = 0;
    return true;
}

/* The op array, with ot_op_from_json's rules: no two adjacent components of
 * one kind, no trailing skip. */
static bool sc_op(scan *s, sbuf *tmp, ot_op *op) {
    if (!sc_eat(s, '[')) return false;
    do {
        ot_kind kind;
        size_t n, len;
        const char *str;
        if (sc_peek(s, '{')) {
            const char *key;
            size_t klen;
            s->p++;
            if (!sc_plain(s, &key, &klen) || klen != 1 || key[0] != 'd' || !sc_eat(s, ':')) return false;
            if (!sc_amount(s, tmp, &n, &str, &len) || !sc_eat(s, '}')) return false;
            kind = OT_DELETE;
        } else {
            if (!sc_amount(s, tmp, &n, &str, &len)) return false;
            kind = str ? OT_INSERT : OT_SKIP;
        }
        if (op->n > 0 && op->c[op->n - 1].kind == kind) return false;
        if (op->n == PROTO_OP_COMPONENTS_MAX) return false; /* the general decoder says why */
        if (ot_op_push(op, kind, n, str, len) != OT_OK) return false;
    } while (sc_eat(s, ','));
    return sc_eat(s, ']') && op->c[op->n - 1].kind != OT_SKIP;
}

/* True when json was an op message of the usual shape, decoded into m. */
static bool decode_op_fast(const char *json, size_t len, proto_msg *m) {
    scan s = {json, json + len};
    bool type = false, id = false, rev = false, op = false;
    sbuf tmp = {0}; /* allocated only for a string with escapes */
    bool ok = sc_eat(&s, '{');
    while (ok) {
        if (!type && sc_word(&s, "type", 4))
            ok = type = sc_eat(&s, ':') && sc_word(&s, "op", 2);
        else if (!id && sc_word(&s, "id", 2))
            ok = id = sc_eat(&s, ':') && sc_id(&s, m->idjson);
        else if (!rev && sc_word(&s, "rev", 3))
            ok = rev = sc_eat(&s, ':') && sc_uint(&s, &m->u.op.rev);
        else if (!op && sc_word(&s, "op", 2))
            ok = op = sc_eat(&s, ':') && sc_op(&s, &tmp, &m->u.op.op);
        else
            ok = false; /* another key, one again, or one with escapes */
        if (ok && !sc_eat(&s, ',')) {
            ok = sc_eat(&s, '}');
            break;
        }
    }
    if (tmp.buf) sbuf_free(&tmp);
    sc_ws(&s);
    if (ok && s.p == s.end && type && id && rev && op) {
        m->type = PROTO_OP;
        return true;
    }
    ot_op_free(&m->u.op.op);
    memset(m, 0, sizeof *m);
    return false;
}

/* ---- The general decoder ------------------------------------------------ */

/* Everything after the UTF-8 check. */
/* {"after"?: "p…", "prefix"?: label, "organisation"?: label, "limit"?: 1..100} */
static proto_err decode_presence_page(const cJSON *o, proto_presence_page *pg, const char **why) {
    const cJSON *after = cJSON_GetObjectItemCaseSensitive(o, "after");
    const cJSON *prefix = cJSON_GetObjectItemCaseSensitive(o, "prefix");
    const cJSON *org = cJSON_GetObjectItemCaseSensitive(o, "organisation");
    const cJSON *limit = cJSON_GetObjectItemCaseSensitive(o, "limit");
    int64_t n = PROTO_PAGE_DEFAULT;
    bool bad = false;
    if (after && !read_participant_id(cJSON_GetStringValue(after), pg->after)) {
        *why = "presence_page's \"after\" must be a participant id (the \"next\" of the previous page)";
        return PROTO_EBAD_REQUEST;
    }
    if (limit && !proto_json_int(limit, 1, PROTO_PAGE_MAX, &n)) {
        *why = "presence_page's \"limit\" must be an integer from 1 to 100";
        return PROTO_EBAD_REQUEST;
    }
    pg->limit = (int)n;
    bad = (prefix && !cJSON_IsString(prefix)) || (org && !cJSON_IsString(org));
    if (prefix && !bad) pg->prefix = dup_label(cJSON_GetStringValue(prefix), PROTO_NAME_MAX, &bad);
    if (org && !bad) pg->organisation = dup_label(cJSON_GetStringValue(org), PROTO_NAME_MAX, &bad);
    if (bad) {
        *why = "presence_page's \"prefix\" and \"organisation\" must be 1 to 64 characters, not only spaces";
        return PROTO_EBAD_REQUEST;
    }
    return PROTO_OK;
}

static proto_err decode_general(const char *json, size_t len, proto_msg *m, const char **why) {
    memset(m, 0, sizeof *m);
    *why = "";
    if (has_raw_control(json, len)) {
        *why = "message has raw control characters; escape them";
        return PROTO_EBAD_REQUEST;
    }
    const char *end = NULL;
    cJSON *o = cJSON_ParseWithLengthOpts(json, len, &end, 0);
    if (o && end) {
        while (end < json + len && (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r')) end++;
        if (end != json + len) {
            cJSON_Delete(o);
            o = NULL;
        }
    }
    if (!o) {
        *why = "message is not valid JSON";
        return PROTO_EBAD_REQUEST;
    }
    proto_err e = PROTO_OK;
    if (!cJSON_IsObject(o)) {
        *why = "message must be a JSON object";
        e = PROTO_EBAD_REQUEST;
        goto out;
    }
    const char *type = get_str(o, "type");
    if (type) {
        for (size_t t = 1; t < sizeof type_names / sizeof *type_names; t++)
            if (strcmp(type, type_names[t]) == 0) m->type = (proto_type)t;
    }
    if (!read_id(o, m->idjson)) {
        *why = "\"id\" must be a string of 1 to 64 characters or an integer";
        e = PROTO_EBAD_REQUEST;
        goto out;
    }
    if (!type) {
        *why = "message needs a \"type\" string";
        e = PROTO_EBAD_REQUEST;
        goto out;
    }
    if (proto_has_escaped_nul(json, len)) {
        *why = "strings must not contain \\u0000";
        e = PROTO_EBAD_REQUEST;
        goto out;
    }
    switch (m->type) {
    case PROTO_JOIN: e = decode_join(o, &m->u.join, why); break;
    case PROTO_OP: e = decode_op(o, m, why); break;
    case PROTO_CURSOR: e = decode_cursor(o, &m->u.cursor, why); break;
    case PROTO_ROLE_SET: e = decode_role_set(o, &m->u.role, why); break;
    case PROTO_REPRESENTATIVE_ANSWER: e = decode_representative_answer(o, &m->u.role, why); break;
    case PROTO_OBSERVER_LINK: e = decode_observer_link(o, m, why); break;
    case PROTO_PING:
    case PROTO_REPRESENTATIVE_REQUEST:
    case PROTO_WORKSHOP_END:
    case PROTO_WORKSHOP_REOPEN:
    case PROTO_SIGNOFF_CALL:
    case PROTO_SIGNOFF_CLOSE: break;
    case PROTO_ENDORSE: e = decode_endorse(o, &m->u.endorse, why); break;
    case PROTO_DECLINE: e = decode_decline(o, &m->u.reason, why); break;
    case PROTO_PRESENCE_PAGE: e = decode_presence_page(o, &m->u.page, why); break;
    case PROTO_POLL_CREATE: case PROTO_POLL_EDIT: case PROTO_POLL_OPEN: case PROTO_POLL_CLOSE:
    case PROTO_POLL_REOPEN: case PROTO_POLL_RESULTS: case PROTO_POLL_DELETE: case PROTO_VOTE:
    case PROTO_ANSWER: case PROTO_UPVOTE:
    case PROTO_AGENDA_SET: case PROTO_PHASE_START: case PROTO_PHASE_NEXT: case PROTO_PHASE_PAUSE:
    case PROTO_PHASE_RESUME: case PROTO_PHASE_EXTEND:
    case PROTO_BOARD_ADD: case PROTO_BOARD_EDIT: case PROTO_BOARD_DELETE: case PROTO_BOARD_GROUP:
    case PROTO_BOARD_UNGROUP: case PROTO_BOARD_SETTINGS:
    case PROTO_DISCUSS_ADD: case PROTO_DISCUSS_CHECK: case PROTO_DISCUSS_REMOVE:
        m->u.obj = o; /* the poll model, the agenda, the board or the list reads the rest */
        return PROTO_OK;
    case PROTO_NONE:
        *why = "unknown message type";
        e = PROTO_EUNKNOWN_TYPE;
        break;
    }
out:
    cJSON_Delete(o);
    return e;
}

static bool check_utf8(const char *json, size_t len, proto_msg *m, const char **why) {
    memset(m, 0, sizeof *m);
    *why = "";
    if (utf8_valid(json, len)) return true;
    *why = "message is not valid UTF-8";
    return false;
}

proto_err proto_decode(const char *json, size_t len, proto_msg *m, const char **why) {
    if (!check_utf8(json, len, m, why)) return PROTO_EBAD_REQUEST;
    if (decode_op_fast(json, len, m)) return PROTO_OK;
    return decode_general(json, len, m, why);
}

proto_err proto_decode_general(const char *json, size_t len, proto_msg *m, const char **why) {
    if (!check_utf8(json, len, m, why)) return PROTO_EBAD_REQUEST;
    return decode_general(json, len, m, why);
}

void proto_msg_free(proto_msg *m) {
    if (m->type == PROTO_JOIN) {
        free(m->u.join.name);
        free(m->u.join.organisation);
        free(m->u.join.key);
        free(m->u.join.observer_key);
        free(m->u.join.token);
    } else if (m->type == PROTO_OP) {
        ot_op_free(&m->u.op.op);
    } else if (proto_is_poll(m->type) || proto_is_agenda(m->type) || proto_is_board(m->type) || proto_is_discuss(m->type)) {
        cJSON_Delete(m->u.obj);
    } else if (m->type == PROTO_DECLINE) {
        free(m->u.reason);
    } else if (m->type == PROTO_PRESENCE_PAGE) {
        free(m->u.page.prefix);
        free(m->u.page.organisation);
    }
    memset(m, 0, sizeof *m);
}

void proto_write_id(sbuf *b, const char *idjson) {
    if (idjson && idjson[0]) {
        sbuf_puts(b, ",\"id\":");
        sbuf_puts(b, idjson);
    }
}

void proto_write_error_code(sbuf *b, const char *code, const char *message, const char *re, const char *idjson) {
    sbuf_puts(b, "{\"type\":\"error\",\"code\":\"");
    sbuf_puts(b, code);
    sbuf_puts(b, "\",\"message\":");
    sbuf_put_jstrz(b, message ? message : "");
    if (re && re[0]) {
        sbuf_puts(b, ",\"re\":");
        sbuf_put_jstrz(b, re);
    }
    proto_write_id(b, idjson);
    sbuf_putc(b, '}');
}

void proto_write_error(sbuf *b, proto_err e, const char *message, proto_type re, const char *idjson) {
    proto_write_error_code(b, proto_err_code(e), message, proto_type_name(re), idjson);
}

void proto_write_ack(sbuf *b, const char *idjson, int64_t rev) {
    sbuf_puts(b, "{\"type\":\"ack\"");
    proto_write_id(b, idjson);
    sbuf_puts(b, ",\"rev\":");
    sbuf_put_i64(b, rev);
    sbuf_putc(b, '}');
}

void proto_write_pong(sbuf *b, const char *idjson, int64_t now) {
    sbuf_puts(b, "{\"type\":\"pong\"");
    proto_write_id(b, idjson);
    sbuf_puts(b, ",\"now\":");
    sbuf_put_i64(b, now);
    sbuf_putc(b, '}');
}

void proto_write_op(sbuf *b, int64_t rev, const char *opjson, size_t opjson_len, const char *author) {
    sbuf_puts(b, "{\"type\":\"op\",\"rev\":");
    sbuf_put_i64(b, rev);
    sbuf_puts(b, ",\"op\":");
    sbuf_put(b, opjson, opjson_len);
    sbuf_puts(b, ",\"author\":");
    sbuf_put_jstrz(b, author);
    sbuf_putc(b, '}');
}

void proto_write_cursor(sbuf *b, const char *participant, int64_t rev, int64_t anchor, int64_t head) {
    sbuf_puts(b, "{\"type\":\"cursor\",\"participant\":");
    sbuf_put_jstrz(b, participant);
    sbuf_puts(b, ",\"rev\":");
    sbuf_put_i64(b, rev);
    sbuf_puts(b, ",\"sel\":[");
    sbuf_put_i64(b, anchor);
    sbuf_putc(b, ',');
    sbuf_put_i64(b, head);
    sbuf_puts(b, "]}");
}

void proto_write_arrived(sbuf *b, const char *id, const char *name, const char *org, const char *role, bool asks) {
    sbuf_puts(b, "{\"type\":\"arrived\",\"participant\":");
    proto_write_participant(b, id, name, org, role, asks);
    sbuf_putc(b, '}');
}

void proto_write_departed(sbuf *b, const char *participant) {
    sbuf_puts(b, "{\"type\":\"departed\",\"participant\":");
    sbuf_put_jstrz(b, participant);
    sbuf_putc(b, '}');
}

void proto_write_participant(sbuf *b, const char *id, const char *name, const char *org, const char *role, bool asks) {
    sbuf_puts(b, "{\"id\":");
    sbuf_put_jstrz(b, id);
    sbuf_puts(b, ",\"name\":");
    sbuf_put_jstrz(b, name);
    sbuf_puts(b, ",\"organisation\":");
    sbuf_put_jstrz(b, org);
    sbuf_puts(b, ",\"role\":");
    sbuf_put_jstrz(b, role);
    if (asks) sbuf_puts(b, ",\"asks\":\"representative\"");
    sbuf_putc(b, '}');
}
