#include "core/board_match.h"

#include <string.h>

/* Words that say nothing of what matters (French and English), tidied as
 * the titles are (no accents, lower case). */
static const char *const STOP[] = {
    "a", "au", "aux", "avec", "ce", "ces", "cette", "d", "dans", "de", "des", "du", "en", "et", "l", "la", "le",
    "les", "leur", "leurs", "ma", "mes", "mon", "n", "ne", "nos", "notre", "nous", "on", "ou", "par", "pas", "pour",
    "qu", "que", "qui", "s", "sa", "se", "ses", "son", "sur", "un", "une", "vos", "votre", "vous", "y",
    "an", "and", "are", "as", "at", "be", "by", "for", "from", "in", "into", "is", "it", "its", "of", "on", "or",
    "our", "the", "their", "to", "we", "with", "your",
};

static bool stop_word(const char *w) {
    for (size_t i = 0; i < sizeof STOP / sizeof *STOP; i++)
        if (strcmp(w, STOP[i]) == 0) return true;
    return false;
}

/* The Latin-1 letters U+00C0..U+00FF without their accents, lower case
 * ('\0': not a letter: × ÷). Indexed by code point - 0xC0. */
static const char LATIN1[64] = "aaaaaaaceeeeiiii" "dnooooo\0ouuuuyts" "aaaaaaaceeeeiiii" "dnooooo\0ouuuuyty";

/* The next character of s as lower-case ASCII into out (up to 2 bytes: "oe",
 * "ae"): a letter or a digit; ' ' for anything that separates words
 * (punctuation, spaces, apostrophes); other characters (other scripts) are
 * kept as their bytes. Returns the bytes of s read. */
static size_t fold_char(const unsigned char *s, char out[5], size_t *nout) {
    unsigned c = s[0];
    *nout = 1;
    if (c < 0x80) {
        out[0] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) ? (char)c : ' ';
        return 1;
    }
    size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
    for (size_t i = 1; i < len; i++)
        if (!s[i]) return out[0] = ' ', i; /* cut short: a separator */
    unsigned cp = len == 2 ? ((c & 0x1F) << 6) | (s[1] & 0x3F) : 0;
    if (len == 3) cp = ((c & 0x0F) << 12) | ((s[1] & 0x3Fu) << 6) | (s[2] & 0x3F);
    if (cp >= 0xC0 && cp <= 0xFF) {
        out[0] = LATIN1[cp - 0xC0] ? LATIN1[cp - 0xC0] : ' ';
        if (cp == 0xC6 || cp == 0xE6) out[0] = 'a', out[1] = 'e', *nout = 2;
        if (cp == 0xDF) out[0] = 's', out[1] = 's', *nout = 2;
        return len;
    }
    if (cp == 0x152 || cp == 0x153) return out[0] = 'o', out[1] = 'e', *nout = 2, len;
    if (cp >= 0x100 && cp <= 0x17F) { /* Latin Extended-A: the base letters, in pairs mostly */
        static const char EXT_A[] = "aaaaaaccccccccddddeeeeeeeeeegggggggghhhhiiiiiiiiiiiijjkkkllllllllllnnnnnnnnnoooooooo"
                                    "rrrrrrssssssssttttttuuuuuuuuuuuuwwyyyzzzzzzs";
        size_t k = cp - 0x100;
        out[0] = k < sizeof EXT_A - 1 ? EXT_A[k] : ' ';
        return len;
    }
    /* General punctuation (U+2000..U+206F: dashes, quotes, spaces), the
     * Latin-1 punctuation (« » ¿ ¡ and the no-break space) separate words. */
    if ((cp >= 0x80 && cp < 0xC0) || (len == 3 && cp >= 0x2000 && cp <= 0x206F)) return out[0] = ' ', len;
    memcpy(out, s, len);
    *nout = len;
    return len;
}

/* A tidied word's stem, on words of four letters or more: a final plural "s"
 * or "x" dropped, "-aux" read as "-al" (sociaux, social), then "-ie" and "-y"
 * read as "-i". */
