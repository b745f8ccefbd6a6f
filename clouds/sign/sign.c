/* SPDX-License-Identifier: MIT */
/* The parts of request signing that the three algorithms share: canonical headers and query,
 * Authorization parsing, verification, dates. The per-algorithm rules are in sign-*.c. */
#include <ctype.h>
#include <stdarg.h>

#include "clouds/sign/sign-internal.h"
#include "lib/sort-util.h"
#include "lib/strbuf.h"
#include "lib/string-table.h"
#include "lib/urlenc.h"

#define SIGN_MAX_AUTHORIZATION 8192
#define SIGN_MAX_SIGNED_HEADERS 64

static const char *const sign_algorithm_table[_SIGN_ALGORITHM_MAX] = {
        [SIGN_ALGORITHM_SIGV4] = "AWS4-HMAC-SHA256",
        [SIGN_ALGORITHM_ACS3] = "ACS3-HMAC-SHA256",
        [SIGN_ALGORITHM_APIG] = "SDK-HMAC-SHA256",
};

DEFINE_STRING_TABLE_LOOKUP(sign_algorithm, SignAlgorithm);

static const SignRules *rules_for(SignAlgorithm a) {
        switch (a) {
        case SIGN_ALGORITHM_SIGV4:
                return &sigv4_rules;
        case SIGN_ALGORITHM_ACS3:
                return &acs3_rules;
        case SIGN_ALGORITHM_APIG:
                return &apig_rules;
        default:
                return NULL;
        }
}

void sign_result_done(SignResult *r) {
        if (!r)
                return;
        free(r->authorization);
        free(r->signed_headers);
        free(r->canonical_request);
        free(r->string_to_sign);
        free(r->signature);
        *r = (SignResult){};
}

static int sign_result_take(SignResult *ret, char *canonical, char *signed_headers,
                            char *string_to_sign, const char *signature, char *authorization) {
        SignResult r = {
                .authorization = authorization,
                .signed_headers = signed_headers,
                .canonical_request = canonical,
                .string_to_sign = string_to_sign,
                .signature = signature ? strdup(signature) : NULL,
        };

        if (!r.authorization || !r.signed_headers || !r.canonical_request || !r.string_to_sign ||
            !r.signature) {
                sign_result_done(&r);
                return -ENOMEM;
        }
        *ret = r;
        return 0;
}

const char *sign_header_get(const SignHeader *headers, size_t n, const char *name) {
        for (size_t i = 0; i < n; i++)
                if (headers[i].name && strcasecmp(headers[i].name, name) == 0)
                        return headers[i].value ?: "";
        return NULL;
}

/* ---- canonical headers ---------------------------------------------------------------- */

static char *ascii_strlower(char *s) {
        for (char *p = s; *p; p++)
                *p = (char) tolower((unsigned char) *p);
        return s;
}

static int strptr_cmp(const void *a, const void *b) {
        return strcmp(*(const char *const *) a, *(const char *const *) b);
}

static bool strv_contains(const char *const *l, size_t n, const char *s) {
        for (size_t i = 0; i < n; i++)
                if (streq(l[i], s))
                        return true;
        return false;
}

#define SIGN_MAX_NAMES (SIGN_MAX_SIGNED_HEADERS * 4)

/* The lower-cased, sorted, de-duplicated names to sign, as pointers into one block of text:
 * on the stack when the names are short (always, for the requests the clouds get), else
 * allocated (SignedNames.heap). A request is signed for every request sent, so no name is
 * copied on its own. */
typedef struct SignedNames {
        const char *l[SIGN_MAX_NAMES];
        size_t n;
        char stack[512];
        char *heap;
} SignedNames;

static void signed_names_done(SignedNames *s) {
        free(s->heap);
}

