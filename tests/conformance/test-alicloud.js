'use strict';
/* Alibaba Cloud Function Compute async invoke config through the official SDKs against
 * fakecloud: FC 3.0 (@alicloud/fc20230330, API 2023-03-30) and FC 2.0
 * (@alicloud/fc-open20210406, API 2021-04-06). */

const { test } = require('node:test');
const assert = require('node:assert/strict');
const FC3 = require('@alicloud/fc20230330');
const { $OpenApiUtil } = require('@alicloud/openapi-core');
const FC2 = require('@alicloud/fc-open20210406');
const OpenApi = require('@alicloud/openapi-client');
const fake = require('./lib/fake');
const faults = require('./lib/faults').forProvider('alicloud');

const UID = '1234567890123456';
const MNS_OK = `acs:mns:cn-hangzhou:${UID}:/queues/ok/messages`;
const MNS_TOPIC = `acs:mns:cn-hangzhou:${UID}:/topics/t/messages`;
const FC3_FAIL = `acs:fc:cn-hangzhou:${UID}:functions/on-fail`;

/* Both SDKs take the same configuration (each in its own Config class). With an explicit
 * endpoint neither builds a host from region or account id. */
function clientConfig(opts) {
  return {
    accessKeyId: opts.ak || fake.creds.alicloud.ak,
    accessKeySecret: opts.sk || fake.creds.alicloud.sk,
    endpoint: fake.host,
    protocol: 'HTTP',
    regionId: 'cn-hangzhou',
    readTimeout: opts.readTimeout || 5000,
    connectTimeout: 2000,
  };
}

/* ---- FC 3.0 ------------------------------------------------------------------------------ */

function fc3Client(opts = {}) {
  /* autoretry is off by default in this SDK (no retryOptions): every error reaches the test. */
  return new FC3.default(new $OpenApiUtil.Config(clientConfig(opts)));
}

const fc3 = fc3Client();

function fc3Put(fn, input, qualifier, c = fc3) {
  return c.putAsyncInvokeConfig(fn, new FC3.PutAsyncInvokeConfigRequest({
    qualifier,
    body: new FC3.PutAsyncInvokeConfigInput(input),
  }));
}
function fc3Get(fn, qualifier, c = fc3) {
  return c.getAsyncInvokeConfig(fn, new FC3.GetAsyncInvokeConfigRequest({ qualifier }));
}
function fc3Delete(fn, qualifier) {
  return fc3.deleteAsyncInvokeConfig(fn, new FC3.DeleteAsyncInvokeConfigRequest({ qualifier }));
}
function fc3List(fn) {
  return fc3.listAsyncInvokeConfigs(new FC3.ListAsyncInvokeConfigsRequest({ functionName: fn, limit: 100 }));
}
function dest3(onSuccess, onFailure) {
  const d = {};
  if (onSuccess) d.onSuccess = new FC3.Destination({ destination: onSuccess });
  if (onFailure) d.onFailure = new FC3.Destination({ destination: onFailure });
  return new FC3.DestinationConfig(d);
}

/* The response body exactly as sent, fetched by the SDK's own signed request path (callApi
 * with bodyType "string"), to check wire quirks that the SDK's models smooth over. */
async function fc3Raw(fn, qualifier) {
  const query = qualifier ? { qualifier } : {};
  const res = await fc3.callApi(new $OpenApiUtil.Params({
    action: 'GetAsyncInvokeConfig',
    version: '2023-03-30',
    protocol: 'HTTP',
    pathname: `/2023-03-30/functions/${encodeURIComponent(fn)}/async-invoke-config`,
    method: 'GET',
    authType: 'AK',
    style: 'ROA',
    reqBodyType: 'json',
    bodyType: 'string',
  }), new $OpenApiUtil.OpenApiRequest({ headers: {}, query }), {});
  return JSON.parse(res.body);
}

async function newFc3Function(qualifiers) {
  const name = fake.uniqueName('fc3-fn');
  const spec = { provider: 'alicloud', function: name };
  if (qualifiers) spec.qualifiers = qualifiers;
  await fake.createFunctions(spec);
  return name;
}