static void stem(char *w) {
    size_t n = strlen(w);
    if (n >= 5 && strcmp(w + n - 3, "aux") == 0) {
        w[n - 2] = 'l', w[n - 1] = '\0';
        return;
    }
    if (n >= 4 && (w[n - 1] == 's' || w[n - 1] == 'x') && w[n - 2] != 's') w[--n] = '\0';
    /* "-ie" and "-y" alike: families, family; énergie, energy */
    if (n >= 4 && w[n - 2] == 'i' && w[n - 1] == 'e') w[n - 1] = '\0';
    else if (n >= 4 && w[n - 1] == 'y') w[n - 1] = 'i';
}

static void add_word(board_words *out, char *w) {
    if (!w[0] || stop_word(w)) return;
    stem(w);
    for (size_t i = 0; i < out->n; i++)
        if (strcmp(out->w[i], w) == 0) return;
    if (out->n < BOARD_WORDS_MAX) memcpy(out->w[out->n++], w, strlen(w) + 1);
}

void board_title_words(const char *title, board_words *out) {
    char word[BOARD_WORD_BYTES];
    size_t n = 0;
    out->n = 0;
    for (const unsigned char *s = (const unsigned char *)title; s && *s;) {
        char c[5];
        size_t nc;
        s += fold_char(s, c, &nc);
        if (c[0] == ' ') {
            word[n] = '\0';
            add_word(out, word);
            n = 0;
        } else if (n + nc < sizeof word) {
            memcpy(word + n, c, nc);
            n += nc;
        }
    }
    word[n] = '\0';
    add_word(out, word);
}

static size_t common_words(const board_words *a, const board_words *b) {
    size_t k = 0;
    for (size_t i = 0; i < a->n; i++)
        for (size_t j = 0; j < b->n; j++)
            if (strcmp(a->w[i], b->w[j]) == 0) {
                k++;
                break;
            }
    return k;
}

bool board_words_match(const board_words *a, const board_words *b) {
    if (!a->n || !b->n) return false;
    size_t k = common_words(a, b), uni = a->n + b->n - k;
    size_t small = a->n < b->n ? a->n : b->n, big = a->n < b->n ? b->n : a->n;
    if (5 * k >= 3 * uni) return true;         /* Jaccard ≥ 0.6 (equal sets: 1) */
    return k == small && big - small <= 1;     /* one holds the other, and one word more */
}

bool board_titles_match(const char *a, const char *b) {
    board_words wa, wb;
    board_title_words(a, &wa);
    board_title_words(b, &wb);
    return board_words_match(&wa, &wb);
}

/* ---- Suggestions ---- */

static size_t root(size_t *parent, size_t i) {
    while (parent[i] != i) i = parent[i] = parent[parent[i]];
    return i;
}

static bool same_group(const board_item *a, const board_item *b) { return a->group[0] && strcmp(a->group, b->group) == 0; }

void board_write_suggestions(sbuf *sb, const board *b, const board_viewer *v) {
    static board_words words[BOARD_ITEMS_MAX]; /* 300 KiB: not on the stack (one thread) */
    size_t parent[BOARD_ITEMS_MAX], n = b->nitems < BOARD_ITEMS_MAX ? b->nitems : BOARD_ITEMS_MAX;
    bool seen[BOARD_ITEMS_MAX];
    for (size_t i = 0; i < n; i++) {
        parent[i] = i;
        seen[i] = board_may_see(b, &b->items[i], v);
        if (seen[i]) board_title_words(b->items[i].title, &words[i]);
    }
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; seen[i] && j < n; j++)
            if (seen[j] && strcmp(b->items[i].org, b->items[j].org) != 0 && !same_group(&b->items[i], &b->items[j]) &&
                board_words_match(&words[i], &words[j]))
                parent[root(parent, j)] = root(parent, i);
    sbuf_putc(sb, '[');
    bool first = true;
    for (size_t r = 0; r < n; r++) {
        if (!seen[r] || root(parent, r) != r) continue;
        size_t members = 0, lead = n;
        for (size_t i = 0; i < n; i++)
            if (seen[i] && root(parent, i) == r) {
                members++;
                if (lead == n && b->items[i].group[0]) lead = i;
            }
        if (members < 2) continue;
        sbuf_puts(sb, first ? "[" : ",[");
        first = false;
        if (lead < n) sbuf_put_jstrz(sb, b->items[lead].id);
        bool f2 = lead == n;
        for (size_t i = 0; i < n; i++) {
            if (!seen[i] || root(parent, i) != r || i == lead) continue;
            if (!f2) sbuf_putc(sb, ',');
            f2 = false;
            sbuf_put_jstrz(sb, b->items[i].id);
        }
        sbuf_putc(sb, ']');
    }
    sbuf_putc(sb, ']');
}

