'use strict';
/* Huawei Cloud FunctionGraph async invoke config through
 * @huaweicloud/huaweicloud-sdk-functiongraph against fakecloud. The SDK hands back the
 * response JSON as it came (snake_case keys) plus httpStatusCode. */

const { test } = require('node:test');
const assert = require('node:assert/strict');
const { BasicCredentials } = require('@huaweicloud/huaweicloud-sdk-core');
const FG = require('@huaweicloud/huaweicloud-sdk-functiongraph');
const { Logger4jInstance } = require('@huaweicloud/huaweicloud-sdk-core/logger/log4jLogger');
const fake = require('./lib/fake');
const faults = require('./lib/faults').forProvider('huaweicloud');

/* The SDK logs every failed request (headers and all) to stdout; the tests assert on them. */
Logger4jInstance.level = 'off';

const PROJECT = fake.creds.huaweicloud.project;
const SMN = `urn:smn:cn-north-4:${PROJECT}:dlq`;

function client(opts = {}) {
  /* This SDK does not retry (it only fails over to a second endpoint, and there is one). */
  return FG.FunctionGraphClient.newBuilder()
    .withCredential(new BasicCredentials()
      .withAk(opts.ak || fake.creds.huaweicloud.ak)
      .withSk(opts.sk || fake.creds.huaweicloud.sk)
      .withProjectId(PROJECT))
    .withEndpoint(fake.baseUrl)
    .withOptions({ axiosRequestConfig: { timeout: opts.timeout || 5000 } })
    .build();
}

const fg = client();

function urn(name, version = 'latest') {
  return `urn:fss:cn-north-4:${PROJECT}:function:default:${name}:${version}`;
}

function dest(destination, param) {
  return new FG.FuncDestinationConfig().withDestination(destination).withParam(param);
}

function update(fnUrn, body, c = fg) {
  return c.updateFunctionAsyncInvokeConfig(new FG.UpdateFunctionAsyncInvokeConfigRequest()
    .withFunctionUrn(fnUrn).withBody(body));
}
function show(fnUrn, c = fg) {
  return c.showFunctionAsyncInvokeConfig(new FG.ShowFunctionAsyncInvokeConfigRequest().withFunctionUrn(fnUrn));
}
function list(fnUrn) {
  return fg.listFunctionAsyncInvokeConfig(new FG.ListFunctionAsyncInvokeConfigRequest()
    .withFunctionUrn(fnUrn).withMarker('0').withLimit('100'));
}
function remove(fnUrn) {
  return fg.deleteFunctionAsyncInvokeConfig(new FG.DeleteFunctionAsyncInvokeConfigRequest().withFunctionUrn(fnUrn));
}
function body(retries, age) {
  const b = new FG.UpdateFunctionAsyncInvokeConfigRequestBody();
  if (retries !== undefined) b.withMaxAsyncRetryAttempts(retries);
  if (age !== undefined) b.withMaxAsyncEventAgeInSeconds(age);
  return b;
}

async function newFunction(versions) {
  const name = fake.uniqueName('hw-fn');
  const spec = { provider: 'huaweicloud', function: urn(name) };
  if (versions) spec.qualifiers = versions;
  await fake.createFunctions(spec);
  return name;
}

function hwErr(e) {
  return { code: e.errorCode, status: e.httpStatusCode };
}

fake.useFreshEmulator();

