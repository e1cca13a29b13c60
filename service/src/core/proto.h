/* proto.h -- the wire protocol codec: client JSON text -> typed, validated
 * messages; typed replies -> JSON text. Pure: no sockets, no clocks.
 * Every rule of protocol/README.md that can be checked without the workshop's
 * state is checked here; the rest (ranges against the document, permissions)
 * is the workshop model's. */
#ifndef ATELIER_PROTO_H
#define ATELIER_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/ot.h"
#include "core/sbuf.h"

#define PROTO_NAME_MAX 64        /* code points in a name or organisation */
#define PROTO_TITLE_MAX 200      /* code points in a workshop title */
#define PROTO_ID_MAX 64          /* characters (code points) in a request id / op id */
#define PROTO_IDJSON_MAX (4 * PROTO_ID_MAX + 2) /* an id as JSON text: quotes, up to 4 bytes a character */
#define PROTO_WORKSHOP_ID_MAX 43 /* base64url characters in a workshop id */
#define PROTO_WORKSHOP_ID_LEN 22 /* base64url characters in a workshop id the server makes: 132 random bits */
#define PROTO_TOKEN_MAX 96       /* bytes in a resume token */
#define PROTO_KEY_MAX 96         /* bytes in a facilitator key */
#define PROTO_KEY_LEN 43         /* base64url characters in a facilitator key the server makes: 258 random bits */
#define PROTO_PID_LEN 17         /* characters in a participant id: "p" and 16 base64url characters */
#define PROTO_TEXT_MAX (1 << 20) /* bytes in the statement: a starting text, or after any op */
#define PROTO_OP_COMPONENTS_MAX 1024 /* components in an op */
#define PROTO_SAFE_INT_MAX 9007199254740991.0 /* 2^53 - 1: the largest integer a JSON number (a double) keeps exact */
#define PROTO_SAFE_INT_DIGITS 15 /* decimal digits that always write an integer below PROTO_SAFE_INT_MAX */

typedef enum {
    PROTO_NONE = 0,
    PROTO_JOIN,
    PROTO_OP,
    PROTO_CURSOR,
    PROTO_PING,
    /* Polls: decoded as far as their type and id here; the poll model
     * (core/poll.h) reads and checks the rest from msg->u.obj. */
    PROTO_POLL_CREATE,
    PROTO_POLL_EDIT,
    PROTO_POLL_OPEN,
    PROTO_POLL_CLOSE,
    PROTO_POLL_REOPEN,
    PROTO_POLL_RESULTS,
    PROTO_POLL_DELETE,
    PROTO_VOTE,
    PROTO_ANSWER,
    PROTO_UPVOTE,
    /* The workshop's end and reopening (facilitators): no body but the id. */
    PROTO_WORKSHOP_END,
    PROTO_WORKSHOP_REOPEN,
    /* The sign-off (protocol/agreement.md): calls and closes have no body
     * but the id; endorse and decline are decoded here. */
    PROTO_SIGNOFF_CALL,
    PROTO_SIGNOFF_CLOSE,
    PROTO_ENDORSE,
    PROTO_DECLINE,
    /* Roles (protocol/agreement.md): a facilitator makes someone a
     * representative or a participant again; a participant asks to
     * represent their organisation, a facilitator answers. */
    PROTO_ROLE_SET,
    PROTO_REPRESENTATIVE_REQUEST,
    PROTO_REPRESENTATIVE_ANSWER,
    /* The observer link (facilitators): made or revoked. */
    PROTO_OBSERVER_LINK,
    /* The agenda and its timer (facilitators, protocol/agreement.md): decoded
     * as far as their type and id; core/agenda.h reads the rest from msg->u.obj. */
    PROTO_AGENDA_SET,
    PROTO_PHASE_START,
    PROTO_PHASE_NEXT,
    PROTO_PHASE_PAUSE,
    PROTO_PHASE_RESUME,
    PROTO_PHASE_EXTEND,
    /* The priorities board (protocol/board.md): decoded as far as their type
     * and id; core/board.h reads and checks the rest from msg->u.obj. */
    PROTO_BOARD_ADD,
    PROTO_BOARD_EDIT,
    PROTO_BOARD_DELETE,
    PROTO_BOARD_GROUP,
    PROTO_BOARD_UNGROUP,
    PROTO_BOARD_SETTINGS,
    /* The "to discuss" list (facilitators, protocol/polls.md): decoded as
     * far as their type and id; core/discuss.h reads the rest from msg->u.obj. */
    PROTO_DISCUSS_ADD,
    PROTO_DISCUSS_CHECK,
    PROTO_DISCUSS_REMOVE,
    /* Presence in a big workshop (protocol/README.md): a page of the people
     * present, or those whose name starts with a prefix. */
    PROTO_PRESENCE_PAGE,
} proto_type;

