"""Renders a transcript as a standalone Node.js program (drivers/PROTOCOL.md, section 8):
the driver's calls, with the transcript's argument values as literals. The mapping lives in
calls.js, shared with driver.js: `node calls.js <build_dir>` gives each connect step's
constructor arguments, the steps the driver answers itself, and the helpers' source."""

import json
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from reprokit import harness_instruction, header, json_literal, main  # noqa: E402

PRELUDE = '''
// Run one step: print what it returned or threw, as one JSON line.
async function step(n, call) {
  const started = performance.now();
  let line;
  try {
    line = { step: n, ok: true, result: await call() };
  } catch (e) {
    line = { step: n, ok: false, error: errorFields(e) };
  }
  line.elapsed_ms = Math.round((performance.now() - started) * 1000) / 1000;
  console.log(JSON.stringify(line));
}

// new MilvusClient(...), then await its connectPromise (the SDK's Connect RPC): one step.
async function connect(n, create) {
  let client;
  await step(n, async () => {
    client = create();
    await client.connectPromise;
    return { connect_status: client.connectStatus };
  });
  return client;
}
'''

AWAIT_HARNESS = '''
// The scenario acts on the server here: do it, then press Enter.
const input = readline.createInterface({ input: process.stdin })[Symbol.asyncIterator]();
async function awaitHarness(n, instruction) {
  console.log(JSON.stringify({ step: n, await: instruction }));
  await input.next();
}
'''


def js(value) -> str:
    """A JavaScript literal; None stands for an argument left out (undefined)."""
    if isinstance(value, dict):
        if not value:
            return "{}"
        keys = (k if re.fullmatch(r"[A-Za-z_$][\w$]*", k) else json_literal(k) for k in value)
        return "{ " + ", ".join(f"{k}: {js(v)}" for k, v in zip(keys, value.values())) + " }"
    if isinstance(value, list):
        return "[" + ", ".join(js(v) for v in value) + "]"
    return "undefined" if value is None else json_literal(value)


def variable_name(alias: str, taken: set) -> str:
    """mainClient for alias "main"; a second connect of it gets mainClient2."""
    words = re.findall(r"[A-Za-z0-9]+", alias)
    stem = "".join(w[:1].upper() + w[1:] for w in words)
    stem = stem[:1].lower() + stem[1:] + "Client" if stem[:1].isalpha() else "client" + stem  # "", "1st"
    name, n = stem, 1
    while name in taken:
        n += 1
        name = f"{stem}{n}"
    taken.add(name)
    return name


