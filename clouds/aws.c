/* SPDX-License-Identifier: MIT */
/* AWS Lambda FunctionEventInvokeConfig (docs/cloud-apis.md §1): rest-json under the API date
 * 2019-09-25, SigV4 with service "lambda", PascalCase bodies. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <strings.h>

#include "clouds/cloud-json.h"
#include "clouds/cloud.h"
#include "clouds/syntax.h"
#include "lib/string-util.h"
#include "lib/urlenc.h"

#define AWS_API_PREFIX "/2019-09-25/functions/"
#define AWS_LIST_MAX_ITEMS "50"
/* ListVersionsByFunction and ListAliases live under the service's own API date. */
#define AWS_FUNCTIONS_PREFIX "/2015-03-31/functions/"

static const CloudDestinationKeys aws_destination_keys = {
        .config = "DestinationConfig",
        .on_success = "OnSuccess",
        .on_failure = "OnFailure",
        .destination = "Destination",
};

/* Does the FunctionName carry a version or alias? name:q, 123:function:name:q and
 * arn:aws:lambda:region:123:function:name:q do. */
static bool aws_function_is_qualified(const char *fn) {
        size_t colons = cloud_count_char(fn, ':');

        if (startswith(fn, "arn:"))
                return colons >= 7;
        if (strstr(fn, ":function:"))
                return colons >= 3;
        return colons >= 1;
}

/* The region and account a FunctionName spells (docs/cloud-apis.md 1.3): both from
 * arn:PARTITION:lambda:REGION:ACCOUNT:function:NAME[:Q], the account from
 * ACCOUNT:function:NAME[:Q]; "" for what it does not spell. */
static void aws_function_locators(const char *fn, char region[static 64], char account[static 64]) {
        char c;

        region[0] = account[0] = 0;
        if (startswith(fn, "arn:")) {
                if (sscanf(fn, "arn:%*[^:]:lambda:%63[^:]:%63[^:]:function:%c", region, account,
                           &c) != 3)
                        region[0] = account[0] = 0;
        } else if (sscanf(fn, "%63[0-9]:function:%c", account, &c) != 2)
                account[0] = 0;
}

/* An ARN names exactly one function: the one of its region and account. Lambda answers on a
 * regional endpoint and acts for the account of the credentials, so a function ARN of another
 * region or account is refused here, before any request could reach a function of the same
 * name in the account's own region. The account id is compared only when it is configured. */
static int aws_check_target(const CloudAccount *a, const char *function, char **ret_message) {
        char region[64], account[64];

        aws_function_locators(function, region, account);
        if (region[0] && !streq(region, a->region))
                return cloud_refuse(ret_message, -EINVAL,
                                    "function '%s' is in region '%s', but account '%s' is "
                                    "in region '%s'",
                                    function, region, strna(a->name), a->region);
        if (account[0] && !isempty(a->account_id) && !streq(account, a->account_id))
                return cloud_refuse(ret_message, -EINVAL,
                                    "function '%s' belongs to AWS account %s, but account "
                                    "'%s' is AWS account %s",
                                    function, account, strna(a->name), a->account_id);
        return 0;
}

static int aws_function_unqualified(const char *fn, char **ret) {
        char *s = aws_function_is_qualified(fn) ? strndup(fn, (size_t) (strrchr(fn, ':') - fn))
                                                : strdup(fn);
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}

static int aws_serialize_config(const AsyncConfig *c, char **ret, size_t *ret_size) {
        CloudJsonWriter w = {};

        cloud_json_writer_open(&w, NULL);
        if (c->has_max_retry_attempts)
                cloud_json_writer_int(&w, "MaximumRetryAttempts", c->max_retry_attempts);
        if (c->has_max_event_age)
                cloud_json_writer_int(&w, "MaximumEventAgeInSeconds", c->max_event_age_seconds);
        cloud_json_write_destinations(&w, &aws_destination_keys, c);
        cloud_json_writer_close(&w);
        return cloud_json_writer_take(&w, ret, ret_size);
}