static int signed_names(const SignRules *rules, const SignInput *in, const char *const *names,
                        SignedNames *ret) {
        size_t max = names ? 0 : in->n_headers, size = 0;
        char *p;

        for (const char *const *q = names; q && *q; q++)
                max++;
        if (max > SIGN_MAX_NAMES)
                return -E2BIG;
        for (size_t i = 0; i < max; i++) {
                const char *name = names ? names[i] : in->headers[i].name;

                if (isempty(name))
                        return -EINVAL;
                size += strlen(name) + 1;
        }
        if (size > sizeof(ret->stack)) {
                ret->heap = malloc(size);
                if (!ret->heap)
                        return -ENOMEM;
        }
        p = ret->heap ?: ret->stack;
        for (size_t i = 0; i < max; i++) {
                char *lower = p;

                p = stpcpy(p, names ? names[i] : in->headers[i].name) + 1;
                ascii_strlower(lower);
                if (names) {
                        if (strv_contains(ret->l, ret->n, lower))
                                return -EINVAL;
                        if (!sign_header_get(in->headers, in->n_headers, lower))
                                return -ENOENT;
                } else if (streq(lower, "authorization") || !rules->signed_by_default(lower) ||
                           strv_contains(ret->l, ret->n, lower))
                        continue;
                ret->l[ret->n++] = lower;
        }
        if (ret->n == 0)
                return -ENOENT;
        qsort_safe(ret->l, ret->n, sizeof(char *), strptr_cmp);
        return 0;
}

/* Trimmed; with collapse, inner whitespace runs become one space (botocore: ' '.join(v.split())). */
static void put_header_value(StrBuf *b, const char *v, bool collapse) {
        const char *end;

        while (isspace((unsigned char) *v))
                v++;
        end = v + strlen(v);
        while (end > v && isspace((unsigned char) end[-1]))
                end--;
        if (!collapse) {
                strbuf_put(b, v, end - v);
                return;
        }
        for (const char *p = v; p < end;) {
                const char *run = p;

                while (p < end && !isspace((unsigned char) *p))
                        p++;
                strbuf_put(b, run, p - run);
                if (p < end) {
                        while (p < end && isspace((unsigned char) *p))
                                p++;
                        strbuf_putc(b, ' ');
                }
        }
}

static void put_header_line(StrBuf *b, const SignRules *rules, const SignInput *in,
                            const char *name) {
        const char *values[SIGN_MAX_SIGNED_HEADERS];
        size_t n = 0;

        for (size_t i = 0; i < in->n_headers && n < ELEMENTSOF(values); i++)
                if (in->headers[i].name && strcasecmp(in->headers[i].name, name) == 0)
                        values[n++] = in->headers[i].value ?: "";
        if (rules->sort_repeated_values && n > 1)
                qsort_safe(values, n, sizeof(char *), strptr_cmp);
        strbuf_puts(b, name);
        strbuf_putc(b, ':');
        for (size_t i = 0; i < n; i++) {
                if (i > 0)
                        strbuf_putc(b, ',');
                put_header_value(b, values[i], rules->collapse_whitespace);
        }
        strbuf_putc(b, '\n');
}

/* ---- canonical query ------------------------------------------------------------------ */

typedef struct QueryPair {
        char *key, *value; /* encoded */
        const char *raw_key, *raw_value;
} QueryPair;

static int pair_cmp_encoded(const void *a, const void *b) {
        const QueryPair *x = a, *y = b;
        int c = strcmp(x->key, y->key);
        return c != 0 ? c : strcmp(x->value, y->value);
}

static int pair_cmp_raw(const void *a, const void *b) {
        const QueryPair *x = a, *y = b;
        int c = strcmp(x->raw_key, y->raw_key);
        return c != 0 ? c : strcmp(x->raw_value, y->raw_value);
}

static void pairs_free(QueryPair *p, size_t n) {
        for (size_t i = 0; p && i < n; i++) {
                free(p[i].key);
                free(p[i].value);
        }
        free(p);
}

