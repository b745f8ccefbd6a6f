'use strict';
/* AWS Lambda FunctionEventInvokeConfig through @aws-sdk/client-lambda against fakecloud. */

const { test } = require('node:test');
const assert = require('node:assert/strict');
const {
  LambdaClient,
  PutFunctionEventInvokeConfigCommand,
  GetFunctionEventInvokeConfigCommand,
  UpdateFunctionEventInvokeConfigCommand,
  ListFunctionEventInvokeConfigsCommand,
  DeleteFunctionEventInvokeConfigCommand,
} = require('@aws-sdk/client-lambda');
const fake = require('./lib/fake');
const faults = require('./lib/faults').forProvider('aws');

const ACCOUNT = '123456789012';
const SQS_OK = `arn:aws:sqs:us-east-1:${ACCOUNT}:ok-queue`;
const SQS_DLQ = `arn:aws:sqs:us-east-1:${ACCOUNT}:dlq`;
const SNS = `arn:aws:sns:us-east-1:${ACCOUNT}:topic`;
/* A config with every field set, to see what a later change keeps. */
const BASELINE = {
  MaximumRetryAttempts: 1,
  MaximumEventAgeInSeconds: 3600,
  DestinationConfig: { OnFailure: { Destination: SQS_DLQ } },
};

function client(opts = {}) {
  return new LambdaClient({
    endpoint: fake.baseUrl,
    region: 'us-east-1',
    credentials: {
      accessKeyId: opts.ak || fake.creds.aws.ak,
      secretAccessKey: opts.sk || fake.creds.aws.sk,
    },
    maxAttempts: 1, /* every error must reach the test, not be retried away */
    /* throwOnRequestTimeout: without it this handler only warns when requestTimeout passes. */
    requestHandler: {
      connectionTimeout: 2000,
      requestTimeout: opts.requestTimeout || 5000,
      throwOnRequestTimeout: true,
    },
  });
}

const lambda = client();

async function newFunction(qualifiers) {
  const name = fake.uniqueName('aws-fn');
  const spec = { provider: 'aws', function: name };
  if (qualifiers) {
    spec.qualifiers = qualifiers;
  }
  await fake.createFunctions(spec);
  return name;
}

function put(input) {
  return lambda.send(new PutFunctionEventInvokeConfigCommand(input));
}
function get(input) {
  return lambda.send(new GetFunctionEventInvokeConfigCommand(input));
}

fake.useFreshEmulator();

test('aws: put, get, list, delete round trip on $LATEST', async () => {
  const name = await newFunction();
  const t0 = Date.now();
  const putOut = await put({
    FunctionName: name,
    MaximumRetryAttempts: 1,
    MaximumEventAgeInSeconds: 3600,
    DestinationConfig: {
      OnSuccess: { Destination: SQS_OK },
      OnFailure: { Destination: SQS_DLQ },
    },
  });
  assert.equal(putOut.$metadata.httpStatusCode, 200);
  assert.match(putOut.FunctionArn, new RegExp(`^arn:aws:lambda:us-east-1:\\d{12}:function:${name}:\\$LATEST$`));
  assert.equal(putOut.MaximumRetryAttempts, 1);
  assert.equal(putOut.MaximumEventAgeInSeconds, 3600);
  assert.ok(putOut.LastModified instanceof Date);

  const got = await get({ FunctionName: name });
  assert.equal(got.$metadata.httpStatusCode, 200);
  assert.equal(got.FunctionArn, putOut.FunctionArn);
  assert.equal(got.MaximumRetryAttempts, 1);
  assert.equal(got.MaximumEventAgeInSeconds, 3600);
  assert.deepEqual(got.DestinationConfig, {
    OnSuccess: { Destination: SQS_OK },
    OnFailure: { Destination: SQS_DLQ },
  });
  /* LastModified is epoch seconds on the wire; the SDK only accepts a number there and
   * turns it into a Date. */
  assert.ok(got.LastModified instanceof Date, `LastModified is ${typeof got.LastModified}`);
  const lm = got.LastModified.getTime();
  assert.ok(Math.abs(lm - t0) < 120000, `LastModified ${got.LastModified.toISOString()} is not near now`);

  const list = await lambda.send(new ListFunctionEventInvokeConfigsCommand({ FunctionName: name }));
  assert.equal(list.$metadata.httpStatusCode, 200);
  assert.equal(list.FunctionEventInvokeConfigs.length, 1);
  assert.equal(list.FunctionEventInvokeConfigs[0].FunctionArn, putOut.FunctionArn);
  assert.equal(list.FunctionEventInvokeConfigs[0].MaximumRetryAttempts, 1);
  assert.ok(list.FunctionEventInvokeConfigs[0].LastModified instanceof Date);
  assert.equal(list.NextMarker, undefined);

  const del = await lambda.send(new DeleteFunctionEventInvokeConfigCommand({ FunctionName: name }));
  assert.equal(del.$metadata.httpStatusCode, 204);

  const err = await fake.rejection(get({ FunctionName: name }), 'get after delete');
  assert.equal(err.name, 'ResourceNotFoundException');
  assert.equal(err.$metadata.httpStatusCode, 404);

  const empty = await lambda.send(new ListFunctionEventInvokeConfigsCommand({ FunctionName: name }));
  assert.deepEqual(empty.FunctionEventInvokeConfigs, []);
});

