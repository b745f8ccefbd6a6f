/* SPDX-License-Identifier: MIT */
#pragma once

#include "tests/fakecloud/internal.h"

/* Checks the signature of a cloud request with the credentials configured for its API.
 * 0: authentic. -EACCES: rejected; *ret_kind is the error class and detail says why (no
 * secret in it). -ENOMEM/-EIO: could not check. Sets c->region for SigV4 (the scope's). */
int fake_auth_check(FakeCall *c, const FakeApiOps *ops, FakeErrorKind *ret_kind, char *detail,
                    size_t size);