/* "k=v&k2=v2", every key and value RFC 3986-encoded. For ACS3 this equals Go's QueryEscape
 * followed by the +→%20, *→%2A, %7E→~ replacements. */
static int put_canonical_query(StrBuf *b, const SignRules *rules, const SignInput *in) {
        QueryPair *pairs;
        int r = 0;

        if (in->n_query == 0)
                return 0;
        if (in->n_query == 1) { /* nothing to sort: the common case (?Qualifier=...) */
                urlenc_escape_append(b, in->query[0].key ?: "", SIZE_MAX, NULL);
                strbuf_putc(b, '=');
                urlenc_escape_append(b, in->query[0].value ?: "", SIZE_MAX, NULL);
                return 0;
        }
        pairs = calloc(in->n_query, sizeof(QueryPair));
        if (!pairs)
                return -ENOMEM;
        for (size_t i = 0; i < in->n_query && r >= 0; i++) {
                pairs[i].raw_key = in->query[i].key ?: "";
                pairs[i].raw_value = in->query[i].value ?: "";
                r = urlenc_escape(pairs[i].raw_key, SIZE_MAX, NULL, &pairs[i].key);
                if (r >= 0)
                        r = urlenc_escape(pairs[i].raw_value, SIZE_MAX, NULL, &pairs[i].value);
        }
        if (r >= 0) {
                qsort_safe(pairs, in->n_query, sizeof(QueryPair),
                           rules->sort_query_encoded ? pair_cmp_encoded : pair_cmp_raw);
                for (size_t i = 0; i < in->n_query; i++) {
                        if (i > 0)
                                strbuf_putc(b, '&');
                        strbuf_puts(b, pairs[i].key);
                        strbuf_putc(b, '=');
                        strbuf_puts(b, pairs[i].value);
                }
        }
        pairs_free(pairs, in->n_query);
        return r;
}

/* ---- canonical request ---------------------------------------------------------------- */

static int payload_hash(const SignRules *rules, const SignInput *in,
                        char ret[static CRYPTO_SHA256_HEX_SIZE]) {
        const char *h =
                in->payload_hash
                        ?: sign_header_get(in->headers, in->n_headers, rules->content_hash_header);

        if (h) {
                if (strlen(h) >= CRYPTO_SHA256_HEX_SIZE)
                        return -EINVAL;
                strcpy(ret, h);
                return 0;
        }
        return crypto_sha256_hex(in->body, in->body_size, ret);
}

/* The canonical request into b (empty, with room reserved by the caller if it likes); the
 * signed header list is the text of b between *ret_signed_start and *ret_signed_end. */
static int canonical_request_put(StrBuf *b, const SignRules *rules, const SignInput *in,
                                 const char *const *names, size_t *ret_signed_start,
                                 size_t *ret_signed_end) {
        _cleanup_(signed_names_done) SignedNames l = {};
        char hash[CRYPTO_SHA256_HEX_SIZE];
        size_t start;
        int r;

        r = signed_names(rules, in, names, &l);
        if (r < 0)
                return r;
        r = payload_hash(rules, in, hash);
        if (r < 0)
                return r;

        strbuf_puts(b, in->method ?: "");
        strbuf_putc(b, '\n');
        r = rules->canonical_uri(b, in->path ?: "");
        if (r < 0)
                return r;
        strbuf_putc(b, '\n');
        r = put_canonical_query(b, rules, in);
        if (r < 0)
                return r;
        strbuf_putc(b, '\n');
        for (size_t i = 0; i < l.n; i++)
                put_header_line(b, rules, in, l.l[i]);
        strbuf_putc(b, '\n');
        start = b->len;
        for (size_t i = 0; i < l.n; i++) {
                if (i > 0)
                        strbuf_putc(b, ';');
                strbuf_puts(b, l.l[i]);
        }
        *ret_signed_start = start;
        *ret_signed_end = b->len;
        strbuf_putc(b, '\n');
        strbuf_puts(b, hash);
        return b->failed ? -ENOMEM : 0;
}

