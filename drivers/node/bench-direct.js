#!/usr/bin/env node
// The no-harness baseline of `python -m conformance.bench`: the driver's ops
// made directly, in a plain program.
//
//   node bench-direct.js <build_dir> <host> <port> <calls> [server_version|connect_disconnect]
//
// Loads the SDK from <build_dir>/node_modules as driver.js does.
// server_version (the default): connects one client as the driver's connect op
// does with only host and port, then times getVersion().
// connect_disconnect: times a new client with only the address, awaiting its
// connectPromise, and closeConnection(): the driver's connect and disconnect ops.
// Makes <calls> warm-up calls (as the bench warms the driver up), then <calls>
// timed ones, and prints as its last stdout line {"median_ms": ..., "calls": ..., "call": ...}.
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
  const [buildDir, host, port, callsArg, workload = 'server_version'] = process.argv.slice(2);
  const calls = Number.parseInt(callsArg, 10);
  const { MilvusClient } = createRequire(path.join(path.resolve(buildDir), 'package.json'))(
    '@zilliz/milvus2-sdk-node'
  );
  // As driver.js: the documented config object, or the positional address of 2.2.x SDKs before it.
  const address = `${host}:${port}`;
  const objectConfig = /configOrAddress/.test(Function.prototype.toString.call(MilvusClient));
  const open = async () => {
    const c = objectConfig ? new MilvusClient({ address }) : new MilvusClient(address);
    await c.connectPromise; // as driver.js (undefined before SDK 2.2.13: no round trip)
    return c;
  };
  const workloads = {
    server_version: { name: 'getVersion', call: () => getVersion(client) },
    connect_disconnect: {
      name: 'new MilvusClient + closeConnection',
      call: async () => (await open()).closeConnection(),
    },
  };
  const { name, call } = workloads[workload] || {};
  if (!call) throw new Error(`unknown workload ${JSON.stringify(workload)}`);
  // only server_version keeps a client open: grpc-js shares a transport among channels to the same
  // address, and the driver's connect steps run with no other connection open
  const client = workload === 'server_version' ? await open() : null;
  try {
    for (let i = 0; i < calls; i++) await call();
    const times = [];
    for (let i = 0; i < calls; i++) {
      const began = process.hrtime.bigint();
      await call();
      times.push(Number(process.hrtime.bigint() - began) / 1e6);
    }
    console.log(JSON.stringify({ median_ms: Math.round(median(times) * 1e4) / 1e4, calls, call: name }));
  } finally {
    if (client) await client.closeConnection();
  }
}

main().then(
  () => process.exit(0),
  e => {
    process.stderr.write(`bench-direct.js: ${String((e && e.message) || e).split('\n')[0]}\n`);
    process.exit(1);
  }
);
