/* test_agenda.c -- the agenda and its timer (core/agenda.h): the method's
 * phases, what agenda_set accepts, the timer across start, pause, resume,
 * extend and next (a property test over random sequences: the time left is
 * always the planned time plus the extensions minus the time it ran), and
 * the JSON in and out. */
#include <check.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "core/agenda.h"
#include "test_prng.h"

#define MIN AGENDA_MINUTE_MS
#define T0 1795836000000LL

/* Apply a request given as JSON text (its "type" names it). */
static proto_err request(agenda *a, const char *json, int64_t now, agenda_change *c, const char **why) {
    proto_msg msg;
    const char *dwhy;
    ck_assert_int_eq(proto_decode(json, strlen(json), &msg, &dwhy), PROTO_OK);
    ck_assert(proto_is_agenda(msg.type));
    proto_err e = agenda_apply(a, msg.type, msg.u.obj, now, c, why);
    proto_msg_free(&msg);
    return e;
}

static proto_err req(agenda *a, const char *json, int64_t now) {
    agenda_change c;
    const char *why;
    return request(a, json, now, &c, &why);
}

static char *written(void (*write)(sbuf *, const agenda *), const agenda *a) {
    sbuf b;
    sbuf_init(&b, 0);
    write(&b, a);
    char *s = strdup(sbuf_data(&b));
    sbuf_free(&b);
    return s;
}

/* a stored as the Function keeps it (phases, timer), its timer written as
 * timer_json, then read back (a restart, another process): the same agenda.
 * Returns the phases' JSON (malloc'd) for what the test reads next. */
static char *stored_and_read_back(const agenda *a, const char *timer_json) {
    char *phases = written(agenda_write_phases, a);
    sbuf t;
    sbuf_init(&t, 0);
    agenda_write_timer(&t, &a->timer);
    ck_assert_str_eq(sbuf_data(&t), timer_json);
    agenda b;
    ck_assert(agenda_read_stored(&b, phases, sbuf_data(&t)));
    ck_assert(memcmp(a, &b, sizeof b) == 0);
    sbuf_free(&t);
    return phases;
}

START_TEST(test_default_phases) {
    agenda a;
    agenda_default(&a);
    ck_assert_uint_eq(a.nphases, 6);
    ck_assert_str_eq(a.phases[0].id, "what");
    ck_assert_str_eq(a.phases[0].title, "Quoi\u202f?");
    ck_assert_int_eq(a.phases[2].minutes, 25);
    ck_assert_str_eq(agenda_preset_name(a.phases[5].preset), "validation");
    ck_assert_str_eq(agenda_phase_title(&a.phases[5], false), "Sign-off");
    ck_assert_str_eq(agenda_phase_title(&a.phases[3], true), "Les priorités de chaque organisation");
    ck_assert(!a.timer.phase[0]);
    /* A preset's title typed with a plain space is still the preset's; a new one is the facilitator's. */
    snprintf(a.phases[0].title, sizeof a.phases[0].title, "Quoi ?");
    ck_assert_str_eq(agenda_phase_title(&a.phases[0], false), "What?");
    snprintf(a.phases[0].title, sizeof a.phases[0].title, "Nos ambitions");
    ck_assert_str_eq(agenda_phase_title(&a.phases[0], false), "Nos ambitions");
}
END_TEST

