'use strict';
/** The load generator, in a process of its own (pinned by bench/common.js): autocannon, JSON summary out. */
const autocannon = require('autocannon');

const o = JSON.parse(process.argv[2]);
const options = {
  url: o.url,
  method: o.method || 'GET',
  headers: o.headers || {},
  body: o.body,
  connections: o.connections || 64,
  timeout: 30,
};
if (o.amount) options.amount = o.amount;
else options.duration = o.duration || 10;
autocannon(
  options,
  (err, r) => {
    if (err) throw err;
    process.stdout.write(JSON.stringify({
      requestsPerSec: r.requests.average,
      total: r.requests.total,
      latencyP50: r.latency.p50,
      latencyP99: r.latency.p99,
      non2xx: r.non2xx,
      errors: r.errors,
      timeouts: r.timeouts,
      duration: r.duration,
    }));
  },
);
