/* person.h -- a participant's record as stored in the workshop's people hash
 * (protocol/README.md, "Storage"): {"name", "organisation", "role", "secret"
 * [, "asks"][, "okey"][, "slot"]}, read back and checked. A record that does not read
 * is damage: the hub refuses to load the workshop rather than guess. Pure. */
#ifndef ATELIER_PERSON_H
#define ATELIER_PERSON_H

#include <stdbool.h>

#include "core/workshop.h"

typedef struct person_record {
    char *name;                       /* a label (utf8_valid_label); owned */
    char *org;                        /* a label, or "" for an observer; owned */
    wk_role role;                     /* an unknown role (a later version's) reads as a participant */
    char secret[WK_SECRET_LEN + 1];   /* the resume secret, base64url */
    bool asks;                        /* asks to represent their organisation */
    char okey[PROTO_KEY_MAX + 1];     /* an observer: the link's key they came with ("" for others) */
    int slot;                         /* the organisation's colour slot atelier_person added; -1 in an older record */
} person_record;

/* Reads a stored record (NUL-terminated JSON text). True with *out filled
 * (free it with person_record_free); false, *out empty, when it is not one. */
bool person_read(const char *json, person_record *out);
void person_record_free(person_record *p);

#endif