/* True for the sign-off's message types. */
static inline bool proto_is_signoff(proto_type t) { return t >= PROTO_SIGNOFF_CALL && t <= PROTO_DECLINE; }

/* True for the poll message types, whose body is msg->u.obj. */
static inline bool proto_is_poll(proto_type t) { return t >= PROTO_POLL_CREATE && t <= PROTO_UPVOTE; }
/* True for the agenda message types, whose body is msg->u.obj too. */
static inline bool proto_is_agenda(proto_type t) { return t >= PROTO_AGENDA_SET && t <= PROTO_PHASE_EXTEND; }
/* True for the board's message types, whose body is msg->u.obj too. */
static inline bool proto_is_board(proto_type t) { return t >= PROTO_BOARD_ADD && t <= PROTO_BOARD_SETTINGS; }
/* True for the "to discuss" list's message types, whose body is msg->u.obj too. */
static inline bool proto_is_discuss(proto_type t) { return t >= PROTO_DISCUSS_ADD && t <= PROTO_DISCUSS_REMOVE; }

/* Stable error codes, as sent in error.code. */
typedef enum {
    PROTO_OK = 0,
    PROTO_EBAD_REQUEST,
    PROTO_EUNKNOWN_TYPE,
    PROTO_ENOT_FOUND,
    PROTO_EFORBIDDEN,
    PROTO_ETOO_LARGE,
    PROTO_ERATE_LIMITED,
    PROTO_ESTALE,
    PROTO_EUNAVAILABLE,
    PROTO_EINTERNAL,
    PROTO_EENDED,        /* the workshop has ended: the statement is read-only, polls take nothing */
    PROTO_ENOT_ENDED,    /* the workshop has not ended (or was reopened): the participants' summary is not there */
} proto_err;

typedef struct proto_join {
    char workshop[PROTO_WORKSHOP_ID_MAX + 1];
    char *name;          /* NULL when absent (allowed when resuming) */
    char *organisation;  /* NULL when absent (allowed when resuming) */
    char *key;           /* facilitator key, NULL when absent */
    char *observer_key;  /* observer link's key, NULL when absent (then organisation may be absent: "") */
    bool resume;         /* token and rev below are set */
    char *token;
    int64_t rev;
} proto_join;

typedef struct proto_opmsg {
    int64_t rev;         /* revision the op was written against */
    ot_op op;
} proto_opmsg;

typedef struct proto_cursor {
    int64_t rev;
    int64_t anchor, head;  /* code points */
} proto_cursor;

#define PROTO_SHA256_HEX 64      /* hex digits of a SHA-256 */
#define PROTO_REASON_MAX 500     /* code points in a decline's reason */

/* endorse: the text of revision rev, whose UTF-8 bytes hash to sha256. */
typedef struct proto_endorse {
    int64_t rev;
    char sha256[PROTO_SHA256_HEX + 1]; /* lower-case hex */
} proto_endorse;
/* A facilitator's word on one person's role: role_set, representative_answer. */
typedef struct proto_role {
    char participant[PROTO_PID_LEN + 1]; /* whom it is about */
    bool representative;                 /* they become a representative (role_set: else a participant;
                                          * representative_answer: accept, else their request is declined) */
} proto_role;

#define PROTO_PAGE_MAX 100       /* people in one presence_page answer */
#define PROTO_PAGE_DEFAULT 50    /* ... when the request names no limit */

/* presence_page: the people present after `after`, whose name starts with
 * `prefix` and whose organisation is `organisation` (each optional). */
