/* SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <string.h>

#include "clouds/syntax.h"

int colon_split(const char *s, char *buf, size_t size, const char **parts, int max) {
        int n = 0;
        char *p;

        if (strlen(s) >= size)
                return -1;
        strcpy(buf, s);
        p = buf;
        while (n < max - 1) {
                char *c = strchr(p, ':');
                if (!c)
                        break;
                *c = 0;
                parts[n++] = p;
                p = c + 1;
        }
        parts[n++] = p;
        return n;
}

bool syntax_span_valid(const char *s, size_t n, size_t min, size_t max, const char *extra) {
        if (n < min || n > max)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!isalnum((unsigned char) s[i]) && !strchr(extra, s[i]))
                        return false;
        return true;
}

bool syntax_chars_valid(const char *s, size_t min, size_t max, const char *extra) {
        return syntax_span_valid(s, strlen(s), min, max, extra);
}

bool syntax_digits_valid(const char *s) {
        return *s && strspn(s, "0123456789") == strlen(s);
}

bool syntax_region_valid(const char *s) {
        return syntax_chars_valid(s, 1, 64, "-");
}

bool syntax_bucket_valid(const char *s) {
        size_t n = strlen(s);

        return n >= 3 && n <= 63 && strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789.-") == n &&
               isalnum((unsigned char) s[0]) && isalnum((unsigned char) s[n - 1]);
}