static int aws_build_request(const CloudAccount *a, CloudOp op, const CloudTarget *t,
                             const AsyncConfig *desired, const char *page_token,
                             CloudRequest *req) {
        _cleanup_free_ char *fn = NULL, *label = NULL;
        int r;

        /* A function the document named by ARN (or partial ARN) is sent as that ARN, not as
         * its bare name. A bare name means "the function of that name in the endpoint's region
         * and the credentials' account", which is another function whenever the ARN's region
         * or account is not the account's own; the ARN means exactly one function, and Lambda
         * refuses it in another region ("Functions from 'R' are not reachable in this region")
         * and for another account (not authorized) instead of acting on a namesake. So even a
         * target that got past validation (a record kept from before the account's region
         * changed) cannot write to the wrong function. A bare name stays a bare name: the
         * document named no region or account. */
        if (aws_check_target(a, t->function, NULL) < 0)
                return -EINVAL;
        if (op == CLOUD_OP_LIST || op == CLOUD_OP_LIST_VERSIONS || op == CLOUD_OP_LIST_ALIASES)
                r = aws_function_unqualified(t->function, &fn);
        else
                r = (fn = strdup(t->function)) ? 0 : -ENOMEM;
        if (r < 0)
                return r;
        /* The path label is encoded on the wire (':' → %3A); SigV4 encodes it once more. */
        r = urlenc_escape(fn, SIZE_MAX, NULL, &label);
        if (r < 0)
                return r;

        if (op == CLOUD_OP_LIST_VERSIONS || op == CLOUD_OP_LIST_ALIASES) {
                req->method = "GET";
                r = cloud_request_set_path(req, AWS_FUNCTIONS_PREFIX "%s/%s", label,
                                           op == CLOUD_OP_LIST_VERSIONS ? "versions" : "aliases");
                if (r >= 0 && page_token)
                        r = cloud_request_add_query(req, "Marker", page_token);
                if (r >= 0)
                        r = cloud_request_add_query(req, "MaxItems", AWS_LIST_MAX_ITEMS);
                return r;
        }
        if (op == CLOUD_OP_LIST) {
                req->method = "GET";
                r = cloud_request_set_path(req, AWS_API_PREFIX "%s/event-invoke-config/list",
                                           label);
                if (r >= 0 && page_token)
                        r = cloud_request_add_query(req, "Marker", page_token);
                if (r >= 0)
                        r = cloud_request_add_query(req, "MaxItems", AWS_LIST_MAX_ITEMS);
                return r;
        }

        req->method = op == CLOUD_OP_GET ? "GET" : op == CLOUD_OP_PUT ? "PUT" : "DELETE";
        r = cloud_request_set_path(req, AWS_API_PREFIX "%s/event-invoke-config", label);
        if (r < 0)
                return r;
        /* An explicit qualifier wins; a name that carries one needs none; else $LATEST. */
        if (t->qualifier)
                r = cloud_request_add_query(req, "Qualifier", t->qualifier);
        else if (!aws_function_is_qualified(fn))
                r = cloud_request_add_query(req, "Qualifier", cloud_ops_aws.default_qualifier);
        if (r < 0)
                return r;
        if (op == CLOUD_OP_PUT)
                return aws_serialize_config(desired, &req->body, &req->body_size);
        return 0;
}

static int aws_sign_request(const CloudAccount *a, CloudRequest *req, const CloudCredentials *c,
                            time_t now, const char *nonce) {
        _cleanup_(sign_result_done) SignResult res = {};
        char date[SIGN_AMZ_DATE_SIZE];
        SignInput in;
        int r;

        r = sign_format_amz_date(now, date);
        if (r < 0)
                return r;
        r = cloud_request_add_header(req, "X-Amz-Date", date);
        if (r >= 0 && req->body)
                r = cloud_request_add_header(req, "Content-Type", "application/json");
        if (r >= 0 && !isempty(c->token))
                r = cloud_request_add_header(req, "X-Amz-Security-Token", c->token);
        if (r < 0)
                return r;
        cloud_request_sign_input(req, &in);
        r = sigv4_sign(&in, c->access_key_id, c->secret, a->region, "lambda", NULL, &res);
        if (r < 0)
                return r;
        return cloud_request_add_header_take(req, "Authorization", TAKE_PTR(res.authorization));
}

