#!/usr/bin/env node
// milvus-conformance driver for @zilliz/milvus2-sdk-node (drivers/PROTOCOL.md, protocol 2).
//
//   node driver.js <build_dir>
//
// Reads JSON requests from stdin, one per line, answers each on stdout, one
// JSON object per line. The SDK is loaded from <build_dir>/node_modules (see
// build.py); anything the SDK or Node prints goes to stderr.
//
// The Node SDK has no alias registry: the driver keeps a map alias -> MilvusClient,
// the variables a program would hold. "Connecting" is the documented idiom:
// new MilvusClient({address, ssl, username, password, timeout, ...}), then awaiting
// client.connectPromise (the SDK's Connect RPC). The op -> call mapping is calls.js,
// shared with the reproducer renderer (repro.py).
'use strict';

// ---------------------------------------------------------------------------
// stdout is the protocol channel: keep a private writer, send everything else
// (console.*, winston's Console transport, stray writes) to stderr.
const protoWrite = process.stdout.write.bind(process.stdout);
process.stdout.write = function (chunk, encoding, cb) {
  return process.stderr.write(chunk, encoding, cb);
};

const path = require('path');
const fs = require('fs');
const readline = require('readline');
const { createRequire } = require('module');
const calls = require('./calls');

const PROTOCOL = 2;
const PACKAGE = '@zilliz/milvus2-sdk-node';
const buildDir = path.resolve(process.argv[2] || path.join(__dirname, 'build'));

