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
        const SignScope scope = {
                .sts_prefix = "ACS3-HMAC-SHA256\n",
                .key = secret,
                .key_size = secret ? strlen(secret) : 0,
                .credential = access_key_id,
                .separator = ",",
        };

        if (!in || isempty(access_key_id) || !secret || strpbrk(access_key_id, ", "))
                return -EINVAL;
        return sign_build(&acs3_rules, in, signed_header_names, &scope, ret);
}