typedef struct proto_presence_page {
    char after[PROTO_PID_LEN + 1]; /* the last participant of the previous page, "" for the first */
    char *prefix;                  /* tidied name prefix, NULL for any */
    char *organisation;            /* tidied organisation, NULL for any */
    int limit;                     /* 1..PROTO_PAGE_MAX */
} proto_presence_page;

typedef struct proto_msg {
    proto_type type;
    char idjson[PROTO_IDJSON_MAX + 1]; /* the request id as JSON text, "" when absent */
    union {
        proto_join join;
        proto_opmsg op;
        proto_cursor cursor;
        proto_endorse endorse;
        char *reason;         /* decline: 1..PROTO_REASON_MAX code points, a line (utf8_valid_line) */
        proto_role role;
        bool observer_link_create; /* observer_link: "create" (else "revoke") */
        proto_presence_page page;  /* presence_page */
        struct cJSON *obj;    /* poll, agenda, board and list messages: the whole parsed object */
    } u;
} proto_msg;

/* Decode one client message of len bytes. On error, *why is a human message
 * (static storage) and msg->type is the type when it was recognised (so the
 * error can say `re`), with msg->idjson set when the id could be read. The
 * caller calls proto_msg_free in every case. */
proto_err proto_decode(const char *json, size_t len, proto_msg *msg, const char **why);
/* proto_decode without its fast path for ops of the usual shape (the
 * general decoder, on cJSON): both give the same result on every message,
 * which the tests check through this. */
proto_err proto_decode_general(const char *json, size_t len, proto_msg *msg, const char **why);
void proto_msg_free(proto_msg *msg);

const char *proto_err_code(proto_err e);
const char *proto_type_name(proto_type t);

/* Replies. idjson may be NULL or "" for none. */
void proto_write_error(sbuf *b, proto_err e, const char *message, proto_type re, const char *idjson);
/* An error by its code as sent (other modules have codes of their own:
 * poll_err_code); re is the type of the refused message, NULL or "" for none. */
void proto_write_error_code(sbuf *b, const char *code, const char *message, const char *re, const char *idjson);
/* ,"id":IDJSON: the request id echoed in a reply; nothing when idjson is NULL or "". */
void proto_write_id(sbuf *b, const char *idjson);
void proto_write_ack(sbuf *b, const char *idjson, int64_t rev);
/* {"type":"pong"[,"id":…],"now":NOW}: now, the server's time (ms), for the client's clock (agenda countdown). */
void proto_write_pong(sbuf *b, const char *idjson, int64_t now);
/* {"type":"op","rev":R,"op":OPJSON,"author":"P"} */
void proto_write_op(sbuf *b, int64_t rev, const char *opjson, size_t opjson_len, const char *author);
void proto_write_cursor(sbuf *b, const char *participant, int64_t rev, int64_t anchor, int64_t head);
void proto_write_arrived(sbuf *b, const char *id, const char *name, const char *org, const char *role, bool asks);
void proto_write_departed(sbuf *b, const char *participant);
/* A participant object: {"id":…,"name":…,"organisation":…,"role":…}, with
 * "asks":"representative" while they ask to represent their organisation. */
void proto_write_participant(sbuf *b, const char *id, const char *name, const char *org, const char *role, bool asks);

/* Helpers for the HTTP API, shared so the rules stay in one place. */
/* An integral JSON number in [lo, hi], in *out; lo and hi within
 * ±PROTO_SAFE_INT_MAX, where a double still holds every integer. */
bool proto_json_int(const struct cJSON *v, double lo, double hi, int64_t *out);
/* JSON text with a \u0000 escape (not a literal backslash before "u0000"):
 * cJSON would cut the string there, so such documents are refused. */
bool proto_has_escaped_nul(const char *json, size_t len);
/* True when s is 1..max base64url characters. */
bool proto_valid_b64url(const char *s, size_t max);
/* Secrets (keys, tokens) compared without an early exit, so the time taken
 * says nothing of where a guess went wrong. An empty secret matches nothing. */
bool proto_same_secret(const char *secret, const char *guess);

#endif
