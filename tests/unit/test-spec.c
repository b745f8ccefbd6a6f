/* SPDX-License-Identifier: MIT */
/* Desired-state documents: a table of invalid inputs, each with the exact line and column and
 * a stable part of the message, and a table of valid inputs covering every field and provider. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>

#include "reconciler/desired/desired.h"
#include "reconciler/spec/spec.h"

#define HDR "apiVersion: asyncfg.io/v1\nkind: AsyncInvokeConfig\nmetadata:\n  name: t\nspec:\n"
/* Each of these ends on line 7; the line under test is line 8, its key at column 3. */
#define AWS HDR "  provider: aws\n  function: f\n"
#define ALI HDR "  provider: alicloud\n  function: f\n"
#define HWURN "urn:fss:cn-north-4:0123456789abcdef0123456789abcdef:function:default:f"
#define HW HDR "  provider: huaweicloud\n  function: " HWURN ":latest\n"

typedef struct Case {
        const char *yaml;
        unsigned line, column;
        const char *message;
        unsigned n_errors; /* 0 means 1 */
} Case;

static const Case invalid_cases[] = {
        /* syntax */
        { "[\n", 2, 1, "syntax error: did not find expected node content" },
        { "a: b: c\n", 1, 5, "syntax error: mapping values are not allowed" },
        { "a:\n\t- b\n", 2, 1, "syntax error: found character that cannot start any token" },
        { "a: \"open\n", 2, 1, "syntax error: found unexpected end of stream" },
        { "a: {b: 1\n", 2, 1, "syntax error: did not find expected ',' or '}'" },
        /* structure */
        { "just a string\n", 1, 1, "document must be a mapping, got a string" },
        { "- a\n- b\n", 1, 1, "document must be a mapping, got a sequence" },
        { AWS "  qualifier: &x v1\n  account: *x\n", 9, 12, "aliases are not supported ('*x')", 2 },
        { HDR "  provider: aws\n  function: f\n  function: g\n", 8, 3,
          "duplicate key 'function' (first at line 7, column 3)" },
        { "? [a]\n: b\n", 1, 3, "mapping keys must be scalars" },
        { "a: !foo bar\n", 1, 4, "unsupported tag '!foo'", 6 },
        { "a: !!int abc\n", 1, 4, "value 'abc' does not match its tag '!!int'", 6 },
        { "apiVersion: asyncfg.io/v1\nkind: AsyncInvokeConfig\nmetadata: {name: t}\nspec: {}\n", 4,
          7, "missing required key 'provider' in 'spec'", 2 },
        /* unknown keys */
        { AWS "  bogus: 1\n", 8, 3, "unknown key 'bogus' in 'spec'" },
        { HDR "  provider: aws\n  function: f\nstatus: {}\n", 8, 1,
          "unknown key 'status' in document" },
        { "apiVersion: asyncfg.io/v1\nkind: AsyncInvokeConfig\nmetadata:\n  name: t\n  namespace: x\nspec: {provider: aws, function: f}\n",
          5, 3, "unknown key 'namespace' in 'metadata'" },
        { AWS "  onSuccess: {destination: 'arn:aws:sqs:us-east-1:123456789012:q', type: sqs}\n", 8,
          68, "unknown key 'type' in 'onSuccess'" },
        { HW "  onSuccess: {destination: DIS, param: {stream_name: s, partition: 1}}\n", 8, 57,
          "unknown key 'partition' in DIS param" },
        /* missing keys */
        { "kind: AsyncInvokeConfig\nmetadata: {name: t}\nspec: {provider: aws, function: f}\n", 1,
          1, "missing required key 'apiVersion' in document" },
        { "apiVersion: asyncfg.io/v1\nmetadata: {name: t}\nspec: {provider: aws, function: f}\n", 1,
          1, "missing required key 'kind' in document" },
        { "apiVersion: asyncfg.io/v1\nkind: AsyncInvokeConfig\nspec: {provider: aws, function: f}\n",
          1, 1, "missing required key 'metadata' in document" },
        { "apiVersion: asyncfg.io/v1\nkind: AsyncInvokeConfig\nmetadata: {name: t}\n", 1, 1,
          "missing required key 'spec' in document" },
        { "apiVersion: asyncfg.io/v1\nkind: AsyncInvokeConfig\nmetadata: {labels: {a: b}}\nspec: {provider: aws, function: f}\n",
          3, 11, "missing required key 'name' in 'metadata'" },
        { HDR "  function: f\n", 6, 3, "missing required key 'provider' in 'spec'" },
        { HDR "  provider: aws\n", 6, 3, "missing required key 'function' in 'spec'" },
        { AWS "  onSuccess: {}\n", 8, 14, "missing required key 'destination' in 'onSuccess'" },
        /* wrong types */
        { AWS "  maxRetryAttempts: \"1\"\n", 8, 21,
          "'maxRetryAttempts' must be an integer, got a string" },
        { AWS "  maxEventAgeSeconds: 60.5\n", 8, 23,
          "'maxEventAgeSeconds' must be an integer, got a number" },
        { ALI "  asyncTask: yes\n", 8, 14,
          "'asyncTask' must be a boolean (true or false), got a string" },
        { HW "  enableAsyncStatusLog: 1\n", 8, 25,
          "'enableAsyncStatusLog' must be a boolean (true or false), got an integer" },
        { "apiVersion: asyncfg.io/v1\nkind: AsyncInvokeConfig\nmetadata: [t]\nspec: {provider: aws, function: f}\n",
          3, 11, "'metadata' must be a mapping, got a sequence" },
        { "apiVersion: asyncfg.io/v1\nkind: AsyncInvokeConfig\nmetadata: {name: t}\nspec: aws\n", 4,
          7, "'spec' must be a mapping, got a string" },
        { "apiVersion: asyncfg.io/v1\nkind: AsyncInvokeConfig\nmetadata: {name: t, labels: [a]}\nspec: {provider: aws, function: f}\n",
          3, 29, "'labels' must be a mapping, got a sequence" },
        { "apiVersion: asyncfg.io/v1\nkind: AsyncInvokeConfig\nmetadata: {name: t, labels: {a: 1}}\nspec: {provider: aws, function: f}\n",
          3, 33, "'a' must be a string, got an integer" },
        { AWS "  ignore: onSuccess\n", 8, 11, "'ignore' must be a sequence, got a string" },
        { AWS "  onSuccess: arn:aws:sqs:us-east-1:123456789012:q\n", 8, 14,
          "'onSuccess' must be a mapping, got a string" },
        { AWS "  qualifier: 1\n", 8, 14, "'qualifier' must be a string, got an integer" },
        { HDR "  provider: aws\n  function: 123\n", 7, 13,
          "'function' must be a string, got an integer" },
        { AWS "  account: \n", 8, 11, "'account' must be a string, got null" },
        { AWS "  function2: f\n", 8, 3, "unknown key 'function2' in 'spec'" },
        /* constants and enums */
        { "apiVersion: asyncfg.io/v2\nkind: AsyncInvokeConfig\nmetadata: {name: t}\nspec: {provider: aws, function: f}\n",
          1, 13, "unsupported apiVersion 'asyncfg.io/v2'" },
        { "apiVersion: asyncfg.io/v1\nkind: Config\nmetadata: {name: t}\nspec: {provider: aws, function: f}\n",
          2, 7, "unsupported kind 'Config'" },
        { HDR "  provider: gcp\n  function: f\n", 6, 13,
          "'provider' must be one of aws, alicloud, huaweicloud, got 'gcp'" },
        { AWS "  management: fix\n", 8, 15,
          "'management' must be one of enforce, observe, got 'fix'" },
        { AWS "  deletionPolicy: retain\n", 8, 19,
          "'deletionPolicy' must be one of orphan, delete, got 'retain'" },
        { AWS "  resyncInterval: 5x\n", 8, 19, "'resyncInterval' is not a valid duration: '5x'" },
        { AWS "  resyncInterval: 500ms\n", 8, 19, "'resyncInterval' must be between 1s and 7d" },
        { AWS "  resyncInterval: 8d\n", 8, 19, "'resyncInterval' must be between 1s and 7d" },
        { "apiVersion: asyncfg.io/v1\nkind: AsyncInvokeConfig\nmetadata: {name: Orders}\nspec: {provider: aws, function: f}\n",
          3, 18, "invalid name 'Orders'" },
        { "apiVersion: asyncfg.io/v1\nkind: AsyncInvokeConfig\nmetadata: {name: -x}\nspec: {provider: aws, function: f}\n",
          3, 18, "invalid name '-x'" },
        { "apiVersion: asyncfg.io/v1\nkind: AsyncInvokeConfig\nmetadata: {name: x-}\nspec: {provider: aws, function: f}\n",
          3, 18, "invalid name 'x-'" },
        { "apiVersion: asyncfg.io/v1\nkind: AsyncInvokeConfig\nmetadata: {name: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa}\nspec: {provider: aws, function: f}\n",
          3, 18, "invalid name 'aaaa" },
        { "apiVersion: asyncfg.io/v1\nkind: AsyncInvokeConfig\nmetadata: {name: t, labels: {team-name: a}}\nspec: {provider: aws, function: f}\n",
          3, 30, "invalid label name 'team-name'" },
        { "apiVersion: asyncfg.io/v1\nkind: AsyncInvokeConfig\nmetadata: {name: t, labels: {__x: a}}\nspec: {provider: aws, function: f}\n",
          3, 30, "invalid label name '__x'" },
        { AWS "  ignore: [fooBar]\n", 8, 12, "'ignore' entry 'fooBar' is not a field" },
        /* provider-only fields */
        { AWS "  asyncTask: true\n", 8, 3, "key 'asyncTask' is only valid for provider alicloud" },
        { HW "  asyncTask: true\n", 8, 3, "key 'asyncTask' is only valid for provider alicloud" },
        { AWS "  enableAsyncStatusLog: true\n", 8, 3,
          "key 'enableAsyncStatusLog' is only valid for provider huaweicloud" },
        { ALI "  enableAsyncStatusLog: true\n", 8, 3,
          "key 'enableAsyncStatusLog' is only valid for provider huaweicloud" },
        { AWS "  onFailure: {destination: 'arn:aws:sqs:us-east-1:123456789012:q', param: {a: b}}\n",
          8, 68, "key 'param' is only valid for provider huaweicloud" },
        { ALI
          "  onFailure:\n    destination: acs:mns:cn-hangzhou:1234567890123456:/queues/q/messages\n    param: {a: b}\n",
          10, 5, "key 'param' is only valid for provider huaweicloud" },
        { AWS "  ignore: [onSuccess, asyncTask]\n", 8, 23,
          "'ignore' entry 'asyncTask' is not a field of provider aws" },
        { ALI "  ignore: [enableAsyncStatusLog]\n", 8, 12,
          "'ignore' entry 'enableAsyncStatusLog' is not a field of provider alicloud" },
        { HW "  ignore: [asyncTask]\n", 8, 12,
          "'ignore' entry 'asyncTask' is not a field of provider huaweicloud" },
        /* ranges, every bound of every provider, just outside */
        { AWS "  maxRetryAttempts: -1\n", 8, 21,
          "'maxRetryAttempts' must be between 0 and 2 for provider aws, got -1" },
        { AWS "  maxRetryAttempts: 3\n", 8, 21,
          "'maxRetryAttempts' must be between 0 and 2 for provider aws, got 3" },
        { AWS "  maxEventAgeSeconds: 59\n", 8, 23,
          "'maxEventAgeSeconds' must be between 60 and 21600 for provider aws, got 59" },
        { AWS "  maxEventAgeSeconds: 21601\n", 8, 23,
          "'maxEventAgeSeconds' must be between 60 and 21600 for provider aws, got 21601" },
        { ALI "  maxRetryAttempts: -1\n", 8, 21,
          "'maxRetryAttempts' must be between 0 and 8 for provider alicloud, got -1" },
        { ALI "  maxRetryAttempts: 9\n", 8, 21,
          "'maxRetryAttempts' must be between 0 and 8 for provider alicloud, got 9" },
        { ALI "  maxEventAgeSeconds: 0\n", 8, 23,
          "'maxEventAgeSeconds' must be between 1 and 2592000 for provider alicloud, got 0" },
        { ALI "  maxEventAgeSeconds: 2592001\n", 8, 23,
          "'maxEventAgeSeconds' must be between 1 and 2592000 for provider alicloud, got 2592001" },
        { HW "  maxRetryAttempts: -1\n", 8, 21,
          "'maxRetryAttempts' must be between 0 and 8 for provider huaweicloud, got -1" },
        { HW "  maxRetryAttempts: 9\n", 8, 21,
          "'maxRetryAttempts' must be between 0 and 8 for provider huaweicloud, got 9" },
        { HW "  maxEventAgeSeconds: 0\n", 8, 23,
          "'maxEventAgeSeconds' must be between 1 and 86400 for provider huaweicloud, got 0" },
        { HW "  maxEventAgeSeconds: 86401\n", 8, 23,
          "'maxEventAgeSeconds' must be between 1 and 86400 for provider huaweicloud, got 86401" },
        { AWS "  maxRetryAttempts: 99999999999999999999\n", 8, 21,
          "integer '99999999999999999999' is out of range" },
        /* function identity */
        { HDR "  provider: aws\n  function: 'my fn'\n", 7, 13, "invalid function name 'my fn'" },
        { HDR "  provider: aws\n  function: arn:aws:lambda:us-east-1:12345:function:f\n", 7, 13,
          "invalid Lambda function ARN" },
        { HDR "  provider: aws\n  function: arn:aws:sqs:us-east-1:123456789012:function:f\n", 7, 13,
          "invalid Lambda function ARN" },
        { HDR "  provider: aws\n  function: 123456789012:function:f:v1:extra\n", 7, 13,
          "invalid partial Lambda ARN" },
        { HDR "  provider: aws\n  function: a:b:c\n", 7, 13, "invalid function 'a:b:c'" },
        { HDR "  provider: aws\n  function: f:v1\n  qualifier: v2\n", 8, 14,
          "qualifier 'v2' conflicts with the qualifier 'v1' in the function" },
        { HDR
          "  provider: aws\n  function: arn:aws:lambda:us-east-1:123456789012:function:f:live\n  qualifier: $LATEST\n",
          8, 14, "qualifier '$LATEST' conflicts with the qualifier 'live'" },
        { AWS "  qualifier: 'v 1'\n", 8, 14, "invalid qualifier 'v 1'" },
        { HDR "  provider: alicloud\n  function: svc/fn/x\n", 7, 13,
          "invalid FC2 function 'svc/fn/x'" },
        { HDR "  provider: alicloud\n  function: 1fn\n", 7, 13, "invalid function name '1fn'" },
        { ALI "  qualifier: 'a.b'\n", 8, 14, "invalid qualifier 'a.b'" },
        { HDR "  provider: huaweicloud\n  function: orders\n", 7, 13,
          "invalid function URN 'orders'" },
        { HDR "  provider: huaweicloud\n  function: urn:fss:cn-north-4:p:fn:default:f:latest\n", 7,
          13, "invalid function URN" },
        { HDR "  provider: huaweicloud\n  function: " HWURN ":v1\n  qualifier: v2\n", 8, 14,
          "qualifier 'v2' conflicts with the qualifier 'v1' in the function" },
        { HDR "  provider: huaweicloud\n  function: " HWURN ":latest:x\n", 7, 13,
          "invalid function URN" },
        /* AWS destinations */
        { AWS "  onSuccess: {destination: orders-ok}\n", 8, 28,
          "onSuccess destination 'orders-ok' is not an AWS ARN" },
        { AWS "  onSuccess: {destination: 'arn:aws:s3:::bucket'}\n", 8, 28,
          "is an S3 bucket, which is accepted only for onFailure" },
        { AWS "  onFailure: {destination: 'arn:aws:s3:::Bad_Bucket'}\n", 8, 28,
          "is not a valid S3 bucket ARN" },
        { AWS "  onFailure: {destination: 'arn:aws:dynamodb:us-east-1:123456789012:table/t'}\n", 8,
          28,
          "is not an SQS queue, SNS topic, Lambda function, EventBridge event bus or S3 bucket ARN" },
        { AWS "  onSuccess: {destination: 'arn:aws:kinesis:us-east-1:123456789012:stream/s'}\n", 8,
          28, "is not an SQS queue, SNS topic, Lambda function or EventBridge event bus ARN" },
        { AWS "  onSuccess: {destination: 'arn:aws:sqs:us-east-1:1234:q'}\n", 8, 28,
          "has an invalid region or account (12 digits)" },
        { AWS "  onSuccess: {destination: 'arn:aws:sqs:us-east-1:123456789012:bad/name'}\n", 8, 28,
          "is not a valid SQS queue ARN" },
        { AWS "  onFailure: {destination: 'arn:aws:sns:us-east-1:123456789012:'}\n", 8, 28,
          "is not a valid SNS topic ARN" },
        { AWS "  onFailure: {destination: 'arn:aws:lambda:us-east-1:123456789012:fn:x'}\n", 8, 28,
          "is not a valid Lambda function ARN" },
        { AWS "  onFailure: {destination: 'arn:aws:events:us-east-1:123456789012:rule/x'}\n", 8, 28,
          "is not a valid EventBridge event bus ARN" },
        /* Alibaba destinations */
        { ALI "  onSuccess: {destination: 'arn:aws:sqs:us-east-1:123456789012:q'}\n", 8, 28,
          "is not an Alibaba Cloud ARN" },
        { ALI "  onSuccess: {destination: 'acs:oss:cn-hangzhou:1234567890123456:bucket'}\n", 8, 28,
          "is not an MNS queue or topic, FC function or EventBridge ARN" },
        { ALI "  onSuccess: {destination: 'acs:mns:cn-hangzhou:12ab:/queues/q/messages'}\n", 8, 28,
          "has an invalid region or account ID" },
        { ALI "  onFailure: {destination: 'acs:mns:cn-hangzhou:1234567890123456:/queues/q'}\n", 8,
          28, "is not a valid MNS ARN" },
        { ALI
          "  onFailure: {destination: 'acs:mns:cn-hangzhou:1234567890123456:/subscriptions/q/messages'}\n",
          8, 28, "is not a valid MNS ARN" },
        { ALI "  onFailure: {destination: 'acs:fc:cn-hangzhou:1234567890123456:function/f'}\n", 8,
          28, "is not a valid FC function ARN" },
        { ALI "  onFailure: {destination: 'acs:eventbridge:cn-hangzhou:1234567890123456:bus/b'}\n",
          8, 28, "is not a valid EventBridge ARN" },
        /* Huawei destinations */
        { HW "  onSuccess: {destination: KAFKA, param: {a: b}}\n", 8, 28,
          "onSuccess destination type 'KAFKA' is not one of OBS, SMN, DIS, FunctionGraph" },
        { HW "  onSuccess: {destination: obs, param: {bucket: b, prefix: p}}\n", 8, 28,
          "destination type 'obs' is not one of" },
        { HW "  onSuccess: {destination: SMN}\n", 8, 14,
          "missing required key 'param' in 'onSuccess' (destination SMN)" },
        { HW "  onSuccess: {destination: SMN, param: urn}\n", 8, 40,
          "'param' must be a mapping, got a string" },
        { HW "  onSuccess: {destination: OBS, param: {prefix: /p}}\n", 8, 40,
          "missing required key 'bucket' in OBS param" },
        { HW "  onSuccess: {destination: OBS, param: {bucket: bkt}}\n", 8, 40,
          "missing required key 'prefix' in OBS param" },
        { HW "  onSuccess: {destination: OBS, param: {bucket: bkt, prefix: /p, expires: 366}}\n", 8,
          75, "'expires' must be between 0 and 365, got 366" },
        { HW "  onSuccess: {destination: OBS, param: {bucket: bkt, prefix: /p, expires: -1}}\n", 8,
          75, "'expires' must be between 0 and 365, got -1" },
        { HW "  onSuccess: {destination: OBS, param: {bucket: Bad_Bucket, prefix: /p}}\n", 8, 49,
          "invalid OBS bucket name 'Bad_Bucket'" },
        { HW "  onFailure: {destination: SMN, param: {}}\n", 8, 40,
          "missing required key 'topic_urn' in SMN param" },
        { HW "  onFailure: {destination: SMN, param: {topic_urn: 'urn:smn:cn-north-4:p'}}\n", 8, 52,
          "invalid SMN topic URN" },
        { HW "  onFailure: {destination: DIS, param: {stream: s}}\n", 8, 41,
          "unknown key 'stream' in DIS param", 2 },
        { HW "  onFailure: {destination: FunctionGraph, param: {}}\n", 8, 50,
          "missing required key 'func_urn' in FunctionGraph param" },
        { HW "  onFailure: {destination: FunctionGraph, param: {func_urn: 'urn:fss:x'}}\n", 8, 61,
          "invalid function URN 'urn:fss:x'" },
};