int sign_canonical_request(const SignRules *rules, const SignInput *in, const char *const *names,
                           char **ret_canonical, char **ret_signed_headers) {
        _cleanup_free_ char *canonical = NULL, *signed_headers = NULL;
        size_t start, end;
        StrBuf b = {};
        int r;

        r = canonical_request_put(&b, rules, in, names, &start, &end);
        if (r < 0) {
                strbuf_done(&b);
                return r;
        }
        signed_headers = strndup(b.s + start, end - start);
        r = strbuf_take(&b, &canonical);
        if (r < 0)
                return r;
        if (!signed_headers)
                return -ENOMEM;
        *ret_canonical = TAKE_PTR(canonical);
        *ret_signed_headers = TAKE_PTR(signed_headers);
        return 0;
}

int sign_build(const SignRules *rules, const SignInput *in, const char *const *names,
               const SignScope *scope, SignResult *ret) {
        _cleanup_free_ char *canonical = NULL, *signed_headers = NULL, *sts = NULL, *auth = NULL;
        char hash[CRYPTO_SHA256_HEX_SIZE], signature[CRYPTO_SHA256_HEX_SIZE];
        uint8_t mac[CRYPTO_SHA256_SIZE];
        StrBuf b = {};
        int r;

        r = sign_canonical_request(rules, in, names, &canonical, &signed_headers);
        if (r < 0)
                return r;
        r = crypto_sha256_hex(canonical, strlen(canonical), hash);
        if (r < 0)
                return r;
        strbuf_puts(&b, scope->sts_prefix);
        strbuf_puts(&b, hash);
        r = strbuf_take(&b, &sts);
        if (r < 0)
                return r;
        r = crypto_hmac_sha256_with_key(scope->key, sts, strlen(sts), mac);
        if (r < 0)
                return r;
        crypto_hex_encode(mac, sizeof(mac), signature);

        strbuf_puts(&b, sign_algorithm_to_string(rules->algorithm));
        strbuf_putc(&b, ' ');
        strbuf_puts(&b, sign_credential_key(rules->algorithm));
        strbuf_putc(&b, '=');
        strbuf_puts(&b, scope->credential);
        strbuf_puts(&b, scope->separator);
        strbuf_puts(&b, "SignedHeaders=");
        strbuf_puts(&b, signed_headers);
        strbuf_puts(&b, scope->separator);
        strbuf_puts(&b, "Signature=");
        strbuf_puts(&b, signature);
        r = strbuf_take(&b, &auth);
        if (r < 0)
                return r;
        return sign_result_take(ret, TAKE_PTR(canonical), TAKE_PTR(signed_headers), TAKE_PTR(sts),
                                signature, TAKE_PTR(auth));
}

/* ---- Authorization parsing ------------------------------------------------------------ */

SignAuthorization *sign_authorization_free(SignAuthorization *a) {
        if (!a)
                return NULL;
        free(a->access_key_id);
        free(a->scope_date);
        free(a->region);
        free(a->service);
        strv_free(a->signed_headers);
        free(a->signature);
        free(a);
        return NULL;
}

static bool is_lower_hex(const char *s, size_t len) {
        if (strlen(s) != len)
                return false;
        for (; *s; s++)
                if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
                        return false;
        return true;
}

/* Splits "a;b;c" into a lower-cased strv; empty names are malformed. */
static int split_signed_headers(const char *s, char ***ret) {
        _cleanup_strv_free_ char **l = NULL;
        size_t n = 1, i = 0;

        for (const char *p = s; *p; p++)
                n += *p == ';';
        if (n > SIGN_MAX_SIGNED_HEADERS)
                return -EBADMSG;
        l = calloc(n + 1, sizeof(char *));
        if (!l)
                return -ENOMEM;
        for (const char *p = s;; i++) {
                size_t len = strcspn(p, ";");

                if (len == 0)
                        return -EBADMSG;
                l[i] = strndup(p, len);
                if (!l[i])
                        return -ENOMEM;
                ascii_strlower(l[i]);
                for (const char *c = l[i]; *c; c++)
                        if ((unsigned char) *c <= ' ' || *c == ',' || *c == '=' || *c == 0x7f)
                                return -EBADMSG;
                p += len;
                if (!*p)
                        break;
                p++;
        }
        *ret = TAKE_PTR(l);
        return 0;
}

