#!/usr/bin/env node
// milvus-conformance driver for @zilliz/milvus2-sdk-node (drivers/PROTOCOL.md, protocol 1).
//
//   node driver.js <build_dir>
//
// Reads JSON requests from stdin, one per line, answers each on stdout, one
// JSON object per line. The SDK is loaded from <build_dir>/node_modules (see
// build.py); anything the SDK or Node prints goes to stderr.
//
// The Node SDK has no alias registry: the driver keeps a map alias -> MilvusClient.
// "Connecting" is the documented idiom: new MilvusClient({address, ssl, username,
// password, timeout}) and awaiting client.connectPromise (the SDK's Connect RPC);
// SDKs without connectPromise are verified by a getVersion() call instead.
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

const PROTOCOL = 1;
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

// Does the constructor take the documented config object ({address, ssl, ...})?
// 2.2.x before the config object took positional (address, ssl, username, password).
const OBJECT_CONFIG = !!MilvusClient && /configOrAddress/.test(Function.prototype.toString.call(MilvusClient));
// Does this SDK read config.tls (rootCertPath, ...)? Looked up in its BaseClient source.
const TLS_OPTION = (() => {
  try {
    const file = buildRequire.resolve(`${PACKAGE}/dist/milvus/grpc/BaseClient.js`);
    return /rootCertPath/.test(fs.readFileSync(file, 'utf8'));
  } catch (_) {
    return false;
  }
})();

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
    'connect.host_port', // host+port -> "<host>:<port>" address string (the SDK takes one address)
    'connect.address',
    'connect.uri', // "http://host:port" is passed as the address; the SDK strips the scheme
    'connect.user_password',
    'connect.secure', // secure -> the documented `ssl` option
    'disconnect',
    'server_version',
    'open_many',
  ];
  if (OBJECT_CONFIG) caps.splice(5, 0, 'connect.timeout');
  // ca_cert/client_cert/client_key/server_name -> config.tls {rootCertPath, certChainPath,
  // privateKeyPath, serverName} (object config only; 2.2.x positional constructors have no tls).
  if (OBJECT_CONFIG && TLS_OPTION) caps.push('connect.tls_certs');
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

