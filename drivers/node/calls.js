// How each protocol op maps onto @zilliz/milvus2-sdk-node calls: one place for the driver
// (driver.js, which makes the calls) and its reproducer renderer (repro.py, which writes them
// as a program). repro.py runs `node calls.js <build_dir> < request.json` and gets, as JSON,
// the constructor arguments of every connect step, the steps the driver answers itself, and
// the source text of the helpers below that the program shares with the driver.
'use strict';

// A value the SDK's API cannot take as it is: the driver answers (answered_by: driver).
class Refusal extends Error {}

// The SDK types these as strings (ClientConfig / the positional constructor of SDKs < 2.2.7).
const STRING_ARGS = ['address', 'uri', 'user', 'password', 'token', 'db_name',
  'ca_cert', 'client_cert', 'client_key', 'server_name'];

function has(args, k) {
  return Object.prototype.hasOwnProperty.call(args, k);
}

// The Node SDK has no aliases: an alias names the variable that holds a MilvusClient.
function aliasOf(args) {
  if (!has(args, 'alias')) return 'default';
  if (typeof args.alias !== 'string') {
    throw new Refusal(`alias ${JSON.stringify(args.alias)} is not a string: the Node SDK has no alias ` +
      'parameter, and the driver names its MilvusClient variables by strings only');
  }
  return args.alias;
}

// The one address the SDK takes: `address`, `uri` (the SDK strips http://), or "<host>:<port>"
// composed from a string host and an integer port (PROTOCOL section 5). Anything else is refused.
function addressOf(args) {
  const given = ['address', 'uri', 'host', 'port'].filter(k => has(args, k));
  if (given.length === 0) return undefined; // the SDK's own "address is missing" error
  if (given.length === 1 && given[0] !== 'host' && given[0] !== 'port') return args[given[0]];
  if (given.length === 2 && has(args, 'host') && has(args, 'port')) {
    if (typeof args.host === 'string' && Number.isInteger(args.port)) return `${args.host}:${args.port}`;
    throw new Refusal(`host ${JSON.stringify(args.host)} / port ${JSON.stringify(args.port)}: the Node SDK ` +
      'takes one address string, composed here only from a string host and an integer port');
  }
  throw new Refusal(`${given.join(' + ')}: the Node SDK takes one address (no separate host, port ` +
    'or defaults for them); the driver composes it only from both host and port, or takes address or uri alone');
}

// connect -> the arguments of `new MilvusClient(...)`: the documented config object, or
// (address, ssl, username, password) for SDKs before 2.2.7. Absent args are not passed.
function clientArgs(args, objectConfig) {
  for (const k of STRING_ARGS) {
    if (has(args, k) && typeof args[k] !== 'string') {
      throw new Refusal(`${k} ${JSON.stringify(args[k])} is not a string: the SDK's parameter for it takes a string`);
    }
  }
  if (has(args, 'secure') && typeof args.secure !== 'boolean') {
    throw new Refusal(`secure ${JSON.stringify(args.secure)} is not a boolean: the SDK's ssl option is a boolean`);
  }
  if (has(args, 'timeout') && typeof args.timeout !== 'number') {
    throw new Refusal(`timeout ${JSON.stringify(args.timeout)} is not a number of seconds: the SDK's timeout ` +
      'takes milliseconds (or a "3s" token), and the driver converts no value');
  }
  for (const k of ['handler', 'pool']) {
    if (has(args, k)) {
      throw new Refusal(`${k}: the Node SDK has no parameter for the doc's ${k} (its \`pool\` sizes generic-pool)`);
    }
  }
  const address = addressOf(args);
  if (!objectConfig) {
    const extra = ['token', 'db_name', 'timeout', 'ca_cert', 'client_cert', 'client_key', 'server_name']
      .filter(k => has(args, k));
    if (extra.length) {
      throw new Refusal(`${extra.join(', ')}: this SDK's constructor takes only (address, ssl, username, password)`);
    }
    const positional = [address, args.secure, args.user, args.password];
    while (positional.length > 1 && positional[positional.length - 1] === undefined) positional.pop();
    return positional;
  }
  const config = {};
  if (address !== undefined) config.address = address;
  if (has(args, 'secure')) config.ssl = args.secure;
  if (has(args, 'user')) config.username = args.user;
  if (has(args, 'password')) config.password = args.password;
  if (has(args, 'token')) config.token = args.token;
  if (has(args, 'db_name')) config.database = args.db_name;
  if (has(args, 'timeout')) config.timeout = args.timeout * 1000; // the protocol's seconds, the SDK's ms
  // TLS files: the SDK's `tls` option (rootCertPath alone: one-way; with privateKeyPath: two-way).
  const tls = {};
  if (has(args, 'ca_cert')) tls.rootCertPath = args.ca_cert;
  if (has(args, 'client_cert')) tls.certChainPath = args.client_cert;
  if (has(args, 'client_key')) tls.privateKeyPath = args.client_key;
  if (has(args, 'server_name')) tls.serverName = args.server_name;
  if (Object.keys(tls).length) config.tls = tls;
  return [config];
}