static int find_diag(const DiagList *l, const Case *c) {
        for (size_t i = 0; i < l->n; i++)
                if (l->items[i].line == c->line && l->items[i].column == c->column &&
                    strstr(l->items[i].message, c->message))
                        return (int) i;
        return -1;
}

static bool run_invalid(const Case *c, size_t index) {
        _cleanup_(desired_set_freep) DesiredSet *s = NULL;
        const DesiredFile *f;

        assert_int_equal(desired_set_new(NULL, &s), 0);
        assert_int_equal(desired_set_load_data(s, "t.yaml", c->yaml, strlen(c->yaml)), 0);
        f = desired_set_get_file(s, "t.yaml");
        assert_non_null(f);
        assert_int_equal(f->state, DESIRED_FILE_ERROR);
        assert_int_equal(f->n_resources, 0);
        if (find_diag(&f->diags, c) < 0 || f->diags.n_errors != (c->n_errors ?: 1)) {
                fprintf(stderr, "case %zu: expected %u:%u '%s' (%u errors), got:\n", index, c->line,
                        c->column, c->message, c->n_errors ?: 1);
                diag_list_print(&f->diags, stderr);
                return false;
        }
        return true;
}

/* Every case runs and every mismatch is printed before the test fails. */
static void test_invalid_table(void **state) {
        size_t failed = 0;

        assert_true(ELEMENTSOF(invalid_cases) >= 60);
        for (size_t i = 0; i < ELEMENTSOF(invalid_cases); i++)
                failed += !run_invalid(&invalid_cases[i], i);
        assert_int_equal(failed, 0);
}

