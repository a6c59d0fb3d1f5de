"""milvus-conformance driver for the spec page's own code examples, run as
written (drivers/PROTOCOL.md, protocol 2; capability doc_examples).

    python driver.py <build_dir>        (the harness's python; stdlib only)

Ops: hello, reset (answered_by: driver), and

  classify_example {code, label, tab?}
      label_matches: does the labelled language's own tool accept the text
      (labelcheck.py: Python's compile(), node --check, gofmt -e, bash -n)?
      That tool's answer is the verdict (answered_by: sdk), its message the
      evidence. A label no tool checks, or a tool missing here: label_matches
      null, answered_by: driver. `language` is the driver's own guess from text
      heuristics (which language the fence looks like): informational only,
      never the verdict.

  run_example {tab | language, code, disconnect_code?, host, grpc_port, http_port,
               user?, password?, timeout?}
      runs the connect example (then the same tab's disconnect example, in the
      same program) with its language's real SDK, built by build.py. Only the
      target (and credentials) are substituted and the least skeleton added
      (program.py); result.program is exactly what ran (runexample.py). The
      outcome is the program's: exit status and output (answered_by: sdk).
      Failure types: compile_error, example_crashed, example_failed (code: the
      exit status), DriverDeadline (still running at `timeout`: killed, category
      hang). The category is read from the output. A missing toolchain, a request
      the driver refuses, or nothing to run: answered_by driver.
"""

import json
import os
import re
import shutil
import sys
import time
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from jsonlines import serve  # noqa: E402

import labelcheck  # noqa: E402
from program import Refused, prepare  # noqa: E402
from runexample import FAILURE_RX, Unavailable, execute, significant, tail, verdict  # noqa: E402

PROTOCOL = 2
SDK_NAMES = {"python": "pymilvus", "cli": "milvus-cli", "node": "@zilliz/milvus2-sdk-node",
             "go": "milvus-sdk-go/v2", "java": "milvus-sdk-java"}


class Answer(Exception):
    """An error response: who answered it (sdk: the program's or the tool's outcome;
    driver: the driver's own refusal) and what it said."""

    def __init__(self, answered_by, category, type_, message, code=None, detail=None):
        super().__init__(message)
        self.answered_by = answered_by
        self.error = {"category": category, "type": type_, "code": code, "message": message}
        if detail:
            self.error["detail"] = detail


# --------------------------------------------------------------------------
# which language a fence looks like: the driver's heuristics, informational only

# (language, regex, weight, evidence). A block looks like the language whose
# matching rules weigh most; every rule counts once.
RULES = [
    ("python", r"^\s*from\s+pymilvus\b", 5, "from pymilvus"),
    ("python", r"^\s*import\s+pymilvus\b", 5, "import pymilvus"),
    ("python", r"\bconnections\.connect\s*\(", 3, "connections.connect("),
    ("python", r"\bconnections\.disconnect\s*\(", 3, "connections.disconnect("),
    ("python", r"^\s*[a-z_]\w*\s*=\s*MilvusClient\s*\(", 3, "x = MilvusClient( (no new/const)"),
    ("python", r"^\s*def\s+\w+\s*\(.*\)\s*:\s*$", 2, "def ...:"),
    ("python", r"^\s*print\s*\(", 1, "print("),
    ("node", r"""\bfrom\s+["']@zilliz/[\w.-]+["']""", 5, 'import ... from "@zilliz/..."'),
    ("node", r"""\brequire\s*\(\s*["']@zilliz/""", 5, 'require("@zilliz/...")'),
    ("node", r"^\s*import\s*\{[^}]*\}\s*from\b", 3, "import { ... } from"),
    ("node", r"\bawait\s+milvusClient\b", 4, "await milvusClient"),
    ("node", r"\bawait\s+\w", 2, "await"),
    ("node", r"\.closeConnection\s*\(", 3, ".closeConnection("),
    ("node", r"^\s*(const|let|var)\s+[\w{]", 2, "const/let/var"),
    ("node", r"\bnew\s+MilvusClient\s*\(", 2, "new MilvusClient("),
    ("node", r"\bconsole\.log\s*\(", 2, "console.log("),
    ("go", r":=", 3, ":="),
    ("go", r"\bclient\.NewGrpcClient\s*\(", 5, "client.NewGrpcClient("),
    ("go", r"\bclient\.NewClient\s*\(", 4, "client.NewClient("),
    ("go", r"\bif\s+err\s*!=\s*nil\b", 4, "if err != nil"),
    ("go", r"\bcontext\.(Background|TODO)\s*\(\)", 3, "context.Background()"),
    ("go", r"^\s*\w+\.Close\(\)\s*$", 3, "x.Close() (capital Close, no ';')"),
    ("go", r"^\s*package\s+main\b", 5, "package main"),
    ("go", r"^\s*func\s+\w+\s*\(", 3, "func ...("),
    ("java", r"\bfinal\s+[A-Z]\w*(<[^>]*>)?\s+\w+\s*=", 4, "final Type name ="),
    ("java", r"\bnew\s+MilvusServiceClient\s*\(", 5, "new MilvusServiceClient("),
    ("java", r"\bConnectParam\s*\.\s*newBuilder\s*\(", 5, "ConnectParam.newBuilder("),
    ("java", r"\bnew\s+MilvusClientV2\s*\(", 5, "new MilvusClientV2("),
    ("java", r"^\s*[A-Z]\w*(<[^>]*>)?\s+[a-z]\w*\s*=\s*new\s", 4, "Type name = new ..."),
    ("java", r"^\s*import\s+io\.milvus\.", 5, "import io.milvus."),
    ("java", r"^\s*[a-z]+[A-Z]\w*\.close\(\)\s*;\s*$", 5, "camelCase.close(); (MilvusServiceClient.close)"),
    ("java", r"^\s*[a-z]+[A-Z]\w*\.close\(\)\s*$", 3, "camelCase.close() (lowercase close of a camelCase client: Java's MilvusServiceClient.close, ';' missing)"),
    ("java", r"\bSystem\.out\.print", 3, "System.out.print"),
    ("java", r"\bpublic\s+(static\s+)?(class|void)\b", 4, "public class/void"),
    ("cli", r"^\s*connect(\s+-{1,2}[A-Za-z]\w*(\s+[^-\s]\S*)?)+\s*$", 5, "connect -<option> line"),
    ("cli", r"^\s*milvus_cli\b", 5, "milvus_cli"),
    ("cli", r"^\s*(connect|disconnect|exit|list\s+\w+|show\s+\w+|use\s+\w+)\s*$", 2, "bare CLI command"),
    ("curl", r"^\s*(\$\s*)?curl\s", 6, "curl "),
]