// ---------------------------------------------------------------------------
// Warnings the SDK (or Node) emits while an operation runs.
let currentWarnings = null;
const ANSI = /\x1b\[[0-9;]*m/g;
function recordWarning(text) {
  const msg = String(text).replace(ANSI, '').trim();
  if (currentWarnings && msg && !currentWarnings.includes(msg)) currentWarnings.push(msg);
}
const consoleWarn = console.warn.bind(console);
console.warn = (...a) => {
  recordWarning(a.map(x => (typeof x === 'string' ? x : safeInspect(x))).join(' '));
  consoleWarn(...a); // stderr
};
for (const m of ['log', 'info', 'debug', 'trace']) {
  const orig = console.error.bind(console);
  console[m] = (...a) => orig(...a);
}
process.on('warning', w => recordWarning(`${w.name}${w.code ? ' ' + w.code : ''}: ${w.message}`));
process.on('unhandledRejection', e => {
  process.stderr.write(`[driver] unhandled rejection: ${e && e.stack ? e.stack : e}\n`);
});
process.on('uncaughtException', e => {
  process.stderr.write(`[driver] uncaught exception: ${e && e.stack ? e.stack : e}\n`);
});

function safeInspect(x) {
  try {
    return require('util').inspect(x, { depth: 3, breakLength: Infinity });
  } catch (_) {
    return String(x);
  }
}

// ---------------------------------------------------------------------------
// Load the SDK from the build folder.
const buildRequire = createRequire(path.join(buildDir, 'package.json'));
let sdk;
let sdkLoadError = null;
try {
  sdk = buildRequire(PACKAGE);
} catch (e) {
  sdkLoadError = e;
}
const MilvusClient = sdk && sdk.MilvusClient;

function readJson(file) {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (_) {
    return null;
  }
}
const buildInfo = readJson(path.join(buildDir, 'build.json')) || {};
const sdkPkg = readJson(path.join(buildDir, 'node_modules', '@zilliz', 'milvus2-sdk-node', 'package.json')) || {};
const SDK_VERSION =
  sdkPkg.version ||
  buildInfo.sdk_version ||
  (MilvusClient && MilvusClient.sdkInfo && MilvusClient.sdkInfo.version) ||
  'unknown';

const OBJECT_CONFIG = !!MilvusClient && calls.objectConfig(MilvusClient);
// Does this SDK read config.tls (rootCertPath, ...)? Looked up in its BaseClient source.
const TLS_OPTION = (() => {
  try {
    const file = buildRequire.resolve(`${PACKAGE}/dist/milvus/grpc/BaseClient.js`);
    return /rootCertPath/.test(fs.readFileSync(file, 'utf8'));
  } catch (_) {
    return false;
  }
})();

// Is the SDK at least this version? config.token is read since 2.2.11, config.database since 2.2.13
// (2.2.11 and 2.2.12 declare `database` in ClientConfig but never read it).
function sdkAtLeast(...min) {
  const have = String(SDK_VERSION).split('-')[0].split('.').map(Number);
  for (let i = 0; i < min.length; i++) {
    if ((have[i] || 0) !== min[i]) return (have[i] || 0) > min[i];
  }
  return true;
}

// Capture SDK log lines of level warn/error (winston logger, exported since 2.2.x).
(function hookSdkLogger() {
  if (!sdk || !sdk.logger || typeof sdk.logger.add !== 'function') return;
  try {
    const sdkRequire = createRequire(buildRequire.resolve(PACKAGE));
    const winston = sdkRequire('winston');
    const Transport = winston.Transport || sdkRequire('winston-transport');
    class Capture extends Transport {
      log(info, cb) {
        const level = String(info.level || '').replace(ANSI, '');
        recordWarning(`${level}: ${info.message}`);
        if (cb) cb();
      }
    }
    sdk.logger.add(new Capture({ level: 'warn' }));
  } catch (e) {
    process.stderr.write(`[driver] cannot hook the SDK logger: ${e.message}\n`);
  }
})();

// ---------------------------------------------------------------------------
// Capabilities (PROTOCOL section 7).
function capabilities() {
  const caps = [
    'connect.host_port', // string host + integer port -> "<host>:<port>" (the SDK takes one address)
    'connect.address',
    'connect.uri', // passed as the address; the SDK strips http://
    'connect.user_password',
    'connect.secure', // secure -> the documented `ssl` option
    'disconnect',
    'server_version',
    'open_many',
    'list_collections', // showCollections()
    'disconnect_during_call', // getVersion() in flight, closeConnection() meanwhile
  ];
  // timeout and ca_cert/... (config.tls) exist only in the config object (SDK >= 2.2.7)
  if (OBJECT_CONFIG) caps.splice(5, 0, 'connect.timeout');
  if (OBJECT_CONFIG && TLS_OPTION) caps.push('connect.tls_certs');
  if (OBJECT_CONFIG && sdkAtLeast(2, 2, 11)) caps.push('connect.token'); // config.token
  if (OBJECT_CONFIG && sdkAtLeast(2, 2, 13)) caps.push('connect.db_name'); // config.database
  if (MilvusClient && typeof MilvusClient.prototype.checkHealth === 'function') caps.push('check_health');
  return caps;
}

// ---------------------------------------------------------------------------
// Errors.
const GRPC_STATUS = {
  0: 'OK', 1: 'CANCELLED', 2: 'UNKNOWN', 3: 'INVALID_ARGUMENT', 4: 'DEADLINE_EXCEEDED', 5: 'NOT_FOUND',
  6: 'ALREADY_EXISTS', 7: 'PERMISSION_DENIED', 8: 'RESOURCE_EXHAUSTED', 9: 'FAILED_PRECONDITION',
  10: 'ABORTED', 11: 'OUT_OF_RANGE', 12: 'UNIMPLEMENTED', 13: 'INTERNAL', 14: 'UNAVAILABLE',
  15: 'DATA_LOSS', 16: 'UNAUTHENTICATED',
};
const TLS_RE = /SSL routines|wrong version number|certificate|handshake|TLS|ERR_SSL|unable to verify/i;

function sdkErrorReasons() {
  const r = sdk && sdk.ERROR_REASONS;
  return r && typeof r === 'object' ? Object.values(r).filter(v => typeof v === 'string') : [];
}

// An answer the driver gives itself (answered_by: driver), or the guard's `hang` (answered_by: sdk).
class DriverError extends Error {
  constructor(type, category, message) {
    super(message);
    this.driverType = type;
    this.category = category;
  }
}

function isGrpcError(e) {
  return e && typeof e === 'object' && typeof e.code === 'number' && 'details' in e;
}

// Old SDKs (2.2.1) wrap gRPC errors as new Error(String(err)): "Error: 16 UNAUTHENTICATED: ...".
function grpcCodeInMessage(msg) {
  const m = /\b(\d{1,2}) ([A-Z_]{2,}):/.exec(msg || '');
  if (m && GRPC_STATUS[Number(m[1])] === m[2]) return Number(m[1]);
  return null;
}

// Milvus answers errors in a status field (the Node SDK returns it, it does not throw).
const AUTH_ERROR_CODES = new Set(['PermissionDenied', 'AuthenticationFailed', 'PrivilegeNotPermitted']);
const NOT_READY_CODES = new Set(['NotReadyServe', 'NotReadyCoordActivating', 'ServiceNotReady']);
function statusCategory({ type, code, message }) {
  if (AUTH_ERROR_CODES.has(type) || /auth|password|credential|privilege/i.test(message)) return 'auth_failed';
  if (NOT_READY_CODES.has(type) || code === 1 || code === 2 || /not ready|unavailable/i.test(message)) {
    return 'unavailable';
  }
  return 'internal';
}

function categorize(e, phase) {
  if (e instanceof calls.StatusError) return statusCategory(e.fields);
  const wrapped = !isGrpcError(e) && e && e.message ? grpcCodeInMessage(String(e.message)) : null;
  if (isGrpcError(e) || wrapped !== null) {
    const text = `${e.details || ''} ${e.message || ''}`;
    if (TLS_RE.test(text)) return 'tls_error';
    switch (wrapped !== null ? wrapped : e.code) {
      case 14: return 'unavailable';
      case 4: return 'timeout';
      case 16: return 'auth_failed';
      case 7: return 'auth_failed';
      case 3: return 'param_error';
      case 2: case 5: case 6: case 8: case 9: case 10: case 11: case 12: case 13: case 15:
        return 'internal';
      default: return 'unknown';
    }
  }
  const msg = e && e.message ? String(e.message) : String(e);
  if (/pool is draining|cannot accept work|pool.*(cleared|closed)|has been shut down|Channel has been closed/i.test(msg)) {
    return 'not_connected';
  }
  if (sdkErrorReasons().includes(msg)) return 'param_error';
  if (TLS_RE.test(msg)) return 'tls_error';
  // A TypeError/RangeError thrown while the SDK builds the client comes from an
  // argument of the wrong type or range.
  if (phase === 'construct' && e && (e.name === 'TypeError' || e.name === 'RangeError')) return 'param_error';
  return 'unknown';
}

function errorObject(e, phase) {
  if (e instanceof DriverError) return { category: e.category, type: e.driverType, code: null, message: e.message };
  if (e instanceof calls.Refusal) return { category: 'param_error', type: 'Refusal', code: null, message: e.message };
  return { category: categorize(e, phase), ...calls.errorFields(e) };
}

// Was this error the driver's own answer (not the SDK's)?
function driverAnswered(e) {
  return e instanceof calls.Refusal || (e instanceof DriverError && e.category !== 'hang');
}

// ---------------------------------------------------------------------------
// Connections: alias -> MilvusClient, as the variables of a program.
const aliases = new Map();
let many = []; // open_many clients
const live = new Set(); // every client made and not yet closed by the driver

// new MilvusClient(...): the SDK starts its Connect RPC in the constructor (connectPromise).
function newClient(ctorArgs) {
  let client;
  try {
    client = new MilvusClient(...structuredClone(ctorArgs)); // a fresh object each time, as a literal in a program
  } catch (e) {
    if (e && typeof e === 'object') e.__phase = 'construct';
    throw e;
  }
  live.add(client);
  return client;
}

function clientOf(args) {
  const alias = calls.aliasOf(args);
  return { alias, client: aliases.get(alias) };
}

function noClientNote(alias) {
  return `no MilvusClient is held under alias ${JSON.stringify(alias)} (none was made, or its constructor ` +
    'threw): the Node SDK has no alias registry, so no SDK call (and no program) can name it';
}

// Close clients, each given `ms` (a client whose Connect RPC hangs may not close).
async function closeAll(list, ms) {
  for (const c of list) live.delete(c);
  const closed = await Promise.all(list.map(c => guard(Promise.resolve().then(() => c.closeConnection()), ms)
    .then(() => 1, () => 0)));
  return closed.reduce((a, b) => a + b, 0);
}

// ---------------------------------------------------------------------------
// Operations. Each returns its result; `driver_note` in a result marks a success no SDK call made.
const ops = {
  async hello(args) {
    if (!MilvusClient) {
      throw new DriverError('SdkLoadError', 'unknown',
        `cannot load ${PACKAGE} from ${buildDir}: ${sdkLoadError ? sdkLoadError.message : 'MilvusClient not exported'}`);
    }
    return {
      protocol: PROTOCOL,
      driver: 'node',
      language: 'javascript',
      runtime: `node ${process.version}`,
      sdk: { name: PACKAGE, version: SDK_VERSION },
      capabilities: capabilities(),
      config_style: OBJECT_CONFIG ? 'object' : 'positional',
    };
  },

  // A fresh process: no client, no alias (the SDK keeps no global connection state).
  async reset(args, t) {
    const all = Array.from(live);
    aliases.clear();
    many = [];
    t.start();
    await closeAll(all, 2000);
    t.stop();
    return { closed: all.length };
  },

  // const <alias> = new MilvusClient(...); await <alias>.connectPromise;
  async connect(args, t) {
    const alias = calls.aliasOf(args);
    const ctorArgs = calls.clientArgs(args, OBJECT_CONFIG);
    aliases.delete(alias); // a program's new variable: unset if the constructor throws
    t.start();
    try {
      const client = newClient(ctorArgs);
      aliases.set(alias, client); // the variable holds the client whatever its connectPromise does
      await client.connectPromise;
      const result = { connect_status: client.connectStatus };
      if (client.connectStatus === 2) {
        result.note = 'connectStatus 2 (UNIMPLEMENTED): the SDK took a gRPC UNIMPLEMENTED answer to Connect as success';
      }
      return result;
    } finally {
      t.stop();
    }
  },

  // await <alias>.closeConnection();
  async disconnect(args, t) {
    const { alias, client } = clientOf(args);
    if (!client) return { driver_note: noClientNote(alias) };
    live.delete(client);
    t.start();
    try {
      return { connect_status: await client.closeConnection() };
    } finally {
      t.stop();
    }
  },

  // await <alias>.getVersion();
  async server_version(args, t) {
    const { alias, client } = clientOf(args);
    calls.checkVersionArgs(args);
    if (!client) throw new DriverError('NoClient', 'not_connected', noClientNote(alias));
    t.start();
    let res;
    try {
      res = await client.getVersion();
    } finally {
      t.stop();
    }
    const result = calls.versionOf(res);
    if (typeof result.version !== 'string' || result.version === '') {
      // the SDK's answer as it gave it: it turns a gRPC UNIMPLEMENTED into an empty success
      result.note = `getVersion() resolved without a status or version: ${JSON.stringify(res)}`;
    }
    return result;
  },

  // await <alias>.showCollections();
  async list_collections(args, t) {
    const { alias, client } = clientOf(args);
    const callArgs = calls.showCollectionsArgs(args);
    if (!client) throw new DriverError('NoClient', 'not_connected', noClientNote(alias));
    t.start();
    let res;
    try {
      res = await client.showCollections(...callArgs);
    } finally {
      t.stop();
    }
    return calls.collectionsOf(res);
  },

  // await <alias>.checkHealth();
  async check_health(args, t) {
    const { alias, client } = clientOf(args);
    calls.checkVersionArgs(args, 'checkHealth()');
    if (!client) throw new DriverError('NoClient', 'not_connected', noClientNote(alias));
    t.start();
    let res;
    try {
      res = await client.checkHealth();
    } finally {
      t.stop();
    }
    return calls.healthOf(res);
  },

  // <alias>.getVersion() without awaiting it, then await <alias>.closeConnection() after after_ms.
  async disconnect_during_call(args, t, guardAt) {
    const { alias, client } = clientOf(args);
    calls.checkVersionArgs(args);
    const afterMs = calls.afterMsOf(args);
    if (!client) throw new DriverError('NoClient', 'not_connected', noClientNote(alias));
    // 15 s (getVersion() has no per-call timeout), and always before the request's guard fires
    const waitMs = Math.max(100, Math.min(15000, guardAt - 500 - performance.now() - afterMs));
    live.delete(client);
    t.start();
    try {
      return await calls.disconnectDuringCall(client, afterMs, waitMs, e => errorObject(e, e && e.__phase));
    } finally {
      t.stop();
    }
  },

  async open_many(args, t) {
    const { count, concurrency, budgetSeconds, connect } = calls.openManyPlan(args);
    const ctorArgs = calls.clientArgs(connect, OBJECT_CONFIG);
    if (!count) return { requested: 0, driver_note: 'count 0: no client to make' };
    t.start();
    const { clients, counters } = await calls.openMany(count, concurrency, budgetSeconds,
      () => newClient(ctorArgs), e => errorObject(e, e && e.__phase));
    t.stop();
    many.push(...clients);
    return { ...counters, concurrency };
  },

  async close_many(args, t) {
    const list = many;
    many = [];
    if (!list.length) return { closed: 0, driver_note: 'no open_many client to close' };
    t.start();
    const closed = await closeAll(list, 10000);
    t.stop();
    return { closed, requested: list.length };
  },
};

// ---------------------------------------------------------------------------
// Plumbing.
// A call that has not settled in `ms`: the driver stops waiting (category hang: the SDK's behaviour).
function guard(promise, ms) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new DriverError('DriverDeadline', 'hang',
      `the SDK call had not returned after ${ms} ms (1 s before the request's deadline); the driver stopped waiting`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function timer() {
  let total = 0;
  let since = null;
  return {
    start() {
      since = process.hrtime.bigint();
    },
    stop() {
      if (since !== null) {
        total += Number(process.hrtime.bigint() - since) / 1e6;
        since = null;
      }
    },
    get ms() {
      return Math.round((total + (since !== null ? Number(process.hrtime.bigint() - since) / 1e6 : 0)) * 1000) / 1000; // µs, as the other drivers: the bench compares it with a plain program
    },
  };
}

function send(obj) {
  let line;
  try {
    line = JSON.stringify(obj);
  } catch (e) {
    line = JSON.stringify({
      id: obj.id, ok: false, answered_by: 'driver', elapsed_ms: obj.elapsed_ms || 0, warnings: [],
      error: { category: 'unknown', type: 'DriverError', code: null, message: `cannot serialise the answer: ${e.message}` },
    });
  }
  protoWrite(line + '\n');
}

function driverFailure(id, category, type, message) {
  return { id, ok: false, answered_by: 'driver', elapsed_ms: 0, warnings: [], error: { category, type, code: null, message } };
}

async function handle(line) {
  let req;
  try {
    req = JSON.parse(line);
  } catch (e) {
    send(driverFailure(null, 'unknown', 'BadRequest', `not JSON: ${e.message}`));
    return;
  }
  const id = req && req.id !== undefined ? req.id : null;
  const op = req && req.op;
  const args = (req && req.args && typeof req.args === 'object' && req.args) || {};
  const deadline = req && typeof req.deadline_ms === 'number' ? req.deadline_ms : 120000;
  const fn = Object.prototype.hasOwnProperty.call(ops, op) ? ops[op] : null;
  if (!fn) {
    send(driverFailure(id, 'unsupported_op', 'UnsupportedOp', `op ${JSON.stringify(op)} is not implemented by the node driver`));
    return;
  }
  const warnings = [];
  currentWarnings = warnings;
  const t = timer();
  let answer;
  try {
    const patience = Math.max(500, deadline - 1000);
    const result = (await guard(fn(args, t, performance.now() + patience), patience)) || {};
    answer = { id, ok: true, answered_by: 'driver_note' in result ? 'driver' : 'sdk', result };
  } catch (e) {
    answer = { id, ok: false, answered_by: driverAnswered(e) ? 'driver' : 'sdk', error: errorObject(e, e && e.__phase) };
  }
  if (op === 'hello' || op === 'reset') answer.answered_by = 'driver';
  // Node emits 'warning' events on a later tick: let them arrive.
  await new Promise(r => setImmediate(r));
  currentWarnings = null;
  answer.elapsed_ms = t.ms;
  answer.warnings = warnings;
  send(answer);
}

async function shutdown(code) {
  const all = Array.from(live);
  await Promise.race([
    Promise.all(all.map(c => Promise.resolve().then(() => c.closeConnection()).catch(() => {}))),
    new Promise(r => setTimeout(r, 3000)),
  ]);
  process.exit(code);
}

async function main() {
  const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity, terminal: false });
  for await (const line of rl) {
    if (!line.trim()) continue;
    await handle(line);
  }
  await shutdown(0);
}

process.on('SIGTERM', () => shutdown(0));
main().catch(e => {
  process.stderr.write(`[driver] fatal: ${e && e.stack ? e.stack : e}\n`);
  process.exit(1);
});