test('aws: PUT replaces the whole config, POST (Update) merges', async () => {
  const name = await newFunction();
  await put({ FunctionName: name, ...BASELINE });
  const upd = await lambda.send(new UpdateFunctionEventInvokeConfigCommand({
    FunctionName: name,
    MaximumRetryAttempts: 2,
  }));
  assert.equal(upd.MaximumRetryAttempts, 2);
  assert.equal(upd.MaximumEventAgeInSeconds, 3600, 'Update must keep fields it is not sent');
  assert.equal(upd.DestinationConfig.OnFailure.Destination, SQS_DLQ);

  await put({ FunctionName: name, MaximumRetryAttempts: 0 });
  const got = await get({ FunctionName: name });
  assert.equal(got.MaximumRetryAttempts, 0);
  assert.notEqual(got.MaximumEventAgeInSeconds, 3600, 'PUT must not keep the old event age');
  assert.deepEqual(got.DestinationConfig.OnFailure ?? {}, {}, 'PUT must drop the old destination');
});

test('aws: $LATEST and alias prod are kept apart (name, name:prod, ARN forms)', async () => {
  const name = await newFunction(['prod']);
  const arn = `arn:aws:lambda:us-east-1:${ACCOUNT}:function:${name}`;
  await put({ FunctionName: name, MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 });
  await put({ FunctionName: name, Qualifier: 'prod', MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 21600 });

  const latest = await get({ FunctionName: name, Qualifier: '$LATEST' });
  assert.equal(latest.MaximumRetryAttempts, 0);
  assert.equal(latest.MaximumEventAgeInSeconds, 60);
  assert.match(latest.FunctionArn, /:\$LATEST$/);

  const prod = await get({ FunctionName: name, Qualifier: 'prod' });
  assert.equal(prod.MaximumRetryAttempts, 2);
  assert.equal(prod.MaximumEventAgeInSeconds, 21600);
  assert.match(prod.FunctionArn, new RegExp(`:function:${name}:prod$`));

  /* The same configs, addressed as name:prod and as an ARN (percent-encoded on the wire,
   * encoded twice in the SigV4 canonical URI). */
  const prod2 = await get({ FunctionName: `${name}:prod` });
  assert.equal(prod2.MaximumRetryAttempts, 2);
  const latest2 = await get({ FunctionName: arn, Qualifier: '$LATEST' });
  assert.equal(latest2.MaximumRetryAttempts, 0);
  const prod3 = await get({ FunctionName: arn, Qualifier: 'prod' });
  assert.equal(prod3.MaximumEventAgeInSeconds, 21600);

  const list = await lambda.send(new ListFunctionEventInvokeConfigsCommand({ FunctionName: name }));
  const arns = list.FunctionEventInvokeConfigs.map((c) => c.FunctionArn).sort();
  assert.equal(arns.length, 2);
  assert.ok(arns.some((a) => a.endsWith(':$LATEST')));
  assert.ok(arns.some((a) => a.endsWith(':prod')));

  await lambda.send(new DeleteFunctionEventInvokeConfigCommand({ FunctionName: name, Qualifier: 'prod' }));
  const err = await fake.rejection(get({ FunctionName: name, Qualifier: 'prod' }));
  assert.equal(err.name, 'ResourceNotFoundException');
  const still = await get({ FunctionName: name });
  assert.equal(still.MaximumRetryAttempts, 0, 'deleting prod must not touch $LATEST');
});