static int aws_config_from_json(const json_t *o, AsyncConfig *ret) {
        _cleanup_(async_config_done) AsyncConfig c = {};
        int r;

        /* LastModified (epoch seconds) and FunctionArn are echoes: never diffed. */
        r = cloud_json_get_int(o, "MaximumRetryAttempts", &c.has_max_retry_attempts,
                               &c.max_retry_attempts);
        if (r < 0)
                return r;
        r = cloud_json_get_int(o, "MaximumEventAgeInSeconds", &c.has_max_event_age,
                               &c.max_event_age_seconds);
        if (r < 0)
                return r;
        r = cloud_json_parse_destinations(o, &aws_destination_keys, &c);
        if (r < 0)
                return r;
        *ret = c;
        c = (AsyncConfig){};
        return 0;
}

static int aws_parse_config(const char *body, size_t size, AsyncConfig *ret) {
        json_auto_t *o = NULL;
        int r;

        r = cloud_json_parse_object(body, size, &o);
        if (r < 0)
                return r;
        return aws_config_from_json(o, ret);
}

/* "arn:aws:lambda:us-east-1:123:function:name:QUALIFIER" → "QUALIFIER"; NULL when the ARN
 * carries none. The documented answer is always qualified, but moto's is not: an unqualified
 * ARN may belong to any qualifier, so it is not taken for $LATEST (DESIGN.md §3.12). */
static int aws_arn_qualifier(const char *arn, char **ret) {
        const char *q = NULL;

        if (!startswith(arn, "arn:") || cloud_count_char(arn, ':') < 6)
                return -EBADMSG;
        if (cloud_count_char(arn, ':') >= 7)
                q = strrchr(arn, ':') + 1;
        if (isempty(q)) {
                *ret = NULL;
                return 0;
        }
        *ret = strdup(q);
        return *ret ? 0 : -ENOMEM;
}

static int aws_list_item(const json_t *item, CloudQualifiedConfig *ret) {
        _cleanup_free_ char *qualifier = NULL;
        const char *arn;
        int r;

        r = cloud_json_get_string(item, "FunctionArn", &arn);
        if (r < 0)
                return r;
        if (!arn)
                return -EBADMSG; /* an item we cannot place */
        r = aws_arn_qualifier(arn, &qualifier);
        if (r < 0)
                return r;
        r = aws_config_from_json(item, &ret->config);
        if (r < 0)
                return r;
        ret->qualifier = TAKE_PTR(qualifier);
        return 0;
}

static int aws_parse_list(const char *body, size_t size, CloudConfigList *ret) {
        return cloud_json_parse_list(body, size, "FunctionEventInvokeConfigs", "NextMarker",
                                     aws_list_item, NULL, ret);
}

/* ListVersionsByFunction {"Versions": [{"Version": "$LATEST", ...}], "NextMarker"} and
 * ListAliases {"Aliases": [{"Name": "prod", "FunctionVersion": "1", ...}], "NextMarker"}. */
static int aws_parse_qualifiers(CloudOp op, const char *body, size_t size, CloudConfigList *ret) {
        bool versions = op == CLOUD_OP_LIST_VERSIONS;

        return cloud_json_parse_names(body, size, versions ? "Versions" : "Aliases",
                                      versions ? "Version" : "Name", "NextMarker", NULL, ret);
}

static int aws_parse_error(const char *body, size_t size, CloudError *ret) {
        json_auto_t *o = NULL;
        json_t *code, *message;
        int r;

        r = cloud_json_parse_object(body, size, &o);
        if (r < 0)
                return r;
        /* botocore: body "code"/"Code" when the x-amzn-ErrorType header is missing; the JSON
         * protocols' "__type" is a fallback of the same form. Keys case-insensitive. */
        code = cloud_json_get_ci(o, "code") ?: cloud_json_get_ci(o, "__type");
        message = cloud_json_get_ci(o, "message");
        if (json_is_string(code) && !isempty(json_string_value(code))) {
                free(ret->code);
                ret->code = NULL;
                r = cloud_aws_error_code_clean(json_string_value(code), &ret->code);
                if (r < 0)
                        return r;
        }
        if (json_is_string(message) && !(ret->message = strdup(json_string_value(message))))
                return -ENOMEM;
        return 0;
}

