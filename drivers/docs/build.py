"""Resolve and build the `docs` driver: everything needed to run the doc's
code examples as written, one toolchain per language, each built by that
language's own driver build script (no install logic is duplicated here).

    python build.py resolve <request>             -> {"version": "1"} (last stdout line)
    python build.py build <request> <build_dir>   -> <build_dir>/<lang>/..., build.json last

<build_dir> gets:
    python/   ../python/build.py build <pymilvus> -> venv with pymilvus
    cli/      ../cli/build.py build <milvus-cli>  -> venv with milvus_cli (own venv:
              milvus-cli pins its own pymilvus)
    node/     ../node/build.py build <sdk>        -> package.json + node_modules/@zilliz/milvus2-sdk-node
    go/       ../go/build.py sdk-go build <sdk>   -> src/: a Go module requiring
              github.com/milvus-io/milvus-sdk-go/v2 (modules downloaded, build cache warm);
              the examples are compiled as packages inside it
    java/     ../java/build.py build --flavour v1 <sdk> -> lib/: io.milvus:milvus-sdk-java and
              its runtime class path (mvn dependency:copy-dependencies)
    build-<lang>.log   each sub-build's output
    build.json         {"sdk_version", "source", "languages": {lang: {...}}, "curl": path|null}

<request> is "1" (or "", "default"): the default SDK of every language below.
A different SDK for some languages: "1;cli=0.3.3;python=2.4.9" (";"-separated
lang=request, where request is whatever that language's build.py accepts:
a version, a range, or a local checkout path).

A language whose toolchain is not on PATH is recorded as unavailable (its
examples then answer with that reason); a sub-build that fails with its
toolchain present fails the whole build (non-zero exit, one line on stderr),
so that the next run retries it instead of caching the failure. Sub-builds
that already succeeded (their build.json exists) are not redone.
"""

import json
import os
import shutil
import subprocess
import sys
import time
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from buildkit import fail as buildkit_fail, main  # noqa: E402


HERE = os.path.dirname(os.path.abspath(__file__))
DRIVERS = os.path.dirname(HERE)
VERSION = "1"

# The SDK each language's example runs with by default (the sibling drivers'
# default versions; java: the newest io.milvus:milvus-sdk-java on Maven Central here).
DEFAULTS = {
    "python": "3.0.2",    # pymilvus
    "cli": "1.2.1",       # milvus-cli (newest; the doc's syntax is the 0.3 line)
    "node": "3.0.6",      # @zilliz/milvus2-sdk-node
    "go": "2.4.2",        # github.com/milvus-io/milvus-sdk-go/v2
    "java": "2.6.22",     # io.milvus:milvus-sdk-java
}
ORDER = ["python", "cli", "node", "go", "java"]


def sibling(lang, action, request, build_dir=None):
    """The command running a sibling driver's build.py."""
    if lang == "go":
        cmd = [sys.executable, os.path.join(DRIVERS, "go", "build.py"), "sdk-go", action, request]
    elif lang == "java":
        cmd = [sys.executable, os.path.join(DRIVERS, "java", "build.py"), action, "--flavour", "v1", request]
    else:
        cmd = [sys.executable, os.path.join(DRIVERS, lang, "build.py"), action, request]
    return cmd + ([build_dir] if build_dir else [])


# Tools a language needs on PATH to be built and run at all.
TOOLS = {"python": [], "cli": [], "node": ["node", "npm"], "go": ["go"], "java": ["java", "javac", "mvn"]}


def missing_tools(lang):
    out = []
    for tool in TOOLS[lang]:
        if shutil.which(tool) is None and not (tool == "go" and os.path.exists("/usr/local/go/bin/go")):
            out.append(tool)
    return out


def fail(msg):
    buildkit_fail(msg, prefix="docs: ")


def parse_request(request):
    """-> {lang: sdk request} for every language (defaults filled in), and the overrides."""
    parts = [p.strip() for p in (request or "").split(";") if p.strip()]
    if parts and parts[0] in (VERSION, "default", "latest"):
        parts = parts[1:]
    overrides = {}
    for part in parts:
        lang, sep, value = part.partition("=")
        lang = lang.strip()
        if not sep or lang not in DEFAULTS or not value.strip():
            fail("cannot read %r: the request is %r, or %r;lang=sdk;... with lang one of %s"
                 % (part, VERSION, VERSION, ", ".join(ORDER)))
        overrides[lang] = value.strip()
    wanted = dict(DEFAULTS)
    wanted.update(overrides)
    return wanted, overrides


