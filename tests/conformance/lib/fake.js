'use strict';
/* Shared helpers: where the emulator listens, the credentials it accepts, and its control API
 * (tests/fakecloud/README.md). Everything here talks to 127.0.0.1 only. */

const assert = require('node:assert/strict');
const { before, beforeEach } = require('node:test');

const port = process.env.FAKECLOUD_PORT;
if (!port) {
  throw new Error('FAKECLOUD_PORT is not set: run the suite through tests/conformance/run');
}

const host = `127.0.0.1:${port}`;
const baseUrl = `http://${host}`;

const creds = {
  aws: { ak: process.env.CONFORMANCE_AWS_AK, sk: process.env.CONFORMANCE_AWS_SK },
  alicloud: { ak: process.env.CONFORMANCE_ALI_AK, sk: process.env.CONFORMANCE_ALI_SK },
  huaweicloud: {
    ak: process.env.CONFORMANCE_HW_AK,
    sk: process.env.CONFORMANCE_HW_SK,
    project: process.env.CONFORMANCE_HW_PROJECT,
  },
};

async function control(method, path, body) {
  const init = { method, headers: {} };
  if (body !== undefined) {
    init.headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const res = await fetch(`${baseUrl}${path}`, init);
  const text = await res.text();
  let json;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, text, json };
}

async function controlOk(method, path, body) {
  const r = await control(method, path, body);
  assert.ok(r.status >= 200 && r.status < 300,
    `${method} ${path} ${JSON.stringify(body)} -> ${r.status} ${r.text}`);
  return r;
}

/* fn: {provider, function, service?, qualifiers?} or an array of them */
function createFunctions(fn) {
  return controlOk('POST', '/_fake/functions', fn);
}

function setFaults(faults) {
  return controlOk('POST', '/_fake/faults', faults);
}

function clearFaults() {
  return controlOk('POST', '/_fake/faults', {});
}

function reset() {
  return controlOk('POST', '/_fake/reset');
}

async function stats() {
  return (await controlOk('GET', '/_fake/stats')).json;
}

async function configs() {
  return (await controlOk('GET', '/_fake/configs')).json;
}

function setDrift(drift) {
  return controlOk('PUT', '/_fake/drift', drift);
}

function clearDrift(drift) {
  return controlOk('DELETE', '/_fake/drift', drift);
}

/* How many requests of provider the emulator rejected for their signature. */
async function signatureRejected(provider) {
  const s = await stats();
  const n = s && s.signatureRejectedByProvider && s.signatureRejectedByProvider[provider];
  return typeof n === 'number' ? n : NaN;
}

/* A test file starts from an empty emulator, and every test from one without faults. */
function useFreshEmulator() {
  before(reset);
  beforeEach(clearFaults);
}

/* Unique names per test so that tests never see each other's state. */
let counter = 0;
function uniqueName(prefix) {
  counter += 1;
  return `${prefix}-${process.pid}-${counter}`;
}

/* Runs fn with the fault set (lib/faults.js), always clears it afterwards, and checks that
 * the emulator counted the fault as injected. */
async function withFaults(fault, fn) {
  const before = await stats();
  await setFaults(fault.body);
  let result;
  try {
    result = await fn();
  } finally {
    await clearFaults();
  }
  const after = await stats();
  const n = (s) => (s && s.faults && typeof s.faults[fault.kind] === 'number' ? s.faults[fault.kind] : NaN);
  assert.ok(n(after) > n(before),
    `GET /_fake/stats faults.${fault.kind} did not grow: ${n(before)} -> ${n(after)}`);
  return result;
}

/* Awaits a promise that must reject; returns the error. */
async function rejection(promise, what) {
  try {
    const v = await promise;
    assert.fail(`${what || 'the call'} succeeded but should have failed: ${JSON.stringify(v)}`);
  } catch (e) {
    if (e instanceof assert.AssertionError) {
      throw e;
    }
    return e;
  }
  return undefined;
}

module.exports = {
  port, host, baseUrl, creds, control, controlOk, createFunctions, setFaults, clearFaults,
  withFaults, reset, useFreshEmulator, stats, signatureRejected, configs, setDrift, clearDrift, uniqueName, rejection,
};