static void aws_classify_error(CloudOp op, CloudError *e) {
        /* botocore retries/standard.py's throttling codes. */
        static const char *const throttling[] = {
                "TooManyRequestsException",
                "ThrottlingException",
                "Throttling",
                "ThrottledException",
                "RequestThrottledException",
                "RequestThrottled",
                "RequestLimitExceeded",
                "SlowDown",
                "TooManyRequests",
                "ProvisionedThroughputExceededException",
                "BandwidthLimitExceeded",
                "LimitExceededException",
                "TransactionInProgressException",
                NULL,
        };
        static const char *const auth[] = {
                "UnrecognizedClientException", "InvalidSignatureException",
                "AccessDeniedException",       "ExpiredTokenException",
                "IncompleteSignature",         "MissingAuthenticationToken",
                "SignatureDoesNotMatch",       "InvalidClientTokenId",
                "KMSAccessDeniedException",    NULL,
        };
        const char *msg = e->message ?: "";
        long s = e->http_status;

        if (s == 429 || cloud_error_code_in(e, throttling))
                e->class = CLOUD_ERROR_THROTTLED;
        else if (s == 401 || s == 403 || cloud_error_code_in(e, auth))
                e->class = CLOUD_ERROR_AUTH;
        else if (e->code && streq(e->code, "ResourceNotFoundException")) {
                /* Both "no function" and "no config" are this 404; only the message tells them
                 * apart ("Function not found: arn:..." vs "The function arn:... doesn't have
                 * an EventInvokeConfig", docs/cloud-apis.md 1.6). The second wording is
                 * UNCONFIRMED, so anything but "Function not found" on a GET or DELETE is "no
                 * config": at worst the following PUT reports the missing function. */
                if (strcasestr(msg, "not reachable in this region")) {
                        /* "Functions from 'R' are not reachable in this region ('S')": an ARN of
                         * another region. Not "absent": nothing was read or deleted. */
                        e->class = CLOUD_ERROR_PERMANENT;
                        e->note = "the function ARN names another region than the account's";
                } else if (strcasestr(msg, "Function not found") ||
                           (op != CLOUD_OP_GET && op != CLOUD_OP_DELETE))
                        e->class = CLOUD_ERROR_FUNCTION_ABSENT;
                else
                        e->class = CLOUD_ERROR_CONFIG_ABSENT;
        } else if (s == 409 || (e->code && streq(e->code, "ResourceConflictException"))) {
                e->class = CLOUD_ERROR_TRANSIENT;
                e->note = "the function is being updated";
        } else if (e->code && streq(e->code, "InvalidParameterValueException") &&
                   (strcasestr(msg, "destination ARN") ||
                    strcasestr(msg, "does not have permissions"))) {
                /* Also what a fresh role permission looks like until IAM has propagated it
                 * (terraform-provider-aws retries these). */
                e->class = CLOUD_ERROR_TRANSIENT;
                e->note = "may be IAM propagation delay of the function's role; retrying";
        } else if (s >= 500 || (e->code && streq(e->code, "ServiceException")))
                e->class = CLOUD_ERROR_TRANSIENT;
        else if (s == 400)
                e->class = CLOUD_ERROR_INVALID;
        else
                e->class = CLOUD_ERROR_PERMANENT;
}

static int aws_default_endpoint(const CloudAccount *a, char **ret) {
        return asprintf(ret, "https://lambda.%s.amazonaws.com", a->region) < 0 ? -ENOMEM : 0;
}

/* ---- the provider's facts: function ids, destinations ------------------------------- */

static bool aws_function_name_valid(const char *s) {
        return syntax_chars_valid(s, 1, 64, "-_");
}

static bool aws_qualifier_valid(const char *s) {
        return streq(s, "$LATEST") || streq(s, "$LATEST.PUBLISHED") ||
               syntax_chars_valid(s, 1, 128, "-_$");
}

static bool aws_account_id_valid(const char *s) {
        return strlen(s) == 12 && syntax_digits_valid(s);
}

/* The unqualified ARN (partition as written) or partial ARN, when the function was spelled
 * with a region or account. */
static int aws_set_target(const char *partition, FunctionId *id) {
        int r = 0;

        if (id->region)
                r = asprintf(&id->target, "arn:%s:lambda:%s:%s:function:%s", partition, id->region,
                             id->account_id, id->name);
        else if (id->account_id)
                r = asprintf(&id->target, "%s:function:%s", id->account_id, id->name);
        if (r < 0) {
                id->target = NULL;
                return -ENOMEM;
        }
        return 0;
}