/* ---- valid cases ---------------------------------------------------------------------------- */

static const char *const valid_cases[] = {
        /* ranges, every bound of every provider, just inside */
        AWS "  maxRetryAttempts: 0\n  maxEventAgeSeconds: 60\n",
        AWS "  maxRetryAttempts: 2\n  maxEventAgeSeconds: 21600\n",
        ALI "  maxRetryAttempts: 0\n  maxEventAgeSeconds: 1\n",
        ALI "  maxRetryAttempts: 8\n  maxEventAgeSeconds: 2592000\n",
        HW "  maxRetryAttempts: 0\n  maxEventAgeSeconds: 1\n",
        HW "  maxRetryAttempts: 8\n  maxEventAgeSeconds: 86400\n",
        /* AWS destinations */
        AWS
        "  onSuccess: {destination: 'arn:aws:sqs:us-east-1:123456789012:q.fifo'}\n  onFailure: {destination: 'arn:aws:s3:::my-bucket.logs'}\n",
        AWS
        "  onSuccess: {destination: 'arn:aws:sns:us-east-1:123456789012:t'}\n  onFailure: {destination: 'arn:aws:lambda:us-east-1:123456789012:function:dlq:prod'}\n",
        AWS
        "  onSuccess: {destination: 'arn:aws-cn:events:cn-north-1:123456789012:event-bus/default'}\n",
        /* Alibaba destinations */
        ALI
        "  onSuccess: {destination: 'acs:mns:cn-hangzhou:1234567890123456:/topics/t/messages'}\n  onFailure: {destination: 'acs:eventbridge:cn-hangzhou:1234567890123456:eventbus/default'}\n",
        ALI
        "  onFailure: {destination: 'acs:fc:cn-shanghai:1234567890123456:services/svc.LATEST/functions/f'}\n",
        /* Huawei destinations */
        HW
        "  onSuccess: {destination: OBS, param: {bucket: b-1, prefix: /x, expires: 0}}\n  onFailure: {destination: OBS, param: {bucket: b-1, prefix: /x, expires: 365}}\n",
        /* every other field */
        AWS
        "  qualifier: live\n  management: observe\n  deletionPolicy: delete\n  resyncInterval: 1h30m\n  ignore: [maxRetryAttempts, maxEventAgeSeconds, onSuccess, onFailure]\n",
        ALI "  asyncTask: false\n  ignore: [asyncTask]\n  resyncInterval: 1s\n",
        HW
        "  enableAsyncStatusLog: false\n  ignore: [enableAsyncStatusLog]\n  resyncInterval: 7d\n",
        "apiVersion: asyncfg.io/v1\nkind: AsyncInvokeConfig\nmetadata: {name: a-1, labels: {team: x, _t2: \"y\"}}\nspec: {provider: aws, function: f}\n",
        /* an empty document between two is skipped; quoted key names are still keys */
        "---\n---\n\"apiVersion\": asyncfg.io/v1\nkind: AsyncInvokeConfig\nmetadata: {name: t}\nspec: {provider: aws, function: '123456789012:function:f:$LATEST'}\n",
};