START_TEST(test_agenda_set_checks) {
    agenda a;
    agenda_default(&a);
    agenda_change c;
    const char *why;
    ck_assert_int_eq(request(&a, "{\"type\":\"agenda_set\",\"phases\":[{\"id\":\"a\",\"title\":\"  Un  \",\"minutes\":5},"
                                 "{\"id\":\"b_2\",\"title\":\"Deux\",\"minutes\":600,\"preset\":\"how\"}]}",
                             T0, &c, &why),
                     PROTO_OK);
    ck_assert_str_eq(c.event, "agenda_changed");
    ck_assert_uint_eq(a.nphases, 2);
    ck_assert_str_eq(a.phases[0].title, "  Un  "); /* as typed: French titles keep their narrow spaces */
    ck_assert_int_eq(a.phases[1].preset, AGENDA_PRESET_HOW);
    static const char *const bad[] = {
        "{\"type\":\"agenda_set\"}",
        "{\"type\":\"agenda_set\",\"phases\":[]}",
        "{\"type\":\"agenda_set\",\"phases\":{}}",
        "{\"type\":\"agenda_set\",\"phases\":[{\"id\":\"a\",\"title\":\"x\",\"minutes\":0}]}",
        "{\"type\":\"agenda_set\",\"phases\":[{\"id\":\"a\",\"title\":\"x\",\"minutes\":601}]}",
        "{\"type\":\"agenda_set\",\"phases\":[{\"id\":\"a\",\"title\":\"x\",\"minutes\":1.5}]}",
        "{\"type\":\"agenda_set\",\"phases\":[{\"id\":\"a\",\"title\":\"x\",\"minutes\":\"5\"}]}",
        "{\"type\":\"agenda_set\",\"phases\":[{\"id\":\"a\",\"title\":\"\",\"minutes\":5}]}",
        "{\"type\":\"agenda_set\",\"phases\":[{\"id\":\"a\",\"title\":\"   \",\"minutes\":5}]}",
        "{\"type\":\"agenda_set\",\"phases\":[{\"id\":\"a\",\"title\":\"a\\nb\",\"minutes\":5}]}",
        "{\"type\":\"agenda_set\",\"phases\":[{\"id\":\"\",\"title\":\"x\",\"minutes\":5}]}",
        "{\"type\":\"agenda_set\",\"phases\":[{\"id\":\"a.b\",\"title\":\"x\",\"minutes\":5}]}",
        "{\"type\":\"agenda_set\",\"phases\":[{\"id\":\"abcdefghijklmnopq\",\"title\":\"x\",\"minutes\":5}]}",
        "{\"type\":\"agenda_set\",\"phases\":[{\"id\":\"a\",\"title\":\"x\",\"minutes\":5},{\"id\":\"a\",\"title\":\"y\",\"minutes\":5}]}",
        "{\"type\":\"agenda_set\",\"phases\":[{\"id\":\"a\",\"title\":\"x\",\"minutes\":5,\"preset\":\"lunch\"}]}",
        "{\"type\":\"agenda_set\",\"phases\":[\"a\"]}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        agenda before = a;
        ck_assert_msg(request(&a, bad[i], T0, &c, &why) == PROTO_EBAD_REQUEST, "accepted %s", bad[i]);
        ck_assert_msg(memcmp(&before, &a, sizeof a) == 0, "changed by %s", bad[i]);
    }
    /* 120 code points are fine, 121 are not; 20 phases are fine, 21 are not. */
    char json[8192];
    char title[4 * 121 + 1] = "";
    for (int i = 0; i < 120; i++) strcat(title, "é");
    snprintf(json, sizeof json, "{\"type\":\"agenda_set\",\"phases\":[{\"id\":\"a\",\"title\":\"%s\",\"minutes\":5}]}", title);
    ck_assert_int_eq(req(&a, json, T0), PROTO_OK);
    strcat(title, "é");
    snprintf(json, sizeof json, "{\"type\":\"agenda_set\",\"phases\":[{\"id\":\"a\",\"title\":\"%s\",\"minutes\":5}]}", title);
    ck_assert_int_eq(req(&a, json, T0), PROTO_EBAD_REQUEST);
    for (int n = 20; n <= 21; n++) {
        size_t len = (size_t)snprintf(json, sizeof json, "{\"type\":\"agenda_set\",\"phases\":[");
        for (int i = 0; i < n; i++)
            len += (size_t)snprintf(json + len, sizeof json - len, "%s{\"id\":\"p%d\",\"title\":\"P\",\"minutes\":1}",
                                    i ? "," : "", i);
        snprintf(json + len, sizeof json - len, "]}");
        ck_assert_int_eq(req(&a, json, T0), n == 20 ? PROTO_OK : PROTO_EBAD_REQUEST);
    }
}
END_TEST

START_TEST(test_phase_under_way_stays) {
    agenda a;
    agenda_default(&a);
    ck_assert_int_eq(req(&a, "{\"type\":\"phase_start\",\"phase\":\"how\"}", T0), PROTO_OK);
    ck_assert_int_eq(req(&a, "{\"type\":\"agenda_set\",\"phases\":[{\"id\":\"what\",\"title\":\"x\",\"minutes\":5}]}", T0),
                     PROTO_EBAD_REQUEST);
    ck_assert_int_eq(req(&a, "{\"type\":\"agenda_set\",\"phases\":[{\"id\":\"how\",\"title\":\"x\",\"minutes\":5}]}", T0),
                     PROTO_OK);
    /* Its planned minutes changed; the timer under way did not. */
    ck_assert_int_eq(agenda_time_left(&a.timer, T0), 25 * MIN);
}
END_TEST