/* The parts of a function spelling: name, and what the spelling carries besides. */
typedef struct AwsSpelling {
        const char *partition, *region, *account, *name, *qualifier;
} AwsSpelling;

static int aws_split_function(const char *function, char *buf, AwsSpelling *ret,
                              char **ret_message) {
        const char *parts[8];
        int n = colon_split(function, buf, COLON_SPLIT_MAX, parts, 8);

        if (n < 0)
                return cloud_refuse(ret_message, -EINVAL, "function is too long");
        if (streq(parts[0], "arn")) {
                if (n < 7 || n > 8 || !streq(parts[2], "lambda") || !streq(parts[5], "function"))
                        return cloud_refuse(
                                ret_message, -EINVAL,
                                "invalid Lambda function ARN '%s' (expected "
                                "arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER])",
                                function);
                if (!startswith(parts[1], "aws") || !syntax_region_valid(parts[3]) ||
                    !aws_account_id_valid(parts[4]))
                        return cloud_refuse(
                                ret_message, -EINVAL,
                                "invalid Lambda function ARN '%s' (bad partition, region "
                                "or account)",
                                function);
                *ret = (AwsSpelling){ parts[1], parts[3], parts[4], parts[6],
                                      n == 8 ? parts[7] : NULL };
        } else if (n >= 3 && streq(parts[1], "function")) {
                if (n > 4 || !aws_account_id_valid(parts[0]))
                        return cloud_refuse(ret_message, -EINVAL,
                                            "invalid partial Lambda ARN '%s' (expected "
                                            "ACCOUNT:function:NAME[:QUALIFIER])",
                                            function);
                *ret = (AwsSpelling){ .account = parts[0],
                                      .name = parts[2],
                                      .qualifier = n == 4 ? parts[3] : NULL };
        } else {
                if (n > 2)
                        return cloud_refuse(
                                ret_message, -EINVAL,
                                "invalid function '%s' (expected a name, name:qualifier, "
                                "or an ARN)",
                                function);
                *ret = (AwsSpelling){ .name = parts[0], .qualifier = n == 2 ? parts[1] : NULL };
        }
        return 0;
}

static int aws_parse_function_id(const char *function, const char *qualifier, FunctionId *id,
                                 char **ret_message) {
        char buf[COLON_SPLIT_MAX];
        AwsSpelling sp = {};
        int r;

        if (qualifier && !aws_qualifier_valid(qualifier))
                return cloud_refuse(ret_message, -EDOM,
                                    "invalid qualifier '%s' (expected $LATEST, a "
                                    "version number or an alias name)",
                                    qualifier);
        r = aws_split_function(function, buf, &sp, ret_message);
        if (r < 0)
                return r;
        if (!aws_function_name_valid(sp.name))
                return cloud_refuse(ret_message, -EINVAL,
                                    "invalid function name '%s' (1-64 letters, digits, '-' or '_')",
                                    sp.name);
        if (sp.qualifier && !aws_qualifier_valid(sp.qualifier))
                return cloud_refuse(ret_message, -EINVAL, "invalid qualifier '%s' in function '%s'",
                                    sp.qualifier, function);
        id->api = CLOUD_API_AWS_LAMBDA;
        id->qualifier_spelled = sp.qualifier != NULL;
        r = function_id_merge_qualifier(sp.qualifier, qualifier, "$LATEST", &id->qualifier,
                                        ret_message);
        if (r < 0)
                return r;
        if (strdup_opt(sp.name, &id->function) < 0 || strdup_opt(sp.name, &id->name) < 0 ||
            strdup_opt(sp.region, &id->region) < 0 || strdup_opt(sp.account, &id->account_id) < 0)
                return -ENOMEM;
        return aws_set_target(sp.partition, id);
}

/* SQS queue / SNS topic names: letters, digits, '-', '_', optionally ending in ".fifo". */
static bool aws_queue_name_valid(const char *s, size_t max) {
        size_t n = strlen(s);

        if (n > 5 && endswith(s, ".fifo"))
                n -= 5;
        return syntax_span_valid(s, n, 1, max, "-_");
}

