/* SPDX-License-Identifier: MIT */
#pragma once

/* The signed requests of docs/wire-samples.md, exactly as the official SDKs sent them (dummy
 * keys), with the canonical request each SDK's own signer rebuilt. Generated once from that
 * document; the header block and the body are kept apart because the markdown shows a decoded
 * (de-chunked) body. */

typedef struct WireSample {
        const char *title;
        const char *head; /* request line and headers, "\n"-separated */
        const char *body;
        const char *canonical;
} WireSample;

static const WireSample wire_samples[] = {
        {
                "PutFunctionEventInvokeConfig",
                "PUT /2019-09-25/functions/my-function/event-invoke-config HTTP/1.1\n"
                "content-type: application/json\n"
                "content-length: 223\n"
                "x-amz-user-agent: aws-sdk-js/3.1163.0\n"
                "user-agent: aws-sdk-js/3.1163.0 ua/2.1 os/linux#6.18.44-fc-v595 lang/js md/nodejs#20.20.2 api/lambda#3.1163.0 m/N,E,e\n"
                "host: 127.0.0.1:43571\n"
                "amz-sdk-invocation-id: d3402009-73e5-40f7-bc5d-5d5297423fa2\n"
                "amz-sdk-request: attempt=1; max=1\n"
                "x-amz-date: 20261123T050615Z\n"
                "x-amz-content-sha256: 9e5c91452b5b29ed2d216c03da9108335dcfb47e88e577b4020eb02a3ee4407e\n"
                "authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261123/us-east-1/lambda/aws4_request, SignedHeaders=amz-sdk-invocation-id;amz-sdk-request;content-length;content-type;host;x-amz-content-sha256;x-amz-date;x-amz-user-agent, Signature=074b33e91909c7a0499e852550cac5a514a94bd3b11719d5a55c29890b672d33\n"
                "Connection: keep-alive",
                "{\"MaximumRetryAttempts\":1,\"MaximumEventAgeInSeconds\":3600,\"DestinationConfig\":{\"OnSuccess\":{\"Destination\":\"arn:aws:sqs:us-east-1:123456789012:ok-queue\"},\"OnFailure\":{\"Destination\":\"arn:aws:sqs:us-east-1:123456789012:dlq\"}}}",
                "PUT\n"
                "/2019-09-25/functions/my-function/event-invoke-config\n"
                "\n"
                "amz-sdk-invocation-id:d3402009-73e5-40f7-bc5d-5d5297423fa2\n"
                "amz-sdk-request:attempt=1; max=1\n"
                "content-length:223\n"
                "content-type:application/json\n"
                "host:127.0.0.1:43571\n"
                "x-amz-content-sha256:9e5c91452b5b29ed2d216c03da9108335dcfb47e88e577b4020eb02a3ee4407e\n"
                "x-amz-date:20261123T050615Z\n"
                "x-amz-user-agent:aws-sdk-js/3.1163.0\n"
                "\n"
                "amz-sdk-invocation-id;amz-sdk-request;content-length;content-type;host;x-amz-content-sha256;x-amz-date;x-amz-user-agent\n"
                "9e5c91452b5b29ed2d216c03da9108335dcfb47e88e577b4020eb02a3ee4407e",
        },
        {
                "PutFunctionEventInvokeConfig(Qualifier=$LATEST, ARN name)",
                "PUT /2019-09-25/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Amy-function/event-invoke-config?Qualifier=%24LATEST HTTP/1.1\n"
                "content-type: application/json\n"
                "content-length: 26\n"
                "x-amz-user-agent: aws-sdk-js/3.1163.0\n"
                "user-agent: aws-sdk-js/3.1163.0 ua/2.1 os/linux#6.18.44-fc-v595 lang/js md/nodejs#20.20.2 api/lambda#3.1163.0 m/N,E,e\n"
                "host: 127.0.0.1:43571\n"
                "amz-sdk-invocation-id: 3ed69298-8d80-46ff-a752-2a902b7d3f40\n"
                "amz-sdk-request: attempt=1; max=1\n"
                "x-amz-date: 20261123T050615Z\n"
                "x-amz-content-sha256: 950ef8128b4edef7b1db26698ef16a6886e985a5f0c0da1d18263f0a8f6d0c17\n"
                "authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261123/us-east-1/lambda/aws4_request, SignedHeaders=amz-sdk-invocation-id;amz-sdk-request;content-length;content-type;host;x-amz-content-sha256;x-amz-date;x-amz-user-agent, Signature=14c7477a3ff4f300b2d12fa4dd2dfb732b0c9a7299c5d150e94b0b2d25159b1b\n"
                "Connection: keep-alive",
                "{\"MaximumRetryAttempts\":0}",
                "PUT\n"
                "/2019-09-25/functions/arn%253Aaws%253Alambda%253Aus-east-1%253A123456789012%253Afunction%253Amy-function/event-invoke-config\n"
                "Qualifier=%24LATEST\n"
                "amz-sdk-invocation-id:3ed69298-8d80-46ff-a752-2a902b7d3f40\n"
                "amz-sdk-request:attempt=1; max=1\n"
                "content-length:26\n"
                "content-type:application/json\n"
                "host:127.0.0.1:43571\n"
                "x-amz-content-sha256:950ef8128b4edef7b1db26698ef16a6886e985a5f0c0da1d18263f0a8f6d0c17\n"
                "x-amz-date:20261123T050615Z\n"
                "x-amz-user-agent:aws-sdk-js/3.1163.0\n"
                "\n"
                "amz-sdk-invocation-id;amz-sdk-request;content-length;content-type;host;x-amz-content-sha256;x-amz-date;x-amz-user-agent\n"
                "950ef8128b4edef7b1db26698ef16a6886e985a5f0c0da1d18263f0a8f6d0c17",
        },
        {
                "UpdateFunctionEventInvokeConfig",
                "POST /2019-09-25/functions/my-function/event-invoke-config HTTP/1.1\n"
                "content-type: application/json\n"
                "content-length: 26\n"
                "x-amz-user-agent: aws-sdk-js/3.1163.0\n"
                "user-agent: aws-sdk-js/3.1163.0 ua/2.1 os/linux#6.18.44-fc-v595 lang/js md/nodejs#20.20.2 api/lambda#3.1163.0 m/N,E,e\n"
                "host: 127.0.0.1:43571\n"
                "amz-sdk-invocation-id: 9099458b-91ae-4c88-a0c4-50ba704d5435\n"
                "amz-sdk-request: attempt=1; max=1\n"
                "x-amz-date: 20261123T050615Z\n"
                "x-amz-content-sha256: 92c8c5e9aff9eca4827fb4e63c3998bbdc6a9d8b5f3bf00ba1179d8e961daa33\n"
                "authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261123/us-east-1/lambda/aws4_request, SignedHeaders=amz-sdk-invocation-id;amz-sdk-request;content-length;content-type;host;x-amz-content-sha256;x-amz-date;x-amz-user-agent, Signature=bc3f009c0830f7ac289b2794fe550eaa66e0981eaf2ac5bbe1d469aecd39bf7e\n"
                "Connection: keep-alive",
                "{\"MaximumRetryAttempts\":2}",
                "POST\n"
                "/2019-09-25/functions/my-function/event-invoke-config\n"
                "\n"
                "amz-sdk-invocation-id:9099458b-91ae-4c88-a0c4-50ba704d5435\n"
                "amz-sdk-request:attempt=1; max=1\n"
                "content-length:26\n"
                "content-type:application/json\n"
                "host:127.0.0.1:43571\n"
                "x-amz-content-sha256:92c8c5e9aff9eca4827fb4e63c3998bbdc6a9d8b5f3bf00ba1179d8e961daa33\n"
                "x-amz-date:20261123T050615Z\n"
                "x-amz-user-agent:aws-sdk-js/3.1163.0\n"
                "\n"
                "amz-sdk-invocation-id;amz-sdk-request;content-length;content-type;host;x-amz-content-sha256;x-amz-date;x-amz-user-agent\n"
                "92c8c5e9aff9eca4827fb4e63c3998bbdc6a9d8b5f3bf00ba1179d8e961daa33",
        },
        {
                "GetFunctionEventInvokeConfig",
                "GET /2019-09-25/functions/my-function/event-invoke-config HTTP/1.1\n"
                "x-amz-user-agent: aws-sdk-js/3.1163.0\n"
                "user-agent: aws-sdk-js/3.1163.0 ua/2.1 os/linux#6.18.44-fc-v595 lang/js md/nodejs#20.20.2 api/lambda#3.1163.0 m/N,E,e\n"
                "host: 127.0.0.1:43571\n"
                "amz-sdk-invocation-id: 11c262ad-3186-40a2-af94-09532449207e\n"
                "amz-sdk-request: attempt=1; max=1\n"
                "x-amz-date: 20261123T050615Z\n"
                "x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
                "authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261123/us-east-1/lambda/aws4_request, SignedHeaders=amz-sdk-invocation-id;amz-sdk-request;host;x-amz-content-sha256;x-amz-date;x-amz-user-agent, Signature=3c7f3b5a46a7f6bcbc0bac9df8fe5ff67633e765d42e70749d0c476751dcf6cc\n"
                "Connection: keep-alive\n"
                "",
                "",
                "GET\n"
                "/2019-09-25/functions/my-function/event-invoke-config\n"
                "\n"
                "amz-sdk-invocation-id:11c262ad-3186-40a2-af94-09532449207e\n"
                "amz-sdk-request:attempt=1; max=1\n"
                "host:127.0.0.1:43571\n"
                "x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
                "x-amz-date:20261123T050615Z\n"
                "x-amz-user-agent:aws-sdk-js/3.1163.0\n"
                "\n"
                "amz-sdk-invocation-id;amz-sdk-request;host;x-amz-content-sha256;x-amz-date;x-amz-user-agent\n"
                "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        },
        {
                "GetFunctionEventInvokeConfig(Qualifier=prod)",
                "GET /2019-09-25/functions/my-function/event-invoke-config?Qualifier=prod HTTP/1.1\n"
                "x-amz-user-agent: aws-sdk-js/3.1163.0\n"
                "user-agent: aws-sdk-js/3.1163.0 ua/2.1 os/linux#6.18.44-fc-v595 lang/js md/nodejs#20.20.2 api/lambda#3.1163.0 m/N,E,e\n"
                "host: 127.0.0.1:43571\n"
                "amz-sdk-invocation-id: 7851a23a-6b8b-40ee-b223-c79a0f894a98\n"
                "amz-sdk-request: attempt=1; max=1\n"
                "x-amz-date: 20261123T050615Z\n"
                "x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
                "authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261123/us-east-1/lambda/aws4_request, SignedHeaders=amz-sdk-invocation-id;amz-sdk-request;host;x-amz-content-sha256;x-amz-date;x-amz-user-agent, Signature=d5d9a10db67c90957cb2efa89413ae18871208b679ca891c090f1e9352109797\n"
                "Connection: keep-alive\n"
                "",
                "",
                "GET\n"
                "/2019-09-25/functions/my-function/event-invoke-config\n"
                "Qualifier=prod\n"
                "amz-sdk-invocation-id:7851a23a-6b8b-40ee-b223-c79a0f894a98\n"
                "amz-sdk-request:attempt=1; max=1\n"
                "host:127.0.0.1:43571\n"
                "x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
                "x-amz-date:20261123T050615Z\n"
                "x-amz-user-agent:aws-sdk-js/3.1163.0\n"
                "\n"
                "amz-sdk-invocation-id;amz-sdk-request;host;x-amz-content-sha256;x-amz-date;x-amz-user-agent\n"
                "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        },
        {
                "ListFunctionEventInvokeConfigs",
                "GET /2019-09-25/functions/my-function/event-invoke-config/list?MaxItems=10 HTTP/1.1\n"
                "x-amz-user-agent: aws-sdk-js/3.1163.0\n"
                "user-agent: aws-sdk-js/3.1163.0 ua/2.1 os/linux#6.18.44-fc-v595 lang/js md/nodejs#20.20.2 api/lambda#3.1163.0 m/N,E,e\n"
                "host: 127.0.0.1:43571\n"
                "amz-sdk-invocation-id: 00b9b4df-ce9a-4698-a866-f01a5823dce5\n"
                "amz-sdk-request: attempt=1; max=1\n"
                "x-amz-date: 20261123T050615Z\n"
                "x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
                "authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261123/us-east-1/lambda/aws4_request, SignedHeaders=amz-sdk-invocation-id;amz-sdk-request;host;x-amz-content-sha256;x-amz-date;x-amz-user-agent, Signature=404b587029267ad420f4e07f8cc7325e9ba245bb43420544480eb27f4aecfd01\n"
                "Connection: keep-alive\n"
                "",
                "",
                "GET\n"
                "/2019-09-25/functions/my-function/event-invoke-config/list\n"
                "MaxItems=10\n"
                "amz-sdk-invocation-id:00b9b4df-ce9a-4698-a866-f01a5823dce5\n"
                "amz-sdk-request:attempt=1; max=1\n"
                "host:127.0.0.1:43571\n"
                "x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
                "x-amz-date:20261123T050615Z\n"
                "x-amz-user-agent:aws-sdk-js/3.1163.0\n"
                "\n"
                "amz-sdk-invocation-id;amz-sdk-request;host;x-amz-content-sha256;x-amz-date;x-amz-user-agent\n"
                "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        },
        {
                "DeleteFunctionEventInvokeConfig",
                "DELETE /2019-09-25/functions/my-function/event-invoke-config HTTP/1.1\n"
                "x-amz-user-agent: aws-sdk-js/3.1163.0\n"
                "user-agent: aws-sdk-js/3.1163.0 ua/2.1 os/linux#6.18.44-fc-v595 lang/js md/nodejs#20.20.2 api/lambda#3.1163.0 m/N,E,e\n"
                "host: 127.0.0.1:43571\n"
                "amz-sdk-invocation-id: d989108b-c9b7-4dc3-adf3-c251c1bac7d5\n"
                "amz-sdk-request: attempt=1; max=1\n"
                "x-amz-date: 20261123T050615Z\n"
                "x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
                "authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261123/us-east-1/lambda/aws4_request, SignedHeaders=amz-sdk-invocation-id;amz-sdk-request;host;x-amz-content-sha256;x-amz-date;x-amz-user-agent, Signature=1c75450f40f21b47aeb1f94bd5aab14848104063ed7d1a78862257fe6d9f2117\n"
                "Connection: keep-alive\n"
                "",
                "",
                "DELETE\n"
                "/2019-09-25/functions/my-function/event-invoke-config\n"
                "\n"
                "amz-sdk-invocation-id:d989108b-c9b7-4dc3-adf3-c251c1bac7d5\n"
                "amz-sdk-request:attempt=1; max=1\n"
                "host:127.0.0.1:43571\n"
                "x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
                "x-amz-date:20261123T050615Z\n"
                "x-amz-user-agent:aws-sdk-js/3.1163.0\n"
                "\n"
                "amz-sdk-invocation-id;amz-sdk-request;host;x-amz-content-sha256;x-amz-date;x-amz-user-agent\n"
                "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        },
        {
                "FC3 PutAsyncInvokeConfig",
                "PUT /2023-03-30/functions/my-function/async-invoke-config?qualifier=LATEST HTTP/1.1\n"
                "host: 127.0.0.1:39297\n"
                "x-acs-version: 2023-03-30\n"
                "x-acs-action: PutAsyncInvokeConfig\n"
                "user-agent: AlibabaCloud (linux; x64) Node.js/v20.20.2 Core/1.0.1 TeaDSL/2\n"
                "x-acs-date: 2026-11-23T05:06:16Z\n"
                "x-acs-signature-nonce: be1f511971ab30d6815c3309ccc87966f0b4f4d9201823084a536d4161cb489e\n"
                "accept: application/json\n"
                "content-type: application/json; charset=utf-8\n"
                "x-acs-content-sha256: 57b5f2ec9ed2234a8ca89d678b8319bc3d21e72041fbca1cafb4449256ab123b\n"
                "x-acs-credentials-provider: static_ak\n"
                "Authorization: ACS3-HMAC-SHA256 Credential=LTAI5tEXAMPLEaccessKey,SignedHeaders=content-type;host;x-acs-action;x-acs-content-sha256;x-acs-credentials-provider;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature=f45d419de1ecbf5f2e6b3eb1ffc8983918cc6ca182c00d93b12eecb72431e9dd\n"
                "Connection: keep-alive\n"
                "Transfer-Encoding: chunked",
                "{\"asyncTask\":false,\"destinationConfig\":{\"onFailure\":{\"destination\":\"acs:fc:cn-hangzhou:1234567890123456:functions/on-fail\"},\"onSuccess\":{\"destination\":\"acs:mns:cn-hangzhou:1234567890123456:/queues/ok/messages\"}},\"maxAsyncEventAgeInSeconds\":3600,\"maxAsyncRetryAttempts\":2}",
                "PUT\n"
                "/2023-03-30/functions/my-function/async-invoke-config\n"
                "qualifier=LATEST\n"
                "content-type:application/json; charset=utf-8\n"
                "host:127.0.0.1:39297\n"
                "x-acs-action:PutAsyncInvokeConfig\n"
                "x-acs-content-sha256:57b5f2ec9ed2234a8ca89d678b8319bc3d21e72041fbca1cafb4449256ab123b\n"
                "x-acs-credentials-provider:static_ak\n"
                "x-acs-date:2026-11-23T05:06:16Z\n"
                "x-acs-signature-nonce:be1f511971ab30d6815c3309ccc87966f0b4f4d9201823084a536d4161cb489e\n"
                "x-acs-version:2023-03-30\n"
                "\n"
                "content-type;host;x-acs-action;x-acs-content-sha256;x-acs-credentials-provider;x-acs-date;x-acs-signature-nonce;x-acs-version\n"
                "57b5f2ec9ed2234a8ca89d678b8319bc3d21e72041fbca1cafb4449256ab123b",
        },
        {
                "FC3 PutAsyncInvokeConfig (no qualifier, only retries)",
                "PUT /2023-03-30/functions/my-function/async-invoke-config HTTP/1.1\n"
                "host: 127.0.0.1:39297\n"
                "x-acs-version: 2023-03-30\n"
                "x-acs-action: PutAsyncInvokeConfig\n"
                "user-agent: AlibabaCloud (linux; x64) Node.js/v20.20.2 Core/1.0.1 TeaDSL/2\n"
                "x-acs-date: 2026-11-23T05:06:16Z\n"
                "x-acs-signature-nonce: 3171a788c7be982fb320539b0e4c5183252f871007c3a16337f5a704ddc3f1ed\n"
                "accept: application/json\n"
                "content-type: application/json; charset=utf-8\n"
                "x-acs-content-sha256: 9201a95fb50a6898f4df747447a29a15fda01916714bc8568740711b6fda1815\n"
                "x-acs-credentials-provider: static_ak\n"
                "Authorization: ACS3-HMAC-SHA256 Credential=LTAI5tEXAMPLEaccessKey,SignedHeaders=content-type;host;x-acs-action;x-acs-content-sha256;x-acs-credentials-provider;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature=3e81f55ed05d03dbf6cfafc6fb19f5dee31edff36f957285b99d52e938000565\n"
                "Connection: keep-alive\n"
                "Transfer-Encoding: chunked",
                "{\"maxAsyncRetryAttempts\":0}",
                "PUT\n"
                "/2023-03-30/functions/my-function/async-invoke-config\n"
                "\n"
                "content-type:application/json; charset=utf-8\n"
                "host:127.0.0.1:39297\n"
                "x-acs-action:PutAsyncInvokeConfig\n"
                "x-acs-content-sha256:9201a95fb50a6898f4df747447a29a15fda01916714bc8568740711b6fda1815\n"
                "x-acs-credentials-provider:static_ak\n"
                "x-acs-date:2026-11-23T05:06:16Z\n"
                "x-acs-signature-nonce:3171a788c7be982fb320539b0e4c5183252f871007c3a16337f5a704ddc3f1ed\n"
                "x-acs-version:2023-03-30\n"
                "\n"
                "content-type;host;x-acs-action;x-acs-content-sha256;x-acs-credentials-provider;x-acs-date;x-acs-signature-nonce;x-acs-version\n"
                "9201a95fb50a6898f4df747447a29a15fda01916714bc8568740711b6fda1815",
        },
        {
                "FC3 GetAsyncInvokeConfig",
                "GET /2023-03-30/functions/my-function/async-invoke-config?qualifier=LATEST HTTP/1.1\n"
                "host: 127.0.0.1:39297\n"
                "x-acs-version: 2023-03-30\n"
                "x-acs-action: GetAsyncInvokeConfig\n"
                "user-agent: AlibabaCloud (linux; x64) Node.js/v20.20.2 Core/1.0.1 TeaDSL/2\n"
                "x-acs-date: 2026-11-23T05:06:16Z\n"
                "x-acs-signature-nonce: 6fa3e1de0a647cfb56c91a532527e9799902dab9c9aa95b229e642ba7a30a196\n"
                "accept: application/json\n"
                "x-acs-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
                "x-acs-credentials-provider: static_ak\n"
                "Authorization: ACS3-HMAC-SHA256 Credential=LTAI5tEXAMPLEaccessKey,SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-credentials-provider;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature=695185ba09baa41d8edd8a5ee87296fb071962bdb17af12b39ce241c8b3e9537\n"
                "Connection: keep-alive\n"
                "",
                "",
                "GET\n"
                "/2023-03-30/functions/my-function/async-invoke-config\n"
                "qualifier=LATEST\n"
                "host:127.0.0.1:39297\n"
                "x-acs-action:GetAsyncInvokeConfig\n"
                "x-acs-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
                "x-acs-credentials-provider:static_ak\n"
                "x-acs-date:2026-11-23T05:06:16Z\n"
                "x-acs-signature-nonce:6fa3e1de0a647cfb56c91a532527e9799902dab9c9aa95b229e642ba7a30a196\n"
                "x-acs-version:2023-03-30\n"
                "\n"
                "host;x-acs-action;x-acs-content-sha256;x-acs-credentials-provider;x-acs-date;x-acs-signature-nonce;x-acs-version\n"
                "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        },
        {
                "FC3 ListAsyncInvokeConfigs",
                "GET /2023-03-30/async-invoke-configs?functionName=my-function&limit=10 HTTP/1.1\n"
                "host: 127.0.0.1:39297\n"
                "x-acs-version: 2023-03-30\n"
                "x-acs-action: ListAsyncInvokeConfigs\n"
                "user-agent: AlibabaCloud (linux; x64) Node.js/v20.20.2 Core/1.0.1 TeaDSL/2\n"
                "x-acs-date: 2026-11-23T05:06:16Z\n"
                "x-acs-signature-nonce: d38f50040fa52028c2f7b694a2f29a5975b550878b501edd75ecfee5112c971d\n"
                "accept: application/json\n"
                "x-acs-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
                "x-acs-credentials-provider: static_ak\n"
                "Authorization: ACS3-HMAC-SHA256 Credential=LTAI5tEXAMPLEaccessKey,SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-credentials-provider;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature=fcf4b25e812e83c6bb63406598351d3d582a83e323ac5435a76f7b4595bf22ab\n"
                "Connection: keep-alive\n"
                "",
                "",
                "GET\n"
                "/2023-03-30/async-invoke-configs\n"
                "functionName=my-function&limit=10\n"
                "host:127.0.0.1:39297\n"
                "x-acs-action:ListAsyncInvokeConfigs\n"
                "x-acs-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
                "x-acs-credentials-provider:static_ak\n"
                "x-acs-date:2026-11-23T05:06:16Z\n"
                "x-acs-signature-nonce:d38f50040fa52028c2f7b694a2f29a5975b550878b501edd75ecfee5112c971d\n"
                "x-acs-version:2023-03-30\n"
                "\n"
                "host;x-acs-action;x-acs-content-sha256;x-acs-credentials-provider;x-acs-date;x-acs-signature-nonce;x-acs-version\n"
                "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        },
        {
                "FC3 DeleteAsyncInvokeConfig",
                "DELETE /2023-03-30/functions/my-function/async-invoke-config?qualifier=LATEST HTTP/1.1\n"
                "host: 127.0.0.1:39297\n"
                "x-acs-version: 2023-03-30\n"
                "x-acs-action: DeleteAsyncInvokeConfig\n"
                "user-agent: AlibabaCloud (linux; x64) Node.js/v20.20.2 Core/1.0.1 TeaDSL/2\n"
                "x-acs-date: 2026-11-23T05:06:16Z\n"
                "x-acs-signature-nonce: 3ff9df2542a7b2fa409cce60db215c6c570d9425e18abb67b9696890c548818f\n"
                "accept: application/json\n"
                "x-acs-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
                "x-acs-credentials-provider: static_ak\n"
                "Authorization: ACS3-HMAC-SHA256 Credential=LTAI5tEXAMPLEaccessKey,SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-credentials-provider;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature=63a12d3effeb897eb0b1996096649c2438ac4ac676cc590621fbb9ac51f75091\n"
                "Connection: keep-alive\n"
                "",
                "",
                "DELETE\n"
                "/2023-03-30/functions/my-function/async-invoke-config\n"
                "qualifier=LATEST\n"
                "host:127.0.0.1:39297\n"
                "x-acs-action:DeleteAsyncInvokeConfig\n"
                "x-acs-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
                "x-acs-credentials-provider:static_ak\n"
                "x-acs-date:2026-11-23T05:06:16Z\n"
                "x-acs-signature-nonce:3ff9df2542a7b2fa409cce60db215c6c570d9425e18abb67b9696890c548818f\n"
                "x-acs-version:2023-03-30\n"
                "\n"
                "host;x-acs-action;x-acs-content-sha256;x-acs-credentials-provider;x-acs-date;x-acs-signature-nonce;x-acs-version\n"
                "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        },
        {
                "FC2 PutFunctionAsyncInvokeConfig",
                "PUT /2021-04-06/services/my-service/functions/my-function/async-invoke-config?qualifier=LATEST HTTP/1.1\n"
                "host: 127.0.0.1:39297\n"
                "x-acs-version: 2021-04-06\n"
                "x-acs-action: PutFunctionAsyncInvokeConfig\n"
                "user-agent: AlibabaCloud (linux; x64) Node.js/v20.20.2 Core/1.0.1 TeaDSL/1\n"
                "x-acs-date: 2026-11-23T05:06:16Z\n"
                "x-acs-signature-nonce: 961a4270e763dbe6688534f67d66041f\n"
                "accept: application/json\n"
                "content-type: application/json; charset=utf-8\n"
                "x-acs-content-sha256: 1bca491753129d1ee7537a4b701df4d369329b57836863451b4596bda9b8a220\n"
                "x-acs-credentials-provider: static_ak\n"
                "Authorization: ACS3-HMAC-SHA256 Credential=LTAI5tEXAMPLEaccessKey,SignedHeaders=content-type;host;x-acs-action;x-acs-content-sha256;x-acs-credentials-provider;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature=1d54237b04873659acec028a660f086ff757917eeebb5d0100af5e45c6185559\n"
                "Connection: keep-alive\n"
                "Transfer-Encoding: chunked",
                "{\"destinationConfig\":{\"onFailure\":{\"destination\":\"acs:fc:cn-hangzhou:1234567890123456:services/my-service/functions/on-fail\"},\"onSuccess\":{\"destination\":\"acs:mns:cn-hangzhou:1234567890123456:/queues/ok/messages\"}},\"maxAsyncEventAgeInSeconds\":3600,\"maxAsyncRetryAttempts\":2,\"statefulInvocation\":false}",
                "PUT\n"
                "/2021-04-06/services/my-service/functions/my-function/async-invoke-config\n"
                "qualifier=LATEST\n"
                "content-type:application/json; charset=utf-8\n"
                "host:127.0.0.1:39297\n"
                "x-acs-action:PutFunctionAsyncInvokeConfig\n"
                "x-acs-content-sha256:1bca491753129d1ee7537a4b701df4d369329b57836863451b4596bda9b8a220\n"
                "x-acs-credentials-provider:static_ak\n"
                "x-acs-date:2026-11-23T05:06:16Z\n"
                "x-acs-signature-nonce:961a4270e763dbe6688534f67d66041f\n"
                "x-acs-version:2021-04-06\n"
                "\n"
                "content-type;host;x-acs-action;x-acs-content-sha256;x-acs-credentials-provider;x-acs-date;x-acs-signature-nonce;x-acs-version\n"
                "1bca491753129d1ee7537a4b701df4d369329b57836863451b4596bda9b8a220",
        },
        {
                "FC2 GetFunctionAsyncInvokeConfig",
                "GET /2021-04-06/services/my-service/functions/my-function/async-invoke-config?qualifier=LATEST HTTP/1.1\n"
                "host: 127.0.0.1:39297\n"
                "x-acs-version: 2021-04-06\n"
                "x-acs-action: GetFunctionAsyncInvokeConfig\n"
                "user-agent: AlibabaCloud (linux; x64) Node.js/v20.20.2 Core/1.0.1 TeaDSL/1\n"
                "x-acs-date: 2026-11-23T05:06:16Z\n"
                "x-acs-signature-nonce: 709103ddb01d51ca954a1bc97308599f\n"
                "accept: application/json\n"
                "x-acs-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
                "x-acs-credentials-provider: static_ak\n"
                "Authorization: ACS3-HMAC-SHA256 Credential=LTAI5tEXAMPLEaccessKey,SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-credentials-provider;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature=4a506e35fa6743e14ed5aa77b967a79bbd89fb9bd87d2be6209729fbd565430b\n"
                "Connection: keep-alive\n"
                "",
                "",
                "GET\n"
                "/2021-04-06/services/my-service/functions/my-function/async-invoke-config\n"
                "qualifier=LATEST\n"
                "host:127.0.0.1:39297\n"
                "x-acs-action:GetFunctionAsyncInvokeConfig\n"
                "x-acs-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
                "x-acs-credentials-provider:static_ak\n"
                "x-acs-date:2026-11-23T05:06:16Z\n"
                "x-acs-signature-nonce:709103ddb01d51ca954a1bc97308599f\n"
                "x-acs-version:2021-04-06\n"
                "\n"
                "host;x-acs-action;x-acs-content-sha256;x-acs-credentials-provider;x-acs-date;x-acs-signature-nonce;x-acs-version\n"
                "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        },
        {
                "FC2 ListFunctionAsyncInvokeConfigs",
                "GET /2021-04-06/services/my-service/functions/my-function/async-invoke-configs?limit=10 HTTP/1.1\n"
                "host: 127.0.0.1:39297\n"
                "x-acs-version: 2021-04-06\n"
                "x-acs-action: ListFunctionAsyncInvokeConfigs\n"
                "user-agent: AlibabaCloud (linux; x64) Node.js/v20.20.2 Core/1.0.1 TeaDSL/1\n"
                "x-acs-date: 2026-11-23T05:06:16Z\n"
                "x-acs-signature-nonce: 932aa027ed0a3fcfe9501ec2a3f4ecd3\n"
                "accept: application/json\n"
                "x-acs-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
                "x-acs-credentials-provider: static_ak\n"
                "Authorization: ACS3-HMAC-SHA256 Credential=LTAI5tEXAMPLEaccessKey,SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-credentials-provider;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature=e0537f3954ece69f99f58de36aa5f501ecf6c95f6f9d8b7ed0faee2bb4a96fce\n"
                "Connection: keep-alive\n"
                "",
                "",
                "GET\n"
                "/2021-04-06/services/my-service/functions/my-function/async-invoke-configs\n"
                "limit=10\n"
                "host:127.0.0.1:39297\n"
                "x-acs-action:ListFunctionAsyncInvokeConfigs\n"
                "x-acs-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
                "x-acs-credentials-provider:static_ak\n"
                "x-acs-date:2026-11-23T05:06:16Z\n"
                "x-acs-signature-nonce:932aa027ed0a3fcfe9501ec2a3f4ecd3\n"
                "x-acs-version:2021-04-06\n"
                "\n"
                "host;x-acs-action;x-acs-content-sha256;x-acs-credentials-provider;x-acs-date;x-acs-signature-nonce;x-acs-version\n"
                "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        },
        {
                "FC2 DeleteFunctionAsyncInvokeConfig",
                "DELETE /2021-04-06/services/my-service/functions/my-function/async-invoke-config?qualifier=LATEST HTTP/1.1\n"
                "host: 127.0.0.1:39297\n"
                "x-acs-version: 2021-04-06\n"
                "x-acs-action: DeleteFunctionAsyncInvokeConfig\n"
                "user-agent: AlibabaCloud (linux; x64) Node.js/v20.20.2 Core/1.0.1 TeaDSL/1\n"
                "x-acs-date: 2026-11-23T05:06:16Z\n"
                "x-acs-signature-nonce: c255ab067159b9f3e65141c98f444272\n"
                "accept: application/json\n"
                "x-acs-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
                "x-acs-credentials-provider: static_ak\n"
                "Authorization: ACS3-HMAC-SHA256 Credential=LTAI5tEXAMPLEaccessKey,SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-credentials-provider;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature=60fdffd62f5f70ba65565f39ea57c771aaf43f2837ba730c6da7219755371e6a\n"
                "Connection: keep-alive\n"
                "",
                "",
                "DELETE\n"
                "/2021-04-06/services/my-service/functions/my-function/async-invoke-config\n"
                "qualifier=LATEST\n"
                "host:127.0.0.1:39297\n"
                "x-acs-action:DeleteFunctionAsyncInvokeConfig\n"
                "x-acs-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
                "x-acs-credentials-provider:static_ak\n"
                "x-acs-date:2026-11-23T05:06:16Z\n"
                "x-acs-signature-nonce:c255ab067159b9f3e65141c98f444272\n"
                "x-acs-version:2021-04-06\n"
                "\n"
                "host;x-acs-action;x-acs-content-sha256;x-acs-credentials-provider;x-acs-date;x-acs-signature-nonce;x-acs-version\n"
                "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        },
        {
                "UpdateFunctionAsyncInvokeConfig",
                "PUT /v2/0123456789abcdef0123456789abcdef/fgs/functions/urn:fss:cn-north-4:0123456789abcdef0123456789abcdef:function:default:my-function:latest/async-invoke-config HTTP/1.1\n"
                "Accept: application/json\n"
                "Content-Type: application/json\n"
                "User-Agent: huaweicloud-usdk-nodejs/3.0; os/linux#6.18.44-fc-v595#x64 nodejs/v20.20.2 meta/C; app/c9941adc-0691-471a-9f56-669df5dbd5a1\n"
                "X-Project-Id: 0123456789abcdef0123456789abcdef\n"
                "X-Sdk-Date: 20261123T050615Z\n"
                "host: 127.0.0.1:34969\n"
                "Authorization: SDK-HMAC-SHA256 Access=HPUAEXAMPLEAK0000001, SignedHeaders=content-type;host;x-project-id;x-sdk-date, Signature=b2305def0aecdbea17645400aee295c69b585120eded99f58aa107be02c3350d\n"
                "Content-Length: 337\n"
                "Accept-Encoding: gzip, compress, deflate, br\n"
                "Connection: keep-alive",
                "{\"max_async_event_age_in_seconds\":3600,\"max_async_retry_attempts\":2,\"destination_config\":{\"on_success\":{\"destination\":\"OBS\",\"param\":\"{\\\"bucket\\\":\\\"b\\\",\\\"prefix\\\":\\\"p\\\",\\\"expires\\\":0}\"},\"on_failure\":{\"destination\":\"SMN\",\"param\":\"{\\\"topic_urn\\\":\\\"urn:smn:cn-north-4:0123456789abcdef0123456789abcdef:t\\\"}\"}},\"enable_async_status_log\":false}",
                "PUT\n"
                "/v2/0123456789abcdef0123456789abcdef/fgs/functions/urn%3Afss%3Acn-north-4%3A0123456789abcdef0123456789abcdef%3Afunction%3Adefault%3Amy-function%3Alatest/async-invoke-config/\n"
                "\n"
                "content-type:application/json\n"
                "host:127.0.0.1:34969\n"
                "x-project-id:0123456789abcdef0123456789abcdef\n"
                "x-sdk-date:20261123T050615Z\n"
                "\n"
                "content-type;host;x-project-id;x-sdk-date\n"
                "7450979070934489a9f83df373dc61c544dfa2b13005db7766cb3f2bf409e9fe",
        },
        {
                "ShowFunctionAsyncInvokeConfig",
                "GET /v2/0123456789abcdef0123456789abcdef/fgs/functions/urn:fss:cn-north-4:0123456789abcdef0123456789abcdef:function:default:my-function:latest/async-invoke-config HTTP/1.1\n"
                "Accept: application/json\n"
                "Content-Type: application/json\n"
                "User-Agent: huaweicloud-usdk-nodejs/3.0; os/linux#6.18.44-fc-v595#x64 nodejs/v20.20.2 meta/C; app/c9941adc-0691-471a-9f56-669df5dbd5a1\n"
                "X-Project-Id: 0123456789abcdef0123456789abcdef\n"
                "X-Sdk-Date: 20261123T050615Z\n"
                "host: 127.0.0.1:34969\n"
                "Authorization: SDK-HMAC-SHA256 Access=HPUAEXAMPLEAK0000001, SignedHeaders=content-type;host;x-project-id;x-sdk-date, Signature=3e57e0bd26b656bdfd33cc87b58b8fc41d481955b8a9a1ce36829896c6a38887\n"
                "Accept-Encoding: gzip, compress, deflate, br\n"
                "Connection: keep-alive\n"
                "",
                "",
                "GET\n"
                "/v2/0123456789abcdef0123456789abcdef/fgs/functions/urn%3Afss%3Acn-north-4%3A0123456789abcdef0123456789abcdef%3Afunction%3Adefault%3Amy-function%3Alatest/async-invoke-config/\n"
                "\n"
                "content-type:application/json\n"
                "host:127.0.0.1:34969\n"
                "x-project-id:0123456789abcdef0123456789abcdef\n"
                "x-sdk-date:20261123T050615Z\n"
                "\n"
                "content-type;host;x-project-id;x-sdk-date\n"
                "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        },
        {
                "ListFunctionAsyncInvokeConfig",
                "GET /v2/0123456789abcdef0123456789abcdef/fgs/functions/urn:fss:cn-north-4:0123456789abcdef0123456789abcdef:function:default:my-function:latest/async-invoke-configs?marker=0&limit=10 HTTP/1.1\n"
                "Accept: application/json\n"
                "Content-Type: application/json\n"
                "User-Agent: huaweicloud-usdk-nodejs/3.0; os/linux#6.18.44-fc-v595#x64 nodejs/v20.20.2 meta/C; app/c9941adc-0691-471a-9f56-669df5dbd5a1\n"
                "X-Project-Id: 0123456789abcdef0123456789abcdef\n"
                "X-Sdk-Date: 20261123T050615Z\n"
                "host: 127.0.0.1:34969\n"
                "Authorization: SDK-HMAC-SHA256 Access=HPUAEXAMPLEAK0000001, SignedHeaders=content-type;host;x-project-id;x-sdk-date, Signature=bf1a15e86bb05790f09a565511ce8ac01782a0b48f1d9579f8515ef13e6a4336\n"
                "Accept-Encoding: gzip, compress, deflate, br\n"
                "Connection: keep-alive\n"
                "",
                "",
                "GET\n"
                "/v2/0123456789abcdef0123456789abcdef/fgs/functions/urn%3Afss%3Acn-north-4%3A0123456789abcdef0123456789abcdef%3Afunction%3Adefault%3Amy-function%3Alatest/async-invoke-configs/\n"
                "limit=10&marker=0\n"
                "content-type:application/json\n"
                "host:127.0.0.1:34969\n"
                "x-project-id:0123456789abcdef0123456789abcdef\n"
                "x-sdk-date:20261123T050615Z\n"
                "\n"
                "content-type;host;x-project-id;x-sdk-date\n"
                "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        },
        {
                "DeleteFunctionAsyncInvokeConfig",
                "DELETE /v2/0123456789abcdef0123456789abcdef/fgs/functions/urn:fss:cn-north-4:0123456789abcdef0123456789abcdef:function:default:my-function:latest/async-invoke-config HTTP/1.1\n"
                "Accept: application/json\n"
                "Content-Type: application/json\n"
                "User-Agent: huaweicloud-usdk-nodejs/3.0; os/linux#6.18.44-fc-v595#x64 nodejs/v20.20.2 meta/C; app/c9941adc-0691-471a-9f56-669df5dbd5a1\n"
                "X-Project-Id: 0123456789abcdef0123456789abcdef\n"
                "X-Sdk-Date: 20261123T050615Z\n"
                "host: 127.0.0.1:34969\n"
                "Authorization: SDK-HMAC-SHA256 Access=HPUAEXAMPLEAK0000001, SignedHeaders=content-type;host;x-project-id;x-sdk-date, Signature=52bbc4ab318b4e6cb8c4f04aaf69878ee6283ab0fa6ccf511fae5a371b5cc545\n"
                "Accept-Encoding: gzip, compress, deflate, br\n"
                "Connection: keep-alive\n"
                "",
                "",
                "DELETE\n"
                "/v2/0123456789abcdef0123456789abcdef/fgs/functions/urn%3Afss%3Acn-north-4%3A0123456789abcdef0123456789abcdef%3Afunction%3Adefault%3Amy-function%3Alatest/async-invoke-config/\n"
                "\n"
                "content-type:application/json\n"
                "host:127.0.0.1:34969\n"
                "x-project-id:0123456789abcdef0123456789abcdef\n"
                "x-sdk-date:20261123T050615Z\n"
                "\n"
                "content-type;host;x-project-id;x-sdk-date\n"
                "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        },
};