test('huaweicloud: update, show, list, delete round trip on latest', async () => {
  const name = await newFunction();
  const obsParam = '{"bucket":"b","prefix":"p","expires":0}';
  const put = await update(urn(name), body(2, 3600)
    .withEnableAsyncStatusLog(true)
    .withDestinationConfig(new FG.FuncAsyncDestinationConfig()
      .withOnSuccess(dest('OBS', obsParam))
      .withOnFailure(dest('SMN', JSON.stringify({ topic_urn: SMN })))));
  assert.equal(put.httpStatusCode, 200);
  assert.equal(put.max_async_retry_attempts, 2);

  const got = await show(urn(name));
  assert.equal(got.httpStatusCode, 200);
  assert.equal(got.func_urn, urn(name));
  assert.equal(got.max_async_retry_attempts, 2);
  assert.equal(got.max_async_event_age_in_seconds, 3600);
  assert.equal(got.enable_async_status_log, true);
  assert.equal(got.destination_config.on_success.destination, 'OBS');
  assert.deepEqual(JSON.parse(got.destination_config.on_success.param), JSON.parse(obsParam));
  assert.equal(got.destination_config.on_failure.destination, 'SMN');
  assert.deepEqual(JSON.parse(got.destination_config.on_failure.param), { topic_urn: SMN });

  const l = await list(urn(name));
  assert.equal(l.httpStatusCode, 200);
  assert.equal(l.async_invoke_configs.length, 1);
  assert.equal(l.async_invoke_configs[0].func_urn, urn(name));
  assert.equal(l.async_invoke_configs[0].max_async_retry_attempts, 2);

  const del = await remove(urn(name));
  assert.ok(del.httpStatusCode === 204 || del.httpStatusCode === 200, `delete status ${del.httpStatusCode}`);
  const e = await fake.rejection(show(urn(name)));
  assert.equal(hwErr(e).status, 404);
});

test('huaweicloud: param is re-serialised with another key order, same JSON', async () => {
  const name = await newFunction();
  const sent = '{"bucket":"b","prefix":"/success","expires":5}';
  await update(urn(name), body(1, 600).withDestinationConfig(new FG.FuncAsyncDestinationConfig()
    .withOnSuccess(dest('OBS', sent))));
  const got = await show(urn(name));
  const back = got.destination_config.on_success.param;
  assert.equal(typeof back, 'string', 'param stays a string holding JSON');
  assert.notEqual(back, sent, 'the server re-serialises param');
  assert.notDeepEqual(Object.keys(JSON.parse(back)), Object.keys(JSON.parse(sent)), 'key order differs');
  assert.deepEqual(JSON.parse(back), JSON.parse(sent));
});

test('huaweicloud: unset destinations come back as {"destination":"","param":""}', async () => {
  const name = await newFunction();
  await update(urn(name), body(1, 600).withDestinationConfig(new FG.FuncAsyncDestinationConfig()
    .withOnFailure(dest('SMN', JSON.stringify({ topic_urn: SMN })))));
  const got = await show(urn(name));
  assert.deepEqual(got.destination_config.on_success, { destination: '', param: '' });
  assert.equal(got.destination_config.on_failure.destination, 'SMN');
  assert.equal(got.enable_async_status_log, false, 'enable_async_status_log is always present');
});

test('huaweicloud: created_time and last_modified use two different formats', async () => {
  const name = await newFunction();
  await update(urn(name), body(1, 600));
  const got = await show(urn(name));
  assert.match(got.created_time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?([+-]\d\d:\d\d|Z)$/, `created_time ${got.created_time}`);
  assert.match(got.last_modified, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/, `last_modified ${got.last_modified}`);
});

test('huaweicloud: latest and another version are kept apart', async () => {
  const name = await newFunction(['v1']);
  await update(urn(name), body(0, 60));
  await update(urn(name, 'v1'), body(3, 7200));
  const latest = await show(urn(name));
  assert.equal(latest.max_async_retry_attempts, 0);
  assert.equal(latest.max_async_event_age_in_seconds, 60);
  const v1 = await show(urn(name, 'v1'));
  assert.equal(v1.max_async_retry_attempts, 3);
  assert.equal(v1.max_async_event_age_in_seconds, 7200);
  assert.equal(v1.func_urn, urn(name, 'v1'));

  /* the list covers every version of the function */
  const l = await list(urn(name));
  assert.deepEqual(l.async_invoke_configs.map((c) => c.func_urn).sort(), [urn(name), urn(name, 'v1')].sort());

  await remove(urn(name, 'v1'));
  assert.equal(hwErr(await fake.rejection(show(urn(name, 'v1')))).status, 404);
  assert.equal((await show(urn(name))).max_async_retry_attempts, 0);
});

