/* SPDX-License-Identifier: MIT */

/* A watch: one streaming POST /v3/watch whose body is a sequence of JSON messages, one per
 * line, parsed as they arrive. The caller's callback gets every message, then at most one
 * error, after which the watch is dead (see lib/etcd.h).
 *
 * Who frees what: the caller owns the EtcdWatch. While a request (the stream or the
 * authentication before it) still points at it, etcd_watch_free() only marks it; the end of
 * that request frees it. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/etcd-internal.h"
#include "lib/macro.h"
#include "lib/strbuf.h"

/* A line longer than this is not a watch message we can take (etcd caps a request at 1.5 MiB;
 * a message holds at most a few of them). */
#define ETCD_WATCH_MAX_LINE (64U * 1024 * 1024)

struct EtcdWatch {
        EtcdClient *client; /* NULL once etcd_client_free() has cut it loose */
        EtcdWatch *prev, *next;
        char *body;
        size_t body_size;
        HttpRequest *req;    /* the stream, while it runs */
        size_t endpoint;     /* where it runs */
        char *token;         /* it was sent with */
        bool authenticating; /* waiting for a token first */
        StrBuf line;         /* the part of a message received so far */
        EtcdWatchCallback callback;
        void *userdata;
        bool dead;  /* an error was delivered, or the caller freed it: no more callbacks */
        bool freed; /* etcd_watch_free() was called while a request still pointed here */
};

static void etcd_watch_unlink(EtcdWatch *w) {
        EtcdClient *c = w->client;

        if (!c)
                return;
        if (w->prev)
                w->prev->next = w->next;
        else
                c->watches = w->next;
        if (w->next)
                w->next->prev = w->prev;
        w->prev = w->next = NULL;
        w->client = NULL;
}

static void etcd_watch_destroy(EtcdWatch *w) {
        etcd_watch_unlink(w);
        strbuf_done(&w->line);
        free(w->body);
        free(w->token);
        free(w);
}

EtcdWatch *etcd_watch_free(EtcdWatch *w) {
        if (!w)
                return NULL;
        w->dead = true;
        etcd_watch_unlink(w);
        if (w->req || w->authenticating) {
                w->freed = true;
                if (w->req)
                        http_request_cancel(w->req);
                return NULL;
        }
        etcd_watch_destroy(w);
        return NULL;
}

/* The caller's callback; an error makes the watch dead. */
static void etcd_watch_deliver(EtcdWatch *w, int error, const EtcdWatchResult *result) {
        if (w->dead)
                return;
        if (error < 0)
                w->dead = true;
        w->callback(w, error, result, w->userdata);
}

void etcd_watch_detach(EtcdWatch *w) {
        etcd_watch_unlink(w);
        etcd_watch_deliver(w, -ECANCELED, NULL);
}

/* ---- the stream ----------------------------------------------------------------------------- */

/* One complete line: a message, delivered. < 0 when the watch is over. */
static int etcd_watch_message(EtcdWatch *w, const char *line, size_t size) {
        _cleanup_(etcd_result_freep) EtcdResultArena *a = NULL;
        EtcdWatchResult result = {};
        int k;

        while (size > 0 && (line[size - 1] == '\r' || line[size - 1] == ' '))
                size--;
        if (size == 0)
                return 0;
        k = etcd_parse_watch_message(line, size, &result, &a);
        if (k == -EKEYEXPIRED) {
                if (w->client)
                        etcd_client_drop_token(w->client, w->token);
                k = -ECONNRESET; /* the re-watch authenticates again */
        }
        etcd_watch_deliver(w, k, k >= 0 || k == -ESTALE ? &result : NULL);
        return k < 0 ? k : w->dead ? -ECANCELED : 0;
}

static int etcd_watch_on_piece(HttpRequest *r, const void *data, size_t size, void *userdata) {
        EtcdWatch *w = userdata;
        const char *nl;
        size_t start = 0;
        int k;

        if (w->dead)
                return -ECANCELED;
        if (w->line.len + size > ETCD_WATCH_MAX_LINE) {
                etcd_watch_deliver(w, -EMSGSIZE, NULL);
                return -EMSGSIZE;
        }
        strbuf_put(&w->line, data, size);
        if (w->line.failed || !w->line.s) {
                etcd_watch_deliver(w, -ENOMEM, NULL);
                return -ENOMEM;
        }
        while ((nl = memchr(w->line.s + start, '\n', w->line.len - start))) {
                size_t end = (size_t) (nl - w->line.s);

                k = etcd_watch_message(w, w->line.s + start, end - start);
                if (k < 0)
                        return k;
                start = end + 1;
        }
        memmove(w->line.s, w->line.s + start, w->line.len - start + 1);
        w->line.len -= start;
        return 0;
}