test('aws: list pages with MaxItems and NextMarker', async () => {
  const name = await newFunction(['a1', 'b2']);
  for (const q of ['$LATEST', 'a1', 'b2']) {
    await put({ FunctionName: name, Qualifier: q, MaximumRetryAttempts: 1 });
  }
  const seen = [];
  let marker;
  for (let page = 0; page < 5; page++) {
    const out = await lambda.send(new ListFunctionEventInvokeConfigsCommand({
      FunctionName: name, MaxItems: 1, Marker: marker,
    }));
    assert.ok(out.FunctionEventInvokeConfigs.length <= 1);
    seen.push(...out.FunctionEventInvokeConfigs.map((c) => c.FunctionArn.split(':').pop()));
    marker = out.NextMarker;
    if (!marker) break;
  }
  assert.deepEqual(seen.sort(), ['$LATEST', 'a1', 'b2']);
});

test('aws: a name suffix that contradicts Qualifier is rejected', async () => {
  const name = await newFunction(['prod']);
  const err = await fake.rejection(put({ FunctionName: `${name}:prod`, Qualifier: '$LATEST', MaximumRetryAttempts: 1 }));
  assert.equal(err.name, 'InvalidParameterValueException');
  assert.equal(err.$metadata.httpStatusCode, 400);
});

test('aws: a qualifier the function does not have is not found', async () => {
  const name = await newFunction(['prod']);
  const err = await fake.rejection(put({ FunctionName: name, Qualifier: 'staging', MaximumRetryAttempts: 1 }));
  assert.equal(err.name, 'ResourceNotFoundException');
  assert.equal(err.$metadata.httpStatusCode, 404);
});

test('aws: unset destinations come back as {}', async () => {
  const name = await newFunction();
  await put({ FunctionName: name, MaximumRetryAttempts: 2 });
  const got = await get({ FunctionName: name });
  assert.deepEqual(got.DestinationConfig, { OnSuccess: {}, OnFailure: {} });

  await put({ FunctionName: name, DestinationConfig: { OnSuccess: { Destination: SNS } } });
  const got2 = await get({ FunctionName: name });
  assert.deepEqual(got2.DestinationConfig, { OnSuccess: { Destination: SNS }, OnFailure: {} });
});

test('aws: out-of-range values are rejected with InvalidParameterValueException 400', async () => {
  const name = await newFunction();
  for (const bad of [
    { MaximumRetryAttempts: 3 },
    { MaximumRetryAttempts: -1 },
    { MaximumEventAgeInSeconds: 59 },
    { MaximumEventAgeInSeconds: 21601 },
  ]) {
    const err = await fake.rejection(put({ FunctionName: name, ...bad }), JSON.stringify(bad));
    assert.equal(err.name, 'InvalidParameterValueException', JSON.stringify(bad));
    assert.equal(err.$metadata.httpStatusCode, 400, JSON.stringify(bad));
    assert.ok(err.message && err.message.length > 0, 'the message is surfaced');
  }
  /* Nothing was stored by the rejected PUTs. */
  const err = await fake.rejection(get({ FunctionName: name }));
  assert.equal(err.name, 'ResourceNotFoundException');
  /* The bounds themselves are accepted. */
  await put({ FunctionName: name, MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 });
  await put({ FunctionName: name, MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 21600 });
  const got = await get({ FunctionName: name });
  assert.equal(got.MaximumRetryAttempts, 2);
  assert.equal(got.MaximumEventAgeInSeconds, 21600);
});

