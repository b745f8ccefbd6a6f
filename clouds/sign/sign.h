/* SPDX-License-Identifier: MIT */
#pragma once

/* The three request signers, for both sides of the wire:
 *
 *   clients   fill a SignInput with the request they are about to send (every header they
 *             will send, including host and the date header) and call sigv4_sign(),
 *             acs3_sign() or apig_sign() with signed_header_names = NULL (the default rule);
 *             they add result.authorization as the "Authorization" header.
 *   emulator  builds a SignInput from what arrived (wire path, decoded query, all headers,
 *             body), parses the Authorization header with sign_parse_authorization(), looks the
 *             secret up by auth->access_key_id and calls sign_verify(), which recomputes the
 *             signature over exactly the headers the client listed (as AWS does).
 *
 * Algorithms (docs/cloud-apis.md 1.7, 2.6, 3.6):
 *   SigV4  canonical URI = wire path with dot segments and "//" removed, percent-encoded once
 *          more keeping '/' and '~' (so '%' → "%25": "arn%3A" → "arn%253A"); query = RFC 3986
 *          encoded pairs sorted by encoded key then value; header values trimmed, inner
 *          whitespace collapsed, repeated headers joined with ','. Date from the X-Amz-Date
 *          header. Default signed headers: every header but the botocore blacklist
 *          (connection, expect, keep-alive, proxy-authenticate, proxy-authorization, te,
 *          trailer, transfer-encoding, upgrade, user-agent, x-amzn-trace-id) and
 *          authorization itself.
 *   ACS3   canonical URI = wire path as-is with '+'→%20, '*'→%2A, %7E→'~'; "" → "/". Query
 *          "k=" + escaped value, sorted by key. Default signed headers: x-acs-*, host,
 *          content-type; values trimmed; repeated values sorted and joined with ','.
 *          StringToSign has no date; the emulator takes the date from X-Acs-Date.
 *   APIG   (Huawei SDK-HMAC-SHA256) canonical URI = the wire path percent-decoded, split on
 *          '/', each segment escaped, '/' appended unless present (never double-encodes; a raw
 *          "urn:fss:…" and "urn%3Afss%3A…" give the same canonical URI). Query keys and values
 *          escaped, sorted by key then value. Date from X-Sdk-Date. Default signed headers:
 *          every header except content-type* and names containing '_' (and authorization).
 *
 * Payload hash, all three: SignInput.payload_hash if set; else the value of the algorithm's
 * content-hash header if the request carries one (x-amz-content-sha256, x-acs-content-sha256,
 * x-sdk-content-sha256; may be UNSIGNED-PAYLOAD for SigV4/APIG); else hex SHA-256 of the body.
 * sign_verify() additionally checks that such a header, unless UNSIGNED-PAYLOAD, equals the
 * hash of the body that arrived.
 *
 * Secrets are only ever passed in; no result field, log line or error contains one.
 * Errors are negative errno; nothing here logs above debug. */

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "lib/macro.h"

typedef struct SignHeader {
        const char *name;  /* any case */
        const char *value; /* as sent; trimming is the signer's job */
} SignHeader;

typedef struct SignParam {
        const char *key;   /* decoded */
        const char *value; /* decoded; "" for "?k" and "?k=" */
} SignParam;

typedef struct SignInput {
        const char *method; /* "GET", upper case as sent; NULL is "" (ACS3 official vector) */
        const char *path;   /* exactly as on the wire, before '?': AWS/ACS3 percent-encoded,
                             * Huawei raw (either works for Huawei). NULL is "". */
        const SignParam *query;
        size_t n_query;
        const SignHeader *headers; /* every header that is or will be sent */
        size_t n_headers;
        const void *body; /* may be NULL when body_size is 0 */
        size_t body_size;
        const char *payload_hash; /* hex or "UNSIGNED-PAYLOAD"; overrides everything else */
} SignInput;

/* Owned strings, all NUL-terminated. Free with sign_result_done(). None contains a secret. */
typedef struct SignResult {
        char *authorization;     /* the full Authorization header value */
        char *signed_headers;    /* "host;x-amz-date" */
        char *canonical_request; /* for tests and debug logs */
        char *string_to_sign;
        char *signature; /* lower-case hex */
} SignResult;

void sign_result_done(SignResult *r);

/* Sign. signed_header_names: NULL-terminated list of header names (any case) to sign, or NULL
 * for the algorithm's default rule above. Every listed name must be present in in->headers
 * (-ENOENT otherwise). The date header must be present: SigV4 X-Amz-Date
 * (YYYYMMDDTHHMMSSZ), APIG X-Sdk-Date (same format) — -ENOENT/-EINVAL otherwise; ACS3 takes
 * no date (the client sends X-Acs-Date itself). On success fills *ret (caller calls
 * sign_result_done()) and returns 0; on failure *ret is untouched.
 * Errors: -EINVAL (bad input, e.g. a bad %XX in an APIG path or a bad date), -ENOENT,
 * -ENOMEM, -EIO (libcrypto). */
int sigv4_sign(const SignInput *in, const char *access_key_id, const char *secret,
               const char *region, const char *service, const char *const *signed_header_names,
               SignResult *ret);
int acs3_sign(const SignInput *in, const char *access_key_id, const char *secret,
              const char *const *signed_header_names, SignResult *ret);