class DriverError extends Error {
  constructor(type, category, message, code = null) {
    super(message);
    this.driverType = type;
    this.category = category;
    this.driverCode = code;
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

function categorize(e, phase) {
  if (e instanceof DriverError) return e.category;
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
  // argument of the wrong type or range (e.g. address 123: "uri.toLowerCase is not a function").
  if (phase === 'construct' && e && (e.name === 'TypeError' || e.name === 'RangeError')) return 'param_error';
  return 'unknown';
}

function errorObject(e, phase) {
  if (e instanceof DriverError) {
    return { category: e.category, type: e.driverType, code: e.driverCode, message: e.message };
  }
  let type = 'Error';
  if (e && typeof e === 'object') type = (e.constructor && e.constructor.name) || e.name || 'Object';
  else type = typeof e;
  let code = null;
  if (e && (typeof e.code === 'number' || typeof e.code === 'string')) code = e.code;
  const message = e && e.message !== undefined ? String(e.message) : String(e);
  return { category: categorize(e, phase), type, code, message };
}

// Milvus answers errors in a status field (the Node SDK returns it, it does not throw).
const AUTH_ERROR_CODES = new Set(['PermissionDenied', 'AuthenticationFailed', 'PrivilegeNotPermitted']);
const NOT_READY_CODES = new Set(['NotReadyServe', 'NotReadyCoordActivating', 'ServiceNotReady']);
function statusError(st) {
  if (!st || typeof st !== 'object') return null;
  const ec = st.error_code;
  const numeric = typeof st.code === 'number' ? st.code : Number(st.code || 0);
  const failed = (ec !== undefined && ec !== 'Success' && ec !== 0) || (numeric && numeric !== 0);
  if (!failed) return null;
  const reason = st.reason || st.detail || '';
  let category = 'internal';
  if (AUTH_ERROR_CODES.has(ec) || /auth|password|credential|privilege/i.test(reason)) category = 'auth_failed';
  else if (NOT_READY_CODES.has(ec) || numeric === 1 || numeric === 2 || /not ready|unavailable/i.test(reason)) {
    category = 'unavailable';
  }
  return { category, type: String(ec || 'Status'), code: numeric || (ec !== undefined ? ec : null), message: reason };
}

// ---------------------------------------------------------------------------
// Connections.
const aliases = new Map(); // alias -> {client, closed, address}
let many = []; // open_many clients
const live = new Set(); // every client not yet closed by the driver

function aliasKey(args) {
  return Object.prototype.hasOwnProperty.call(args, 'alias') ? args.alias : 'default';
}
function has(args, k) {
  return Object.prototype.hasOwnProperty.call(args, k);
}

// The SDK takes one address string: host and port are joined as "<host>:<port>".
// Strings and numbers are written as they are; any other value (a list, an object,
// null, a boolean) is written as JSON, so the driver never quietly repairs a value of
// the wrong type (JS would turn ["19530"] into "19530").
function addressPart(v) {
  if (typeof v === 'string' || typeof v === 'number') return String(v);
  if (v === undefined) return 'undefined';
  return JSON.stringify(v);
}

function buildAddress(args) {
  if (has(args, 'address')) return { present: true, value: args.address };
  if (has(args, 'uri')) return { present: true, value: args.uri };
  if (has(args, 'host') && has(args, 'port')) {
    return { present: true, value: `${addressPart(args.host)}:${addressPart(args.port)}` };
  }
  if (has(args, 'host')) return { present: true, value: args.host };
  if (has(args, 'port')) return { present: true, value: `:${addressPart(args.port)}` };
  return { present: false, value: undefined };
}

function buildConfig(args) {
  const cfg = {};
  const addr = buildAddress(args);
  if (addr.present) cfg.address = addr.value;
  if (has(args, 'secure')) cfg.ssl = args.secure;
  // TLS files: the SDK's `tls` option (rootCertPath alone: one-way; privateKeyPath: two-way).
  const tls = {};
  if (has(args, 'ca_cert')) tls.rootCertPath = args.ca_cert;
  if (has(args, 'client_cert')) tls.certChainPath = args.client_cert;
  if (has(args, 'client_key')) tls.privateKeyPath = args.client_key;
  if (has(args, 'server_name')) tls.serverName = args.server_name;
  if (Object.keys(tls).length) cfg.tls = tls;
  if (has(args, 'user')) cfg.username = args.user;
  if (has(args, 'password')) cfg.password = args.password;
  if (has(args, 'token')) cfg.token = args.token;
  if (has(args, 'db_name')) cfg.database = args.db_name;
  if (has(args, 'timeout')) {
    const t = args.timeout;
    cfg.timeout = typeof t === 'number' ? Math.round(t * 1000) : t; // seconds -> ms
  }
  // Not declared as capabilities; passed through so the SDK does what it does with them.
  if (has(args, 'handler')) cfg.handler = args.handler;
  if (has(args, 'pool')) cfg.pool = args.pool;
  return cfg;
}

function newClient(args) {
  const cfg = buildConfig(args);
  if (OBJECT_CONFIG) return { client: new MilvusClient(cfg), cfg };
  if (has(args, 'timeout')) recordWarning('driver: this SDK version has no timeout parameter; timeout ignored');
  const c = new MilvusClient(cfg.address, cfg.ssl, cfg.username, cfg.password);
  return { client: c, cfg };
}

function statusName(client) {
  const s = client && client.connectStatus;
  if (s === undefined) return null;
  const names = sdk && sdk.CONNECT_STATUS;
  if (names && typeof names === 'object' && names[s] !== undefined && typeof names[s] === 'string') {
    // both NOT_CONNECTED and CONNECTING are 0 in the SDK's enum; the reverse map keeps the last
    return names[s];
  }
  return String(s);
}

async function checkVersion(client) {
  const res = await client.getVersion();
  const err = statusError(res && res.status);
  if (err) throw new DriverError(err.type, err.category, err.message, err.code);
  if (!res || typeof res.version !== 'string' || res.version === '') {
    throw new DriverError(
      'EmptyResponse',
      'unavailable',
      `getVersion() resolved without a status or version (${JSON.stringify(res)}); ` +
        `the SDK turns a gRPC UNIMPLEMENTED answer into an empty success, so the endpoint ` +
        `does not serve Milvus GetVersion (connectStatus=${statusName(client)})`
    );
  }
  return res.version;
}

// Open one client and wait for its connection (Connect RPC, or getVersion on SDKs without connectPromise).
async function openClient(args) {
  let made;
  try {
    made = newClient(args);
  } catch (e) {
    e.__phase = 'construct';
    throw e;
  }
  const client = made.client;
  live.add(client);
  try {
    if (client.connectPromise && typeof client.connectPromise.then === 'function') {
      await client.connectPromise;
    } else {
      await checkVersion(client);
    }
  } catch (e) {
    closeQuietly(client);
    throw e;
  }
  if (client.connectStatus === 2 /* UNIMPLEMENTED */) {
    recordWarning(
      'driver: the Connect RPC was answered UNIMPLEMENTED and the SDK treated it as success ' +
        '(connectStatus UNIMPLEMENTED: an old Milvus, or not a Milvus server)'
    );
  }
  return client;
}

async function closeClient(client) {
  live.delete(client);
  return await client.closeConnection();
}

function closeQuietly(client) {
  live.delete(client);
  try {
    Promise.resolve(client.closeConnection()).catch(() => {});
  } catch (_) {
    /* ignore */
  }
}

// ---------------------------------------------------------------------------
// Operations.
function clientAddress(client, fallback) {
  try {
    if (client.config && client.config.address !== undefined) return client.config.address;
  } catch (_) {
    /* ignore */
  }
  return fallback;
}

const ops = {
  async hello(args, t) {
    if (!MilvusClient) {
      throw new DriverError(
        'SdkLoadError',
        'unknown',
        `cannot load ${PACKAGE} from ${buildDir}: ${sdkLoadError ? sdkLoadError.message : 'MilvusClient not exported'}`
      );
    }
    return {
      protocol: PROTOCOL,
      driver: 'node',
      language: 'javascript',
      runtime: `node ${process.version}`,
      sdk: { name: PACKAGE, version: SDK_VERSION },
      capabilities: capabilities(),
      config_style: OBJECT_CONFIG ? 'object' : 'positional',
      requested_protocol: args.protocol,
    };
  },

  async reset(args, t) {
    const all = Array.from(live);
    aliases.clear();
    many = [];
    t.start();
    await Promise.all(all.map(c => guard(closeClient(c), 2000).catch(() => {})));
    t.stop();
    return { closed: all.length };
  },

  async connect(args, t) {
    const alias = aliasKey(args);
    t.start();
    let client;
    try {
      client = await openClient(args);
    } finally {
      t.stop();
    }
    if (t.cancelled) {
      closeQuietly(client); // answered already (driver guard fired): do not register a late client
      return {};
    }
    const prev = aliases.get(alias);
    aliases.set(alias, { client, closed: false });
    if (prev && !prev.closed) closeQuietly(prev.client); // the alias now names the new client
    return {
      address: clientAddress(client, buildAddress(args).value),
      connect_status: statusName(client),
      replaced: !!prev,
    };
  },

  async disconnect(args, t) {
    const alias = aliasKey(args);
    const entry = aliases.get(alias);
    if (!entry) {
      // No SDK call possible: there is no client for this alias (the SDK has no alias registry).
      return { known_alias: false };
    }
    t.start();
    let status;
    try {
      status = await closeClient(entry.client);
    } finally {
      t.stop();
    }
    const already = entry.closed;
    entry.closed = true; // kept: server_version on it shows what the SDK does with a closed client
    return { known_alias: true, was_closed: already, connect_status: status === undefined ? null : status };
  },

  async server_version(args, t) {
    const alias = aliasKey(args);
    const entry = aliases.get(alias);
    if (!entry) {
      throw new DriverError(
        'AliasNotConnected',
        'not_connected',
        `no connection named ${JSON.stringify(alias)} (the Node SDK has no alias registry; the driver's map has none)`
      );
    }
    t.start();
    try {
      return { version: await checkVersion(entry.client) };
    } finally {
      t.stop();
    }
  },

  async open_many(args, t) {
    const count = Number(args.count || 0);
    const concurrency = Math.max(1, Number(args.concurrency || Math.min(count, 50) || 1));
    const base = {};
    for (const k of ['host', 'port', 'address', 'uri', 'user', 'password', 'token', 'db_name', 'secure', 'timeout']) {
      if (has(args, k)) base[k] = args[k];
    }
    let next = 0;
    let opened = 0;
    let verified = 0;
    let failed = 0;
    let firstError = null;
    let firstErrorAt = null;
    const latencies = []; // connect + verify, ms
    // time_budget_seconds: stop starting new connections after it (the limit scenarios); 0 or null: none
    const budgetMs = Number(args.time_budget_seconds) * 1000 || Infinity;
    const startedAt = performance.now();
    const worker = async () => {
      while (next < count && performance.now() - startedAt < budgetMs) {
        next++;
        const t0 = performance.now();
        let client = null;
        try {
          client = await openClient(base);
          opened++;
          many.push(client);
          await checkVersion(client);
          latencies.push(performance.now() - t0);
          verified++;
        } catch (e) {
          failed++;
          // one thread: the first catch to run is the earliest failure in time
          if (!firstError) {
            firstError = errorObject(e, e && e.__phase);
            firstErrorAt = (performance.now() - startedAt) / 1000;
          }
        }
      }
    };
    t.start();
    const workers = [];
    for (let i = 0; i < Math.min(concurrency, count); i++) workers.push(worker());
    await Promise.all(workers);
    t.stop();
    // nearest-rank quantiles, as the Python driver computes them
    latencies.sort((x, y) => x - y);
    const n = latencies.length;
    const round3 = x => Math.round(x * 1000) / 1000;
    return { requested: count, opened, verified, failed, first_error: firstError, concurrency,
             not_attempted: count - next,
             first_error_after_s: firstErrorAt === null ? null : round3(firstErrorAt),
             latency_p50_ms: n ? round3(latencies[n >> 1]) : null,
             latency_p99_ms: n ? round3(latencies[Math.floor(n * 0.99)]) : null };
  },

  async close_many(args, t) {
    const list = many;
    many = [];
    t.start();
    const results = await Promise.all(
      list.map(c =>
        guard(closeClient(c), 10000).then(
          () => 1,
          () => 0
        )
      )
    );
    t.stop();
    return { closed: results.reduce((a, b) => a + b, 0), requested: list.length };
  },
};

// ---------------------------------------------------------------------------
// Plumbing.
function guard(promise, ms) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new DriverError(
            'DriverDeadlineExceeded',
            'unknown',
            `the SDK call did not settle within ${ms} ms (driver guard: deadline_ms + 1000)`
          )
        ),
      ms
    );
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
      id: obj.id,
      ok: false,
      elapsed_ms: obj.elapsed_ms || 0,
      warnings: [],
      error: { category: 'unknown', type: 'DriverError', code: null, message: `cannot serialise the answer: ${e.message}` },
    });
  }
  protoWrite(line + '\n');
}

