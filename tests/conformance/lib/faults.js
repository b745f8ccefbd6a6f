'use strict';
/* The bodies of the control API's fault and drift requests, in one place (their key names are
 * the emulator's contract: tests/fakecloud/README.md). Faults are set with probability 1 so
 * that the next request is sure to hit them. */

/* Each returns {body: the POST /_fake/faults body, kind: its counter in GET /_fake/stats}. */
function error5xx() {
  return { body: { error5xx: 1 }, kind: 'error5xx' };
}

function throttle(retryAfterSeconds) {
  return { body: { throttle: 1, retryAfter: retryAfterSeconds }, kind: 'throttle' };
}

function latency(ms) {
  return { body: { latencyMs: ms }, kind: 'latency' };
}

function drop() {
  return { body: { drop: 1 }, kind: 'drop' };
}

function truncate() {
  return { body: { truncate: 1 }, kind: 'truncate' };
}

/* provider: aws|alicloud|huaweicloud; id: {function, service?, qualifier?}; config: the fields
 * to change, in the provider's own JSON style. */
function drift(provider, id, config) {
  return { provider, ...id, config };
}

/* The total number of cloud API requests in a GET /_fake/stats answer. */
function totalRequests(stats) {
  if (stats && typeof stats.requests === 'number') {
    return stats.requests;
  }
  if (stats && stats.requests && typeof stats.requests === 'object') {
    return Object.values(stats.requests).reduce((a, b) => a + (typeof b === 'number' ? b : 0), 0);
  }
  return NaN;
}

/* The same fault builders, limited to one provider's requests. */
function forProvider(provider) {
  const wrap = (f) => (...args) => {
    const r = f(...args);
    return { ...r, body: { ...r.body, provider } };
  };
  return {
    error5xx: wrap(error5xx), throttle: wrap(throttle), latency: wrap(latency),
    drop: wrap(drop), truncate: wrap(truncate), drift, totalRequests,
  };
}

module.exports = { error5xx, throttle, latency, drop, truncate, drift, totalRequests, forProvider };
