/* api.h -- what an HTTP request to the API brings, read and checked: the
 * body of POST /api/workshops, and the integers of the query arguments
 * (history's limit, state's rev and at). Pure: the hub hands in the body and
 * each argument's text (net/ URL-decodes them), and answers the errors with
 * the reasons written here (protocol/README.md, protocol/history.md). */
#ifndef ATELIER_API_H
#define ATELIER_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/proto.h"
#include "core/when.h"

/* A creation's body: {"title": …, "text"?: …, "time_zone"?: …}. */
typedef struct api_create {
    char *title;                        /* the label, tidied (utf8_tidy_label); owned */
    char *text;                         /* the statement at revision 0 ("" when none); owned */
    char time_zone[WHEN_ZONE_MAX + 1];  /* a well-formed IANA name (UTC when none); whether the server knows it is the hub's question */
} api_create;

/* The JSON object of the whole body (white space may follow it), or NULL;
 * the caller frees it (cJSON_Delete). */
struct cJSON *api_body_object(const char *body, size_t len);

/* Reads body[0..len) (not NUL-terminated). PROTO_OK with *out filled (free it
 * with api_create_free); else PROTO_EBAD_REQUEST (or PROTO_EINTERNAL when out
 * of memory) with *why (static), *out empty. */
proto_err api_read_create(const char *body, size_t len, api_create *out, const char **why);
void api_create_free(api_create *c);

/* A query argument that must be a decimal integer in [lo, hi], the whole
 * text (no sign but "-", no spaces, at most 18 digits). */
bool api_read_int(const char *s, int64_t lo, int64_t hi, int64_t *out);

/* The form a browser posts to open the participants' summary in a tab of
 * its own (protocol/history.md, "The participants' summary"):
 * token=…&format=…&lang=… (application/x-www-form-urlencoded), each field
 * at most once, format and lang optional. Every value is plain token
 * characters (letters, digits, '.', '_', '-'): what these fields hold never
 * needs percent-encoding, so none is decoded. */
typedef struct api_summary_form {
    char token[PROTO_KEY_MAX + 1];     /* the participant token, as sent (unchecked) */
    char format[5];                    /* as sent, "" when absent (the hub reads it as the query's) */
    char lang[3];                      /* as sent, "" when absent */
} api_summary_form;

/* Reads body[0..len) (not NUL-terminated): true with *out filled; false
 * with *why (static) for an unknown or repeated field, a value too long or
 * not of those characters, or no token. */
bool api_read_summary_form(const char *body, size_t len, api_summary_form *out, const char **why);

#endif