test('aws: function missing and config missing are both 404 with different messages', async () => {
  const missing = fake.uniqueName('aws-missing');
  const e1 = await fake.rejection(get({ FunctionName: missing }));
  assert.equal(e1.name, 'ResourceNotFoundException');
  assert.equal(e1.$metadata.httpStatusCode, 404);
  assert.match(e1.message, /^Function not found: arn:aws:lambda:us-east-1:\d{12}:function:/);

  const e2 = await fake.rejection(put({ FunctionName: missing, MaximumRetryAttempts: 1 }));
  assert.equal(e2.name, 'ResourceNotFoundException');
  assert.match(e2.message, /^Function not found: /);

  const name = await newFunction();
  const e3 = await fake.rejection(get({ FunctionName: name }));
  assert.equal(e3.name, 'ResourceNotFoundException');
  assert.equal(e3.$metadata.httpStatusCode, 404);
  assert.match(e3.message, new RegExp(`^The function arn:aws:lambda:us-east-1:\\d{12}:function:${name}:\\$LATEST doesn't have an EventInvokeConfig`));
});

test('aws: a wrong secret is rejected with InvalidSignatureException 403', async () => {
  const name = await newFunction();
  const bad = client({ sk: `${fake.creds.aws.sk}x` });
  const rejected0 = await fake.signatureRejected('aws');
  const err = await fake.rejection(bad.send(new GetFunctionEventInvokeConfigCommand({ FunctionName: name })));
  assert.equal(err.name, 'InvalidSignatureException');
  assert.equal(err.$metadata.httpStatusCode, 403);
  const err2 = await fake.rejection(bad.send(new PutFunctionEventInvokeConfigCommand({
    FunctionName: name, MaximumRetryAttempts: 1,
  })));
  assert.equal(err2.name, 'InvalidSignatureException');
  /* and nothing was written */
  const e3 = await fake.rejection(get({ FunctionName: name }));
  assert.equal(e3.name, 'ResourceNotFoundException');
  assert.equal(await fake.signatureRejected('aws'), rejected0 + 2, 'both bad signatures counted');
});

test('aws: an unknown access key is rejected with UnrecognizedClientException 403', async () => {
  const name = await newFunction();
  const stranger = client({ ak: 'AKIDUNKNOWN0000000000' });
  const err = await fake.rejection(stranger.send(new GetFunctionEventInvokeConfigCommand({ FunctionName: name })));
  assert.equal(err.name, 'UnrecognizedClientException');
  assert.equal(err.$metadata.httpStatusCode, 403);
});