static void test_valid_table(void **state) {
        for (size_t i = 0; i < ELEMENTSOF(valid_cases); i++) {
                _cleanup_(desired_set_freep) DesiredSet *s = NULL;
                const DesiredFile *f;

                assert_int_equal(desired_set_new(NULL, &s), 0);
                int r = desired_set_load_data(s, "v.yaml", valid_cases[i], strlen(valid_cases[i]));
                f = desired_set_get_file(s, "v.yaml");
                if (r != 1) {
                        fprintf(stderr, "valid case %zu rejected:\n", i);
                        diag_list_print(&f->diags, stderr);
                        fail();
                }
                assert_int_equal(f->n_resources, 1);
        }
}

static ResourceSpec *parse_one(const char *yaml) {
        DesiredSet *s = NULL;
        ResourceSpec *copy = NULL;

        assert_int_equal(desired_set_new(NULL, &s), 0);
        assert_int_equal(desired_set_load_data(s, "one.yaml", yaml, strlen(yaml)), 1);
        assert_int_equal(desired_set_n_resources(s), 1);
        DesiredIterator it = {};
        assert_int_equal(resource_spec_copy(desired_set_next(s, &it), &copy), 0);
        desired_set_free(s);
        return copy;
}

static void test_values_aws(void **state) {
        _cleanup_(resource_spec_freep) ResourceSpec *r =
                parse_one("\n---\napiVersion: asyncfg.io/v1\nkind: AsyncInvokeConfig\n"
                          "metadata: {name: orders, labels: {team: payments}}\n"
                          "spec:\n  provider: aws\n  account: aws-prod\n"
                          "  function: arn:aws:lambda:us-east-1:123456789012:function:orders\n"
                          "  maxRetryAttempts: 0\n  maxEventAgeSeconds: 3600\n"
                          "  onFailure: {destination: 'arn:aws:sqs:us-east-1:123456789012:dlq'}\n"
                          "  management: observe\n  deletionPolicy: delete\n  resyncInterval: 10m\n"
                          "  ignore: [onSuccess]\n");

        assert_string_equal(r->name, "orders");
        assert_string_equal(r->labels[0], "team");
        assert_string_equal(r->labels[1], "payments");
        assert_null(r->labels[2]);
        assert_int_equal(r->provider, PROVIDER_AWS);
        assert_string_equal(r->account, "aws-prod");
        assert_string_equal(r->id.function, "orders");
        assert_string_equal(r->id.qualifier, "$LATEST");
        assert_string_equal(r->id.region, "us-east-1");
        assert_string_equal(r->id.account_id, "123456789012");
        assert_int_equal(r->id.api, CLOUD_API_AWS_LAMBDA);
        assert_true(r->config.has_max_retry_attempts);
        assert_int_equal(r->config.max_retry_attempts, 0); /* 0 is a value */
        assert_true(r->config.has_max_event_age);
        assert_int_equal(r->config.max_event_age_seconds, 3600);
        assert_null(r->config.on_success.target);
        assert_string_equal(r->config.on_failure.target, "arn:aws:sqs:us-east-1:123456789012:dlq");
        assert_false(r->config.has_async_task);
        assert_int_equal(r->management, MANAGEMENT_OBSERVE);
        assert_int_equal(r->deletion_policy, DELETION_POLICY_DELETE);
        assert_int_equal(r->resync_interval, 10 * USEC_PER_MINUTE);
        assert_int_equal(r->ignore, RESOURCE_FIELD_ON_SUCCESS);
        assert_string_equal(r->path, "one.yaml");
        assert_int_equal(r->line, 3); /* the document's root node */
        assert_int_equal(r->column, 1);
        assert_int_equal(r->account_line, 8);
        assert_int_equal(r->account_column, 12);
}