test('huaweicloud: list pages with marker and limit', async () => {
  const name = await newFunction(['v1', 'v2']);
  for (const v of ['latest', 'v1', 'v2']) {
    await update(urn(name, v), body(1, 600));
  }
  const seen = [];
  let marker = '0';
  for (let page = 0; page < 5; page++) {
    const out = await fg.listFunctionAsyncInvokeConfig(new FG.ListFunctionAsyncInvokeConfigRequest()
      .withFunctionUrn(urn(name)).withMarker(marker).withLimit('1'));
    assert.equal(out.count, 3);
    seen.push(...out.async_invoke_configs.map((c) => c.func_urn));
    if (seen.length >= out.count) break;
    marker = String(out.page_info.next_marker);
  }
  assert.deepEqual(seen.sort(), [urn(name), urn(name, 'v1'), urn(name, 'v2')].sort());
});

test('huaweicloud: out-of-range values are rejected with a 400 FSS code', async () => {
  const name = await newFunction();
  for (const [r, a] of [[9, 600], [-1, 600], [1, 0], [1, 86401]]) {
    const e = await fake.rejection(update(urn(name), body(r, a)), `retries ${r} age ${a}`);
    assert.equal(hwErr(e).status, 400, `retries ${r} age ${a}`);
    assert.match(String(hwErr(e).code), /^FSS\.\d{4}$/, `retries ${r} age ${a}`);
  }
  assert.equal(hwErr(await fake.rejection(show(urn(name)))).status, 404, 'rejected updates stored nothing');
});

test('huaweicloud: function missing (FSS.1051) versus config missing (404)', async () => {
  const missing = fake.uniqueName('hw-missing');
  const e1 = await fake.rejection(show(urn(missing)));
  assert.deepEqual(hwErr(e1), { code: 'FSS.1051', status: 404 });
  const e2 = await fake.rejection(update(urn(missing), body(1, 600)));
  assert.deepEqual(hwErr(e2), { code: 'FSS.1051', status: 404 });

  const name = await newFunction();
  const e3 = await fake.rejection(show(urn(name)));
  assert.equal(hwErr(e3).status, 404);
  assert.notEqual(hwErr(e3).code, 'FSS.1051', 'a missing config is not a missing function');
  assert.match(String(hwErr(e3).code), /^FSS\.\d{4}$/);
});

test('huaweicloud: a version the function does not have is FSS.1052', async () => {
  const name = await newFunction(['v1']);
  const e = await fake.rejection(update(urn(name, 'v2'), body(1, 600)));
  assert.deepEqual(hwErr(e), { code: 'FSS.1052', status: 404 });
});

test('huaweicloud: a wrong secret is rejected with APIG.0301 401', async () => {
  const name = await newFunction();
  const bad = client({ sk: `${fake.creds.huaweicloud.sk}x` });
  const rejected0 = await fake.signatureRejected('huaweicloud');
  const e = await fake.rejection(show(urn(name), bad));
  assert.deepEqual(hwErr(e), { code: 'APIG.0301', status: 401 });
  const e2 = await fake.rejection(update(urn(name), body(1, 600), bad));
  assert.deepEqual(hwErr(e2), { code: 'APIG.0301', status: 401 });
  assert.equal(hwErr(await fake.rejection(show(urn(name)))).status, 404, 'the bad update wrote nothing');
  assert.equal(await fake.signatureRejected('huaweicloud'), rejected0 + 2, 'both bad signatures counted');
});

test('huaweicloud: drift set through the control API is seen by show', async () => {
  const name = await newFunction();
  await update(urn(name), body(1, 600));
  await fake.setDrift(faults.drift('huaweicloud', { function: urn(name) }, { max_async_retry_attempts: 3 }));
  const got = await show(urn(name));
  assert.equal(got.max_async_retry_attempts, 3);
  assert.equal(got.max_async_event_age_in_seconds, 600);
  await fake.clearDrift({ provider: 'huaweicloud', function: urn(name) });
  assert.equal(hwErr(await fake.rejection(show(urn(name)))).status, 404);
});