/* Takes the next "Name=value" parameter off *p; NULs written into the (copied) input. */
static int next_param(char **p, char **ret_name, char **ret_value) {
        char *s = *p, *end, *eq;

        while (*s == ' ' || *s == '\t')
                s++;
        end = s + strcspn(s, ",");
        *p = *end ? end + 1 : end;
        *end = 0;
        while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
                *--end = 0;
        eq = strchr(s, '=');
        if (!eq || eq == s || !eq[1])
                return -EBADMSG;
        *eq = 0;
        *ret_name = s;
        *ret_value = eq + 1;
        return 0;
}

const char *sign_credential_key(SignAlgorithm algorithm) {
        return algorithm == SIGN_ALGORITHM_APIG ? "Access" : "Credential";
}

int sign_parse_authorization_params(const char *value, SignAlgorithm algorithm,
                                    SignAuthorization **ret, char **ret_credential) {
        _cleanup_(sign_authorization_freep) SignAuthorization *a = NULL;
        _cleanup_free_ char *copy = NULL, *credential = NULL;
        const char *scheme = sign_algorithm_to_string(algorithm);
        char *p, *signed_headers = NULL, *signature = NULL, *cred = NULL;
        int r;

        if (!value || strnlen(value, SIGN_MAX_AUTHORIZATION + 1) > SIGN_MAX_AUTHORIZATION)
                return -EBADMSG;
        if (!startswith(value, scheme) || value[strlen(scheme)] != ' ')
                return -EBADMSG;
        copy = strdup(value + strlen(scheme));
        if (!copy)
                return -ENOMEM;
        for (p = copy; *p;) {
                char *name, *v, **slot;

                r = next_param(&p, &name, &v);
                if (r < 0)
                        return r;
                if (streq(name, sign_credential_key(algorithm)))
                        slot = &cred;
                else if (streq(name, "SignedHeaders"))
                        slot = &signed_headers;
                else if (streq(name, "Signature"))
                        slot = &signature;
                else
                        return -EBADMSG;
                if (*slot || strpbrk(v, " \t"))
                        return -EBADMSG;
                *slot = v;
        }
        if (!cred || !signed_headers || !signature || !is_lower_hex(signature, 64))
                return -EBADMSG;

        a = calloc(1, sizeof(*a));
        if (!a)
                return -ENOMEM;
        a->algorithm = algorithm;
        r = split_signed_headers(signed_headers, &a->signed_headers);
        if (r < 0)
                return r;
        a->signature = strdup(signature);
        credential = strdup(cred);
        if (!a->signature || !credential)
                return -ENOMEM;
        if (ret_credential)
                *ret_credential = TAKE_PTR(credential);
        else
                a->access_key_id = TAKE_PTR(credential);
        *ret = TAKE_PTR(a);
        return 0;
}

int sign_parse_authorization(const char *value, SignAuthorization **ret) {
        if (!value)
                return -EBADMSG;
        if (startswith(value, "AWS4-HMAC-SHA256 "))
                return sigv4_parse_authorization(value, ret);
        if (startswith(value, "ACS3-HMAC-SHA256 "))
                return acs3_parse_authorization(value, ret);
        if (startswith(value, "SDK-HMAC-SHA256 "))
                return apig_parse_authorization(value, ret);
        return -EBADMSG;
}

int acs3_parse_authorization(const char *value, SignAuthorization **ret) {
        return sign_parse_authorization_params(value, SIGN_ALGORITHM_ACS3, ret, NULL);
}

