#include "core/agenda.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#include "core/utf8.h"

/* ---- The method's phases ---- */

typedef struct preset_def {
    const char *name;
    const char *fr;
    const char *en;
    int minutes;
} preset_def;

/* French titles with the narrow no-break space (U+202F) before "?", as the
 * web client writes them. Indexed by agenda_preset. */
static const preset_def PRESETS[AGENDA_PRESETS + 1] = {
    [AGENDA_PRESET_WHAT] = {"what", "Quoi\u202f?", "What?", 20},
    [AGENDA_PRESET_WHY] = {"why", "Pourquoi\u202f?", "Why?", 20},
    [AGENDA_PRESET_HOW] = {"how", "Comment\u202f?", "How?", 25},
    [AGENDA_PRESET_PRIORITIES] = {"priorities", "Les priorités de chaque organisation", "Each organisation's priorities", 20},
    [AGENDA_PRESET_SUCCESS] = {"success", "Comment saurons-nous si nous avons réussi\u202f?", "How will we know we succeeded?", 20},
    [AGENDA_PRESET_VALIDATION] = {"validation", "Validation", "Sign-off", 15},
};

const char *agenda_preset_name(agenda_preset p) { return p > 0 && p <= AGENDA_PRESETS ? PRESETS[p].name : NULL; }

bool agenda_preset_parse(const char *name, agenda_preset *out) {
    for (int p = 1; name && p <= AGENDA_PRESETS; p++)
        if (strcmp(name, PRESETS[p].name) == 0) {
            *out = (agenda_preset)p;
            return true;
        }
    return false;
}

const char *agenda_preset_title(agenda_preset p, bool french) {
    if (p <= 0 || p > AGENDA_PRESETS) return NULL;
    return french ? PRESETS[p].fr : PRESETS[p].en;
}

/* A title without its spaces (plain, no-break, narrow no-break) into key:
 * a client may send "Quoi ?" with a plain space. */
static void spaceless(const char *s, char key[AGENDA_TITLE_BYTES]) {
    size_t j = 0;
    for (const char *p = s; *p && j + 1 < AGENDA_TITLE_BYTES; p++) {
        if (*p == ' ') continue;
        if (strncmp(p, "\u202f", 3) == 0) { p += 2; continue; }
        if (strncmp(p, "\u00a0", 2) == 0) { p += 1; continue; }
        key[j++] = *p;
    }
    key[j] = '\0';
}

static bool same_words(const char *a, const char *b) {
    char ka[AGENDA_TITLE_BYTES], kb[AGENDA_TITLE_BYTES];
    spaceless(a, ka);
    spaceless(b, kb);
    return strcmp(ka, kb) == 0;
}

const char *agenda_phase_title(const agenda_phase *ph, bool french) {
    agenda_preset p = ph->preset;
    if (p > 0 && p <= AGENDA_PRESETS && (same_words(ph->title, PRESETS[p].fr) || same_words(ph->title, PRESETS[p].en)))
        return french ? PRESETS[p].fr : PRESETS[p].en;
    return ph->title;
}

const char *agenda_title_in(const char *title, bool french) {
    for (int p = 1; title && p <= AGENDA_PRESETS; p++)
        if (same_words(title, PRESETS[p].fr) || same_words(title, PRESETS[p].en)) return french ? PRESETS[p].fr : PRESETS[p].en;
    return title;
}

void agenda_default(agenda *a) {
    memset(a, 0, sizeof *a);
    for (int p = 1; p <= AGENDA_PRESETS; p++) {
        agenda_phase *ph = &a->phases[a->nphases++];
        snprintf(ph->id, sizeof ph->id, "%s", PRESETS[p].name);
        snprintf(ph->title, sizeof ph->title, "%s", PRESETS[p].fr);
        ph->minutes = PRESETS[p].minutes;
        ph->preset = (agenda_preset)p;
    }
}

int agenda_find(const agenda *a, const char *id) {
    for (size_t i = 0; id && i < a->nphases; i++)
        if (strcmp(a->phases[i].id, id) == 0) return (int)i;
    return -1;
}

bool agenda_ran(const agenda *a, const char *id) {
    for (size_t i = 0; id && i < a->timer.nran; i++)
        if (strcmp(a->timer.ran[i], id) == 0) return true;
    return false;
}