def last_json_line(text):
    for line in reversed(text.strip().splitlines()):
        try:
            return json.loads(line)
        except ValueError:
            continue
    return None


def resolve(request):
    _, overrides = parse_request(request)
    if not overrides:
        return VERSION
    pieces, checkout = [], False
    for lang in ORDER:
        if lang not in overrides:
            continue
        proc = subprocess.run(sibling(lang, "resolve", overrides[lang]), cwd=os.path.join(DRIVERS, lang),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=300)
        data = last_json_line(proc.stdout) if proc.returncode == 0 else None
        if not data or "version" not in data:
            reason = (proc.stderr.strip().splitlines() or ["exit %d" % proc.returncode])[-1]
            fail("%s=%s: %s" % (lang, overrides[lang], reason))
        exact = str(data["version"])
        checkout = checkout or exact.startswith("checkout:") or os.path.isdir(overrides[lang])
        pieces.append("%s-%s" % (lang, exact[len("checkout:"):] if exact.startswith("checkout:") else exact))
    version = VERSION + "+" + "+".join(pieces)
    # A local checkout is rebuilt on every run (PROTOCOL section 3).
    return ("checkout:" + version) if checkout else version


def build(request, build_dir):
    wanted, overrides = parse_request(request)
    build_dir = os.path.abspath(build_dir)
    os.makedirs(build_dir, exist_ok=True)
    stamp = os.path.join(build_dir, "build.json")
    if os.path.exists(stamp):
        os.remove(stamp)
    languages = {}
    t_all = time.time()
    for lang in ORDER:
        sub = os.path.join(build_dir, lang)
        record = {"request": wanted[lang], "dir": sub}
        missing = missing_tools(lang)
        if missing:
            record.update(ok=False, reason="%s not found on PATH" % ", ".join(missing))
            languages[lang] = record
            sys.stderr.write("[docs build] %s: skipped (%s)\n" % (lang, record["reason"]))
            continue
        sub_stamp = os.path.join(sub, "build.json")
        req_file = os.path.join(build_dir, ".request-" + lang)
        is_checkout = os.path.isdir(wanted[lang])
        same_request = os.path.exists(req_file) and open(req_file).read() == wanted[lang]
        t0 = time.time()
        if not (os.path.exists(sub_stamp) and same_request and not is_checkout):
            log_path = os.path.join(build_dir, "build-%s.log" % lang)
            sys.stderr.write("[docs build] %s: %s\n" % (lang, " ".join(sibling(lang, "build", wanted[lang], sub))))
            with open(log_path, "w") as log:
                try:
                    proc = subprocess.run(sibling(lang, "build", wanted[lang], sub), cwd=os.path.join(DRIVERS, lang),
                                          stdout=log, stderr=subprocess.STDOUT, timeout=1500)
                    rc = proc.returncode
                except subprocess.TimeoutExpired:
                    rc = "timeout"
            if rc != 0 or not os.path.exists(sub_stamp):
                with open(log_path) as f:
                    lines = [l.strip() for l in f.read().splitlines() if l.strip()]
                fail("building the %s examples' SDK (%s) failed (%s): %s; full log: %s"
                     % (lang, wanted[lang], "exit %s" % rc, lines[-1] if lines else "no output", log_path))
            with open(req_file, "w") as f:
                f.write(wanted[lang])
        with open(sub_stamp) as f:
            info = json.load(f)
        record.update(ok=True, sdk_version=str(info.get("sdk_version")), source=info.get("source"),
                      seconds=round(time.time() - t0, 1), info=info)
        languages[lang] = record
        sys.stderr.write("[docs build] %s: %s %s (%.0f s)\n" % (lang, "ok", record["sdk_version"], record["seconds"]))
    if not any(r["ok"] for r in languages.values()):
        fail("no language could be built: " + "; ".join("%s: %s" % (k, v.get("reason")) for k, v in languages.items()))
    version = VERSION
    if overrides:
        version += "+" + "+".join("%s-%s" % (lang, languages[lang].get("sdk_version", "unavailable"))
                                  for lang in ORDER if lang in overrides)
    checkout = any(os.path.isdir(v) for v in overrides.values())
    info = {"sdk_version": version, "source": "checkout" if checkout else "docs",
            "languages": languages, "curl": shutil.which("curl"),
            "build_seconds": round(time.time() - t_all, 1)}
    tmp = stamp + ".tmp"
    with open(tmp, "w") as f:
        json.dump(info, f, indent=1)
    os.replace(tmp, stamp)
    print(json.dumps({k: info[k] for k in ("sdk_version", "source", "curl")}))



if __name__ == "__main__":
    main(resolve, build)
