/* SPDX-License-Identifier: MIT */
#pragma once

/* The wire form of one cloud request, built by a cloud back end (CloudOps.build_request and
 * .sign_request) and then sent as is by lib/http: what is signed is exactly what is sent
 * (method, path, query, every header, the body bytes). */

#include <stddef.h>
#include <stdint.h>

#include "clouds/sign/sign.h"

#define CLOUD_REQUEST_MAX_HEADERS 16
#define CLOUD_REQUEST_MAX_QUERY 4

typedef struct CloudRequest {
        const char *method;   /* static string: "GET", "PUT", "DELETE" */
        const char *base_url; /* "https://host[:port]", no trailing '/'; owned (text) */
        const char *path;     /* as on the wire, already percent-encoded where the cloud wants;
                              * owned (text) */
        SignParam query[CLOUD_REQUEST_MAX_QUERY]; /* keys static, values owned and decoded */
        size_t n_query;
        SignHeader headers[CLOUD_REQUEST_MAX_HEADERS]; /* names static, values owned */
        size_t n_headers;
        char *body; /* NULL: none */
        size_t body_size;
        /* Where the owned strings above live: one block per request rather than an allocation
         * per value (a request is built for every call); a value that does not fit is
         * allocated on its own and listed in heap. */
        char *text;
        size_t text_used;
        char *heap[CLOUD_REQUEST_MAX_HEADERS + CLOUD_REQUEST_MAX_QUERY + 2];
        size_t n_heap;
} CloudRequest;

void cloud_request_done(CloudRequest *req);

/* path from printf-style arguments. 0 or -ENOMEM. */
int cloud_request_set_path(CloudRequest *req, const char *format, ...) _printf_(2, 3);

/* key must be a static string; value is copied (decoded form). 0, -E2BIG, -ENOMEM. */
int cloud_request_add_query(CloudRequest *req, const char *key, const char *value);

/* name must be a static string; value is copied. 0, -E2BIG, -ENOMEM. */
int cloud_request_add_header(CloudRequest *req, const char *name, const char *value);
/* The same, taking ownership of value (a malloc'ed string, freed with req; also on failure). */
int cloud_request_add_header_take(CloudRequest *req, const char *name, char *value);

/* base_url copied. 0 or -ENOMEM. */
int cloud_request_set_base_url(CloudRequest *req, const char *base_url);

/* Value of a header (case-insensitive), or NULL. */
const char *cloud_request_header(const CloudRequest *req, const char *name);

/* The URL as sent: base_url + path + '?' + each "key=value" percent-encoded (RFC 3986
 * unreserved characters kept: "$LATEST" → "%24LATEST"), in the order added. Fresh string. */
int cloud_request_url(const CloudRequest *req, char **ret);

/* A SignInput over req; valid while req is unchanged. */
void cloud_request_sign_input(const CloudRequest *req, SignInput *ret);

/* "scheme://authority" of an endpoint ("http://127.0.0.1:8080", "https://h/"): checks the
 * scheme (http, https) and that nothing but an optional '/' follows the authority, and
 * returns the base URL without trailing '/' and the Host header value (the authority as
 * written, which is what libcurl would send for a non-default port). 0 or -EINVAL, -ENOMEM. */
int cloud_endpoint_split(const char *endpoint, char **ret_base_url, char **ret_host);