/* ---- FC 2.0 ------------------------------------------------------------------------------ */

function fc2Client(opts = {}) {
  /* RuntimeOptions.autoretry is unset in the SDK's convenience methods: no retries. */
  return new FC2.default(new OpenApi.Config(clientConfig(opts)));
}

const fc2 = fc2Client();

function fc2Put(svc, fn, fields, qualifier, c = fc2) {
  return c.putFunctionAsyncInvokeConfig(svc, fn, new FC2.PutFunctionAsyncInvokeConfigRequest({ qualifier, ...fields }));
}
function fc2Get(svc, fn, qualifier, c = fc2) {
  return c.getFunctionAsyncInvokeConfig(svc, fn, new FC2.GetFunctionAsyncInvokeConfigRequest({ qualifier }));
}
function fc2Delete(svc, fn, qualifier) {
  return fc2.deleteFunctionAsyncInvokeConfig(svc, fn, new FC2.DeleteFunctionAsyncInvokeConfigRequest({ qualifier }));
}
function fc2List(svc, fn) {
  return fc2.listFunctionAsyncInvokeConfigs(svc, fn, new FC2.ListFunctionAsyncInvokeConfigsRequest({ limit: 100 }));
}
function dest2(onSuccess, onFailure) {
  const d = {};
  if (onSuccess) d.onSuccess = new FC2.Destination({ destination: onSuccess });
  if (onFailure) d.onFailure = new FC2.Destination({ destination: onFailure });
  return new FC2.DestinationConfig(d);
}
async function fc2Raw(svc, fn, qualifier) {
  const query = qualifier ? { qualifier } : {};
  const res = await fc2.callApi(new OpenApi.Params({
    action: 'GetFunctionAsyncInvokeConfig',
    version: '2021-04-06',
    protocol: 'HTTP',
    pathname: `/2021-04-06/services/${encodeURIComponent(svc)}/functions/${encodeURIComponent(fn)}/async-invoke-config`,
    method: 'GET',
    authType: 'AK',
    style: 'ROA',
    reqBodyType: 'json',
    bodyType: 'string',
  }), new OpenApi.OpenApiRequest({ headers: {}, query }), {});
  return JSON.parse(res.body);
}

async function newFc2Function(qualifiers) {
  const svc = fake.uniqueName('fc2-svc');
  const name = fake.uniqueName('fc2-fn');
  const spec = { provider: 'alicloud', service: svc, function: name };
  if (qualifiers) spec.qualifiers = qualifiers;
  await fake.createFunctions(spec);
  return { svc, name };
}

/* The error code and HTTP status an Alibaba SDK error surfaces. */
function aliErr(e) {
  return { code: e.code, status: e.statusCode ?? e.data?.statusCode };
}

fake.useFreshEmulator();

/* ---- FC 3.0 tests -------------------------------------------------------------------------- */

test('fc3: put, get, list, delete round trip on LATEST', async () => {
  const name = await newFc3Function();
  const put = await fc3Put(name, {
    asyncTask: true,
    maxAsyncRetryAttempts: 2,
    maxAsyncEventAgeInSeconds: 3600,
    destinationConfig: dest3(MNS_OK, FC3_FAIL),
  }, 'LATEST');
  assert.equal(put.statusCode, 200);
  assert.equal(put.body.maxAsyncRetryAttempts, 2);

  const got = await fc3Get(name, 'LATEST');
  assert.equal(got.statusCode, 200);
  assert.equal(got.body.asyncTask, true);
  assert.equal(got.body.maxAsyncRetryAttempts, 2);
  assert.equal(got.body.maxAsyncEventAgeInSeconds, 3600);
  assert.equal(got.body.destinationConfig.onSuccess.destination, MNS_OK);
  assert.equal(got.body.destinationConfig.onFailure.destination, FC3_FAIL);
  assert.match(got.body.functionArn, new RegExp(`^acs:fc:cn-hangzhou:\\d+:functions/${name}`));
  assert.equal(typeof got.body.createdTime, 'string');
  assert.equal(typeof got.body.lastModifiedTime, 'string');
  assert.ok(!Number.isNaN(Date.parse(got.body.lastModifiedTime)), `lastModifiedTime ${got.body.lastModifiedTime}`);

  const list = await fc3List(name);
  assert.equal(list.statusCode, 200);
  assert.equal(list.body.configs.length, 1);
  assert.equal(list.body.configs[0].maxAsyncRetryAttempts, 2);
  assert.equal(list.body.configs[0].functionArn, got.body.functionArn);

  const del = await fc3Delete(name, 'LATEST');
  assert.ok(del.statusCode === 204 || del.statusCode === 200, `delete status ${del.statusCode}`);
  const e = await fake.rejection(fc3Get(name, 'LATEST'));
  assert.deepEqual(aliErr(e), { code: 'AsyncConfigNotExists', status: 404 });
  const empty = await fc3List(name);
  assert.deepEqual(empty.body.configs ?? [], []);
});

