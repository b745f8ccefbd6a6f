/* SPDX-License-Identifier: MIT */
#pragma once

/* The User-Agent of every HTTP engine asyncfg makes (lib/http.h's options.user_agent): the
 * clouds log it, and an operator finds asyncfg's calls in CloudTrail/ActionTrail/CTS by it. */
#define ASYNCFG_USER_AGENT "asyncfg/" ASYNCFG_VERSION
