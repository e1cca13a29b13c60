#include "core/person.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/utf8.h"

static const char *str(const cJSON *o, const char *k) { return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, k)); }

/* An optional field: absent, or a string. */
static bool optional_str(const cJSON *o, const char *k) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return !v || cJSON_IsString(v);
}

/* An optional colour slot: absent (-1 in *out), or 0..WK_SLOT_MAX. */
static bool optional_slot(const cJSON *o, int *out) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "slot");
    int64_t n = -1;
    if (v && !proto_json_int(v, 0, WK_SLOT_MAX, &n)) return false;
    *out = (int)n;
    return true;
}

bool person_read(const char *json, person_record *out) {
    memset(out, 0, sizeof *out);
    cJSON *o = cJSON_Parse(json);
    const char *name = str(o, "name"), *org = str(o, "organisation"), *role = str(o, "role");
    const char *secret = str(o, "secret"), *asks = str(o, "asks"), *okey = str(o, "okey");
    wk_role as = wk_role_read(role ? role : "");
    bool ok = name && org && role && secret && utf8_valid_label(name, PROTO_NAME_MAX) &&
              (utf8_valid_label(org, PROTO_NAME_MAX) || (as == WK_OBSERVER && !org[0])) &&
              proto_valid_b64url(secret, WK_SECRET_LEN) && optional_str(o, "asks") && optional_str(o, "okey") &&
              (!okey || !okey[0] || proto_valid_b64url(okey, PROTO_KEY_MAX)) && optional_slot(o, &out->slot);
    if (ok) {
        out->name = strdup(name);
        out->org = strdup(org);
        out->role = as;
        snprintf(out->secret, sizeof out->secret, "%s", secret);
        out->asks = asks && strcmp(asks, "representative") == 0;
        snprintf(out->okey, sizeof out->okey, "%s", okey ? okey : "");
        ok = out->name && out->org;
        if (!ok) person_record_free(out);
    }
    cJSON_Delete(o);
    return ok;
}

void person_record_free(person_record *p) {
    free(p->name);
    free(p->org);
    p->name = p->org = NULL;
}
