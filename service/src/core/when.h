/* when.h -- times as people read them: in the workshop's time zone, with the
 * zone named (protocol/history.md, "Times").
 *
 * Pure: no clock and no time zone database. Which offset from UTC a zone has
 * at an instant is the shell's to say (the hub asks the C library with the
 * zone's tz file, hub_tz.c); here a zone is its name and that function. */
#ifndef ATELIER_WHEN_H
#define ATELIER_WHEN_H

#include <stdbool.h>
#include <stdint.h>

#include "core/sbuf.h"

#define WHEN_ZONE_MAX 64        /* bytes in a time zone's name */
#define WHEN_UTC "UTC"          /* the zone of a workshop that chose none */

/* Seconds east of UTC in the zone at the instant ms (since the epoch). */
typedef int32_t (*when_offset_fn)(void *ctx, int64_t ms);

typedef struct when_zone {
    const char *name;           /* an IANA name, e.g. "Europe/Paris" */
    when_offset_fn offset;      /* NULL: UTC itself */
    void *ctx;                  /* handed to offset */
} when_zone;

/* A moment on the zone's wall clock. */
typedef struct when_local {
    int year, month, day;       /* month 1..12, day 1..31 */
    int hour, minute;
} when_local;

/* An IANA zone name as the API takes it: 1..WHEN_ZONE_MAX bytes of letters,
 * digits, "_", "+", "-" and "/", not starting with "/" nor "-", no empty part
 * ("a//b", "a/"). It names a file under the tz database: no "." keeps it
 * inside. Whether the zone exists is the shell's to check. */
bool when_valid_zone_name(const char *s);

/* The wall clock in zone z at ms. */
when_local when_at(const when_zone *z, int64_t ms);

/* "06/12/2026 14:05" (French) or "2026-12-06 14:05" (English). */
void when_write(sbuf *b, const when_zone *z, int64_t ms, bool french);
/* The same followed by the zone's name: "06/12/2026 14:05 (Europe/Paris)". */
void when_write_named(sbuf *b, const when_zone *z, int64_t ms, bool french);

#endif