// server_version -> getVersion(), check_health -> checkHealth() (disconnect_during_call: getVersion()):
// neither takes an argument, so there is no per-call timeout to pass.
function checkVersionArgs(args, call = 'getVersion()') {
  if (has(args, 'timeout')) {
    throw new Refusal(`timeout: the SDK's ${call} takes no per-call timeout (only the client's own \`timeout\`)`);
  }
}

// list_collections -> showCollections(data?): its own `timeout` is in ms (data.timeout || the client's).
function showCollectionsArgs(args) {
  if (!has(args, 'timeout')) return [];
  if (typeof args.timeout !== 'number') {
    throw new Refusal(`timeout ${JSON.stringify(args.timeout)} is not a number of seconds: showCollections() ` +
      'takes milliseconds, and the driver converts no other value');
  }
  return [{ timeout: args.timeout * 1000 }]; // the protocol's seconds, the SDK's ms
}

// disconnect_during_call: how long to let getVersion() run before closeConnection() (ms, default 500).
function afterMsOf(args) {
  if (!has(args, 'after_ms')) return 500;
  if (typeof args.after_ms !== 'number' || !(args.after_ms >= 0)) {
    throw new Refusal(`after_ms ${JSON.stringify(args.after_ms)} is not a non-negative number of milliseconds`);
  }
  return args.after_ms;
}

// open_many -> how many clients, how many at a time, the time budget, and the connect
// arguments each client gets.
function openManyPlan(args) {
  const count = Number(args.count || 0);
  const connect = {};
  for (const k of ['host', 'port', 'address', 'uri', 'user', 'password', 'token', 'db_name', 'secure', 'timeout']) {
    if (has(args, k)) connect[k] = args[k];
  }
  return {
    count,
    concurrency: Math.max(1, Number(args.concurrency || Math.min(count, 50) || 1)),
    budgetSeconds: Number(args.time_budget_seconds) || 0, // 0: no budget
    connect,
  };
}

// Does the constructor take the documented config object? SDKs before 2.2.7 took
// (address, ssl, username, password).
function objectConfig(MilvusClient) {
  return /configOrAddress/.test(Function.prototype.toString.call(MilvusClient));
}

// ---------------------------------------------------------------------------
// Helpers the reproducer pastes as they are written here (repro.py reads their source).

// type, code and message of what the SDK threw, as the driver reports them.
function errorFields(e) {
  if (e instanceof StatusError) return e.fields;
  if (!e || typeof e !== 'object') return { type: typeof e, code: null, message: String(e) };
  return {
    type: (e.constructor && e.constructor.name) || e.name || 'Object',
    code: typeof e.code === 'number' || typeof e.code === 'string' ? e.code : null,
    message: e.message !== undefined ? String(e.message) : String(e),
  };
}

// getVersion() resolves with a server error in its status field instead of throwing.
class StatusError extends Error {
  constructor(fields) {
    super(fields.message);
    this.fields = fields;
  }

  static of(status) {
    if (!status || typeof status !== 'object') return null;
    const ec = status.error_code;
    const code = typeof status.code === 'number' ? status.code : Number(status.code || 0);
    if ((ec === undefined || ec === 'Success' || ec === 0) && !code) return null;
    return new StatusError({ type: String(ec || 'Status'), code: code || (ec !== undefined ? ec : null),
                             message: status.reason || status.detail || '' });
  }
}

// The result of getVersion(): its version, or its status as an error.
function versionOf(res) {
  const error = StatusError.of(res && res.status);
  if (error) throw error;
  return { version: res ? res.version : res };
}

// The result of showCollections(): the names it lists, or its status as an error.
function collectionsOf(res) {
  const error = StatusError.of(res && res.status);
  if (error) throw error;
  return { collections: res.collection_names };
}

// The result of checkHealth(): isHealthy and reasons, with what else it returned.
function healthOf(res) {
  const error = StatusError.of(res && res.status);
  if (error) throw error;
  return { healthy: res.isHealthy, reasons: res.reasons, quota_states: res.quota_states };
}