START_TEST(test_timer_sequence) {
    agenda a;
    agenda_default(&a);
    agenda_change c;
    const char *why;
    ck_assert_int_eq(request(&a, "{\"type\":\"phase_pause\"}", T0, &c, &why), PROTO_EBAD_REQUEST);
    ck_assert_int_eq(request(&a, "{\"type\":\"phase_extend\",\"minutes\":5}", T0, &c, &why), PROTO_EBAD_REQUEST);
    ck_assert_int_eq(request(&a, "{\"type\":\"phase_start\",\"phase\":\"nope\"}", T0, &c, &why), PROTO_ENOT_FOUND);
    ck_assert_int_eq(request(&a, "{\"type\":\"phase_start\"}", T0, &c, &why), PROTO_EBAD_REQUEST);
    ck_assert_int_eq(request(&a, "{\"type\":\"phase_start\",\"phase\":\"why\"}", T0, &c, &why), PROTO_OK);
    ck_assert_str_eq(c.event, "phase_started");
    ck_assert_str_eq(c.phase, "why");
    ck_assert_int_eq(c.minutes, 20);
    ck_assert_int_eq(a.timer.ends_at, T0 + 20 * MIN);
    ck_assert_int_eq(agenda_time_left(&a.timer, T0 + 5 * MIN), 15 * MIN);
    ck_assert_int_eq(request(&a, "{\"type\":\"phase_resume\"}", T0, &c, &why), PROTO_EBAD_REQUEST);
    ck_assert_int_eq(request(&a, "{\"type\":\"phase_pause\"}", T0 + 5 * MIN, &c, &why), PROTO_OK);
    ck_assert_str_eq(c.event, "phase_paused");
    ck_assert_int_eq(request(&a, "{\"type\":\"phase_pause\"}", T0 + 6 * MIN, &c, &why), PROTO_EBAD_REQUEST);
    ck_assert_int_eq(agenda_time_left(&a.timer, T0 + 50 * MIN), 15 * MIN); /* frozen */
    ck_assert_int_eq(request(&a, "{\"type\":\"phase_extend\",\"minutes\":5}", T0 + 7 * MIN, &c, &why), PROTO_OK);
    ck_assert_int_eq(agenda_time_left(&a.timer, T0 + 8 * MIN), 20 * MIN); /* extended while paused */
    ck_assert_int_eq(request(&a, "{\"type\":\"phase_extend\",\"minutes\":61}", T0, &c, &why), PROTO_EBAD_REQUEST);
    ck_assert_int_eq(request(&a, "{\"type\":\"phase_extend\",\"minutes\":0}", T0, &c, &why), PROTO_EBAD_REQUEST);
    ck_assert_int_eq(request(&a, "{\"type\":\"phase_resume\"}", T0 + 10 * MIN, &c, &why), PROTO_OK);
    ck_assert_int_eq(a.timer.ends_at, T0 + 10 * MIN + 20 * MIN);
    ck_assert_int_eq(a.timer.extended_ms, 5 * MIN);
    /* An overrun is negative time left, never stopped. */
    ck_assert_int_eq(agenda_time_left(&a.timer, T0 + 32 * MIN), -2 * MIN);
    ck_assert_int_eq(request(&a, "{\"type\":\"phase_next\"}", T0 + 32 * MIN, &c, &why), PROTO_OK);
    ck_assert_str_eq(c.phase, "how");
    ck_assert_int_eq(a.timer.extended_ms, 0);
    ck_assert_int_eq(req(&a, "{\"type\":\"phase_start\",\"phase\":\"validation\"}", T0), PROTO_OK);
    ck_assert_int_eq(request(&a, "{\"type\":\"phase_next\"}", T0 + 40 * MIN, &c, &why), PROTO_OK);
    ck_assert_str_eq(c.event, "agenda_done");
    ck_assert(!a.timer.phase[0]);
    ck_assert(a.timer.done); /* done, not "not started yet" */
    ck_assert_int_eq(agenda_time_left(&a.timer, T0), 0);
    ck_assert_int_eq(request(&a, "{\"type\":\"phase_next\"}", T0 + 41 * MIN, &c, &why), PROTO_OK);
    ck_assert_str_eq(c.phase, "what"); /* none under way: the first */
    ck_assert(!a.timer.done); /* running again */
}
END_TEST

