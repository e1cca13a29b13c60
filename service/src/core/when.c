#include "core/when.h"

#include <string.h>
#include <time.h>

static bool zone_char(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '+' ||
           c == '-' || c == '/';
}

bool when_valid_zone_name(const char *s) {
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > WHEN_ZONE_MAX || s[0] == '/' || s[0] == '-' || s[n - 1] == '/') return false;
    for (size_t i = 0; i < n; i++)
        if (!zone_char(s[i]) || (s[i] == '/' && s[i + 1] == '/')) return false;
    return true;
}

when_local when_at(const when_zone *z, int64_t ms) {
    int64_t secs = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000); /* whole seconds, towards the past */
    if (z && z->offset) secs += z->offset(z->ctx, ms);
    time_t t = (time_t)secs;
    struct tm tm;
    when_local l = {1970, 1, 1, 0, 0};
    if (gmtime_r(&t, &tm)) /* calendar arithmetic only: the offset is applied already */
        l = (when_local){tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min};
    return l;
}

void when_write(sbuf *b, const when_zone *z, int64_t ms, bool french) {
    when_local l = when_at(z, ms);
    if (french) sbuf_printf(b, "%02d/%02d/%04d %02d:%02d", l.day, l.month, l.year, l.hour, l.minute);
    else sbuf_printf(b, "%04d-%02d-%02d %02d:%02d", l.year, l.month, l.day, l.hour, l.minute);
}

void when_write_named(sbuf *b, const when_zone *z, int64_t ms, bool french) {
    when_write(b, z, ms, french);
    sbuf_puts(b, " (");
    sbuf_puts(b, z && z->name ? z->name : WHEN_UTC);
    sbuf_putc(b, ')');
}
