/* SPDX-License-Identifier: MIT */
/* Alibaba Cloud ACS3-HMAC-SHA256, as darabonba-openapi's GetAuthorization does it
 * (docs/cloud-apis.md 2.6). */
#include "clouds/sign/sign-internal.h"

static bool acs3_signed_by_default(const char *name) {
        return startswith(name, "x-acs-") || streq(name, "host") || streq(name, "content-type");
}

/* The path as sent (already percent-encoded once); no second round of encoding, only the
 * SDK's three replacements: '+' → "%20", '*' → "%2A", "%7E" → '~'. */
static int acs3_canonical_uri(StrBuf *b, const char *path) {
        char *p;

        if (isempty(path))
                path = "/";
        p = strbuf_append_begin(b, 3 * strlen(path));
        if (!p)
                return 0; /* b has failed; the caller sees it */
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
        strbuf_append_end(b, p);
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
        CryptoHmacKey key;
        int r;

        if (!in || isempty(access_key_id) || !secret || strpbrk(access_key_id, ", "))
                return -EINVAL;
        r = crypto_hmac_key_init(&key, secret, strlen(secret));
        if (r < 0)
                return r;

        const SignScope scope = {
                .sts_prefix = "ACS3-HMAC-SHA256\n",
                .key = &key,
                .credential = access_key_id,
                .separator = ",",
        };
        r = sign_build(&acs3_rules, in, signed_header_names, &scope, ret);
        crypto_hmac_key_done(&key);
        return r;
}
