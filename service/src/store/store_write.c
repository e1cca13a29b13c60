/* Writes acknowledged once replicated (store_write.h): the command and its
 * WAIT are queued one after the other on the store's one connection, whose
 * replies come in order, so the command's reply is held (copied: hiredis
 * frees it when its callback returns) until WAIT's says whether to hand it
 * on. */
#include "store/store_write.h"

#include <hiredis/hiredis.h>
#include <stdlib.h>
#include <string.h>

/* One write between its command's reply and its WAIT's. */
typedef struct store_write_call {
    store_reply_fn fn;          /* the caller's, called once, from waited() */
    void *priv;
    store_durability d;         /* what WAIT must confirm */
    redisReply *held;           /* the command's reply, copied (NULL: none, or not copied) */
    bool waiting;               /* its WAIT was queued: waited() answers; else held() does */
} store_write_call;

redisReply *store_reply_dup(const redisReply *r) {
    redisReply *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->type = r->type;
    c->integer = r->integer;
    if (r->str) {
        c->str = malloc(r->len + 1);
        if (!c->str) goto fail;
        memcpy(c->str, r->str, r->len);
        c->str[r->len] = '\0';
        c->len = r->len;
    }
    if (r->element && r->elements) {
        c->element = calloc(r->elements, sizeof *c->element);
        if (!c->element) goto fail;
        c->elements = r->elements;
        for (size_t i = 0; i < r->elements; i++)
            if (!(c->element[i] = store_reply_dup(r->element[i]))) goto fail;
    }
    return c;
fail:
    freeReplyObject(c);
    return NULL;
}

bool store_wait_enough(const redisReply *w, const store_durability *d) {
    return w && w->type == REDIS_REPLY_INTEGER && w->integer >= d->replicas;
}

/* Redis refused the write as no primary may: a replica (READONLY: a
 * failover demoted it) or a primary without its replicas (NOREPLICAS:
 * min-replicas-to-write, a primary cut off from them). The write is not in
 * Redis; the client hears unavailable, as during an outage, and sends it
 * again: to the new primary once the server follows the switch. */
bool store_write_refused(const redisReply *r) {
    return r && r->type == REDIS_REPLY_ERROR && r->str &&
           (strncmp(r->str, "READONLY", 8) == 0 || strncmp(r->str, "NOREPLICAS", 10) == 0);
}

/* With replicas 0: the reply as it is, but a refusal as no primary is NULL. */
typedef struct store_plain_call {
    store_reply_fn fn;
    void *priv;
} store_plain_call;

static void plain(redisReply *reply, void *priv) {
    store_plain_call c = *(store_plain_call *)priv;
    free(priv);
    c.fn(store_write_refused(reply) ? NULL : reply, c.priv);
}

static store_plain_call *plain_new(store_reply_fn fn, void *priv) {
    store_plain_call *c = malloc(sizeof *c);
    if (c) *c = (store_plain_call){fn, priv};
    return c;
}

static bool plain_queued(store_plain_call *c, bool queued) {
    if (!queued) free(c);
    return queued;
}

static void held(redisReply *reply, void *priv) {
    store_write_call *c = priv;
    if (!c->waiting) { /* its WAIT could not be queued: nothing confirms it */
        c->fn(NULL, c->priv);
        free(c);
        return;
    }
    /* Not copied (out of memory): WAIT's answer then hands on NULL, as if the link were lost. */
    c->held = reply && !store_write_refused(reply) ? store_reply_dup(reply) : NULL;
}

static void waited(redisReply *reply, void *priv) {
    store_write_call *c = priv;
    bool enough = store_wait_enough(reply, &c->d);
    if (c->held && reply && !enough && c->d.shortfalls) (*c->d.shortfalls)++;
    c->fn(c->held && enough ? c->held : NULL, c->priv);
    if (c->held) freeReplyObject(c->held);
    free(c);
}

static store_write_call *call_new(const store_durability *d, store_reply_fn fn, void *priv) {
    store_write_call *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->fn = fn;
    c->priv = priv;
    c->d = *d;
    return c;
}

/* The command was queued (its callback: held) or not: queue its WAIT. */
static bool then_wait(store *s, store_write_call *c, bool queued) {
    if (!queued) {
        free(c);
        return false;
    }
    /* Out of memory for WAIT: the command is on its way all the same, and
     * held() answers its caller (NULL: unconfirmed) when its reply comes. */
    c->waiting = store_cmd(s, waited, c, "WAIT %d %d", c->d.replicas, c->d.timeout_ms);
    return true;
}

bool store_write_resp(store *s, const store_durability *d, store_reply_fn fn, void *priv, const char *cmd,
                      size_t len) {
    if (d->replicas <= 0) {
        store_plain_call *p = plain_new(fn, priv);
        return p && plain_queued(p, store_cmd_resp(s, plain, p, cmd, len));
    }
    store_write_call *c = call_new(d, fn, priv);
    return c && then_wait(s, c, store_cmd_resp(s, held, c, cmd, len));
}

bool store_write_argv(store *s, const store_durability *d, store_reply_fn fn, void *priv, int argc,
                      const char **argv, const size_t *lens) {
    if (d->replicas <= 0) {
        store_plain_call *p = plain_new(fn, priv);
        return p && plain_queued(p, store_cmd_argv(s, plain, p, argc, argv, lens));
    }
    store_write_call *c = call_new(d, fn, priv);
    return c && then_wait(s, c, store_cmd_argv(s, held, c, argc, argv, lens));
}

bool store_vwrite(store *s, const store_durability *d, store_reply_fn fn, void *priv, const char *fmt, va_list ap) {
    if (d->replicas <= 0) {
        store_plain_call *p = plain_new(fn, priv);
        return p && plain_queued(p, store_vcmd(s, plain, p, fmt, ap));
    }
    store_write_call *c = call_new(d, fn, priv);
    return c && then_wait(s, c, store_vcmd(s, held, c, fmt, ap));
}

bool store_write(store *s, const store_durability *d, store_reply_fn fn, void *priv, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    bool ok = store_vwrite(s, d, fn, priv, fmt, ap);
    va_end(ap);
    return ok;
}
