/* SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <time.h>

#include "clouds/cloud-error.h"
#include "lib/macro.h"
#include "lib/string-table.h"
#include "lib/string-util.h"

static const char *const cloud_error_class_table[_CLOUD_ERROR_CLASS_MAX] = {
        [CLOUD_ERROR_NONE] = "none",
        [CLOUD_ERROR_CONFIG_ABSENT] = "config-absent",
        [CLOUD_ERROR_FUNCTION_ABSENT] = "function-absent",
        [CLOUD_ERROR_INVALID] = "invalid",
        [CLOUD_ERROR_AUTH] = "auth",
        [CLOUD_ERROR_THROTTLED] = "throttled",
        [CLOUD_ERROR_TRANSIENT] = "transient",
        [CLOUD_ERROR_PERMANENT] = "permanent",
};

static const char *const cloud_op_table[_CLOUD_OP_MAX] = {
        [CLOUD_OP_GET] = "get",
        [CLOUD_OP_PUT] = "put",
        [CLOUD_OP_DELETE] = "delete",
        [CLOUD_OP_LIST] = "list",
        [CLOUD_OP_LIST_VERSIONS] = "list-versions",
        [CLOUD_OP_LIST_ALIASES] = "list-aliases",
};

DEFINE_STRING_TABLE_LOOKUP(cloud_error_class, CloudErrorClass);
DEFINE_STRING_TABLE_LOOKUP(cloud_op, CloudOp);

bool cloud_error_class_is_retryable(CloudErrorClass c) {
        return c == CLOUD_ERROR_THROTTLED || c == CLOUD_ERROR_TRANSIENT;
}

void cloud_error_done(CloudError *e) {
        if (!e)
                return;
        free(e->code);
        free(e->message);
        free(e->request_id);
        *e = (CloudError){};
}

bool cloud_error_code_in(const CloudError *e, const char *const *list) {
        for (; e->code && *list; list++)
                if (streq(e->code, *list))
                        return true;
        return false;
}

int cloud_error_copy(CloudError *dst, const CloudError *src) {
        CloudError t = *src;

        t.code = t.message = t.request_id = NULL;
        if (strdup_opt(src->code, &t.code) < 0 || strdup_opt(src->message, &t.message) < 0 ||
            strdup_opt(src->request_id, &t.request_id) < 0) {
                cloud_error_done(&t);
                return -ENOMEM;
        }
        *dst = t;
        return 0;
}

/* Everything but the class, each part with its own leading separator (" HTTP 403",
 * ", retry after 1.0s"...), so that the class can go in front or be left out. */
static int cloud_error_format_parts(const CloudError *e, char **ret) {
        char status[32] = "", errbuf[64] = "", retry[48] = "";

        if (e->http_status > 0)
                snprintf(status, sizeof(status), " HTTP %ld", e->http_status);
        if (e->error < 0 && e->http_status <= 0)
                snprintf(errbuf, sizeof(errbuf), " (%s)", strerror(-e->error));
        if (e->retry_after_usec > 0)
                snprintf(retry, sizeof(retry), ", retry after %.1fs",
                         (double) e->retry_after_usec / 1e6);
        if (asprintf(ret, "%s%s%s%s%s%s%s%s%s%s%s%s", status, e->code ? " " : "", e->code ?: "",
                     !e->message            ? ""
                     : status[0] || e->code ? ": "
                                            : " ",
                     e->message ?: "", errbuf, e->request_id ? " (request " : "",
                     e->request_id ?: "", e->request_id ? ")" : "", retry, e->note ? "; " : "",
                     e->note ?: "") < 0)
                return -ENOMEM;
        return 0;
}

int cloud_error_format(const CloudError *e, char **ret) {
        _cleanup_free_ char *parts = NULL;

        if (cloud_error_format_parts(e, &parts) < 0 ||
            asprintf(ret, "%s:%s", strna(cloud_error_class_to_string(e->class)), parts) < 0)
                return -ENOMEM;
        return 0;
}

int cloud_error_format_detail(const CloudError *e, char **ret) {
        _cleanup_free_ char *parts = NULL;
        size_t skip;

        if (cloud_error_format_parts(e, &parts) < 0)
                return -ENOMEM;
        skip = strspn(parts, " ,;");
        memmove(parts, parts + skip, strlen(parts + skip) + 1);
        *ret = TAKE_PTR(parts);
        return 0;
}

/* Length of the longest prefix of s no longer than max that does not end inside a UTF-8
 * sequence. */
static size_t utf8_cut(const char *s, size_t max) {
        size_t n = strlen(s);

        if (n <= max)
                return n;
        while (max > 0 && ((unsigned char) s[max] & 0xC0) == 0x80)
                max--;
        return max;
}

static int redact_one(char **text, const char *secret) {
        static const char mask[] = "<redacted>";
        size_t ls = strlen(secret), n = 0;
        char *p, *out, *w;
        const char *q;

        for (p = strstr(*text, secret); p; p = strstr(p + ls, secret))
                n++;
        if (n == 0)
                return 0;
        out = malloc(strlen(*text) + n * sizeof(mask) + 1);
        if (!out)
                return -ENOMEM;
        w = out;
        for (q = *text; (p = strstr(q, secret)); q = p + ls) {
                w = mempcpy(w, q, (size_t) (p - q));
                w = mempcpy(w, mask, sizeof(mask) - 1);
        }
        strcpy(w, q);
        free(*text);
        *text = out;
        return 0;
}

int cloud_error_set_message(CloudError *e, const char *text, const char *const *redact) {
        _cleanup_free_ char *m = NULL;
        size_t n;

        if (!text) {
                free(e->message);
                e->message = NULL;
                return 0;
        }
        /* Bound the work on a huge message; secrets are far shorter than the slack. */
        m = strndup(text, 8 * CLOUD_ERROR_MESSAGE_MAX);
        if (!m)
                return -ENOMEM;
        /* Redact before cutting, so that a secret cut in half cannot survive. */
        for (const char *const *s = redact; s && *s; s++)
                if (!isempty(*s) && redact_one(&m, *s) < 0)
                        return -ENOMEM;
        for (char *p = m; *p; p++)
                if ((unsigned char) *p < ' ' || *p == 0x7f)
                        *p = ' ';
        n = utf8_cut(m, CLOUD_ERROR_MESSAGE_MAX);
        if (m[n]) {
                m[n] = 0;
                char *t;
                if (asprintf(&t, "%s...", m) < 0)
                        return -ENOMEM;
                free(m);
                m = t;
        }
        free(e->message);
        e->message = TAKE_PTR(m);
        return 0;
}

static uint64_t cap_usec(uint64_t u) {
        return MIN(u, CLOUD_RETRY_AFTER_MAX_USEC);
}

int cloud_parse_alicloud_time_left(const char *value, uint64_t *ret_usec) {
        const char *p;
        size_t n;

        if (!value)
                return -ENOENT;
        for (p = value; (p = strstr(p, "TimeLeft:")); p++)
                if (p == value || p[-1] == ',' || p[-1] == ' ')
                        break;
        if (!p)
                return -ENOENT;
        p += strlen("TimeLeft:");
        n = strspn(p, "0123456789");
        if (n == 0 || (p[n] != 0 && p[n] != ',' && p[n] != ' '))
                return -EINVAL;
        *ret_usec = n > 10 ? CLOUD_RETRY_AFTER_MAX_USEC : cap_usec(strtoull(p, NULL, 10) * 1000ULL);
        return 0;
}