test('fc3: LATEST and a version are kept apart; no qualifier means LATEST', async () => {
  const name = await newFc3Function(['1']);
  await fc3Put(name, { maxAsyncRetryAttempts: 0, maxAsyncEventAgeInSeconds: 60 }, 'LATEST');
  await fc3Put(name, { maxAsyncRetryAttempts: 5, maxAsyncEventAgeInSeconds: 7200 }, '1');
  const latest = await fc3Get(name, 'LATEST');
  assert.equal(latest.body.maxAsyncRetryAttempts, 0);
  assert.equal(latest.body.maxAsyncEventAgeInSeconds, 60);
  const v1 = await fc3Get(name, '1');
  assert.equal(v1.body.maxAsyncRetryAttempts, 5);
  assert.equal(v1.body.maxAsyncEventAgeInSeconds, 7200);
  const unq = await fc3Get(name, undefined);
  assert.equal(unq.body.maxAsyncRetryAttempts, 0);

  const list = await fc3List(name);
  assert.equal(list.body.configs.length, 2);

  await fc3Delete(name, '1');
  const e = await fake.rejection(fc3Get(name, '1'));
  assert.equal(aliErr(e).code, 'AsyncConfigNotExists');
  assert.equal((await fc3Get(name, 'LATEST')).body.maxAsyncRetryAttempts, 0);
});

test('fc3: list pages with limit and nextToken', async () => {
  const name = await newFc3Function(['1', '2']);
  for (const q of ['LATEST', '1', '2']) {
    await fc3Put(name, { maxAsyncRetryAttempts: 1 }, q);
  }
  const seen = [];
  let nextToken;
  for (let page = 0; page < 5; page++) {
    const out = await fc3.listAsyncInvokeConfigs(new FC3.ListAsyncInvokeConfigsRequest({ functionName: name, limit: 1, nextToken }));
    assert.ok(out.body.configs.length <= 1);
    seen.push(...out.body.configs.map((c) => c.functionArn));
    nextToken = out.body.nextToken;
    if (!nextToken) break;
  }
  assert.equal(seen.length, 3);
  assert.equal(new Set(seen).size, 3, `functionArn tells the qualifiers apart: ${seen}`);
});

test('fc3: unset destinations come back as {"destination": null}', async () => {
  const name = await newFc3Function();
  await fc3Put(name, { maxAsyncRetryAttempts: 1, destinationConfig: dest3(null, FC3_FAIL) }, 'LATEST');
  const raw = await fc3Raw(name, 'LATEST');
  assert.deepEqual(raw.destinationConfig.onSuccess, { destination: null });
  assert.deepEqual(raw.destinationConfig.onFailure, { destination: FC3_FAIL });
  /* and through the SDK's model: an object without a destination */
  const got = await fc3Get(name, 'LATEST');
  assert.ok(got.body.destinationConfig.onSuccess);
  assert.equal(got.body.destinationConfig.onSuccess.destination ?? null, null);
  assert.equal(got.body.destinationConfig.onFailure.destination, FC3_FAIL);
});

