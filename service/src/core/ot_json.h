/* ot_json.h -- ot-text-unicode ops to and from JSON.
 *
 * Reading is strict (the rules of ot_op_check, plus JSON-level ones: skips
 * are positive integers no larger than 2^53 - 1, a delete is an object with
 * the single key "d"). Writing has a cJSON form and a direct one for the
 * broadcast path, which encodes each accepted op once for many connections.
 *
 * As with the other producers of ops, *out must be initialised (or zeroed);
 * its previous content is released and on error it is left empty. */
#ifndef ATELIER_OT_JSON_H
#define ATELIER_OT_JSON_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "core/ot.h"

ot_status ot_op_from_json(const cJSON *array, ot_op *out);
/* A new cJSON array (the caller deletes it), or NULL when out of memory. */
cJSON *ot_op_to_json(const ot_op *op);
/* Parse json[0..len): one JSON array and nothing but whitespace around it.
 * The input must be valid UTF-8 and must not escape U+0000 (cJSON would cut
 * the string there). */
ot_status ot_op_parse(const char *json, size_t len, ot_op *out);

/* Bytes ot_op_write_json writes for op (no terminating NUL). */
size_t ot_op_json_size(const ot_op *op);
/* Write op as compact JSON at dst, which has room for ot_op_json_size(op)
 * bytes; no NUL is written. Returns the end of what was written. Strings are
 * escaped minimally: quote, backslash and control characters (as \u00XX). */
char *ot_op_write_json(const ot_op *op, char *dst);

#endif
