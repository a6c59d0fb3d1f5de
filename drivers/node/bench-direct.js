#!/usr/bin/env node
// The no-harness baseline of `python -m conformance.bench`: the driver's
// server_version op (getVersion()) made directly, in a plain program.
//
//   node bench-direct.js <build_dir> <host> <port> <calls>
//
// Loads the SDK from <build_dir>/node_modules as driver.js does, connects one
// client as the driver's connect op does with only host and port, makes <calls>
// warm-up calls (as the bench warms the driver up), then <calls> timed ones, and prints as its last stdout line
// {"median_ms": ..., "calls": ..., "call": "getVersion"}.
'use strict';

const path = require('path');
const { createRequire } = require('module');


function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

async function getVersion(client) {
  const res = await client.getVersion();
  if (!res || typeof res.version !== 'string' || res.version === '') {
    throw new Error(`getVersion() returned no version: ${JSON.stringify(res)}`);
  }
}

async function main() {
  const [buildDir, host, port, callsArg] = process.argv.slice(2);
  const calls = Number.parseInt(callsArg, 10);
  const { MilvusClient } = createRequire(path.join(path.resolve(buildDir), 'package.json'))(
    '@zilliz/milvus2-sdk-node'
  );
  // As driver.js: the documented config object, or the positional address of 2.2.x SDKs before it.
  const address = `${host}:${port}`;
  const objectConfig = /configOrAddress/.test(Function.prototype.toString.call(MilvusClient));
  const client = objectConfig ? new MilvusClient({ address }) : new MilvusClient(address);
  try {
    if (client.connectPromise) await client.connectPromise;
    for (let i = 0; i < calls; i++) await getVersion(client);
    const times = [];
    for (let i = 0; i < calls; i++) {
      const began = process.hrtime.bigint();
      await getVersion(client);
      times.push(Number(process.hrtime.bigint() - began) / 1e6);
    }
    console.log(JSON.stringify({ median_ms: Math.round(median(times) * 1e4) / 1e4, calls, call: 'getVersion' }));
  } finally {
    await client.closeConnection();
  }
}

main().then(
  () => process.exit(0),
  e => {
    process.stderr.write(`bench-direct.js: ${String((e && e.message) || e).split('\n')[0]}\n`);
    process.exit(1);
  }
);