test('fc3: out-of-range values are rejected with InvalidArgument 400', async () => {
  const name = await newFc3Function();
  for (const bad of [
    { maxAsyncRetryAttempts: 9 },
    { maxAsyncRetryAttempts: -1 },
    { maxAsyncEventAgeInSeconds: -1 },
    { maxAsyncEventAgeInSeconds: 100000000 },
  ]) {
    const e = await fake.rejection(fc3Put(name, bad, 'LATEST'), JSON.stringify(bad));
    assert.deepEqual(aliErr(e), { code: 'InvalidArgument', status: 400 }, JSON.stringify(bad));
  }
  const e = await fake.rejection(fc3Get(name, 'LATEST'));
  assert.equal(aliErr(e).code, 'AsyncConfigNotExists', 'a rejected PUT stored nothing');
  await fc3Put(name, { maxAsyncRetryAttempts: 8 }, 'LATEST');
  assert.equal((await fc3Get(name, 'LATEST')).body.maxAsyncRetryAttempts, 8);
});

test('fc3: FunctionNotFound versus AsyncConfigNotExists', async () => {
  const missing = fake.uniqueName('fc3-missing');
  const e1 = await fake.rejection(fc3Get(missing, 'LATEST'));
  assert.deepEqual(aliErr(e1), { code: 'FunctionNotFound', status: 404 });
  const e2 = await fake.rejection(fc3Put(missing, { maxAsyncRetryAttempts: 1 }, 'LATEST'));
  assert.deepEqual(aliErr(e2), { code: 'FunctionNotFound', status: 404 });
  const name = await newFc3Function();
  const e3 = await fake.rejection(fc3Get(name, 'LATEST'));
  assert.deepEqual(aliErr(e3), { code: 'AsyncConfigNotExists', status: 404 });
});

test('fc3: a version the function does not have is VersionNotFound', async () => {
  const name = await newFc3Function(['1']);
  const e = await fake.rejection(fc3Put(name, { maxAsyncRetryAttempts: 1 }, '2'));
  assert.deepEqual(aliErr(e), { code: 'VersionNotFound', status: 404 });
});

test('fc3: an unknown access key is rejected with InvalidAccessKeyID 403', async () => {
  const name = await newFc3Function();
  const e = await fake.rejection(fc3Get(name, 'LATEST', fc3Client({ ak: 'LTAIunknownKey0000' })));
  assert.deepEqual(aliErr(e), { code: 'InvalidAccessKeyID', status: 403 });
});

test('fc3: a wrong secret is rejected with SignatureNotMatch 403', async () => {
  const name = await newFc3Function();
  const bad = fc3Client({ sk: `${fake.creds.alicloud.sk}x` });
  const rejected0 = await fake.signatureRejected('alicloud');
  const e = await fake.rejection(fc3Get(name, 'LATEST', bad));
  assert.deepEqual(aliErr(e), { code: 'SignatureNotMatch', status: 403 });
  const e2 = await fake.rejection(fc3Put(name, { maxAsyncRetryAttempts: 1 }, 'LATEST', bad));
  assert.equal(aliErr(e2).code, 'SignatureNotMatch');
  const e3 = await fake.rejection(fc3Get(name, 'LATEST'));
  assert.equal(aliErr(e3).code, 'AsyncConfigNotExists', 'the badly signed PUT wrote nothing');
  assert.equal(await fake.signatureRejected('alicloud'), rejected0 + 2, 'both bad signatures counted');
});

test('fc3: drift set through the control API is seen by get', async () => {
  const name = await newFc3Function();
  await fc3Put(name, { maxAsyncRetryAttempts: 2, maxAsyncEventAgeInSeconds: 3600 }, 'LATEST');
  await fake.setDrift(faults.drift('alicloud', { function: name, qualifier: 'LATEST' }, {
    maxAsyncRetryAttempts: 7,
  }));
  const got = await fc3Get(name, 'LATEST');
  assert.equal(got.body.maxAsyncRetryAttempts, 7);
  assert.equal(got.body.maxAsyncEventAgeInSeconds, 3600, 'merge keeps what drift did not name');
  await fake.clearDrift({ provider: 'alicloud', function: name });
  const e = await fake.rejection(fc3Get(name, 'LATEST'));
  assert.equal(aliErr(e).code, 'AsyncConfigNotExists');
});