/* Random sequences of start, pause, resume, extend and next at increasing
 * times: the time left is always what was planned plus the extensions minus
 * the time the phase ran (paused time not counted), checked by a model kept
 * apart from agenda.c's arithmetic. */
START_TEST(test_timer_property) {
    prng r = {.s = 0x5eedu + (uint64_t)_i};
    for (int round = 0; round < 200; round++) {
        agenda a;
        agenda_default(&a);
        int64_t now = T0 + (int64_t)below(&r, 1000000), planned = 0, extended = 0, ran = 0, last = now;
        bool on = false, paused = false;
        for (int step = 0; step < 60; step++) {
            int64_t dt = (int64_t)below(&r, 4) == 0 ? 0 : (int64_t)below(&r, 30 * MIN);
            now += dt;
            if (on && !paused) ran += now - last;
            last = now;
            agenda_change c;
            const char *why;
            proto_err e;
            switch (below(&r, 5)) {
            case 0: {
                int i = (int)below(&r, a.nphases);
                e = agenda_start(&a, a.phases[i].id, now, &c, &why);
                ck_assert_int_eq(e, PROTO_OK);
                on = true, paused = false, planned = a.phases[i].minutes * MIN, extended = 0, ran = 0;
                break;
            }
            case 1:
                e = agenda_pause(&a, now, &c, &why);
                ck_assert_int_eq(e, on && !paused ? PROTO_OK : PROTO_EBAD_REQUEST);
                if (e == PROTO_OK) paused = true;
                break;
            case 2:
                e = agenda_resume(&a, now, &c, &why);
                ck_assert_int_eq(e, on && paused ? PROTO_OK : PROTO_EBAD_REQUEST);
                if (e == PROTO_OK) paused = false;
                break;
            case 3: {
                int m = 1 + (int)below(&r, AGENDA_EXTEND_MAX);
                e = agenda_extend(&a, m, &c, &why);
                ck_assert_int_eq(e, on ? PROTO_OK : PROTO_EBAD_REQUEST);
                if (e == PROTO_OK) extended += m * MIN;
                break;
            }
            default: {
                int cur = agenda_find(&a, a.timer.phase);
                e = agenda_next(&a, now, &c, &why);
                ck_assert_int_eq(e, PROTO_OK);
                on = cur + 1 < (int)a.nphases, paused = false, extended = 0, ran = 0;
                planned = on ? a.phases[cur + 1].minutes * MIN : 0;
                break;
            }
            }
            ck_assert_int_eq(a.timer.phase[0] != '\0', on);
            ck_assert_int_eq(a.timer.paused, paused);
            ck_assert_int_eq(a.timer.extended_ms, extended);
            int64_t later = now + (int64_t)below(&r, 90 * MIN);
            int64_t expect = on ? planned + extended - ran - (paused ? 0 : later - now) : 0;
            ck_assert_int_eq(agenda_time_left(&a.timer, later), expect);
        }
    }
}
END_TEST

START_TEST(test_json_round_trip) {
    agenda a, b;
    agenda_default(&a);
    ck_assert_int_eq(req(&a, "{\"type\":\"phase_start\",\"phase\":\"priorities\"}", T0), PROTO_OK);
    ck_assert_int_eq(req(&a, "{\"type\":\"phase_pause\"}", T0 + MIN), PROTO_OK);
    ck_assert_int_eq(req(&a, "{\"type\":\"phase_extend\",\"minutes\":3}", T0 + MIN), PROTO_OK);
    char *phases = stored_and_read_back(&a, "{\"phase\":\"priorities\",\"started_at\":1795836000000,\"ends_at\":1795837380000,"
                                            "\"paused_at\":1795836060000,\"extended_ms\":180000,\"ran\":[\"priorities\"]}");
    /* The message carries the server's time. */
    sbuf t;
    sbuf_init(&t, 0);
    agenda_write_message(&t, &a, T0 + 2 * MIN, "7");
    cJSON *o = cJSON_Parse(sbuf_data(&t));
    ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(o, "type")), "agenda");
    ck_assert_double_eq(cJSON_GetObjectItem(o, "now")->valuedouble, (double)(T0 + 2 * MIN));
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(o, "phases")), 6);
    ck_assert_int_eq(cJSON_GetObjectItem(o, "id")->valueint, 7);
    cJSON_Delete(o);
    /* None under way: nulls. */
    agenda_default(&b);
    sbuf_reset(&t);
    agenda_write_timer(&t, &b.timer);
    ck_assert_str_eq(sbuf_data(&t),
                     "{\"phase\":null,\"started_at\":null,\"ends_at\":null,\"paused_at\":null,\"extended_ms\":0,\"ran\":[]}");
    /* Done: said, and read back as stored (a restart, another process). */
    b.timer.done = true;
    sbuf_reset(&t);
    agenda_write_timer(&t, &b.timer);
    ck_assert_str_eq(sbuf_data(&t),
                     "{\"phase\":null,\"started_at\":null,\"ends_at\":null,\"paused_at\":null,\"extended_ms\":0,\"done\":true,\"ran\":[]}");
    agenda back;
    agenda_read_stored(&back, NULL, sbuf_data(&t));
    ck_assert(back.timer.done && !back.timer.phase[0]);
    agenda_read_stored(&back, NULL, "{\"phase\":null,\"started_at\":null,\"ends_at\":null,\"paused_at\":null,\"extended_ms\":0}");
    ck_assert(!back.timer.done);
    sbuf_free(&t);
    free(phases);
}
END_TEST

