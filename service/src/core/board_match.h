/* board_match.h -- what is common and what is unique on the priorities
 * board (protocol/board.md, "Common and unique"): the server's suggestions
 * of items that say the same thing, and the classification of groups.
 *
 * Two titles match when, once tidied (lower case, accents and punctuation
 * dropped, French elisions "l'", "d'" split off, French and English stop
 * words left out, a final plural "s" or "x" dropped, "-aux" read as "-al", "-ie" and "-y"
 * as "-i"),
 * their significant words are the same set, or their Jaccard index is at
 * least 0.6 (|A ∩ B| / |A ∪ B| ≥ 3/5), or the words of one are all in the
 * other, which has one word more at most ("housing" ~ "Housing first").
 * Pure. */
#ifndef ATELIER_BOARD_MATCH_H
#define ATELIER_BOARD_MATCH_H

#include <stdbool.h>
#include <stddef.h>

#include "core/board.h"
#include "core/sbuf.h"

#define BOARD_WORDS_MAX 32           /* significant words of a title looked at */
#define BOARD_WORD_BYTES 48          /* bytes of one tidied word kept */

/* A title's significant words (stems), each once. */
typedef struct board_words {
    char w[BOARD_WORDS_MAX][BOARD_WORD_BYTES];
    size_t n;
} board_words;

void board_title_words(const char *title, board_words *out);
bool board_words_match(const board_words *a, const board_words *b);
bool board_titles_match(const char *a, const char *b);

/* [[ID,…],…]: sets of items that v sees, of two organisations or more, not
 * all in one group already, whose titles match (by pairs, joined when they
 * share an item). Each set lists a grouped item first when it has one, so
 * that board_group of the set keeps that group. */
void board_write_suggestions(sbuf *sb, const board *b, const board_viewer *v);

typedef enum { BOARD_COMMON = 0, BOARD_SHARED, BOARD_UNIQUE } board_class;

/* One line of the three columns: a group (as v sees it) or an item in none. */
typedef struct board_cluster {
    size_t first;                    /* index of its first item in b->items */
    size_t nitems;                   /* items in it that v sees */
    size_t norgs;                    /* organisations among them */
    board_class cls;                 /* common to all the organisations on the board (two or more),
                                      * shared by some (two or more), unique to one */
} board_cluster;

/* The organisations v sees on the board. */
size_t board_org_count(const board *b, const board_viewer *v);
/* The clusters v sees, in order of their first item, into out (room for
 * BOARD_ITEMS_MAX); their count. An item belongs to cluster c when
 * board_in_cluster(b, &out[c], i). */
size_t board_clusters(const board *b, const board_viewer *v, board_cluster *out);
bool board_in_cluster(const board *b, const board_cluster *c, size_t i);
/* {"common":[{"organisations":[…],"items":[ID,…]},…],"shared":[…],"unique":[…]}: the columns v sees. */
void board_write_columns(sbuf *sb, const board *b, const board_viewer *v);

#endif
