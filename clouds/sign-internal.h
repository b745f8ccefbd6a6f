/* SPDX-License-Identifier: MIT */
#pragma once

/* What the three signers share: the canonical-request builder, parameterised by a small
 * table of per-algorithm rules. Private to clouds/sign*.c. */

#include "clouds/sign.h"
#include "lib/crypto.h"

typedef struct SignRules {
        SignAlgorithm algorithm;
        const char *date_header;         /* lower-case: "x-amz-date" */
        const char *content_hash_header; /* lower-case: "x-amz-content-sha256" */
        bool collapse_whitespace;        /* SigV4: inner runs of whitespace → one space */
        bool sort_repeated_values;       /* ACS3: repeated header values sorted before ',' join */
        bool sort_query_encoded;         /* SigV4 sorts encoded pairs, the others decoded */
        bool (*signed_by_default)(const char *lower_name);
        int (*canonical_uri)(const char *path, char **ret);
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

/* The hex SHA-256 of a canonical request, as the last line of every string to sign. */
int sign_hash_canonical(const char *canonical, char ret[static CRYPTO_SHA256_HEX_SIZE]);

/* Fills ret from the owned strings, which it takes over even on failure (any may be NULL
 * after an allocation failure, giving -ENOMEM); signature is copied. 0 or -ENOMEM. */
int sign_result_take(SignResult *ret, char *canonical, char *signed_headers, char *string_to_sign,
                     const char *signature, char *authorization);

/* Builds a string with open_memstream-style printf; NULL on OOM. */
char *sign_strdup_printf(const char *format, ...) _printf_(1, 2);

/* Generic Authorization parser: "SCHEME k1=v1, k2=v2, k3=v3". The credential key name is
 * "Credential" or "Access". Fills access (the raw credential), signed headers, signature. */
int sign_parse_authorization_params(const char *value, SignAlgorithm algorithm,
                                    const char *credential_key, SignAuthorization **ret,
                                    char **ret_credential);