static bool aws_lambda_resource_valid(const char *r) {
        char buf[COLON_SPLIT_MAX];
        const char *parts[3];
        int n = colon_split(r, buf, sizeof(buf), parts, 3);

        return (n == 2 || n == 3) && streq(parts[0], "function") &&
               aws_function_name_valid(parts[1]) && (n == 2 || aws_qualifier_valid(parts[2]));
}

/* Destinations (docs/cloud-apis.md §1.5): the ARN of an SQS queue, SNS topic, Lambda function
 * or EventBridge event bus; an S3 bucket ARN only for onFailure. NULL if valid, else why not. */
static const char *aws_destination_reason(const char *arn, bool on_failure) {
        char buf[COLON_SPLIT_MAX];
        const char *p[6];
        int n = colon_split(arn, buf, sizeof(buf), p, 6);

        if (n != 6 || !streq(p[0], "arn") || !startswith(p[1], "aws") ||
            !syntax_chars_valid(p[1], 3, 16, "-"))
                return "is not an AWS ARN (arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE)";
        if (streq(p[2], "s3")) {
                if (!on_failure)
                        return "is an S3 bucket, which is accepted only for onFailure";
                if (!isempty(p[3]) || !isempty(p[4]) || !syntax_bucket_valid(p[5]))
                        return "is not a valid S3 bucket ARN (arn:aws:s3:::BUCKET)";
                return NULL;
        }
        if (!streq(p[2], "sqs") && !streq(p[2], "sns") && !streq(p[2], "lambda") &&
            !streq(p[2], "events"))
                return on_failure
                               ? "is not an SQS queue, SNS topic, Lambda function, EventBridge "
                                 "event bus or S3 bucket ARN"
                               : "is not an SQS queue, SNS topic, Lambda function or EventBridge "
                                 "event bus ARN";
        if (!syntax_region_valid(p[3]) || !aws_account_id_valid(p[4]))
                return "has an invalid region or account (12 digits)";
        if (streq(p[2], "sqs") && !aws_queue_name_valid(p[5], 80))
                return "is not a valid SQS queue ARN";
        if (streq(p[2], "sns") && !aws_queue_name_valid(p[5], 256))
                return "is not a valid SNS topic ARN";
        if (streq(p[2], "lambda") && !aws_lambda_resource_valid(p[5]))
                return "is not a valid Lambda function ARN";
        if (streq(p[2], "events") &&
            (!startswith(p[5], "event-bus/") || !syntax_chars_valid(p[5] + 10, 1, 256, "-_./")))
                return "is not a valid EventBridge event bus ARN (…:event-bus/NAME)";
        return NULL;
}

static int aws_check_destination(const char *target, bool on_failure, char **ret_message) {
        const char *why = aws_destination_reason(target, on_failure);

        if (!why)
                return 0;
        return cloud_refuse(ret_message, -EINVAL, "destination '%s' %s", target, why);
}

/* ---- the table ---------------------------------------------------------------------- */

/* Ranges: aws retries 0-2, age 60-21600 (botocore service-2.json; all sources agree). The
 * cloud stays the authority and rejects what it does not take at PUT time. */
const CloudOps cloud_ops_aws = {
        .api = CLOUD_API_AWS_LAMBDA,
        .provider = PROVIDER_AWS,
        .default_qualifier = "$LATEST",
        .parse_function_id = aws_parse_function_id,
        .limits = {
                [CLOUD_LIMIT_RETRY_ATTEMPTS] = { 0, 2 },
                [CLOUD_LIMIT_EVENT_AGE_SECONDS] = { 60, 21600 },
        },
        .check_destination = aws_check_destination,
        .check_target = aws_check_target,
        .default_endpoint = aws_default_endpoint,
        .build_request = aws_build_request,
        .sign_request = aws_sign_request,
        .serialize_config = aws_serialize_config,
        .parse_config = aws_parse_config,
        .parse_list = aws_parse_list,
        .parse_qualifiers = aws_parse_qualifiers,
        .parse_error = aws_parse_error,
        .code_header = "x-amzn-ErrorType",
        .request_id_header = "x-amzn-RequestId",
        .classify_error = aws_classify_error,
};