/* ---- Common, shared, unique ---- */

/* Whether item i's organisation is the same as one of items[from..i). */
static bool org_seen_before(const board *b, const board_viewer *v, size_t i, size_t from, const board_cluster *c) {
    for (size_t j = from; j < i; j++)
        if (board_may_see(b, &b->items[j], v) && (!c || board_in_cluster(b, c, j)) &&
            strcmp(b->items[j].org, b->items[i].org) == 0)
            return true;
    return false;
}

size_t board_org_count(const board *b, const board_viewer *v) {
    size_t n = 0;
    for (size_t i = 0; i < b->nitems; i++)
        n += board_may_see(b, &b->items[i], v) && !org_seen_before(b, v, i, 0, NULL);
    return n;
}

bool board_in_cluster(const board *b, const board_cluster *c, size_t i) {
    const board_item *first = &b->items[c->first];
    return i == c->first || same_group(first, &b->items[i]);
}

size_t board_clusters(const board *b, const board_viewer *v, board_cluster *out) {
    size_t orgs = board_org_count(b, v), n = 0;
    for (size_t i = 0; i < b->nitems && n < BOARD_ITEMS_MAX; i++) {
        if (!board_may_see(b, &b->items[i], v)) continue;
        bool listed = false;
        for (size_t c = 0; c < n && !listed; c++) listed = board_in_cluster(b, &out[c], i);
        if (listed) continue;
        board_cluster *c = &out[n++];
        *c = (board_cluster){.first = i};
        for (size_t j = i; j < b->nitems; j++) {
            if (!board_may_see(b, &b->items[j], v) || !board_in_cluster(b, c, j)) continue;
            c->nitems++;
            c->norgs += !org_seen_before(b, v, j, i, c);
        }
        c->cls = c->norgs >= 2 && c->norgs == orgs ? BOARD_COMMON : c->norgs >= 2 ? BOARD_SHARED : BOARD_UNIQUE;
    }
    return n;
}

void board_write_columns(sbuf *sb, const board *b, const board_viewer *v) {
    static board_cluster clusters[BOARD_ITEMS_MAX]; /* one thread; too big for the stack */
    static const char *const names[] = {"common", "shared", "unique"};
    size_t n = board_clusters(b, v, clusters);
    sbuf_putc(sb, '{');
    for (int cls = BOARD_COMMON; cls <= BOARD_UNIQUE; cls++) {
        sbuf_puts(sb, cls ? ",\"" : "\"");
        sbuf_puts(sb, names[cls]);
        sbuf_puts(sb, "\":[");
        bool first = true;
        for (size_t c = 0; c < n; c++) {
            if (clusters[c].cls != (board_class)cls) continue;
            sbuf_puts(sb, first ? "{\"organisations\":[" : ",{\"organisations\":[");
            first = false;
            bool f2 = true;
            for (size_t i = clusters[c].first; i < b->nitems; i++) /* each organisation once */
                if (board_may_see(b, &b->items[i], v) && board_in_cluster(b, &clusters[c], i) &&
                    !org_seen_before(b, v, i, clusters[c].first, &clusters[c])) {
                    if (!f2) sbuf_putc(sb, ',');
                    f2 = false;
                    sbuf_put_jstrz(sb, b->items[i].org);
                }
            sbuf_puts(sb, "],\"items\":[");
            f2 = true;
            for (size_t i = clusters[c].first; i < b->nitems; i++)
                if (board_may_see(b, &b->items[i], v) && board_in_cluster(b, &clusters[c], i)) {
                    if (!f2) sbuf_putc(sb, ',');
                    f2 = false;
                    sbuf_put_jstrz(sb, b->items[i].id);
                }
            sbuf_puts(sb, "]}");
        }
        sbuf_putc(sb, ']');
    }
    sbuf_putc(sb, '}');
}