static void test_values_defaults(void **state) {
        _cleanup_(resource_spec_freep) ResourceSpec *r = parse_one(AWS);

        assert_null(r->account);
        assert_null(r->labels);
        assert_null(r->qualifier);
        assert_string_equal(r->id.qualifier, "$LATEST");
        assert_false(r->config.has_max_retry_attempts);
        assert_false(r->config.has_max_event_age);
        assert_int_equal(r->management, MANAGEMENT_ENFORCE);
        assert_int_equal(r->deletion_policy, DELETION_POLICY_ORPHAN);
        assert_int_equal(r->resync_interval, 0);
        assert_int_equal(r->ignore, 0);
}

/* The specs of one file hold one copy of its path, which outlives whichever of them goes
 * first; a copy of a spec has a path of its own. */
static void test_spec_shared_path(void **state) {
        static const char *const yaml = AWS "---\n" ALI;
        _cleanup_(yaml_stream_freep) YamlStream *stream = NULL;
        SpecPath *path = spec_path_new("dir/two.yaml");
        ResourceSpec *a = NULL, *b = NULL, *copy = NULL;
        DiagList diags;

        diag_list_init(&diags);
        assert_non_null(path);
        assert_int_equal(yaml_tree_parse("dir/two.yaml", yaml, strlen(yaml), &diags, &stream), 0);
        assert_int_equal(stream->n_documents, 2);
        assert_int_equal(resource_spec_from_node_shared(path, stream->documents[0], &diags, &a), 0);
        assert_int_equal(resource_spec_from_node_shared(path, stream->documents[1], &diags, &b), 0);
        assert_null(spec_path_unref(path)); /* the specs keep it */
        assert_ptr_equal(a->path, b->path);
        assert_int_equal(resource_spec_copy(a, &copy), 0);
        assert_ptr_not_equal(copy->path, a->path);
        resource_spec_free(a);
        assert_string_equal(b->path, "dir/two.yaml");
        assert_string_equal(copy->path, "dir/two.yaml");
        resource_spec_free(b);
        resource_spec_free(copy);
        diag_list_done(&diags);
        (void) state;
}