def looks_like(code):
    """-> (language, evidence): python, node, go, java, cli, curl, comment or unknown."""
    lines = [l for l in code.splitlines() if l.strip()]
    comment = [l for l in lines if l.strip().startswith(("#", "//"))]
    if not lines:
        return "unknown", "empty block"
    if len(comment) == len(lines):
        return "comment", "only comment lines"
    body = "\n".join(l for l in lines if l not in comment)
    scores, hits = {}, {}
    for lang, rx, weight, ev in RULES:
        if re.search(rx, body, re.MULTILINE):
            scores[lang] = scores.get(lang, 0) + weight
            hits.setdefault(lang, []).append(ev)
    ranked = sorted(scores.items(), key=lambda kv: -kv[1])
    if not ranked:
        return "unknown", "no known token"
    if len(ranked) > 1 and ranked[0][1] == ranked[1][1]:
        return "unknown", "tie: " + "; ".join("%s %d (%s)" % (l, s, ", ".join(hits[l])) for l, s in ranked[:2])
    others = ["%s %d" % (l, s) for l, s in ranked[1:]]
    return ranked[0][0], "%s (score %d%s)" % (", ".join(hits[ranked[0][0]]), ranked[0][1],
                                             "; also " + ", ".join(others) if others else "")


# --------------------------------------------------------------------------
# categories, read from the example's output

CATEGORY_RULES = [
    ("auth_failed", r"UNAUTHENTICATED|PERMISSION_DENIED|auth(entication)? (check )?fail|incorrect (user ?name|password)"
                    r"|username or password|code[=: ]+180[01]\b|\b401 Unauthorized"),
    ("timeout", r"DEADLINE_EXCEEDED|deadline exceeded|timed out|(?-i:\bTimeout(Error|Exception)?\b)(?!\s*[=(])"
                r"|ETIMEDOUT|curl: \(28\)"),
    ("unavailable", r"\bUNAVAILABLE\b|Connection refused|ECONNREFUSED|Fail(ed)? (connecting|to connect)|failed to connect"
                    r"|server unavailable|not ready|Failed to initialize connection|Couldn't connect|curl: \(7\)"
                    r"|Connect to milvus Error|ENOTFOUND|Name or service not known|No connection"),
    ("param_error", r"ParamError|No such option|Invalid value|IllegalArgument|is illegal|invalid (address|port|host|uri)"
                    r"|Missing option|requires an argument|SyntaxError"),
    ("internal", r"MilvusException|\bcode[=:]\s*\d+"),
]