test('fc3 fault: 5xx surfaces as a ServerError', async () => {
  const name = await newFc3Function();
  await fake.withFaults(faults.error5xx(), async () => {
    const e = await fake.rejection(fc3Get(name, 'LATEST'));
    assert.equal(e.name, 'ServerError');
    assert.ok(e.statusCode >= 500 && e.statusCode <= 599, `status ${e.statusCode}`);
  });
});

test('fc3 fault: 429 surfaces with its status and code', async () => {
  const name = await newFc3Function();
  await fake.withFaults(faults.throttle(3), async () => {
    const e = await fake.rejection(fc3Get(name, 'LATEST'));
    assert.equal(e.statusCode, 429);
    assert.equal(e.name, 'ThrottlingError');
    assert.equal(e.code, 'Throttling');
  });
});

test('fc3 fault: latency delays the answer; a short read timeout gives up', async () => {
  const name = await newFc3Function();
  await fc3Put(name, { maxAsyncRetryAttempts: 3 }, 'LATEST');
  await fake.withFaults(faults.latency(400), async () => {
    const t0 = Date.now();
    const got = await fc3Get(name, 'LATEST');
    assert.equal(got.body.maxAsyncRetryAttempts, 3);
    assert.ok(Date.now() - t0 >= 380, `answered after ${Date.now() - t0} ms`);
    const e = await fake.rejection(fc3Get(name, 'LATEST', fc3Client({ readTimeout: 100 })));
    assert.equal(e.statusCode, undefined);
    assert.match(`${e.name} ${e.code} ${e.message}`, /timeout|timed out/i);
  });
});

test('fc3 fault: a dropped connection surfaces as a network error', async () => {
  const name = await newFc3Function();
  await fake.withFaults(faults.drop(), async () => {
    const e = await fake.rejection(fc3Get(name, 'LATEST'));
    assert.equal(e.statusCode, undefined, `got HTTP ${e.statusCode}`);
    assert.equal(e.code, 'ECONNRESET', `${e.name} ${e.code}: ${e.message}`);
  });
});

test('fc3 fault: a truncated JSON body makes the SDK fail to parse', async () => {
  const name = await newFc3Function();
  await fc3Put(name, { maxAsyncRetryAttempts: 3 }, 'LATEST');
  await fake.withFaults(faults.truncate(), async () => {
    const e = await fake.rejection(fc3Get(name, 'LATEST'));
    assert.equal(e.name, 'SyntaxError', `${e.name}: ${e.message}`);
  });
  assert.equal((await fc3Get(name, 'LATEST')).body.maxAsyncRetryAttempts, 3);
});

/* ---- FC 2.0 tests -------------------------------------------------------------------------- */

test('fc2: put, get, list, delete round trip on LATEST', async () => {
  const { svc, name } = await newFc2Function();
  const put = await fc2Put(svc, name, {
    maxAsyncRetryAttempts: 2,
    maxAsyncEventAgeInSeconds: 3600,
    statefulInvocation: true,
    destinationConfig: dest2(MNS_OK, MNS_TOPIC),
  }, 'LATEST');
  assert.equal(put.statusCode, 200);
  assert.equal(put.body.maxAsyncRetryAttempts, 2);

  const got = await fc2Get(svc, name, 'LATEST');
  assert.equal(got.statusCode, 200);
  assert.equal(got.body.maxAsyncRetryAttempts, 2);
  assert.equal(got.body.maxAsyncEventAgeInSeconds, 3600);
  assert.equal(got.body.statefulInvocation, true);
  assert.equal(got.body.destinationConfig.onSuccess.destination, MNS_OK);
  assert.equal(got.body.destinationConfig.onFailure.destination, MNS_TOPIC);
  assert.equal(got.body.service, svc);
  assert.equal(got.body.function, name);
  assert.equal(got.body.qualifier, 'LATEST');
  assert.equal(typeof got.body.createdTime, 'string');
  assert.equal(typeof got.body.lastModifiedTime, 'string');

  const list = await fc2List(svc, name);
  assert.equal(list.statusCode, 200);
  assert.equal(list.body.configs.length, 1);
  assert.equal(list.body.configs[0].qualifier, 'LATEST');

  const del = await fc2Delete(svc, name, 'LATEST');
  assert.ok(del.statusCode === 204 || del.statusCode === 200, `delete status ${del.statusCode}`);
  const e = await fake.rejection(fc2Get(svc, name, 'LATEST'));
  assert.deepEqual(aliErr(e), { code: 'AsyncConfigNotExists', status: 404 });
});

