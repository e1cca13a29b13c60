#include "core/api.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/utf8.h"

cJSON *api_body_object(const char *body, size_t len) {
    const char *end = NULL;
    cJSON *o = cJSON_ParseWithLengthOpts(body, len, &end, 0);
    while (o && end && end < body + len && (*end == ' ' || *end == '\n' || *end == '\r' || *end == '\t')) end++;
    if (o && end == body + len && cJSON_IsObject(o)) return o;
    cJSON_Delete(o);
    return NULL;
}

/* Why the fields of o are not a creation's, or NULL. */
static const char *create_fields_problem(const cJSON *o, const char *body, size_t len) {
    const cJSON *title = cJSON_GetObjectItemCaseSensitive(o, "title");
    const cJSON *text = cJSON_GetObjectItemCaseSensitive(o, "text");
    const cJSON *tz = cJSON_GetObjectItemCaseSensitive(o, "time_zone");
    if (!cJSON_IsString(title) || !utf8_valid_label(title->valuestring, PROTO_TITLE_MAX))
        return "\"title\" must be a string of 1 to 200 characters, not only spaces, without control or invisible "
               "characters";
    if (text && !cJSON_IsNull(text) && !cJSON_IsString(text)) return "\"text\" must be a string";
    if (proto_has_escaped_nul(body, len)) return "strings must not contain \\u0000";
    if (tz && !cJSON_IsNull(tz) && (!cJSON_IsString(tz) || !when_valid_zone_name(tz->valuestring)))
        return "\"time_zone\" must be an IANA time zone name such as \"Europe/Paris\" (letters, digits, _ + - /, at "
               "most 64 bytes)";
    return NULL;
}

proto_err api_read_create(const char *body, size_t len, api_create *out, const char **why) {
    memset(out, 0, sizeof *out);
    if (!utf8_valid(body, len) || memchr(body, '\0', len)) {
        *why = "body must be UTF-8 JSON";
        return PROTO_EBAD_REQUEST;
    }
    cJSON *o = api_body_object(body, len);
    if (!o) {
        *why = "body must be a JSON object: {\"title\": \"...\"}";
        return PROTO_EBAD_REQUEST;
    }
    if ((*why = create_fields_problem(o, body, len))) {
        cJSON_Delete(o);
        return PROTO_EBAD_REQUEST;
    }
    const char *title = cJSON_GetObjectItemCaseSensitive(o, "title")->valuestring;
    const char *text = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "text"));
    const char *tz = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "time_zone"));
    out->title = malloc(strlen(title) + 1);
    out->text = strdup(text ? text : "");
    if (out->title) utf8_tidy_label(title, out->title); /* "  Atelier  " is "Atelier", as names are */
    snprintf(out->time_zone, sizeof out->time_zone, "%s", tz ? tz : WHEN_UTC);
    cJSON_Delete(o);
    if (!out->title || !out->text) {
        api_create_free(out);
        *why = "out of memory";
        return PROTO_EINTERNAL;
    }
    return PROTO_OK;
}

void api_create_free(api_create *c) {
    free(c->title);
    free(c->text);
    c->title = c->text = NULL;
}

bool api_read_int(const char *s, int64_t lo, int64_t hi, int64_t *out) {
    if (!((*s >= '0' && *s <= '9') || *s == '-') || strlen(s) > 18) return false;
    char *end;
    long long v = strtoll(s, &end, 10);
    if (*end || v < lo || v > hi) return false;
    *out = v;
    return true;
}

static bool form_char(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
           c == '-';
}

/* One name=value pair into its field of out; false with *why. */
static bool form_pair(const char *p, size_t n, api_summary_form *out, bool seen[3], const char **why) {
    const char *eq = memchr(p, '=', n);
    if (!eq) {
        *why = "each field of the form is name=value";
        return false;
    }
    size_t name_len = (size_t)(eq - p), vlen = n - name_len - 1;
    static const char *const names[] = {"token", "format", "lang"};
    char *fields[] = {out->token, out->format, out->lang};
    const size_t caps[] = {sizeof out->token, sizeof out->format, sizeof out->lang};
    size_t f = 0;
    while (f < 3 && !(strlen(names[f]) == name_len && memcmp(names[f], p, name_len) == 0)) f++;
    if (f == 3) {
        *why = "the form takes only \"token\", \"format\" and \"lang\"";
        return false;
    }
    if (seen[f]) {
        *why = "a field of the form is given twice";
        return false;
    }
    if (vlen >= caps[f]) {
        *why = "a value of the form is too long";
        return false;
    }
    for (size_t i = 0; i < vlen; i++)
        if (!form_char(eq[1 + i])) {
            *why = "a value of the form holds a character no token, format or language has";
            return false;
        }
    memcpy(fields[f], eq + 1, vlen);
    fields[f][vlen] = '\0';
    seen[f] = true;
    return true;
}

bool api_read_summary_form(const char *body, size_t len, api_summary_form *out, const char **why) {
    memset(out, 0, sizeof *out);
    bool seen[3] = {false, false, false};
    size_t at = 0;
    while (at < len) {
        const char *amp = memchr(body + at, '&', len - at);
        size_t n = amp ? (size_t)(amp - (body + at)) : len - at;
        if (!form_pair(body + at, n, out, seen, why)) {
            memset(out, 0, sizeof *out);
            return false;
        }
        at += n + 1;
    }
    if (!out->token[0]) {
        *why = "the form needs the participant's \"token\"";
        memset(out, 0, sizeof *out);
        return false;
    }
    return true;
}