def categorize(text, headline=""):
    """auth_failed when the output says so anywhere (SDKs wrap the server's
    UNAUTHENTICATED in their own error, e.g. pymilvus' "Fail connecting ...
    illegal connection params or server unavailable"); else the category the
    headline line says; else the one the whole output says."""
    if re.search(CATEGORY_RULES[0][1], text, re.IGNORECASE):
        return "auth_failed"
    if headline and headline != text:
        cat = categorize(headline)
        if cat != "unknown":
            return cat
    for cat, rx in CATEGORY_RULES:
        if re.search(rx, text, re.IGNORECASE):
            return cat
    return "unknown"


# --------------------------------------------------------------------------
# ops


class Driver:
    def __init__(self, build_dir):
        self.build_dir = os.path.abspath(build_dir)
        try:
            with open(os.path.join(self.build_dir, "build.json")) as f:
                self.build = json.load(f)
        except (OSError, ValueError) as e:
            self.build = {"sdk_version": "?", "languages": {}, "build_error": str(e)}
        self.langs = self.build.get("languages") or {}

    def op_hello(self, args):
        langs = {}
        for lang, rec in self.langs.items():
            info = rec.get("info") or {}
            entry = {"ok": rec.get("ok", False), "sdk_request": rec.get("request")}
            if rec.get("ok"):
                entry["sdk_version"] = rec.get("sdk_version")
                for k in ("node", "go", "java", "python"):  # what each sub-build recorded
                    if info.get(k):
                        entry["runtime"] = "python %s" % info[k] if k == "python" else info[k]
            else:
                entry["reason"] = rec.get("reason")
            langs[lang] = entry
        langs["curl"] = {"ok": bool(shutil.which("curl")), "runner": shutil.which("curl")}
        label_tools = {label: (labelcheck.tool_for(label) or [None] * 6)[5] for label in labelcheck.TOOLS}
        summary = ", ".join("%s %s" % (SDK_NAMES[l], r["sdk_version"]) for l, r in langs.items()
                            if l in SDK_NAMES and r.get("ok"))
        return {"protocol": PROTOCOL, "driver": "docs", "language": "multi",
                "runtime": "python %d.%d.%d (driver); %s" % (sys.version_info[:3] + (summary,)),
                "sdk": {"name": "doc examples", "version": str(self.build.get("sdk_version", "1"))},
                "capabilities": ["doc_examples"], "languages": langs, "label_tools": label_tools}, "driver"

    def op_reset(self, args):
        # Every example runs in a process of its own, gone when it ends: nothing to close.
        return {"closed": 0}, "driver"

    def op_classify_example(self, args):
        code, label = args.get("code"), args.get("label")
        if not isinstance(code, str):
            raise Answer("driver", "param_error", "DriverArgError", "classify_example needs code (a string)")
        language, language_evidence = looks_like(code)
        result = {"label": label, "label_matches": None,
                  "language": language, "language_evidence": language_evidence,
                  "language_source": "driver heuristics: which language the text looks like "
                                     "(informational; the verdict is label_matches, from the label's own tool)"}
        found = labelcheck.tool_for(label)
        if found is None or found[5] is None:
            why = ("no tool here checks a %r fence (checked: %s)" % (label, ", ".join(labelcheck.TOOLS))
                   if found is None else "%s is not on PATH" % found[1])
            result.update(evidence=why, driver_note="label_matches not decided: " + why)
            return result, "driver"
        chk = labelcheck.check(label, code)
        if chk["timed_out"]:
            raise Answer("sdk", "hang", "DriverDeadline", "%s had not answered after %.0f s"
                         % (chk["tool"], labelcheck.TIMEOUT_S), detail={"check": chk})
        result.update(label_matches=chk["accepted"], check=chk,
                      evidence=("%s accepted it" % chk["tool"]) if chk["accepted"]
                      else labelcheck.evidence(chk["output"]) or "%s: exit status %s" % (chk["tool"], chk["exit_code"]))
        return result, "sdk"

    def op_run_example(self, args, deadline_s):
        try:
            prep = prepare(args)
        except Refused as e:
            raise Answer("driver", "param_error", "DriverArgError", str(e))
        lang = prep["language"]
        budget = max(1.0, deadline_s - 1.0)  # answer before the harness stops waiting
        timeout = min(prep["timeout"], budget) if prep["timeout"] is not None else budget
        base = {"language": lang, "language_from": "language" if "language" in args else "tab",
                "program": prep["program"], "substitutions": prep["substitutions"]}
        if prep["skeleton"]:
            base["skeleton"] = prep["skeleton"]
        if prep["nothing_to_run"]:
            return dict(base, nothing_to_run=True, command=None, exit_code=None, stdout="", stderr="",
                        elapsed_ms=0.0, driver_note="nothing to run (only comment lines): no program ran"), "driver"
        deadline = time.monotonic() + budget
        try:
            res = execute(lang, prep["program"], self.build_dir, timeout, deadline)
        except Unavailable as e:
            raise Answer("driver", "unknown", "toolchain_unavailable", str(e))
        detail = dict(base, command=res["command"], exit_code=res["exit_code"], stdout=tail(res["stdout"]),
                      stderr=tail(res["stderr"]), elapsed_ms=res["elapsed_ms"])
        detail.update({k: res[k] for k in ("compile_command", "compile_ms", "expected_output", "mismatch")
                       if k in res})
        if lang in SDK_NAMES:
            detail["sdk_version"] = (self.langs.get(lang) or {}).get("sdk_version")
        outcome = verdict(res)
        if outcome is None:
            return detail, "sdk"
        text = significant(res["stderr"] + "\n" + res["stdout"])
        if outcome["type"] == "DriverDeadline":
            # The program never returned: the driver stopped waiting, not the SDK (PROTOCOL section 6).
            category = "hang"
            detail["timed_out"] = True
        elif outcome["type"] == "compile_error":
            category = "unknown"
            detail["phase"] = "compile"
            self.locate_compile_error(detail, outcome["message"], prep)
            if detail.get("compile_error_in") == "disconnect_code" and deadline - time.monotonic() > 5:
                detail["connect_only"] = self.connect_only(args, timeout, deadline)
        elif res.get("mismatch"):
            category = categorize(text) if FAILURE_RX.search(text) else "internal"
        else:
            category = categorize(text, outcome["message"])
        raise Answer("sdk", category, outcome["type"], outcome["message"], code=outcome["code"], detail=detail)

    def locate_compile_error(self, detail, message, prep):
        """The program line the compiler names, and whether it is the doc's or the skeleton's;
        compile_error_in: disconnect_code when it is a line of the disconnect example only."""
        m = re.search(r":(\d+)(?::\d+)?:", message)
        lines = prep["program"].splitlines()
        if not m or not 1 <= int(m.group(1)) <= len(lines):
            return
        n = int(m.group(1))
        first, last = prep["doc_lines"]
        detail.update(source_line=lines[n - 1], source_line_number=n, source_line_from_doc=first <= n <= last)
        line = lines[n - 1].strip()
        stripped = lambda code: [l.strip() for l in (code or "").splitlines()]
        if line and line in stripped(prep["disconnect_code"]) and line not in stripped(prep["connect_code"]):
            detail["compile_error_in"] = "disconnect_code"

    def connect_only(self, args, timeout, deadline):
        """The disconnect example broke the build: how the connect example does alone (informational)."""
        prep = prepare(dict(args, disconnect_code=None))
        try:
            res = execute(prep["language"], prep["program"], self.build_dir, timeout, deadline)
        except Unavailable as e:
            return {"ok": False, "type": "toolchain_unavailable", "message": str(e)}
        outcome = verdict(res)
        if outcome is None:
            return {"ok": True, "exit_code": res["exit_code"], "elapsed_ms": res["elapsed_ms"], "program": prep["program"]}
        return dict(outcome, ok=False, program=prep["program"])