test('fc2: LATEST and alias prod are kept apart', async () => {
  const { svc, name } = await newFc2Function(['prod']);
  await fc2Put(svc, name, { maxAsyncRetryAttempts: 1 }, 'LATEST');
  await fc2Put(svc, name, { maxAsyncRetryAttempts: 4 }, 'prod');
  assert.equal((await fc2Get(svc, name, 'LATEST')).body.maxAsyncRetryAttempts, 1);
  const prod = await fc2Get(svc, name, 'prod');
  assert.equal(prod.body.maxAsyncRetryAttempts, 4);
  assert.equal(prod.body.qualifier, 'prod');
  const list = await fc2List(svc, name);
  assert.deepEqual(list.body.configs.map((c) => c.qualifier).sort(), ['LATEST', 'prod']);
  await fc2Delete(svc, name, 'prod');
  assert.equal((await fc2Get(svc, name, 'LATEST')).body.maxAsyncRetryAttempts, 1);
});

test('fc2: unset destinations come back as {"destination": null}', async () => {
  const { svc, name } = await newFc2Function();
  await fc2Put(svc, name, { maxAsyncRetryAttempts: 1, destinationConfig: dest2(MNS_OK, null) }, 'LATEST');
  const raw = await fc2Raw(svc, name, 'LATEST');
  assert.deepEqual(raw.destinationConfig.onSuccess, { destination: MNS_OK });
  assert.deepEqual(raw.destinationConfig.onFailure, { destination: null });
});

test('fc2: out-of-range values are rejected with InvalidArgument 400', async () => {
  const { svc, name } = await newFc2Function();
  for (const bad of [{ maxAsyncRetryAttempts: 9 }, { maxAsyncEventAgeInSeconds: -1 }]) {
    const e = await fake.rejection(fc2Put(svc, name, bad, 'LATEST'), JSON.stringify(bad));
    assert.deepEqual(aliErr(e), { code: 'InvalidArgument', status: 400 }, JSON.stringify(bad));
  }
});

test('fc2: ServiceNotFound, FunctionNotFound, AsyncConfigNotExists', async () => {
  const { svc, name } = await newFc2Function();
  const e1 = await fake.rejection(fc2Get(fake.uniqueName('fc2-nosvc'), name, 'LATEST'));
  assert.deepEqual(aliErr(e1), { code: 'ServiceNotFound', status: 404 });
  const e2 = await fake.rejection(fc2Get(svc, fake.uniqueName('fc2-nofn'), 'LATEST'));
  assert.deepEqual(aliErr(e2), { code: 'FunctionNotFound', status: 404 });
  const e3 = await fake.rejection(fc2Get(svc, name, 'LATEST'));
  assert.deepEqual(aliErr(e3), { code: 'AsyncConfigNotExists', status: 404 });
});

test('fc2: a wrong secret is rejected with SignatureNotMatch 403', async () => {
  const { svc, name } = await newFc2Function();
  const e = await fake.rejection(fc2Get(svc, name, 'LATEST', fc2Client({ sk: `${fake.creds.alicloud.sk}x` })));
  assert.deepEqual(aliErr(e), { code: 'SignatureNotMatch', status: 403 });
});

test('fc2: drift set through the control API is seen by get', async () => {
  const { svc, name } = await newFc2Function();
  await fc2Put(svc, name, { maxAsyncRetryAttempts: 2 }, 'LATEST');
  await fake.setDrift(faults.drift('alicloud', { service: svc, function: name, qualifier: 'LATEST' }, {
    maxAsyncRetryAttempts: 6,
  }));
  assert.equal((await fc2Get(svc, name, 'LATEST')).body.maxAsyncRetryAttempts, 6);
  await fake.clearDrift({ provider: 'alicloud', service: svc, function: name });
  const e = await fake.rejection(fc2Get(svc, name, 'LATEST'));
  assert.equal(aliErr(e).status, 404);
});