async function handle(line) {
  let req;
  try {
    req = JSON.parse(line);
  } catch (e) {
    send({
      id: null,
      ok: false,
      elapsed_ms: 0,
      warnings: [],
      error: { category: 'unknown', type: 'BadRequest', code: null, message: `not JSON: ${e.message}` },
    });
    return;
  }
  const id = req && req.id !== undefined ? req.id : null;
  const op = req && req.op;
  const args = (req && req.args && typeof req.args === 'object' && req.args) || {};
  const deadline = req && typeof req.deadline_ms === 'number' ? req.deadline_ms : 120000;
  const fn = Object.prototype.hasOwnProperty.call(ops, op) ? ops[op] : null;
  if (!fn) {
    send({
      id,
      ok: false,
      elapsed_ms: 0,
      warnings: [],
      error: { category: 'unsupported_op', type: 'UnsupportedOp', code: null, message: `op ${JSON.stringify(op)} is not implemented by the node driver` },
    });
    return;
  }
  const warnings = [];
  currentWarnings = warnings;
  const t = timer();
  let answer;
  try {
    const result = await guard(fn(args, t), deadline + 1000);
    answer = { id, ok: true, result: result || {} };
  } catch (e) {
    t.cancelled = true;
    answer = { id, ok: false, error: errorObject(e, e && e.__phase) };
  }
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