def plan_of(request: dict) -> dict:
    """What calls.js says each driver step calls, for this build of the SDK."""
    proc = subprocess.run(["node", os.path.join(HERE, "calls.js"), request["build_dir"]],
                          input=json.dumps(request), capture_output=True, text=True, timeout=120)
    if proc.returncode != 0:
        raise SystemExit(f"node calls.js failed: {proc.stderr.strip()[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def not_run(n: int, why: str) -> str:
    """A step the driver answered itself: no SDK call exists for it."""
    return f"  console.log(JSON.stringify({{ step: {n}, not_run: {json_literal(why)} }})); // no SDK call"


def render(request: dict) -> dict:
    plan = plan_of(request)
    calls = {p["step"]: p for p in plan["steps"]}
    clients, taken, lines = {}, set(), []
    uses_open_many = opened_many = uses_during = False
    for s in request["steps"]:
        n = s["step"]
        if "harness" in s:
            lines.append(f"  await awaitHarness({n}, {json_literal(harness_instruction(s))});")
            continue
        op, call = s["op"], calls[n]
        client = clients.get(call.get("alias"))
        if "refused" in call:
            lines.append(not_run(n, call["refused"]))
        elif op == "connect":
            clients[call["alias"]] = name = variable_name(call["alias"], taken)
            ctor = ", ".join(js(a) for a in call["construct"])
            lines.append(f"  const {name} = await connect({n}, () => new MilvusClient({ctor}));")
        elif op in ("disconnect", "server_version", "list_collections", "check_health",
                    "disconnect_during_call") and client is None:
            lines.append(not_run(n, f"no MilvusClient was made for alias {json.dumps(call['alias'])}: "
                                    "the Node SDK has no alias registry"))
        elif op == "disconnect":
            lines.append(f"  await step({n}, async () => ({{ connect_status: await {client}.closeConnection() }}));")
        elif op == "server_version":
            lines.append(f"  await step({n}, async () => versionOf(await {client}.getVersion()));")
        elif op == "list_collections":
            lines.append(f"  await step({n}, async () => collectionsOf(await {client}.showCollections("
                         f"{', '.join(js(a) for a in call['call'])})));")
        elif op == "check_health":
            lines.append(f"  await step({n}, async () => healthOf(await {client}.checkHealth()));")
        elif op == "disconnect_during_call":
            uses_during = True  # 15 s: the driver's wait (getVersion() has no per-call timeout) under the default deadline
            lines.append(f"  await step({n}, () => disconnectDuringCall({client}, {js(call['afterMs'])}, 15000, "
                         f"errorFields));")
        elif op == "open_many" and not call["count"]:
            lines.append(not_run(n, "count 0: no client to make"))
        elif op == "open_many":
            uses_open_many = opened_many = True
            ctor = ", ".join(js(a) for a in call["construct"])
            lines.append(f"  await step({n}, async () => {{\n"
                         f"    const {{ clients, counters }} = await openMany({call['count']}, {call['concurrency']}, "
                         f"{js(call['budgetSeconds'])},\n"
                         f"      () => new MilvusClient({ctor}), errorFields);\n"
                         f"    many.push(...clients);\n"
                         f"    return counters;\n"
                         f"  }});")
        elif op == "close_many" and not opened_many:
            lines.append(not_run(n, "no open_many client to close"))
        elif op == "close_many":
            opened_many = False
            lines.append(f"  await step({n}, async () => {{\n"
                         f"    const closed = await Promise.allSettled(many.splice(0).map(c => c.closeConnection()));\n"
                         f"    return {{ closed: closed.filter(r => r.status === 'fulfilled').length }};\n"
                         f"  }});")
        else:
            raise SystemExit(f"the node reproducer cannot render op {op!r}")

    helpers = plan["helpers"]
    harness = any("harness" in s for s in request["steps"])
    sdk = request["sdk"]
    hint = (f"NODE_PATH={request['build_dir']}/node_modules node repro.js  "
            f"(or: npm install @zilliz/milvus2-sdk-node@{sdk.get('version')} && node repro.js)")
    text = header(request, "//", hint) + "'use strict';\n"
    text += "const { MilvusClient } = require('@zilliz/milvus2-sdk-node');\n"
    if harness:
        text += "const readline = require('readline');\n"
    shared = ["errorFields", "StatusError", "versionOf"]
    shared += [k for k, op in (("collectionsOf", "list_collections"), ("healthOf", "check_health"))
               if any(s.get("op") == op for s in request["steps"])]
    text += "\n" + "\n\n".join(helpers[k] for k in shared) + "\n"
    if uses_during:
        text += "\n" + helpers["disconnectDuringCall"] + "\n"
    if uses_open_many:
        text += "\n" + helpers["openMany"] + "\n"
    text += PRELUDE + (AWAIT_HARNESS if harness else "")
    body = (["  const many = []; // open_many's clients"] if uses_open_many else []) + lines
    text += "\nasync function main() {\n" + "\n".join(body) + "\n}\n\n"
    text += "main().then(() => process.exit(0), e => { console.error(e); process.exit(1); });\n"
    return {"language": "javascript", "files": {"repro.js": text}, "main": "repro.js",
            "run": ["node", "repro.js"], "env": {"NODE_PATH": "{build_dir}/node_modules"}}


if __name__ == "__main__":
    main(render)