# --------------------------------------------------------------------------
# protocol loop


def handle(driver, req):
    op = req.get("op")
    args = req.get("args") or {}
    started = time.monotonic()
    try:
        deadline_s = float(req.get("deadline_ms") or 120000) / 1000.0
    except (TypeError, ValueError):
        deadline_s = 120.0
    ops = {"hello": lambda: driver.op_hello(args), "reset": lambda: driver.op_reset(args),
           "classify_example": lambda: driver.op_classify_example(args),
           "run_example": lambda: driver.op_run_example(args, deadline_s)}
    try:
        if op not in ops:
            raise Answer("driver", "unsupported_op", "unsupported_op", "the docs driver does not implement op %r" % (op,))
        result, answered_by = ops[op]()
        response = {"ok": True, "answered_by": answered_by, "result": result}
    except Answer as e:
        response = {"ok": False, "answered_by": e.answered_by, "error": e.error}
    except Exception as e:  # a driver bug: say so and keep serving
        import traceback
        traceback.print_exc(file=sys.stderr)
        response = {"ok": False, "answered_by": "driver",
                    "error": {"category": "unknown", "type": "driver_" + type(e).__name__, "code": None,
                              "message": str(e)}}
    response.update(warnings=[], elapsed_ms=round((time.monotonic() - started) * 1000.0, 1))
    return response


def main():
    if len(sys.argv) != 2:
        sys.stderr.write("usage: driver.py <build_dir>\n")
        sys.exit(2)
    driver = Driver(sys.argv[1])
    serve(lambda request: handle(driver, request), "docs")


if __name__ == "__main__":
    main()