int apig_parse_authorization(const char *value, SignAuthorization **ret) {
        return sign_parse_authorization_params(value, SIGN_ALGORITHM_APIG, ret, NULL);
}

/* ---- verification --------------------------------------------------------------------- */

static bool auth_lists(const SignAuthorization *auth, const char *name) {
        for (char **p = auth->signed_headers; p && *p; p++)
                if (streq(*p, name))
                        return true;
        return false;
}

static int verify_headers(const SignRules *rules, const SignInput *in,
                          const SignAuthorization *auth) {
        if (!auth_lists(auth, "host") || !auth_lists(auth, rules->date_header))
                return -EPERM;
        for (char **p = auth->signed_headers; *p; p++)
                if (!sign_header_get(in->headers, in->n_headers, *p))
                        return -EPERM;
        return 0;
}

static int verify_date(const SignRules *rules, const SignInput *in, const SignAuthorization *auth,
                       time_t now) {
        const char *date = sign_header_get(in->headers, in->n_headers, rules->date_header);
        time_t t;
        int r;

        if (rules->algorithm == SIGN_ALGORITHM_ACS3)
                r = sign_parse_acs_date(date, &t);
        else
                r = sign_parse_amz_date(date, &t);
        if (r < 0)
                return -EBADMSG;
        if (rules->algorithm == SIGN_ALGORITHM_SIGV4 &&
            (!auth->scope_date || strlen(auth->scope_date) != 8 ||
             !strneq(date, auth->scope_date, 8)))
                return -EACCES;
        if (now != (time_t) -1 && !sign_clock_skew_ok(t, now, SIGN_MAX_CLOCK_SKEW_SEC))
                return -ETIME;
        return 0;
}

/* A declared body hash must be the hash of the body that arrived, or the signature (which
 * covers only the declared hash) would not protect the body. */
static int verify_content_hash(const SignRules *rules, const SignInput *in) {
        const char *h = sign_header_get(in->headers, in->n_headers, rules->content_hash_header);
        char actual[CRYPTO_SHA256_HEX_SIZE];
        int r;

        if (!h || in->payload_hash || streq(h, "UNSIGNED-PAYLOAD"))
                return 0;
        r = crypto_sha256_hex(in->body, in->body_size, actual);
        if (r < 0)
                return r;
        return strcasecmp(h, actual) == 0 ? 0 : -EACCES;
}

static int recompute(const SignInput *in, const SignAuthorization *auth, const char *secret,
                     SignResult *ret) {
        const char *const *names = (const char *const *) auth->signed_headers;

        switch (auth->algorithm) {
        case SIGN_ALGORITHM_SIGV4:
                return sigv4_sign(in, auth->access_key_id, secret, auth->region, auth->service,
                                  names, ret);
        case SIGN_ALGORITHM_ACS3:
                return acs3_sign(in, auth->access_key_id, secret, names, ret);
        case SIGN_ALGORITHM_APIG:
                return apig_sign(in, auth->access_key_id, secret, names, ret);
        default:
                return -EINVAL;
        }
}

int sign_verify(const SignInput *in, const SignAuthorization *auth, const char *secret, time_t now,
                SignResult *ret) {
        const SignRules *rules;
        SignResult r = {};
        bool ok;
        int k;

        if (!in || !auth || !secret || !(rules = rules_for(auth->algorithm)))
                return -EINVAL;
        k = verify_headers(rules, in, auth);
        if (k < 0)
                return k;
        k = verify_date(rules, in, auth, now);
        if (k < 0)
                return k;
        k = verify_content_hash(rules, in);
        if (k < 0)
                return k;
        k = recompute(in, auth, secret, &r);
        if (k == -ENOENT)
                return -EPERM;
        if (k < 0)
                return k == -EINVAL ? -EBADMSG : k;
        ok = crypto_streq_consttime(r.signature, auth->signature);
        if (ret)
                *ret = r;
        else
                sign_result_done(&r);
        return ok ? 0 : -EACCES;
}