START_TEST(test_stored_leniently) {
    agenda a, d;
    agenda_default(&d);
    ck_assert(agenda_read_stored(&a, NULL, NULL)); /* a workshop made before agendas */
    ck_assert(memcmp(&a, &d, sizeof a) == 0);
    ck_assert(!agenda_read_stored(&a, "{not json", "[1]")); /* damage: told, and the default meanwhile */
    ck_assert(memcmp(&a, &d, sizeof a) == 0);
    ck_assert(!agenda_read_stored(&a, "[{\"id\":\"x\",\"title\":\" \",\"minutes\":3}]", ""));
    ck_assert(!agenda_read_stored(&a, "", "{\"phase\":\"what\",\"ends_at\":\"5\"}"));
    ck_assert(!agenda_read_stored(&a, "", "{\"phase\":7}"));
    /* A timer naming a phase the agenda does not have is none. */
    ck_assert(agenda_read_stored(&a, "[{\"id\":\"x\",\"title\":\"X\",\"minutes\":3}]", "{\"phase\":\"what\",\"ends_at\":5}"));
    ck_assert_uint_eq(a.nphases, 1);
    ck_assert(!a.timer.phase[0]);
}
END_TEST

/* Jumping ahead leaves the phases between not run: skipped, never shown as done. */
START_TEST(test_skipped_phases) {
    agenda a;
    agenda_default(&a); /* what why how priorities success validation */
    for (size_t i = 0; i < a.nphases; i++) ck_assert_int_eq(agenda_step_of(&a, i), AGENDA_STEP_NEXT);
    ck_assert_int_eq(req(&a, "{\"type\":\"phase_next\"}", T0), PROTO_OK);
    ck_assert_int_eq(req(&a, "{\"type\":\"phase_next\"}", T0 + MIN), PROTO_OK); /* why */
    ck_assert_int_eq(req(&a, "{\"type\":\"phase_start\",\"phase\":\"validation\"}", T0 + 2 * MIN), PROTO_OK);
    const agenda_step want[] = {AGENDA_STEP_RAN, AGENDA_STEP_RAN, AGENDA_STEP_SKIPPED, AGENDA_STEP_SKIPPED,
                                AGENDA_STEP_SKIPPED, AGENDA_STEP_CURRENT};
    for (size_t i = 0; i < a.nphases; i++) ck_assert_str_eq(agenda_step_name(agenda_step_of(&a, i)), agenda_step_name(want[i]));
    /* Back to one skipped: it ran; the others stay skipped (validation was started after them). */
    ck_assert_int_eq(req(&a, "{\"type\":\"phase_start\",\"phase\":\"how\"}", T0 + 3 * MIN), PROTO_OK);
    ck_assert_int_eq(agenda_step_of(&a, 2), AGENDA_STEP_CURRENT);
    ck_assert_int_eq(agenda_step_of(&a, 3), AGENDA_STEP_SKIPPED);
    ck_assert_int_eq(agenda_step_of(&a, 5), AGENDA_STEP_RAN);
    /* Pause, extend, next keep the record; the end keeps it too. */
    ck_assert_int_eq(req(&a, "{\"type\":\"phase_pause\"}", T0 + 4 * MIN), PROTO_OK);
    ck_assert_int_eq(req(&a, "{\"type\":\"phase_start\",\"phase\":\"validation\"}", T0 + 5 * MIN), PROTO_OK);
    ck_assert_int_eq(req(&a, "{\"type\":\"phase_next\"}", T0 + 6 * MIN), PROTO_OK); /* done */
    ck_assert(a.timer.done);
    ck_assert_uint_eq(a.timer.nran, 4);
    ck_assert_int_eq(agenda_step_of(&a, 3), AGENDA_STEP_SKIPPED);
    ck_assert_int_eq(agenda_step_of(&a, 4), AGENDA_STEP_SKIPPED);
    ck_assert_int_eq(agenda_step_of(&a, 2), AGENDA_STEP_RAN);
    /* Stored and read back (another process, a restart): the same record. */
    char *phases = stored_and_read_back(&a, "{\"phase\":null,\"started_at\":null,\"ends_at\":null,\"paused_at\":null,"
                                            "\"extended_ms\":0,\"done\":true,\"ran\":[\"what\",\"why\",\"validation\",\"how\"]}");
    agenda b;
    /* A phase removed from the agenda leaves the record; a new one with its id has not run. */
    ck_assert_int_eq(req(&a, "{\"type\":\"agenda_set\",\"phases\":[{\"id\":\"why\",\"title\":\"W\",\"minutes\":5},"
                             "{\"id\":\"how\",\"title\":\"H\",\"minutes\":5}]}", T0 + 7 * MIN), PROTO_OK);
    ck_assert_uint_eq(a.timer.nran, 2);
    ck_assert_int_eq(req(&a, "{\"type\":\"agenda_set\",\"phases\":[{\"id\":\"why\",\"title\":\"W\",\"minutes\":5},"
                             "{\"id\":\"what\",\"title\":\"New\",\"minutes\":5}]}", T0 + 8 * MIN), PROTO_OK);
    ck_assert(!agenda_ran(&a, "what"));
    /* Damaged records are refused; unknown ids are left out. */
    ck_assert(!agenda_read_stored(&b, phases, "{\"phase\":null,\"ran\":\"what\"}"));
    ck_assert(!agenda_read_stored(&b, phases, "{\"phase\":null,\"ran\":[7]}"));
    ck_assert(agenda_read_stored(&b, phases, "{\"phase\":\"how\",\"started_at\":1,\"ends_at\":2,\"ran\":[\"gone\",\"how\"]}"));
    ck_assert_uint_eq(b.timer.nran, 1);
    ck_assert_int_eq(agenda_step_of(&b, 0), AGENDA_STEP_SKIPPED);
    free(phases);
}
END_TEST