agenda_step agenda_step_of(const agenda *a, size_t i) {
    if (i >= a->nphases) return AGENDA_STEP_NEXT;
    if (a->timer.phase[0] && strcmp(a->phases[i].id, a->timer.phase) == 0) return AGENDA_STEP_CURRENT;
    if (agenda_ran(a, a->phases[i].id)) return AGENDA_STEP_RAN;
    if (a->timer.done) return AGENDA_STEP_SKIPPED; /* the agenda ended without it */
    /* Jumped over: a phase after it was started (or is under way). */
    for (size_t j = i + 1; j < a->nphases; j++)
        if (agenda_ran(a, a->phases[j].id) || strcmp(a->phases[j].id, a->timer.phase) == 0) return AGENDA_STEP_SKIPPED;
    return AGENDA_STEP_NEXT;
}

const char *agenda_step_name(agenda_step s) {
    static const char *const names[] = {"next", "current", "ran", "skipped"};
    return s <= AGENDA_STEP_SKIPPED ? names[s] : "next";
}

/* Records that phase id started (once; the list holds at most the agenda's phases). */
static void mark_ran(agenda_timer *t, const char *id) {
    for (size_t i = 0; i < t->nran; i++)
        if (strcmp(t->ran[i], id) == 0) return;
    if (t->nran < AGENDA_PHASES_MAX) snprintf(t->ran[t->nran++], sizeof t->ran[0], "%s", id);
}

/* Keeps in t's ran list only the phases a has (an agenda_set may remove some:
 * a new phase given a removed one's id has not run). */
static void keep_ran_of(agenda_timer *t, const agenda *a) {
    size_t n = 0;
    for (size_t i = 0; i < t->nran; i++)
        if (agenda_find(a, t->ran[i]) >= 0) memmove(t->ran[n++], t->ran[i], sizeof t->ran[0]);
    memset(t->ran[n], 0, (AGENDA_PHASES_MAX - n) * sizeof t->ran[0]); /* a plain value: no leftovers */
    t->nran = n;
}

int64_t agenda_time_left(const agenda_timer *t, int64_t now) {
    if (!t->phase[0]) return 0;
    return t->ends_at - (t->paused ? t->paused_at : now);
}

/* ---- Reading phases ---- */

static bool valid_id(const char *s) {
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > AGENDA_ID_MAX) return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
            return false;
    }
    return true;
}

/* One phase object into ph: false with *why. */
static bool phase_read(agenda_phase *ph, const cJSON *o, const char **why) {
    const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "id"));
    const char *title = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "title"));
    const cJSON *preset = cJSON_GetObjectItemCaseSensitive(o, "preset");
    int64_t minutes;
    memset(ph, 0, sizeof *ph);
    if (!cJSON_IsObject(o)) return *why = "each phase must be an object", false;
    if (!valid_id(id)) return *why = "a phase needs \"id\": 1 to 16 characters of A-Z a-z 0-9 _ -", false;
    if (!title || !utf8_valid_label(title, AGENDA_TITLE_MAX))
        return *why = "a phase needs \"title\": 1 to 120 characters, no control characters", false;
    if (!proto_json_int(cJSON_GetObjectItemCaseSensitive(o, "minutes"), 1, AGENDA_MINUTES_MAX, &minutes))
        return *why = "a phase needs \"minutes\": an integer from 1 to 600", false;
    if (preset && !cJSON_IsNull(preset) && !agenda_preset_parse(cJSON_GetStringValue(preset), &ph->preset))
        return *why = "\"preset\" must be one of the method's phases (what, why, how, priorities, success, validation)",
               false;
    /* Kept as typed (French typography has its narrow spaces), but not blank. */
    if (utf8_tidy_label(title, ph->title) == 0) return *why = "a phase's title must not be blank", false;
    snprintf(ph->id, sizeof ph->id, "%s", id);
    snprintf(ph->title, sizeof ph->title, "%s", title);
    ph->minutes = (int)minutes;
    return true;
}