/* A spec is shared by reference: each owner's free drops one, the last frees it. */
static void test_spec_ref(void **state) {
        _cleanup_(resource_spec_freep) ResourceSpec *r = parse_one(AWS);
        ResourceSpec *a = resource_spec_ref(r), *b = resource_spec_ref(r), *copy = NULL;

        assert_ptr_equal(a, r);
        assert_ptr_equal(b, r);
        assert_null(resource_spec_free(a));
        assert_null(resource_spec_free(b));
        assert_string_equal(r->name, "t"); /* still the first owner's */
        assert_int_equal(resource_spec_copy(r, &copy), 0);
        assert_int_equal(copy->n_extra_refs, 0); /* a copy has one owner */
        resource_spec_free(copy);
        (void) state;
}

static void test_values_alicloud(void **state) {
        _cleanup_(resource_spec_freep) ResourceSpec *r3 = parse_one(ALI "  asyncTask: true\n");
        _cleanup_(resource_spec_freep) ResourceSpec *r2 = parse_one(
                HDR
                "  provider: alicloud\n  function: svc/fn\n  qualifier: prod\n  asyncTask: false\n");

        assert_int_equal(r3->id.api, CLOUD_API_FC3);
        assert_string_equal(r3->id.qualifier, "LATEST");
        assert_true(r3->config.has_async_task);
        assert_true(r3->config.async_task);
        assert_int_equal(r2->id.api, CLOUD_API_FC2);
        assert_string_equal(r2->id.function, "svc/fn");
        assert_string_equal(r2->id.name, "fn");
        assert_string_equal(r2->id.qualifier, "prod");
        assert_true(r2->config.has_async_task);
        assert_false(r2->config.async_task);
}