/* A timer stored before "ran" reads as clients showed it then: every phase up
 * to the one under way ran (all of them once done). */
START_TEST(test_stored_without_ran) {
    agenda a;
    ck_assert(agenda_read_stored(&a, NULL, "{\"phase\":\"how\",\"started_at\":1,\"ends_at\":2,\"paused_at\":null,\"extended_ms\":0}"));
    ck_assert_uint_eq(a.timer.nran, 3);
    ck_assert_int_eq(agenda_step_of(&a, 1), AGENDA_STEP_RAN);
    ck_assert_int_eq(agenda_step_of(&a, 2), AGENDA_STEP_CURRENT);
    ck_assert_int_eq(agenda_step_of(&a, 3), AGENDA_STEP_NEXT);
    ck_assert(agenda_read_stored(&a, NULL, "{\"phase\":null,\"extended_ms\":0,\"done\":true}"));
    ck_assert_uint_eq(a.timer.nran, 6);
    ck_assert(agenda_read_stored(&a, NULL, "{\"phase\":null,\"extended_ms\":0}"));
    ck_assert_uint_eq(a.timer.nran, 0);
}
END_TEST

static Suite *agenda_suite(void) {
    Suite *s = suite_create("agenda");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_default_phases);
    tcase_add_test(tc, test_agenda_set_checks);
    tcase_add_test(tc, test_phase_under_way_stays);
    tcase_add_test(tc, test_timer_sequence);
    tcase_add_loop_test(tc, test_timer_property, 0, 5);
    tcase_add_test(tc, test_json_round_trip);
    tcase_add_test(tc, test_stored_leniently);
    tcase_add_test(tc, test_skipped_phases);
    tcase_add_test(tc, test_stored_without_ran);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(agenda_suite)