bool agenda_phases_read(agenda *out, const cJSON *phases, const char **why) {
    int n = cJSON_IsArray(phases) ? cJSON_GetArraySize(phases) : -1;
    if (n < 1 || n > AGENDA_PHASES_MAX) return *why = "\"phases\" must be an array of 1 to 20 phases", false;
    agenda_phase read[AGENDA_PHASES_MAX];
    int i = 0;
    for (const cJSON *o = phases->child; o; o = o->next, i++) {
        if (!phase_read(&read[i], o, why)) return false;
        for (int j = 0; j < i; j++)
            if (strcmp(read[j].id, read[i].id) == 0) return *why = "phase ids must be unique", false;
    }
    memcpy(out->phases, read, (size_t)n * sizeof *read);
    out->nphases = (size_t)n;
    return true;
}

/* A time field of a stored timer: an integer, or 0 for null (or absent). */
static bool stored_ms(const cJSON *o, const char *name, int64_t *out) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    *out = 0;
    return !v || cJSON_IsNull(v) || proto_json_int(v, 0, PROTO_SAFE_INT_MAX, out);
}

/* A stored timer's "ran": false when it is there but not an array of at
 * most AGENDA_PHASES_MAX phase ids; ids the agenda does not have are left out. */
static bool ran_read(agenda_timer *t, const agenda *a, const cJSON *ran) {
    if (!cJSON_IsArray(ran) || cJSON_GetArraySize(ran) > AGENDA_PHASES_MAX) return false;
    for (const cJSON *v = ran->child; v; v = v->next) {
        if (!valid_id(cJSON_GetStringValue(v))) return false;
        if (agenda_find(a, v->valuestring) >= 0) mark_ran(t, v->valuestring);
    }
    return true;
}

/* A timer stored before "ran" was kept: the phases up to the one under way
 * ran (all of them once the agenda is done), as clients showed it then. */
static void ran_guess(agenda_timer *t, const agenda *a) {
    int upto = t->done ? (int)a->nphases - 1 : agenda_find(a, t->phase);
    for (int i = 0; i <= upto; i++) mark_ran(t, a->phases[i].id);
}

/* False when json is not a timer (damage); a timer naming a phase the agenda
 * does not have reads as none. */
static bool timer_read(agenda_timer *t, const agenda *a, const char *json) {
    memset(t, 0, sizeof *t);
    if (!json || !json[0]) return true;
    cJSON *o = cJSON_Parse(json);
    const cJSON *phase = cJSON_GetObjectItemCaseSensitive(o, "phase");
    const cJSON *done = cJSON_GetObjectItemCaseSensitive(o, "done");
    const cJSON *ran = cJSON_GetObjectItemCaseSensitive(o, "ran");
    agenda_timer read = {0};
    bool ok = cJSON_IsObject(o) && (!phase || cJSON_IsNull(phase) || cJSON_IsString(phase)) &&
              (!done || cJSON_IsBool(done)) && stored_ms(o, "started_at", &read.started_at) &&
              stored_ms(o, "ends_at", &read.ends_at) && stored_ms(o, "paused_at", &read.paused_at) &&
              stored_ms(o, "extended_ms", &read.extended_ms) && (!ran || ran_read(&read, a, ran));
    if (ok && cJSON_IsString(phase) && agenda_find(a, phase->valuestring) >= 0) {
        snprintf(read.phase, sizeof read.phase, "%s", phase->valuestring);
        read.paused = cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(o, "paused_at"));
        *t = read;
    } else if (ok) {
        t->done = cJSON_IsTrue(done); /* after the last phase: nothing under way, the agenda run */
        memcpy(t->ran, read.ran, sizeof t->ran);
        t->nran = read.nran;
    }
    if (ok && !ran) ran_guess(t, a);
    cJSON_Delete(o);
    return ok;
}

bool agenda_read_stored(agenda *a, const char *phases_json, const char *timer_json) {
    const char *why;
    agenda_default(a);
    bool ok = true;
    if (phases_json && phases_json[0]) {
        cJSON *phases = cJSON_Parse(phases_json);
        ok = phases && agenda_phases_read(a, phases, &why); /* damaged: the default stays */
        cJSON_Delete(phases);
    }
    return timer_read(&a->timer, a, timer_json) && ok;
}

/* ---- Changes ---- */

static void change_init(agenda_change *c, const char *event, const agenda_phase *ph, int minutes) {
    memset(c, 0, sizeof *c);
    c->event = event;
    if (ph) {
        snprintf(c->phase, sizeof c->phase, "%s", ph->id);
        snprintf(c->title, sizeof c->title, "%s", ph->title);
    }
    c->minutes = minutes;
}

