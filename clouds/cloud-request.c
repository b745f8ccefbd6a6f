/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <strings.h>

#include "clouds/cloud-request.h"
#include "lib/strbuf.h"
#include "lib/urlenc.h"

#define CLOUD_REQUEST_TEXT_SIZE 1024
#define CLOUD_REQUEST_PATH_SIZE 512

void cloud_request_done(CloudRequest *req) {
        if (!req)
                return;
        free(req->body);
        free(req->text);
        for (size_t i = 0; i < req->n_heap; i++)
                free(req->heap[i]);
        *req = (CloudRequest){};
}

/* Keeps an allocated value until cloud_request_done(). */
static int cloud_request_keep(CloudRequest *req, char *value) {
        if (req->n_heap >= ELEMENTSOF(req->heap)) {
                free(value);
                return -E2BIG;
        }
        req->heap[req->n_heap++] = value;
        return 0;
}

/* A copy of value owned by req. */
static const char *cloud_request_copy(CloudRequest *req, const char *value) {
        size_t n = strlen(value) + 1;
        char *p;

        if (!req->text && n <= CLOUD_REQUEST_TEXT_SIZE &&
            !(req->text = malloc(CLOUD_REQUEST_TEXT_SIZE)))
                return NULL;
        if (req->text && n <= CLOUD_REQUEST_TEXT_SIZE - req->text_used) {
                p = memcpy(req->text + req->text_used, value, n);
                req->text_used += n;
                return p;
        }
        p = strdup(value);
        if (!p || cloud_request_keep(req, p) < 0)
                return NULL;
        return p;
}

int cloud_request_set_base_url(CloudRequest *req, const char *base_url) {
        const char *v = cloud_request_copy(req, base_url);

        if (!v)
                return -ENOMEM;
        req->base_url = v;
        return 0;
}

/* Formatted on the stack and kept in the request's text block: vasprintf() was an allocation
 * and a reallocation per request. A path too long for the buffer is formatted again on the
 * heap. */
int cloud_request_set_path(CloudRequest *req, const char *format, ...) {
        char buf[CLOUD_REQUEST_PATH_SIZE];
        const char *v;
        va_list ap;
        char *p;
        int r;

        va_start(ap, format);
        r = vsnprintf(buf, sizeof(buf), format, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        if ((size_t) r < sizeof(buf))
                v = cloud_request_copy(req, buf);
        else {
                va_start(ap, format);
                r = vasprintf(&p, format, ap);
                va_end(ap);
                if (r < 0 || cloud_request_keep(req, p) < 0)
                        return -ENOMEM;
                v = p;
        }
        if (!v)
                return -ENOMEM;
        req->path = v;
        return 0;
}

int cloud_request_add_query(CloudRequest *req, const char *key, const char *value) {
        const char *v;

        if (req->n_query >= CLOUD_REQUEST_MAX_QUERY)
                return -E2BIG;
        v = cloud_request_copy(req, value);
        if (!v)
                return -ENOMEM;
        req->query[req->n_query++] = (SignParam){ .key = key, .value = v };
        return 0;
}

int cloud_request_add_header(CloudRequest *req, const char *name, const char *value) {
        const char *v;

        if (req->n_headers >= CLOUD_REQUEST_MAX_HEADERS)
                return -E2BIG;
        v = cloud_request_copy(req, value);
        if (!v)
                return -ENOMEM;
        req->headers[req->n_headers++] = (SignHeader){ .name = name, .value = v };
        return 0;
}

int cloud_request_add_header_take(CloudRequest *req, const char *name, char *value) {
        int r;

        if (req->n_headers >= CLOUD_REQUEST_MAX_HEADERS) {
                free(value);
                return -E2BIG;
        }
        r = cloud_request_keep(req, value);
        if (r < 0)
                return r;
        req->headers[req->n_headers++] = (SignHeader){ .name = name, .value = value };
        return 0;
}

const char *cloud_request_header(const CloudRequest *req, const char *name) {
        return sign_header_get(req->headers, req->n_headers, name);
}

int cloud_request_url(const CloudRequest *req, char **ret) {
        StrBuf b = {};

        strbuf_puts(&b, req->base_url);
        strbuf_puts(&b, req->path);
        for (size_t i = 0; i < req->n_query; i++) {
                strbuf_putc(&b, i == 0 ? '?' : '&');
                urlenc_escape_append(&b, req->query[i].key, SIZE_MAX, NULL);
                strbuf_putc(&b, '=');
                urlenc_escape_append(&b, req->query[i].value, SIZE_MAX, NULL);
        }
        return strbuf_take(&b, ret);
}

void cloud_request_sign_input(const CloudRequest *req, SignInput *ret) {
        *ret = (SignInput){
                .method = req->method,
                .path = req->path,
                .query = req->query,
                .n_query = req->n_query,
                .headers = req->headers,
                .n_headers = req->n_headers,
                .body = req->body,
                .body_size = req->body_size,
        };
}

int cloud_endpoint_split(const char *endpoint, char **ret_base_url, char **ret_host) {
        _cleanup_free_ char *base = NULL, *host = NULL;
        const char *authority;
        size_t n;

        if (!endpoint)
                return -EINVAL;
        if (strncasecmp(endpoint, "https://", 8) == 0)
                authority = endpoint + 8;
        else if (strncasecmp(endpoint, "http://", 7) == 0)
                authority = endpoint + 7;
        else
                return -EINVAL;
        n = strcspn(authority, "/?#@ \t\r\n");
        if (n == 0 || (authority[n] != 0 && !streq(authority + n, "/")))
                return -EINVAL;
        host = strndup(authority, n);
        base = strndup(endpoint, (size_t) (authority - endpoint) + n);
        if (!host || !base)
                return -ENOMEM;
        *ret_base_url = TAKE_PTR(base);
        *ret_host = TAKE_PTR(host);
        return 0;
}
