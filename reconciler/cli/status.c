/* SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <unistd.h>

#include "lib/crypto.h"
#include "lib/http.h"
#include "reconciler/cli/status.h"
#include "reconciler/spec/daemon-config.h"
#include "reconciler/cli/status-table.h"
#include "reconciler/core/user-agent.h"

#define STATUS_DEFAULT_ENDPOINT "http://127.0.0.1:9733"
#define STATUS_TIMEOUT_USEC (10ULL * 1000000ULL)
/* What the table shows by default: the resources that need a look, a page of them. */
#define STATUS_QUERY_NOT_IN_SYNC "state=drifted,changing,pending,retrying,error,orphaned&limit=1000"

typedef struct StatusFetch {
        sd_event *event;
        const CliStatusOptions *o;
        const char *url;
        int result; /* the exit code */
} StatusFetch;

/* A health check (DESIGN.md §6): 1 when the document reports a resource in error, a file that
 * fails to load or an unusable desired-state directory, said in one line on err. */
static int status_health(const char *json, size_t size, FILE *err) {
        StatusProblems p;
        int r = status_check(json, size, &p);

        if (r <= 0)
                return r < 0 ? 1 : 0;
        fprintf(err,
                "error: the daemon reports %zu resource%s in error, %zu file%s with errors%s\n",
                p.resources_in_error, p.resources_in_error == 1 ? "" : "s", p.files_in_error,
                p.files_in_error == 1 ? "" : "s",
                p.directory_error ? ", the desired-state directory unusable" : "");
        return 1;
}

static void on_status(HttpRequest *req, int error, const HttpResponse *resp, void *userdata) {
        StatusFetch *f = userdata;
        const CliStatusOptions *o = f->o;
        int r;

        f->result = 1;
        if (error < 0)
                fprintf(o->err, "error: cannot reach the daemon at %s: %s\n", f->url,
                        http_request_error_detail(req) ?: strerror(-error));
        else if (resp->status != 200)
                fprintf(o->err, "error: %s answered HTTP %ld\n", f->url, resp->status);
        else {
                r = status_print(o->out, resp->body, resp->body_size,
                                 o->json ? STATUS_FORMAT_JSON : STATUS_FORMAT_TABLE,
                                 !o->json && isatty(fileno(o->out)) && !getenv("NO_COLOR"));
                if (r < 0)
                        fprintf(o->err, "error: %s: %s\n", f->url,
                                r == -EBADMSG ? "not a status document" : strerror(-r));
                f->result = r < 0 ? 1 : status_health(resp->body, resp->body_size, o->err);
        }
        (void) sd_event_exit(f->event, 0);
}

/* "http://host:port" from the config's listen address, or NULL ("" disables the endpoint). */
static char *endpoint_from_config(const char *path, FILE *err) {
        _cleanup_(daemon_config_freep) DaemonConfig *c = NULL;
        _cleanup_free_ char *host = NULL;
        unsigned port;
        DiagList diags;
        char *url = NULL;
        int r;

        diag_list_init(&diags);
        r = daemon_config_load(path, &diags, &c);
        diag_list_print(&diags, err);
        diag_list_done(&diags);
        if (r < 0 || isempty(c->listen) || parse_listen_address(c->listen, &host, &port) < 0)
                return NULL;
        if (asprintf(&url, strchr(host, ':') ? "%s://[%s]:%u" : "%s://%s:%u",
                     c->web.tls_cert_file ? "https" : "http", host, port) < 0)
                return NULL;
        return url;
}

/* The password: $ASYNCFG_PASSWORD, else the first line of the file. 0, or -ENOKEY (said on
 * err). */
static int status_read_password(const CliStatusOptions *o, char **ret) {
        _cleanup_fclose_ FILE *f = NULL;
        const char *env = getenv("ASYNCFG_PASSWORD");
        char *line = NULL;
        size_t size = 0;

        if (env) {
                *ret = strdup(env);
                return *ret ? 0 : -ENOMEM;
        }
        if (!o->password_file) {
                fprintf(o->err, "error: --user needs the password in $ASYNCFG_PASSWORD or "
                                "--password-file\n");
                return -ENOKEY;
        }
        f = fopen(o->password_file, "re");
        if (!f || getline(&line, &size, f) < 0) {
                fprintf(o->err, "error: cannot read the password from '%s'\n", o->password_file);
                free(line);
                return -ENOKEY;
        }
        line[strcspn(line, "\r\n")] = 0;
        *ret = line;
        return 0;
}

/* Authorization: Basic, for --user. 0, -ENOKEY (no password, said on err), -ENOMEM. */
static int status_set_auth(const CliStatusOptions *o, HttpRequest *req) {
        _cleanup_free_ char *password = NULL, *pair = NULL, *b64 = NULL, *header = NULL;
        int r;

        if (!o->user)
                return 0;
        r = status_read_password(o, &password);
        if (r < 0)
                return r;
        if (asprintf(&pair, "%s:%s", o->user, password) < 0)
                pair = NULL;
        explicit_bzero(password, strlen(password));
        if (!pair || crypto_base64_encode(pair, strlen(pair), &b64) < 0 ||
            asprintf(&header, "Basic %s", b64) < 0)
                r = -ENOMEM;
        else
                r = http_request_add_header(req, "Authorization", header);
        if (pair)
                explicit_bzero(pair, strlen(pair));
        return r;
}

/* The GET of url, verified with --ca-file, authenticated as --user. */
static int status_request_new(const CliStatusOptions *o, HttpEngine *http, const char *url,
                              HttpRequest **ret) {
        _cleanup_(http_request_freep) HttpRequest *req = NULL;
        int r;

        r = http_request_new(http, "GET", url, &req);
        if (r >= 0)
                r = http_request_set_timeouts(req, 0, STATUS_TIMEOUT_USEC);
        if (r >= 0 && o->ca_file)
                r = http_request_set_ca_file(req, o->ca_file);
        if (r >= 0)
                r = status_set_auth(o, req);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(req);
        return 0;
}

int cli_status_run(const CliStatusOptions *o) {
        _cleanup_free_ char *base = NULL, *url = NULL;
        StatusFetch f = { .o = o, .result = 1 };
        HttpEngine *http = NULL;
        HttpRequest *req = NULL;
        int r;

        if (!o->endpoint && o->config_path) {
                base = endpoint_from_config(o->config_path, o->err);
                if (!base) {
                        fprintf(o->err, "error: no usable 'listen' address in '%s'\n",
                                o->config_path);
                        return 1;
                }
        }
        if (asprintf(&url, "%s/status?%s", base ?: o->endpoint ?: STATUS_DEFAULT_ENDPOINT,
                     o->all ? "resources=all" : STATUS_QUERY_NOT_IN_SYNC) < 0)
                return -ENOMEM;
        f.url = url;
        r = sd_event_new(&f.event);
        if (r < 0)
                return r;
        r = http_engine_new(f.event, &(HttpEngineOptions){ .user_agent = ASYNCFG_USER_AGENT },
                            &http);
        if (r >= 0)
                r = status_request_new(o, http, url, &req);
        if (r >= 0)
                r = http_request_start(req, on_status, &f);
        if (r >= 0)
                req = NULL; /* the engine's now */
        if (r == -EINVAL)
                fprintf(o->err, "error: bad endpoint URL '%s'\n", url);
        else if (r >= 0)
                r = sd_event_loop(f.event);
        http_request_free(req);
        http_engine_free(http);
        sd_event_unref(f.event);
        return r == -EINVAL || r == -ENOKEY ? 1 : r < 0 ? r : f.result;
}