static void start_at(agenda *a, int i, int64_t now, agenda_change *c) {
    const agenda_phase *ph = &a->phases[i];
    agenda_timer *t = &a->timer;
    agenda_timer was = *t;
    memset(t, 0, sizeof *t);
    memcpy(t->ran, was.ran, sizeof t->ran); /* the phases run before stay run */
    t->nran = was.nran;
    mark_ran(t, ph->id);
    snprintf(t->phase, sizeof t->phase, "%s", ph->id);
    t->started_at = now;
    t->ends_at = now + ph->minutes * AGENDA_MINUTE_MS;
    change_init(c, "phase_started", ph, ph->minutes);
}

proto_err agenda_start(agenda *a, const char *phase, int64_t now, agenda_change *c, const char **why) {
    int i = agenda_find(a, phase);
    if (i < 0) return *why = "no phase with this id in the agenda", PROTO_ENOT_FOUND;
    start_at(a, i, now, c);
    return PROTO_OK;
}

proto_err agenda_next(agenda *a, int64_t now, agenda_change *c, const char **why) {
    (void)why;
    int cur = agenda_find(a, a->timer.phase);
    if (cur + 1 < (int)a->nphases) {
        start_at(a, cur + 1, now, c);
        return PROTO_OK;
    }
    agenda_timer was = a->timer;
    memset(&a->timer, 0, sizeof a->timer); /* after the last: the agenda is done */
    memcpy(a->timer.ran, was.ran, sizeof was.ran);
    a->timer.nran = was.nran;
    a->timer.done = true; /* said, so that clients tell "done" from "not started yet" */
    change_init(c, "agenda_done", NULL, 0);
    return PROTO_OK;
}

static const agenda_phase *current(const agenda *a) {
    int i = agenda_find(a, a->timer.phase);
    return i < 0 ? NULL : &a->phases[i];
}

proto_err agenda_pause(agenda *a, int64_t now, agenda_change *c, const char **why) {
    if (!current(a) || a->timer.paused) return *why = "no phase is running, nothing to pause", PROTO_EBAD_REQUEST;
    a->timer.paused = true;
    a->timer.paused_at = now;
    change_init(c, "phase_paused", current(a), 0);
    return PROTO_OK;
}

proto_err agenda_resume(agenda *a, int64_t now, agenda_change *c, const char **why) {
    if (!current(a) || !a->timer.paused) return *why = "no phase is paused, nothing to resume", PROTO_EBAD_REQUEST;
    /* The time left was frozen at ends_at - paused_at: it goes on from there. */
    if (now > a->timer.paused_at) a->timer.ends_at += now - a->timer.paused_at;
    a->timer.paused = false;
    a->timer.paused_at = 0;
    change_init(c, "phase_resumed", current(a), 0);
    return PROTO_OK;
}

proto_err agenda_extend(agenda *a, int minutes, agenda_change *c, const char **why) {
    if (!current(a)) return *why = "no phase is under way, nothing to extend", PROTO_EBAD_REQUEST;
    if (minutes < 1 || minutes > AGENDA_EXTEND_MAX)
        return *why = "\"minutes\" must be an integer from 1 to 60", PROTO_EBAD_REQUEST;
    a->timer.ends_at += minutes * AGENDA_MINUTE_MS;
    a->timer.extended_ms += minutes * AGENDA_MINUTE_MS;
    change_init(c, "phase_extended", current(a), minutes);
    return PROTO_OK;
}

proto_err agenda_set_phases(agenda *a, const agenda *from, agenda_change *c, const char **why) {
    if (a->timer.phase[0] && agenda_find(from, a->timer.phase) < 0)
        return *why = "the phase under way cannot be removed; move to another one first", PROTO_EBAD_REQUEST;
    memcpy(a->phases, from->phases, from->nphases * sizeof *from->phases);
    a->nphases = from->nphases;
    keep_ran_of(&a->timer, a);
    change_init(c, "agenda_changed", NULL, 0);
    return PROTO_OK;
}