/* Why a stream that ended without a delivered error ended. */
static int etcd_watch_end_error(EtcdWatch *w, int error, const HttpResponse *resp) {
        int k;

        if (error < 0) {
                if (w->client && etcd_error_rotates(error))
                        etcd_client_rotate(w->client, w->endpoint);
                return error;
        }
        if (resp->status == 200)
                return -ECONNRESET; /* etcd closed it: restarted, lost its leader */
        k = etcd_parse_error(resp->body, resp->body_size, NULL);
        if (k == -EKEYEXPIRED && w->client) {
                etcd_client_drop_token(w->client, w->token);
                k = -ECONNRESET;
        }
        if (k == -EUNATCH && w->client)
                etcd_client_rotate(w->client, w->endpoint);
        return k < 0 ? k : -EIO;
}

static void etcd_watch_on_end(HttpRequest *r, int error, const HttpResponse *resp, void *userdata) {
        EtcdWatch *w = userdata;

        w->req = NULL;
        if (w->freed) {
                etcd_watch_destroy(w);
                return;
        }
        if (w->dead)
                return;
        if (w->client)
                etcd_client_set_detail(w->client, error < 0 ? http_request_error_detail(r) : NULL);
        etcd_watch_deliver(w, etcd_watch_end_error(w, error, resp), NULL);
}

static int etcd_watch_start_stream(EtcdWatch *w) {
        EtcdClient *c = w->client;
        HttpRequest *r = NULL;
        int k;

        k = etcd_client_new_request(c, ETCD_CHANNEL_WATCH, "/v3/watch", w->body, w->body_size, &r,
                                    &w->endpoint);
        if (k < 0)
                return k;
        /* Without it a member cut off from its leader would keep the stream open and silent. */
        k = http_request_add_header(r, "Grpc-Metadata-hasleader", "true");
        if (k >= 0)
                k = http_request_set_stream(r, etcd_watch_on_piece, 0);
        if (k >= 0 && c->token && !(w->token = strdup(c->token)))
                k = -ENOMEM;
        if (k >= 0)
                k = http_request_start(r, etcd_watch_on_end, w);
        if (k < 0) {
                http_request_free(r);
                return k;
        }
        w->req = r;
        return 0;
}

static void etcd_watch_on_auth(EtcdClient *c, int error, void *userdata) {
        EtcdWatch *w = userdata;

        w->authenticating = false;
        if (w->freed) {
                etcd_watch_destroy(w);
                return;
        }
        if (w->dead || !w->client)
                return;
        if (error >= 0)
                error = etcd_watch_start_stream(w);
        if (error < 0)
                etcd_watch_deliver(w, error, NULL);
}

int etcd_watch_new(EtcdClient *c, const char *key, const char *range_end, int64_t start_revision,
                   EtcdWatchCallback cb, void *userdata, EtcdWatch **ret) {
        EtcdWatch *w;
        int k;

        if (!c || !key || !cb || !ret || c->freeing || start_revision < 0)
                return -EINVAL;
        w = calloc(1, sizeof(*w));
        if (!w)
                return -ENOMEM;
        w->callback = cb;
        w->userdata = userdata;
        k = etcd_body_watch(key, range_end, start_revision, &w->body, &w->body_size);
        if (k >= 0 && c->user && !c->token) {
                k = etcd_client_authenticate(c, etcd_watch_on_auth, w);
                w->authenticating = k >= 0;
        } else if (k >= 0) {
                w->client = c;
                k = etcd_watch_start_stream(w);
        }
        if (k < 0) {
                w->client = NULL;
                etcd_watch_destroy(w);
                return k;
        }
        w->client = c;
        w->next = c->watches;
        if (c->watches)
                c->watches->prev = w;
        c->watches = w;
        *ret = w;
        return 0;
}
