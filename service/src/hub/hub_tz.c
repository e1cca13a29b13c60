/* Time zones at the edge: whether a zone exists in the system's tz database,
 * and its offset from UTC at an instant, asked of the C library. The core
 * (core/when.h) only formats: it gets a zone as a name and an offset
 * function, and never reads a file or a clock.
 *
 * The C library knows one zone at a time, the process's TZ: an export sets
 * it to the workshop's zone around the writing (hub_tz_enter / hub_tz_leave),
 * within one turn of the loop, and puts the process's own back. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "hub/hub_internal.h"

#define TZ_DIR "/usr/share/zoneinfo/"
#define TZIF_MAGIC "TZif" /* the first bytes of every compiled zone file (RFC 8536) */

bool hub_tz_exists(const char *name) {
    if (!when_valid_zone_name(name)) return false; /* the syntax keeps the path inside TZ_DIR */
    if (strcmp(name, WHEN_UTC) == 0) return true;  /* the default works without a tz database */
    char path[sizeof TZ_DIR + WHEN_ZONE_MAX];
    snprintf(path, sizeof path, "%s%s", TZ_DIR, name);
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK); /* links inside the database are fine */
    if (fd < 0) return false;
    struct stat st;
    char magic[4];
    bool ok = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && read(fd, magic, sizeof magic) == (ssize_t)sizeof magic &&
              memcmp(magic, TZIF_MAGIC, sizeof magic) == 0;
    close(fd);
    return ok;
}

void hub_tz_enter(hub_tz *t, const char *zone) {
    const char *was = getenv("TZ");
    t->saved = was ? strdup(was) : NULL; /* NULL: none (or no memory: then none is put back) */
    char value[WHEN_ZONE_MAX + 2];
    snprintf(value, sizeof value, ":%s", zone && zone[0] ? zone : WHEN_UTC); /* ":": a file of the database */
    setenv("TZ", value, 1);
    tzset();
    t->zone = (when_zone){zone && zone[0] ? zone : WHEN_UTC, hub_tz_offset, NULL};
}

void hub_tz_leave(hub_tz *t) {
    if (t->saved) setenv("TZ", t->saved, 1);
    else unsetenv("TZ");
    tzset();
    free(t->saved);
    t->saved = NULL;
}

int32_t hub_tz_offset(void *ctx, int64_t ms) {
    (void)ctx;
    time_t secs = (time_t)(ms / 1000);
    struct tm tm;
    return localtime_r(&secs, &tm) ? (int32_t)tm.tm_gmtoff : 0;
}
