/* fuzz_http.c -- libFuzzer target for what an HTTP request brings to the
 * API: the body of POST /api/workshops (core/api.h), the bodies of a next
 * workshop and of a partnership's new title (core/series.h), the
 * participants' summary form (core/api.h), and the query
 * arguments' readers (an integer: history's limit, state's rev and at; an
 * event id: history's after; a time zone; an export's language).
 *
 * Input: a first byte choosing the reader (even: the body, odd: the
 * arguments), then the bytes. A body accepted gives a title that is a tidy
 * label, a statement of valid UTF-8 and a well-formed zone; an integer
 * accepted is in range and is the text's value. */
#include <cjson/cJSON.h>

#include "fuzz.h"

#include "core/api.h"
#include "core/export.h"
#include "core/hist.h"
#include "core/series.h"
#include "core/utf8.h"

static void fuzz_body(const char *body, size_t len) {
    api_create c;
    const char *why = NULL;
    proto_err e = api_read_create(body, len, &c, &why);
    if (e != PROTO_OK) {
        FUZZ_REQUIRE(why && why[0] && !c.title && !c.text);
        return;
    }
    FUZZ_REQUIRE(utf8_valid_label(c.title, PROTO_TITLE_MAX));
    char *tidy = malloc(strlen(c.title) + 1);
    FUZZ_REQUIRE(tidy && utf8_tidy_label(c.title, tidy) == strlen(c.title) && strcmp(tidy, c.title) == 0);
    free(tidy);
    FUZZ_REQUIRE(utf8_valid(c.text, strlen(c.text)));
    FUZZ_REQUIRE(strcmp(c.time_zone, WHEN_UTC) == 0 || when_valid_zone_name(c.time_zone));
    api_create_free(&c);
}

/* The same bytes as a next workshop's body and as a partnership's new title:
 * a title read is a tidy label; refused, nothing is kept. */
static void fuzz_series_bodies(const char *body, size_t len) {
    series_next_req r;
    const char *why = NULL;
    if (series_read_next(body, len, &r, &why) == PROTO_OK) {
        FUZZ_REQUIRE(!r.title || utf8_valid_label(r.title, PROTO_TITLE_MAX));
        FUZZ_REQUIRE(strlen(r.create_token) <= SERIES_TOKEN_MAX);
        series_next_req_free(&r);
    } else {
        FUZZ_REQUIRE(why && why[0] && !r.title);
    }
    char *title = NULL;
    if (series_read_title(body, len, &title, &why) == PROTO_OK) FUZZ_REQUIRE(title && utf8_valid_label(title, PROTO_TITLE_MAX));
    else FUZZ_REQUIRE(!title);
    free(title);
}

/* The same bytes as the participants' summary form: read, a token is there
 * and every value is token characters within its field; refused, nothing is
 * kept. */
static void fuzz_summary_form(const char *body, size_t len) {
    api_summary_form f;
    const char *why = NULL;
    if (!api_read_summary_form(body, len, &f, &why)) {
        FUZZ_REQUIRE(why && why[0] && !f.token[0] && !f.format[0] && !f.lang[0]);
        return;
    }
    FUZZ_REQUIRE(f.token[0] && strlen(f.token) <= PROTO_KEY_MAX);
    FUZZ_REQUIRE(strspn(f.token, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") == strlen(f.token));
    FUZZ_REQUIRE(strlen(f.format) < sizeof f.format && strlen(f.lang) < sizeof f.lang);
}

/* An argument as net/ hands it: NUL-terminated, cut at its first NUL. */
static void fuzz_argument(const char *s) {
    int64_t v;
    if (api_read_int(s, -1000, 10000, &v)) {
        FUZZ_REQUIRE(v >= -1000 && v <= 10000);
        FUZZ_REQUIRE(strtoll(s, NULL, 10) == v);
    }
    if (api_read_int(s, 0, PROTO_SAFE_INT_MAX, &v)) FUZZ_REQUIRE(v >= 0 && v <= PROTO_SAFE_INT_MAX);
    int64_t ms;
    if (hist_valid_id(s, &ms)) FUZZ_REQUIRE(strlen(s) < HIST_ID_MAX && ms >= 0);
    if (when_valid_zone_name(s)) FUZZ_REQUIRE(strlen(s) <= WHEN_ZONE_MAX);
    export_lang lang;
    if (export_lang_from_name(s, &lang)) FUZZ_REQUIRE(lang == EXPORT_FR || lang == EXPORT_EN);
}

int fuzz_http_one(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    /* The body in a buffer of exactly its bytes: a reader must not look past len. */
    char *s = malloc(data[0] % 2 == 0 && size > 1 ? size - 1 : size);
    if (!s) return 0;
    memcpy(s, data + 1, size - 1);
    if (data[0] % 2 == 0) {
        fuzz_body(s, size - 1);
        fuzz_series_bodies(s, size - 1);
        fuzz_summary_form(s, size - 1);
    } else {
        s[size - 1] = '\0';
        fuzz_argument(s);
    }
    free(s);
    return 0;
}

#ifndef FUZZ_NO_ENTRY
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) { return fuzz_http_one(data, size); }
#endif