test('huaweicloud fault: 5xx surfaces as a server error', async () => {
  const name = await newFunction();
  await fake.withFaults(faults.error5xx(), async () => {
    const e = await fake.rejection(show(urn(name)));
    assert.ok(e.httpStatusCode >= 500 && e.httpStatusCode <= 599, `status ${e.httpStatusCode}`);
    assert.equal(e.constructor.name, 'ServerResponseException');
  });
});

test('huaweicloud fault: 429 surfaces with its status and code', async () => {
  const name = await newFunction();
  await fake.withFaults(faults.throttle(2), async () => {
    const e = await fake.rejection(show(urn(name)));
    assert.equal(e.httpStatusCode, 429);
    assert.match(String(e.errorCode), /^(APIG\.0308|FSS\.0429)$/);
  });
});

test('huaweicloud fault: latency delays the answer; a short timeout gives up', async () => {
  const name = await newFunction();
  await update(urn(name), body(2, 600));
  await fake.withFaults(faults.latency(400), async () => {
    const t0 = Date.now();
    assert.equal((await show(urn(name))).max_async_retry_attempts, 2);
    assert.ok(Date.now() - t0 >= 380, `answered after ${Date.now() - t0} ms`);
    const e = await fake.rejection(show(urn(name), client({ timeout: 100 })));
    assert.equal(e.httpStatusCode, undefined);
    assert.match(String(e.errorMsg), /timeout/i);
  });
});

test('huaweicloud fault: a dropped connection surfaces as a network error', async () => {
  const name = await newFunction();
  await fake.withFaults(faults.drop(), async () => {
    const e = await fake.rejection(show(urn(name)));
    assert.equal(e.httpStatusCode, undefined, `got HTTP ${e.httpStatusCode}`);
    assert.match(String(e.errorMsg), /socket hang up|ECONNRESET/);
  });
});

test('huaweicloud fault: a truncated JSON body comes back as an empty result', async () => {
  const name = await newFunction();
  await update(urn(name), body(2, 600));
  await fake.withFaults(faults.truncate(), async () => {
    /* axios parses JSON silently: a 200 body that does not parse reaches the SDK as a
     * string, which the SDK turns into an empty result with no error at all. */
    const res = await show(urn(name));
    assert.deepEqual({ ...res }, { httpStatusCode: 200 });
  });
  assert.equal((await show(urn(name))).max_async_retry_attempts, 2);
});

test('huaweicloud: ListFunctionVersions and ListVersionAliases (import finds qualifiers with them)', async () => {
  const name = await newFunction(['v1', 'prod']);
  const unqualified = urn(name).replace(/:latest$/, '');
  const page = await fg.listFunctionVersions(new FG.ListFunctionVersionsRequest()
    .withFunctionUrn(unqualified).withMaxitems('1'));
  assert.deepEqual(page.versions.map((v) => v.version), ['latest']);
  assert.equal(page.next_marker, 1);
  assert.equal(page.count, 2);
  const rest = await fg.listFunctionVersions(new FG.ListFunctionVersionsRequest()
    .withFunctionUrn(unqualified).withMarker(String(page.next_marker)));
  assert.deepEqual(rest.versions.map((v) => v.version), ['v1']);
  const aliases = await fg.listVersionAliases(new FG.ListVersionAliasesRequest().withFunctionUrn(unqualified));
  /* The body is a bare array (the Go SDK's ListVersionAliasesResponse.Body); this SDK hands
   * the array itself back. */
  assert.ok(Array.isArray(aliases));
  assert.deepEqual(aliases.map((a) => [a.name, a.version]), [['prod', 'latest']]);
  const e = await fake.rejection(fg.listVersionAliases(new FG.ListVersionAliasesRequest()
    .withFunctionUrn(urn(fake.uniqueName('hw-none')).replace(/:latest$/, ''))));
  assert.deepEqual(hwErr(e), { status: 404, code: 'FSS.1051' });
});