proto_err agenda_apply(agenda *a, proto_type type, const cJSON *obj, int64_t now, agenda_change *c, const char **why) {
    int64_t minutes = 0;
    switch (type) {
    case PROTO_AGENDA_SET: {
        agenda incoming;
        if (!agenda_phases_read(&incoming, cJSON_GetObjectItemCaseSensitive(obj, "phases"), why))
            return PROTO_EBAD_REQUEST;
        return agenda_set_phases(a, &incoming, c, why);
    }
    case PROTO_PHASE_START: {
        const char *phase = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(obj, "phase"));
        if (!valid_id(phase)) return *why = "phase_start needs \"phase\": a phase id", PROTO_EBAD_REQUEST;
        return agenda_start(a, phase, now, c, why);
    }
    case PROTO_PHASE_NEXT: return agenda_next(a, now, c, why);
    case PROTO_PHASE_PAUSE: return agenda_pause(a, now, c, why);
    case PROTO_PHASE_RESUME: return agenda_resume(a, now, c, why);
    case PROTO_PHASE_EXTEND:
        if (!proto_json_int(cJSON_GetObjectItemCaseSensitive(obj, "minutes"), 1, AGENDA_EXTEND_MAX, &minutes))
            return *why = "\"minutes\" must be an integer from 1 to 60", PROTO_EBAD_REQUEST;
        return agenda_extend(a, (int)minutes, c, why);
    default: return *why = "not an agenda message", PROTO_EBAD_REQUEST;
    }
}

/* ---- JSON out ---- */

void agenda_write_phases(sbuf *b, const agenda *a) {
    sbuf_putc(b, '[');
    for (size_t i = 0; i < a->nphases; i++) {
        const agenda_phase *ph = &a->phases[i];
        if (i) sbuf_putc(b, ',');
        sbuf_puts(b, "{\"id\":");
        sbuf_put_jstrz(b, ph->id);
        sbuf_puts(b, ",\"title\":");
        sbuf_put_jstrz(b, ph->title);
        sbuf_puts(b, ",\"minutes\":");
        sbuf_put_i64(b, ph->minutes);
        if (ph->preset) {
            sbuf_puts(b, ",\"preset\":");
            sbuf_put_jstrz(b, agenda_preset_name(ph->preset));
        }
        sbuf_putc(b, '}');
    }
    sbuf_putc(b, ']');
}

static void put_ms_or_null(sbuf *b, const char *name, bool set, int64_t ms) {
    sbuf_puts(b, name);
    if (set) sbuf_put_i64(b, ms);
    else sbuf_puts(b, "null");
}

void agenda_write_timer(sbuf *b, const agenda_timer *t) {
    bool on = t->phase[0] != '\0';
    sbuf_puts(b, "{\"phase\":");
    if (on) sbuf_put_jstrz(b, t->phase);
    else sbuf_puts(b, "null");
    put_ms_or_null(b, ",\"started_at\":", on, t->started_at);
    put_ms_or_null(b, ",\"ends_at\":", on, t->ends_at);
    put_ms_or_null(b, ",\"paused_at\":", on && t->paused, t->paused_at);
    sbuf_puts(b, ",\"extended_ms\":");
    sbuf_put_i64(b, on ? t->extended_ms : 0);
    if (!on && t->done) sbuf_puts(b, ",\"done\":true");
    sbuf_puts(b, ",\"ran\":[");
    for (size_t i = 0; i < t->nran; i++) {
        if (i) sbuf_putc(b, ',');
        sbuf_put_jstrz(b, t->ran[i]);
    }
    sbuf_puts(b, "]}");
}

/* "now":NOW,"phases":[…],"timer":{…} */
static void write_fields(sbuf *b, const agenda *a, int64_t now) {
    sbuf_puts(b, "\"now\":");
    sbuf_put_i64(b, now);
    sbuf_puts(b, ",\"phases\":");
    agenda_write_phases(b, a);
    sbuf_puts(b, ",\"timer\":");
    agenda_write_timer(b, &a->timer);
}

void agenda_write_state(sbuf *b, const agenda *a, int64_t now) {
    sbuf_putc(b, '{');
    write_fields(b, a, now);
    sbuf_putc(b, '}');
}

void agenda_write_message(sbuf *b, const agenda *a, int64_t now, const char *idjson) {
    sbuf_puts(b, "{\"type\":\"agenda\",");
    write_fields(b, a, now);
    proto_write_id(b, idjson);
    sbuf_putc(b, '}');
}
