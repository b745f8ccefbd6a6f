/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <strings.h>

#include "clouds/cloud-request.h"
#include "lib/urlenc.h"

void cloud_request_done(CloudRequest *req) {
        if (!req)
                return;
        free(req->base_url);
        free(req->path);
        for (size_t i = 0; i < req->n_query; i++)
                free((char *) req->query[i].value);
        for (size_t i = 0; i < req->n_headers; i++)
                free((char *) req->headers[i].value);
        free(req->body);
        *req = (CloudRequest){};
}

int cloud_request_set_path(CloudRequest *req, const char *format, ...) {
        va_list ap;
        char *p;
        int r;

        va_start(ap, format);
        r = vasprintf(&p, format, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        free(req->path);
        req->path = p;
        return 0;
}

int cloud_request_add_query(CloudRequest *req, const char *key, const char *value) {
        char *v;

        if (req->n_query >= CLOUD_REQUEST_MAX_QUERY)
                return -E2BIG;
        v = strdup(value);
        if (!v)
                return -ENOMEM;
        req->query[req->n_query++] = (SignParam){ .key = key, .value = v };
        return 0;
}

int cloud_request_add_header(CloudRequest *req, const char *name, const char *value) {
        char *v;

        if (req->n_headers >= CLOUD_REQUEST_MAX_HEADERS)
                return -E2BIG;
        v = strdup(value);
        if (!v)
                return -ENOMEM;
        req->headers[req->n_headers++] = (SignHeader){ .name = name, .value = v };
        return 0;
}

const char *cloud_request_header(const CloudRequest *req, const char *name) {
        return sign_header_get(req->headers, req->n_headers, name);
}

int cloud_request_url(const CloudRequest *req, char **ret) {
        _cleanup_free_ char *url = NULL;
        size_t size = 0;
        FILE *f;

        f = open_memstream(&url, &size);
        if (!f)
                return -ENOMEM;
        fputs(req->base_url, f);
        fputs(req->path, f);
        for (size_t i = 0; i < req->n_query; i++) {
                _cleanup_free_ char *k = NULL, *v = NULL;
                if (urlenc_escape(req->query[i].key, SIZE_MAX, NULL, &k) < 0 ||
                    urlenc_escape(req->query[i].value, SIZE_MAX, NULL, &v) < 0) {
                        fclose(f);
                        return -ENOMEM;
                }
                fprintf(f, "%c%s=%s", i == 0 ? '?' : '&', k, v);
        }
        if (fclose(f) != 0)
                return -ENOMEM;
        *ret = TAKE_PTR(url);
        return 0;
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
