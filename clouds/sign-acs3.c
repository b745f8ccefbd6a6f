/* SPDX-License-Identifier: MIT */
/* Alibaba Cloud ACS3-HMAC-SHA256, as darabonba-openapi's GetAuthorization does it
 * (docs/cloud-apis.md 2.6). */
#include "clouds/sign-internal.h"

static bool acs3_signed_by_default(const char *name) {
        return startswith(name, "x-acs-") || streq(name, "host") || streq(name, "content-type");
}

/* The path as sent (already percent-encoded once); no second round of encoding, only the
 * SDK's three replacements: '+' → "%20", '*' → "%2A", "%7E" → '~'. */
static int acs3_canonical_uri(const char *path, char **ret) {
        char *out, *p;

        if (isempty(path))
                path = "/";
        out = p = malloc(3 * strlen(path) + 1);
        if (!out)
                return -ENOMEM;
        for (const char *s = path; *s; s++) {
                if (*s == '+')
                        p = stpcpy(p, "%20");
                else if (*s == '*')
                        p = stpcpy(p, "%2A");
                else if (startswith(s, "%7E")) {
                        *p++ = '~';
                        s += 2;
                } else
                        *p++ = *s;
        }
        *p = 0;
        *ret = out;
        return 0;
}

const SignRules acs3_rules = {
        .algorithm = SIGN_ALGORITHM_ACS3,
        .date_header = "x-acs-date",
        .content_hash_header = "x-acs-content-sha256",
        .sort_repeated_values = true,
        .signed_by_default = acs3_signed_by_default,
        .canonical_uri = acs3_canonical_uri,
};

int acs3_sign(const SignInput *in, const char *access_key_id, const char *secret,
              const char *const *signed_header_names, SignResult *ret) {
        _cleanup_free_ char *canonical = NULL, *signed_headers = NULL, *sts = NULL, *auth = NULL;
        char hash[CRYPTO_SHA256_HEX_SIZE], signature[CRYPTO_SHA256_HEX_SIZE];
        int r;

        if (!in || isempty(access_key_id) || !secret || strpbrk(access_key_id, ", "))
                return -EINVAL;
        r = sign_canonical_request(&acs3_rules, in, signed_header_names, &canonical,
                                   &signed_headers);
        if (r < 0)
                return r;
        r = sign_hash_canonical(canonical, hash);
        if (r < 0)
                return r;
        sts = sign_strdup_printf("ACS3-HMAC-SHA256\n%s", hash);
        if (!sts)
                return -ENOMEM;
        r = crypto_hmac_sha256_hex(secret, strlen(secret), sts, strlen(sts), signature);
        if (r < 0)
                return r;
        auth = sign_strdup_printf("ACS3-HMAC-SHA256 Credential=%s,SignedHeaders=%s,Signature=%s",
                                  access_key_id, signed_headers, signature);
        return sign_result_take(ret, TAKE_PTR(canonical), TAKE_PTR(signed_headers), TAKE_PTR(sts),
                                signature, TAKE_PTR(auth));
}

int acs3_parse_authorization(const char *value, SignAuthorization **ret) {
        _cleanup_(sign_authorization_freep) SignAuthorization *a = NULL;
        _cleanup_free_ char *credential = NULL;
        int r;

        r = sign_parse_authorization_params(value, SIGN_ALGORITHM_ACS3, "Credential", &a,
                                            &credential);
        if (r < 0)
                return r;
        a->access_key_id = TAKE_PTR(credential);
        *ret = TAKE_PTR(a);
        return 0;
}