test('aws: drift set through the control API is seen by get', async () => {
  const name = await newFunction();
  await put({ FunctionName: name, ...BASELINE });
  await fake.setDrift(faults.drift('aws', { function: name }, {
    MaximumRetryAttempts: 0,
    MaximumEventAgeInSeconds: 120,
  }));
  const got = await get({ FunctionName: name });
  assert.equal(got.MaximumRetryAttempts, 0);
  assert.equal(got.MaximumEventAgeInSeconds, 120);
  assert.equal(got.DestinationConfig.OnFailure.Destination, SQS_DLQ, 'merge keeps what drift did not name');

  /* a config removed out of band is gone for the SDK too */
  await fake.clearDrift({ provider: 'aws', function: name });
  const err = await fake.rejection(get({ FunctionName: name }));
  assert.equal(err.name, 'ResourceNotFoundException');
  assert.match(err.message, /doesn't have an EventInvokeConfig/);
});

test('aws: the emulator keeps what the SDK put (GET /_fake/configs) and counts requests', async () => {
  const name = await newFunction();
  const before0 = await fake.stats();
  await put({ FunctionName: name, MaximumRetryAttempts: 1 });
  await get({ FunctionName: name });
  const after = await fake.stats();
  assert.ok(faults.totalRequests(after) >= faults.totalRequests(before0) + 2,
    `stats did not count the two requests: ${JSON.stringify(before0)} -> ${JSON.stringify(after)}`);
  const all = await fake.configs();
  const mine = all.filter((c) => c.provider === 'aws' && c.function === name);
  assert.equal(mine.length, 1, `GET /_fake/configs: ${JSON.stringify(all).slice(0, 500)}`);
  assert.equal(mine[0].qualifier, '$LATEST');
  assert.equal(mine[0].config.MaximumRetryAttempts, 1);
  const got = await get({ FunctionName: name });
  assert.equal(mine[0].config.FunctionArn, got.FunctionArn);
  assert.equal(mine[0].config.LastModified * 1000, got.LastModified.getTime());
});

test('aws fault: 5xx surfaces as a server error', async () => {
  const name = await newFunction();
  await fake.withFaults(faults.error5xx(), async () => {
    const err = await fake.rejection(get({ FunctionName: name }));
    assert.ok(err.$metadata.httpStatusCode >= 500 && err.$metadata.httpStatusCode <= 599,
      `status ${err.$metadata.httpStatusCode}`);
    assert.equal(err.$fault, 'server');
  });
});

test('aws fault: 429 surfaces as TooManyRequestsException with Retry-After', async () => {
  const name = await newFunction();
  await fake.withFaults(faults.throttle(7), async () => {
    const err = await fake.rejection(get({ FunctionName: name }));
    assert.equal(err.name, 'TooManyRequestsException');
    assert.equal(err.$metadata.httpStatusCode, 429);
    assert.equal(String(err.retryAfterSeconds), '7');
    assert.equal(err.Reason, 'CallerRateLimitExceeded');
  });
});

test('aws fault: latency delays the answer; a short client timeout gives up', async () => {
  const name = await newFunction();
  await put({ FunctionName: name, MaximumRetryAttempts: 1 });
  await fake.withFaults(faults.latency(400), async () => {
    const t0 = Date.now();
    const got = await get({ FunctionName: name });
    const dt = Date.now() - t0;
    assert.equal(got.MaximumRetryAttempts, 1);
    assert.ok(dt >= 380, `answered after ${dt} ms despite 400 ms latency`);

    const impatient = client({ requestTimeout: 100 });
    const err = await fake.rejection(impatient.send(new GetFunctionEventInvokeConfigCommand({ FunctionName: name })));
    assert.equal(err.$metadata?.httpStatusCode, undefined, 'no HTTP status on a timeout');
    assert.match(`${err.name} ${err.code} ${err.message}`, /timeout|timed out/i);
  });
});

test('aws fault: a dropped connection surfaces as a network error', async () => {
  const name = await newFunction();
  await fake.withFaults(faults.drop(), async () => {
    const err = await fake.rejection(get({ FunctionName: name }));
    assert.equal(err.$metadata?.httpStatusCode, undefined, `got HTTP ${err.$metadata?.httpStatusCode}`);
    assert.equal(err.code, 'ECONNRESET', `${err.name} ${err.code}: ${err.message}`);
  });
});

test('aws fault: a truncated JSON body makes the SDK fail to parse', async () => {
  const name = await newFunction();
  await put({ FunctionName: name, MaximumRetryAttempts: 1 });
  await fake.withFaults(faults.truncate(), async () => {
    const err = await fake.rejection(get({ FunctionName: name }));
    /* a deserialisation error of a 200 answer, not an HTTP or network error */
    assert.equal(err.name, 'SyntaxError', `${err.name}: ${err.message}`);
    assert.equal(err.$metadata?.httpStatusCode, 200);
    assert.match(err.message, /Deserialization error/);
  });
  /* and the emulator answers normally again */
  const got = await get({ FunctionName: name });
  assert.equal(got.MaximumRetryAttempts, 1);
});

test('aws: ListVersionsByFunction and ListAliases (import finds qualifiers with them)', async () => {
  const { ListVersionsByFunctionCommand, ListAliasesCommand } = require('@aws-sdk/client-lambda');
  const name = await newFunction(['1', '2', 'prod', 'blue']);
  const versions = await lambda.send(new ListVersionsByFunctionCommand({ FunctionName: name, MaxItems: 2 }));
  assert.deepEqual(versions.Versions.map((v) => v.Version), ['$LATEST', '1']);
  assert.equal(versions.Versions[1].FunctionArn, `arn:aws:lambda:us-east-1:${ACCOUNT}:function:${name}:1`);
  const rest = await lambda.send(new ListVersionsByFunctionCommand({ FunctionName: name, Marker: versions.NextMarker }));
  assert.deepEqual(rest.Versions.map((v) => v.Version), ['2']);
  assert.equal(rest.NextMarker, undefined);
  const aliases = await lambda.send(new ListAliasesCommand({ FunctionName: name }));
  assert.deepEqual(aliases.Aliases.map((a) => [a.Name, a.FunctionVersion]), [['blue', '2'], ['prod', '2']]);
  await assert.rejects(lambda.send(new ListAliasesCommand({ FunctionName: 'no-such-fn-x' })),
    (e) => e.name === 'ResourceNotFoundException' && e.$metadata.httpStatusCode === 404);
});
