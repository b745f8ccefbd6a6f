/* SPDX-License-Identifier: MIT */
#pragma once

/* What the three signers share: the canonical-request builder, parameterised by a small
 * table of per-algorithm rules. Private to clouds/sign*.c. */

#include "clouds/sign/sign.h"
#include "lib/crypto.h"
#include "lib/strbuf.h"

typedef struct SignRules {
        SignAlgorithm algorithm;
        const char *date_header;         /* lower-case: "x-amz-date" */
        const char *content_hash_header; /* lower-case: "x-amz-content-sha256" */
        bool collapse_whitespace;        /* SigV4: inner runs of whitespace → one space */
        bool sort_repeated_values;       /* ACS3: repeated header values sorted before ',' join */
        bool sort_query_encoded;         /* SigV4 sorts encoded pairs, the others decoded */
        bool (*signed_by_default)(const char *lower_name);
        /* Appends the canonical URI of the wire path to b. 0 or -EINVAL (bad path),
         * -ENOMEM. */
        int (*canonical_uri)(StrBuf *b, const char *path);
} SignRules;

extern const SignRules sigv4_rules;
extern const SignRules acs3_rules;
extern const SignRules apig_rules;

/* The six-line canonical request (METHOD, URI, query, header block + blank line, signed
 * header list, payload hash) over the headers named in names (NULL: the default rule).
 * Returns both the canonical request and the "a;b" list. 0, -ENOENT (a listed header is not
 * in the request), -EINVAL (duplicate or empty name, bad path), -ENOMEM, -EIO. */
int sign_canonical_request(const SignRules *rules, const SignInput *in, const char *const *names,
                           char **ret_canonical, char **ret_signed_headers);

/* What differs between the algorithms once the canonical request exists. */
typedef struct SignScope {
        const char *sts_prefix;   /* the string to sign up to the canonical hash */
        const CryptoHmacKey *key; /* the HMAC key of the final step */
        const char *credential;   /* "AK/date/region/service/aws4_request" or "AK" */
        const char *separator;    /* between the Authorization parameters: ", " or "," */
} SignScope;

/* Canonical request → string to sign → signature → Authorization
 * "<ALGORITHM> <Credential|Access>=…<sep>SignedHeaders=…<sep>Signature=…". Fills ret on
 * success. Errors as sign_canonical_request(). */
int sign_build(const SignRules *rules, const SignInput *in, const char *const *names,
               const SignScope *scope, SignResult *ret);

/* The name of the credential parameter: "Credential", or "Access" for APIG. */
const char *sign_credential_key(SignAlgorithm algorithm);

/* Generic Authorization parser: "SCHEME k1=v1, k2=v2, k3=v3". Fills the signed headers and
 * the signature, and returns the credential parameter's raw value separately; with
 * ret_credential NULL, the credential is taken as the access key id as it is. */
int sign_parse_authorization_params(const char *value, SignAlgorithm algorithm,
                                    SignAuthorization **ret, char **ret_credential);