static void test_values_huawei(void **state) {
        _cleanup_(resource_spec_freep) ResourceSpec *r = parse_one(
                HDR
                "  provider: huaweicloud\n  function: " HWURN ":LATEST\n"
                "  enableAsyncStatusLog: true\n"
                "  onSuccess: {destination: OBS, param: {bucket: bkt, prefix: /s, expires: 5}}\n"
                "  onFailure:\n    destination: SMN\n"
                "    param: {topic_urn: 'urn:smn:cn-north-4:0123456789abcdef0123456789abcdef:t'}\n");
        json_t *expect =
                json_pack("{s:s, s:s, s:i}", "bucket", "bkt", "prefix", "/s", "expires", 5);

        assert_string_equal(r->id.function, HWURN);
        assert_string_equal(r->id.qualifier, "latest");
        assert_string_equal(r->id.region, "cn-north-4");
        assert_string_equal(r->id.account_id, "0123456789abcdef0123456789abcdef");
        assert_true(r->config.has_async_status_log);
        assert_true(r->config.async_status_log);
        assert_string_equal(r->config.on_success.target, "OBS");
        assert_true(json_equal(r->config.on_success.param, expect));
        assert_string_equal(r->config.on_failure.target, "SMN");
        assert_string_equal(
                json_string_value(json_object_get(r->config.on_failure.param, "topic_urn")),
                "urn:smn:cn-north-4:0123456789abcdef0123456789abcdef:t");
        json_decref(expect);
}

static void test_field_names(void **state) {
        assert_int_equal(resource_field_from_string("onFailure"), RESOURCE_FIELD_ON_FAILURE);
        assert_int_equal(resource_field_from_string("nope"), 0);
        assert_string_equal(resource_field_to_string(RESOURCE_FIELD_ASYNC_TASK), "asyncTask");
        assert_int_equal(management_from_string("observe"), MANAGEMENT_OBSERVE);
        assert_int_equal(deletion_policy_from_string("x"), _DELETION_POLICY_INVALID);
        assert_false(resource_fields_for_provider(PROVIDER_AWS) & RESOURCE_FIELD_ASYNC_TASK);
        assert_true(resource_fields_for_provider(PROVIDER_HUAWEICLOUD) &
                    RESOURCE_FIELD_ASYNC_STATUS_LOG);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_invalid_table),   cmocka_unit_test(test_valid_table),
                cmocka_unit_test(test_values_aws),      cmocka_unit_test(test_values_defaults),
                cmocka_unit_test(test_spec_ref),        cmocka_unit_test(test_spec_shared_path),
                cmocka_unit_test(test_values_alicloud), cmocka_unit_test(test_values_huawei),
                cmocka_unit_test(test_field_names),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