test('fc2 fault: 5xx and 429 surface with their status', async () => {
  const { svc, name } = await newFc2Function();
  await fake.withFaults(faults.error5xx(), async () => {
    const e = await fake.rejection(fc2Get(svc, name, 'LATEST'));
    assert.ok(aliErr(e).status >= 500 && aliErr(e).status <= 599, `status ${aliErr(e).status}`);
  });
  await fake.withFaults(faults.throttle(3), async () => {
    const e = await fake.rejection(fc2Get(svc, name, 'LATEST'));
    assert.deepEqual(aliErr(e), { code: 'Throttling', status: 429 });
  });
});

test('fc2 fault: latency, a dropped connection and a truncated body', async () => {
  const { svc, name } = await newFc2Function();
  await fc2Put(svc, name, { maxAsyncRetryAttempts: 3 }, 'LATEST');
  await fake.withFaults(faults.latency(400), async () => {
    const t0 = Date.now();
    assert.equal((await fc2Get(svc, name, 'LATEST')).body.maxAsyncRetryAttempts, 3);
    assert.ok(Date.now() - t0 >= 380, `answered after ${Date.now() - t0} ms`);
    const e = await fake.rejection(fc2Get(svc, name, 'LATEST', fc2Client({ readTimeout: 100 })));
    assert.equal(aliErr(e).status, undefined);
    assert.match(`${e.name} ${e.code} ${e.message}`, /timeout|timed out/i);
  });
  await fake.withFaults(faults.drop(), async () => {
    const e = await fake.rejection(fc2Get(svc, name, 'LATEST'));
    assert.equal(aliErr(e).status, undefined);
    assert.equal(e.code, 'ECONNRESET', `${e.name} ${e.code}: ${e.message}`);
  });
  await fake.withFaults(faults.truncate(), async () => {
    const e = await fake.rejection(fc2Get(svc, name, 'LATEST'));
    assert.equal(e.name, 'SyntaxError', `${e.name}: ${e.message}`);
  });
  assert.equal((await fc2Get(svc, name, 'LATEST')).body.maxAsyncRetryAttempts, 3);
});

test('fc3 and fc2: the version and alias lists (import finds qualifiers with them)', async () => {
  const name = await newFc3Function(['1', '2', 'prod']);
  const v = await fc3.listFunctionVersions(name, new FC3.ListFunctionVersionsRequest({ limit: 1 }));
  assert.deepEqual(v.body.versions.map((x) => x.versionId), ['1']);
  const v2 = await fc3.listFunctionVersions(name, new FC3.ListFunctionVersionsRequest({ nextToken: v.body.nextToken }));
  assert.deepEqual(v2.body.versions.map((x) => x.versionId), ['2']);
  assert.equal(v2.body.nextToken, undefined);
  const a = await fc3.listAliases(name, new FC3.ListAliasesRequest({}));
  assert.deepEqual(a.body.aliases.map((x) => [x.aliasName, x.versionId]), [['prod', '2']]);
  const e = await fake.rejection(fc3.listAliases(fake.uniqueName('fc3-none'), new FC3.ListAliasesRequest({})));
  assert.deepEqual(aliErr(e), { code: 'FunctionNotFound', status: 404 });

  const { svc } = await newFc2Function(['1', 'prod']);
  const sv = await fc2.listServiceVersions(svc, new FC2.ListServiceVersionsRequest({}));
  assert.deepEqual(sv.body.versions.map((x) => x.versionId), ['1']);
  const sa = await fc2.listAliases(svc, new FC2.ListAliasesRequest({}));
  assert.deepEqual(sa.body.aliases.map((x) => x.aliasName), ['prod']);
  const e2 = await fake.rejection(fc2.listAliases(fake.uniqueName('fc2-none'), new FC2.ListAliasesRequest({})));
  assert.deepEqual(aliErr(e2), { code: 'ServiceNotFound', status: 404 });
});