int apig_sign(const SignInput *in, const char *access_key, const char *secret,
              const char *const *signed_header_names, SignResult *ret);

/* ---- verification (the emulator) ---------------------------------------------------- */

typedef enum SignAlgorithm {
        SIGN_ALGORITHM_SIGV4, /* "AWS4-HMAC-SHA256" */
        SIGN_ALGORITHM_ACS3,  /* "ACS3-HMAC-SHA256" */
        SIGN_ALGORITHM_APIG,  /* "SDK-HMAC-SHA256" */
        _SIGN_ALGORITHM_MAX,
        _SIGN_ALGORITHM_INVALID = -22, /* -EINVAL */
} SignAlgorithm;

const char *sign_algorithm_to_string(SignAlgorithm a); /* the Authorization scheme word */
SignAlgorithm sign_algorithm_from_string(const char *s);

/* A parsed Authorization header. */
typedef struct SignAuthorization {
        SignAlgorithm algorithm;
        char *access_key_id;
        char *scope_date;      /* SigV4 credential scope: YYYYMMDD; NULL otherwise */
        char *region;          /* SigV4 only */
        char *service;         /* SigV4 only ("lambda") */
        char **signed_headers; /* NULL-terminated, lower-cased, in the order listed */
        char *signature;       /* as sent (hex) */
} SignAuthorization;

SignAuthorization *sign_authorization_free(SignAuthorization *a);
DEFINE_TRIVIAL_CLEANUP_FUNC(SignAuthorization *, sign_authorization_free);

/* Parsers for one Authorization header value each; sign_parse_authorization() picks by the
 * scheme word. Accepted forms (parameters in any order, each exactly once, optional spaces
 * after ','):
 *   AWS4-HMAC-SHA256 Credential=AK/YYYYMMDD/region/service/aws4_request, SignedHeaders=a;b, Signature=hex
 *   ACS3-HMAC-SHA256 Credential=AK,SignedHeaders=a;b,Signature=hex
 *   SDK-HMAC-SHA256 Access=AK, SignedHeaders=a;b, Signature=hex
 * Signature must be 64 hex digits, SignedHeaders non-empty and free of empty names.
 * 0, -EBADMSG (malformed or wrong scheme), -ENOMEM. Input length is capped at 8 KiB. */
int sigv4_parse_authorization(const char *value, SignAuthorization **ret);
int acs3_parse_authorization(const char *value, SignAuthorization **ret);
int apig_parse_authorization(const char *value, SignAuthorization **ret);
int sign_parse_authorization(const char *value, SignAuthorization **ret);

#define SIGN_MAX_CLOCK_SKEW_SEC (15 * 60)

/* Verifies a request against its parsed Authorization header and the secret of
 * auth->access_key_id (the caller looks it up and checks the key id is known). Checks, in
 * order:
 *   - the mandatory headers are among auth->signed_headers: host and the date header
 *     (x-amz-date / x-acs-date / x-sdk-date) → -EPERM otherwise;
 *   - every listed header is present in the request → -EPERM otherwise;
 *   - the date header parses → -EBADMSG; SigV4: it matches the credential scope date →
 *     -EACCES;
 *   - |date - now| <= SIGN_MAX_CLOCK_SKEW_SEC → -ETIME (skipped when now is (time_t) -1);
 *   - a content-hash header, unless UNSIGNED-PAYLOAD, equals SHA-256 of the body → -EACCES;
 *   - the recomputed signature equals auth->signature (constant time) → -EACCES.
 * The caller checks what only it knows: that auth->access_key_id is known, and for SigV4 that
 * auth->region / auth->service are the expected ones ("lambda").
 * Returns 0 when the request is authentic. If ret is non-NULL it receives the recomputed
 * canonical request etc. whenever the signature could be computed (also on -EACCES for a
 * mismatch, so the emulator can put the canonical request into its error message, like AWS);
 * the caller then owns it. -ENOMEM/-EIO as usual. */
int sign_verify(const SignInput *in, const SignAuthorization *auth, const char *secret, time_t now,
                SignResult *ret);

/* ---- dates -------------------------------------------------------------------------- */

/* "20150830T123600Z" (SigV4 X-Amz-Date, Huawei X-Sdk-Date) and "2024-01-01T00:00:00Z"
 * (ACS3 x-acs-date), UTC. Parsers are strict (exact length and digits, valid ranges):
 * 0 or -EINVAL. Formatters write into a buffer of the given size. */
#define SIGN_AMZ_DATE_SIZE 17 /* with the NUL */
#define SIGN_ACS_DATE_SIZE 21
int sign_parse_amz_date(const char *s, time_t *ret);
int sign_parse_acs_date(const char *s, time_t *ret);
int sign_format_amz_date(time_t t, char ret[static SIGN_AMZ_DATE_SIZE]);
int sign_format_acs_date(time_t t, char ret[static SIGN_ACS_DATE_SIZE]);
#define sign_parse_sdk_date sign_parse_amz_date
#define sign_format_sdk_date sign_format_amz_date

/* true when |t - now| <= max_skew seconds. */
bool sign_clock_skew_ok(time_t t, time_t now, time_t max_skew);

/* Case-insensitive lookup of a header in a SignHeader array: the first value, or NULL. */
const char *sign_header_get(const SignHeader *headers, size_t n, const char *name);