// disconnect_during_call: getVersion() left in flight, closeConnection() after `afterMs`, then at most
// `waitMs` more for both to end (the SDK's close waits for calls in flight, so both are awaited).
// Whatever had not ended by then is {pending: true}; call_ended_ms counts from the close's return.
async function disconnectDuringCall(client, afterMs, waitMs, describeError) {
  const settle = (promise, onEnd) => promise.then(result => ({ ok: true, result }),
    e => ({ ok: false, error: describeError(e) })).then(o => onEnd(o, performance.now()));
  let call = { pending: true }, disconnect = { pending: true }, callEnded = null, closed = null;
  const inFlight = settle((async () => versionOf(await client.getVersion()))(),
    (o, at) => { call = o; callEnded = at; });
  await new Promise(r => setTimeout(r, afterMs));
  const closing = settle(Promise.resolve().then(() => client.closeConnection()),
    (o, at) => { disconnect = { ok: o.ok, ...(o.ok ? {} : { error: o.error }) }; closed = at; });
  let timer;
  await Promise.race([Promise.all([inFlight, closing]), new Promise(r => { timer = setTimeout(r, waitMs); })]);
  clearTimeout(timer);
  const ms = closed !== null && callEnded !== null ? Math.round((callEnded - closed) * 1000) / 1000 : null;
  return { disconnect, call, call_ended_ms: ms };
}

// open_many: start `count` clients, `concurrency` at a time, each verified by getVersion();
// stop starting new ones after `budgetSeconds` (0: no budget). Every client made is kept in `clients`.
async function openMany(count, concurrency, budgetSeconds, create, describeError) {
  const clients = [];
  const latencies = [];
  let started = 0, opened = 0, verified = 0, failed = 0, firstError = null, firstErrorAt = null;
  const begin = performance.now();
  const budgetMs = budgetSeconds ? budgetSeconds * 1000 : Infinity;
  async function worker() {
    while (started < count && performance.now() - begin < budgetMs) {
      started++;
      const t0 = performance.now();
      try {
        const client = create();
        clients.push(client);
        await client.connectPromise;
        opened++;
        versionOf(await client.getVersion());
        latencies.push(performance.now() - t0);
        verified++;
      } catch (e) {
        failed++;
        if (!firstError) { // one thread: the first catch to run is the earliest failure
          firstError = describeError(e);
          firstErrorAt = (performance.now() - begin) / 1000;
        }
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  latencies.sort((a, b) => a - b); // nearest-rank quantiles
  const n = latencies.length;
  const r3 = x => Math.round(x * 1000) / 1000;
  return {
    clients,
    counters: {
      requested: count, opened, verified, failed, not_attempted: count - started,
      first_error: firstError, first_error_after_s: firstErrorAt === null ? null : r3(firstErrorAt),
      latency_p50_ms: n ? r3(latencies[n >> 1]) : null, latency_p99_ms: n ? r3(latencies[Math.floor(n * 0.99)]) : null,
    },
  };
}

const SHARED = { errorFields, StatusError, versionOf, collectionsOf, healthOf, disconnectDuringCall, openMany };

module.exports = {
  Refusal, aliasOf, clientArgs, checkVersionArgs, showCollectionsArgs, afterMsOf, openManyPlan, objectConfig,
  ...SHARED,
};

// ---------------------------------------------------------------------------
// For repro.py: `node calls.js <build_dir> < request.json` prints what each step calls.
if (require.main === module) {
  const path = require('path');
  const { createRequire } = require('module');
  const buildDir = path.resolve(process.argv[2]);
  const { MilvusClient } = createRequire(path.join(buildDir, 'package.json'))('@zilliz/milvus2-sdk-node');
  const style = objectConfig(MilvusClient);
  const request = JSON.parse(require('fs').readFileSync(0, 'utf8'));
  const steps = request.steps.filter(s => !('harness' in s)).map(s => {
    const args = s.args || {};
    try {
      if (s.op === 'open_many') {
        const plan = openManyPlan(args);
        return { step: s.step, ...plan, construct: clientArgs(plan.connect, style) };
      }
      const alias = s.op === 'close_many' ? null : aliasOf(args);
      if (s.op === 'connect') return { step: s.step, alias, construct: clientArgs(args, style) };
      if (s.op === 'server_version') checkVersionArgs(args);
      if (s.op === 'check_health') checkVersionArgs(args, 'checkHealth()');
      if (s.op === 'list_collections') return { step: s.step, alias, call: showCollectionsArgs(args) };
      if (s.op === 'disconnect_during_call') {
        checkVersionArgs(args);
        return { step: s.step, alias, afterMs: afterMsOf(args) };
      }
      return { step: s.step, alias };
    } catch (e) {
      if (e instanceof Refusal) return { step: s.step, refused: e.message };
      throw e;
    }
  });
  // each helper's source with the comment lines above it, as written in this file
  const text = require('fs').readFileSync(__filename, 'utf8');
  const withComment = src => {
    const above = text.slice(0, text.indexOf(src)).split('\n').slice(0, -1);
    let i = above.length;
    while (i > 0 && above[i - 1].startsWith('//')) i--;
    return [...above.slice(i), src].join('\n');
  };
  const helpers = Object.fromEntries(Object.entries(SHARED).map(([k, f]) => [k, withComment(f.toString())]));
  process.stdout.write(JSON.stringify({ object_config: style, helpers, steps }) + '\n');
}