/* ---- dates ---------------------------------------------------------------------------- */

/* Reads exactly n digits. */
static bool get_digits(const char **s, int n, int *ret) {
        int v = 0;

        for (int i = 0; i < n; i++, (*s)++) {
                if (**s < '0' || **s > '9')
                        return false;
                v = v * 10 + (**s - '0');
        }
        *ret = v;
        return true;
}

static bool get_char(const char **s, char c) {
        if (**s != c)
                return false;
        (*s)++;
        return true;
}

/* Builds the time from its fields and refuses anything timegm() would normalise
 * (Feb 30, 24:00, leap seconds). */
static int make_time(int Y, int M, int D, int h, int m, int s, time_t *ret) {
        struct tm tm = {
                .tm_year = Y - 1900,
                .tm_mon = M - 1,
                .tm_mday = D,
                .tm_hour = h,
                .tm_min = m,
                .tm_sec = s,
        };
        time_t t;

        if (Y < 1970 || M < 1 || M > 12 || D < 1 || D > 31 || h > 23 || m > 59 || s > 59)
                return -EINVAL;
        t = timegm(&tm);
        if (t == (time_t) -1 || tm.tm_mday != D || tm.tm_mon != M - 1)
                return -EINVAL;
        *ret = t;
        return 0;
}

int sign_parse_amz_date(const char *s, time_t *ret) {
        int Y, M, D, h, m, sec;

        if (!s || strlen(s) != SIGN_AMZ_DATE_SIZE - 1)
                return -EINVAL;
        if (!get_digits(&s, 4, &Y) || !get_digits(&s, 2, &M) || !get_digits(&s, 2, &D) ||
            !get_char(&s, 'T') || !get_digits(&s, 2, &h) || !get_digits(&s, 2, &m) ||
            !get_digits(&s, 2, &sec) || !get_char(&s, 'Z'))
                return -EINVAL;
        return make_time(Y, M, D, h, m, sec, ret);
}

int sign_parse_acs_date(const char *s, time_t *ret) {
        int Y, M, D, h, m, sec;

        if (!s || strlen(s) != SIGN_ACS_DATE_SIZE - 1)
                return -EINVAL;
        if (!get_digits(&s, 4, &Y) || !get_char(&s, '-') || !get_digits(&s, 2, &M) ||
            !get_char(&s, '-') || !get_digits(&s, 2, &D) || !get_char(&s, 'T') ||
            !get_digits(&s, 2, &h) || !get_char(&s, ':') || !get_digits(&s, 2, &m) ||
            !get_char(&s, ':') || !get_digits(&s, 2, &sec) || !get_char(&s, 'Z'))
                return -EINVAL;
        return make_time(Y, M, D, h, m, sec, ret);
}

static int utc_tm(time_t t, struct tm *ret) {
        if (!gmtime_r(&t, ret) || ret->tm_year + 1900 > 9999 || ret->tm_year < 70)
                return -EINVAL;
        return 0;
}

int sign_format_amz_date(time_t t, char ret[static SIGN_AMZ_DATE_SIZE]) {
        struct tm tm;

        if (utc_tm(t, &tm) < 0 || strftime(ret, SIGN_AMZ_DATE_SIZE, "%Y%m%dT%H%M%SZ", &tm) == 0)
                return -EINVAL;
        return 0;
}

int sign_format_acs_date(time_t t, char ret[static SIGN_ACS_DATE_SIZE]) {
        struct tm tm;

        if (utc_tm(t, &tm) < 0 || strftime(ret, SIGN_ACS_DATE_SIZE, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
                return -EINVAL;
        return 0;
}

bool sign_clock_skew_ok(time_t t, time_t now, time_t max_skew) {
        return t >= now ? t - now <= max_skew : now - t <= max_skew;
}
