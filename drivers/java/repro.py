"""Renders a transcript as a standalone Java program (drivers/PROTOCOL.md, section 8), for either
Java driver:

    python repro.py --flavour v1|v2 <request.json>

v1 (`java`): MilvusServiceClient + ConnectParam; v2 (`java-v2`): MilvusClientV2 + ConnectConfig.
The program makes the calls the driver's flavour makes (src/milvusconf/V1Flavour.java and
V2Flavour.java: open(), serverVersion(), listCollections(), checkHealth(), close(); Driver.java's
disconnectDuringCall()), in the same order, with the transcript's values
as Java literals. A step the driver answers itself (a value Java cannot express, an alias no client
was made for) is refused here by the same rules, and printed as the driver's answer with a comment
saying why: no SDK call is made for it. Errors print as Flavour.classify reports them: the simple
class name (after unwrapping ExecutionException / CompletionException) and the SDK's code
(MilvusException.getStatus(), an R's status for getVersion(), MilvusClientException's ErrorCode)."""

import json
import math
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from reprokit import harness_instruction, header, json_literal, main  # noqa: E402

RUN = "javac -cp '{build_dir}/lib/*' Repro.java && java -cp '{build_dir}/lib/*:.' Repro"
RUN_HINT = ("javac -cp 'lib/*' Repro.java && java -cp 'lib/*:.' Repro  "
            "(lib/: milvus-sdk-java {version} and its runtime jars, e.g. mvn dependency:copy-dependencies)")


class DriverAnswer(Exception):
    """A step the driver answers without the SDK (answered_by: driver): no Java call can make it."""

    def __init__(self, type_: str, message: str):
        super().__init__(message)
        self.type = type_


# -- values as the Java setters take them (ConnectArgs.java) -------------------------------------

def _type_error(k: str, expected: str, value) -> DriverAnswer:
    return DriverAnswer("DriverTypeError", f"'{k}' must be {expected}; got {json.dumps(value)}: the Java SDK's API "
                                           "cannot express this value")


def string(args: dict, k: str) -> str:
    """A String parameter: a JSON string, or null (Java's null)."""
    v = args[k]
    if v is None or isinstance(v, str):
        return json_literal(v)
    raise _type_error(k, "a string", v)


def integer(args: dict, k: str) -> str:
    """An int parameter: a JSON integer that fits a Java int."""
    v = args[k]
    if isinstance(v, int) and not isinstance(v, bool) and -2 ** 31 <= v < 2 ** 31:
        return str(v)
    raise _type_error(k, "an integer that fits a Java int", v)


def boolean(args: dict, k: str) -> str:
    v = args[k]
    if isinstance(v, bool):
        return "true" if v else "false"
    raise _type_error(k, "a boolean", v)


def ms(value) -> int:
    """Seconds -> milliseconds as ConnectArgs.timeoutMs computes them (Java's Math.round; a positive
    timeout stays positive)."""
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        raise _type_error("timeout", "a number of seconds", value)
    n = math.floor(value * 1000.0 + 0.5)
    return 1 if n == 0 and value > 0 else n


def millis(value) -> str:
    """ms(value) as a Java literal."""
    n = ms(value)
    return str(n) if -2 ** 31 <= n < 2 ** 31 else f"{n}L"


def only(args: dict, known: tuple, sdk_class: str) -> None:
    for k in args:
        if k != "alias" and k not in known:
            raise DriverAnswer("DriverUnsupportedArg", f"'{k}' has no counterpart in {sdk_class}")


ALIAS_OPS = ("connect", "disconnect", "server_version", "list_collections", "check_health", "disconnect_during_call")
CONNECT_ARGS = ("host", "port", "uri", "user", "password", "token", "db_name", "secure",
                "ca_cert", "client_cert", "client_key", "server_name", "timeout")


def _text_setters(args: dict, setters) -> list:
    """setter(<string literal>) for each of `setters` ((arg, setter), in order) the request names."""
    return [f"{setter}({string(args, k)})" for k, setter in setters if k in args]


def v1_setters(args: dict) -> list:
    """ConnectParam.Builder calls, as V1Flavour.open() makes them."""
    only(args, CONNECT_ARGS, "ConnectParam")
    calls = _text_setters(args, (("host", "withHost"),))
    if "port" in args:
        calls.append(f"withPort({integer(args, 'port')})")
    calls += _text_setters(args, (("uri", "withUri"),))
    if ("user" in args) != ("password" in args):
        raise DriverAnswer("DriverUnsupportedArg", "ConnectParam.Builder.withAuthorization(user, password) takes both")
    if "user" in args:
        calls.append(f"withAuthorization({string(args, 'user')}, {string(args, 'password')})")
    calls += _text_setters(args, (("token", "withToken"), ("db_name", "withDatabaseName")))
    if "secure" in args:
        calls.append(f"withSecure({boolean(args, 'secure')})")
    two_way = "client_cert" in args or "client_key" in args
    calls += _text_setters(args, (("ca_cert", "withCaPemPath" if two_way else "withServerPemPath"),
                                  ("client_cert", "withClientPemPath"), ("client_key", "withClientKeyPath"),
                                  ("server_name", "withServerName")))
    if "timeout" in args:
        calls.append(f"withConnectTimeout({millis(args['timeout'])}, TimeUnit.MILLISECONDS)")
    return calls


def v2_setters(args: dict) -> list:
    """ConnectConfig.builder() calls, as V2Flavour.open() makes them."""
    only(args, CONNECT_ARGS, "ConnectConfig")
    calls = []
    if "uri" in args:
        calls.append(f"uri({string(args, 'uri')})")
    if "host" in args or "port" in args:
        if "uri" in args or "host" not in args or "port" not in args:
            raise DriverAnswer("DriverUnsupportedArg", 'ConnectConfig takes one uri; "http://<host>:<port>" is '
                                                       "composed only from both host and port, without a uri")
        if not isinstance(args["host"], str):
            raise _type_error("host", "a string", args["host"])
        calls.append(f"uri({json_literal('http://' + args['host'] + ':' + integer(args, 'port'))})")
    calls += _text_setters(args, (("user", "username"), ("password", "password"), ("token", "token"),
                                  ("db_name", "dbName")))
    if "secure" in args:
        calls.append(f"secure({boolean(args, 'secure')})")
    two_way = "client_cert" in args or "client_key" in args
    calls += _text_setters(args, (("ca_cert", "caPemPath" if two_way else "serverPemPath"),
                                  ("client_cert", "clientPemPath"), ("client_key", "clientKeyPath"),
                                  ("server_name", "serverName")))
    if "timeout" in args:
        calls.append(f"connectTimeoutMs({millis(args['timeout'])})")
    return calls


# -- the two flavours ------------------------------------------------------------------------------

def call_timeout(args: dict) -> None:
    """V2: the driver reads the timeout first (a non-number is a DriverTypeError), then refuses it."""
    if "timeout" in args:
        millis(args["timeout"])
        raise DriverAnswer("DriverUnsupportedArg", "MilvusClientV2's calls take no per-call timeout")


class V1:
    client = "MilvusServiceClient"
    imports = ["io.milvus.client.MilvusServiceClient", "io.milvus.exception.MilvusException",
               "io.milvus.param.ConnectParam", "io.milvus.param.R"]
    op_imports = {"list_collections": ["io.milvus.param.collection.ShowCollectionsParam"],
                  "check_health": ["io.milvus.grpc.CheckHealthResponse", "java.util.ArrayList", "java.util.List"]}

    @staticmethod
    def new_client(args: dict, indent: str) -> str:
        chain = "".join(f"\n{indent}        .{call}" for call in v1_setters(args))
        return f"new MilvusServiceClient(ConnectParam.newBuilder(){chain}\n{indent}        .build())"

    @staticmethod
    def timed(var: str, args: dict) -> str:
        """The client the call goes through: with a timeout, the SDK's per-call form (a copy of the
        client whose calls carry that deadline)."""
        if "timeout" in args:
            return f"{var}.withTimeout({millis(args['timeout'])}, TimeUnit.MILLISECONDS)"
        return var

    @staticmethod
    def server_version(var: str, args: dict) -> str:
        return f'result("version", data({V1.timed(var, args)}.getVersion()).getVersion())'

    @staticmethod
    def list_collections(var: str, args: dict) -> str:
        return (f'result("collections", data({V1.timed(var, args)}.showCollections('
                f'ShowCollectionsParam.newBuilder().build())).getCollectionNamesList())')

    @staticmethod
    def check_health(var: str, args: dict) -> str:
        return f"health(data({V1.timed(var, args)}.checkHealth()))"

    verify = "data(client.getVersion());"
    op_helpers = {"check_health": '''
    static Map<String, Object> health(CheckHealthResponse h) {
        List<String> states = new ArrayList<>();
        h.getQuotaStatesList().forEach(q -> states.add(q.name()));
        return result("healthy", h.getIsHealthy(), "reasons", h.getReasonsList(), "quota_states", states);
    }
'''}
    helpers = '''
    /** The calls report a failure in their R: the R's status is the code, its exception the type. */
    static <T> T data(R<T> r) throws RFailed {
        if (r.getStatus() == null || r.getStatus() != R.Status.Success.getCode()) {
            throw new RFailed(r);
        }
        return r.getData();
    }

    static class RFailed extends Exception {
        final R<?> r;

        RFailed(R<?> r) {
            super(r.getException() == null ? "R status " + r.getStatus() : r.getException().getMessage());
            this.r = r;
        }
    }

    static Map<String, Object> error(Throwable e) {
        while ((e instanceof ExecutionException || e instanceof CompletionException) && e.getCause() != null) {
            e = e.getCause();
        }
        if (e instanceof RFailed) {
            R<?> r = ((RFailed) e).r;
            String type = r.getException() == null ? "R" : r.getException().getClass().getSimpleName();
            return result("type", type, "code", r.getStatus(), "message", String.valueOf(e.getMessage()));
        }
        Integer code = e instanceof MilvusException ? ((MilvusException) e).getStatus() : null;
        return result("type", e.getClass().getSimpleName(), "code", code, "message", String.valueOf(e.getMessage()));
    }
'''


class V2:
    client = "MilvusClientV2"
    imports = ["io.milvus.v2.client.ConnectConfig", "io.milvus.v2.client.MilvusClientV2",
               "io.milvus.v2.exception.MilvusClientException"]
    op_imports = {"check_health": ["io.milvus.v2.service.utility.response.CheckHealthResp"]}

    @staticmethod
    def new_client(args: dict, indent: str) -> str:
        chain = "".join(f"\n{indent}        .{call}" for call in v2_setters(args))
        return f"new MilvusClientV2(ConnectConfig.builder(){chain}\n{indent}        .build())"

    @staticmethod
    def server_version(var: str, args: dict) -> str:
        call_timeout(args)
        return f'result("version", {var}.getServerVersion())'

    @staticmethod
    def list_collections(var: str, args: dict) -> str:
        call_timeout(args)
        return f'result("collections", {var}.listCollections().getCollectionNames())'

    @staticmethod
    def check_health(var: str, args: dict) -> str:
        call_timeout(args)
        return f"health({var}.checkHealth())"

    verify = "client.getServerVersion();"
    op_helpers = {"check_health": '''
    static Map<String, Object> health(CheckHealthResp h) {
        return result("healthy", h.getIsHealthy(), "reasons", h.getReasons(), "quota_states", h.getQuotaStates());
    }
'''}
    helpers = '''
    static Map<String, Object> error(Throwable e) {
        while ((e instanceof ExecutionException || e instanceof CompletionException) && e.getCause() != null) {
            e = e.getCause();
        }
        Integer code = null;
        if (e instanceof MilvusClientException && ((MilvusClientException) e).getErrorCode() != null) {
            code = ((MilvusClientException) e).getErrorCode().getCode();
        }
        return result("type", e.getClass().getSimpleName(), "code", code, "message", String.valueOf(e.getMessage()));
    }
'''


COMMON = '''
    interface Step {
        Map<String, Object> run() throws Exception;
    }

    /** Runs one step; prints what it returned or threw as one JSON line. */
    static void step(int n, Step call) {
        Map<String, Object> line = result("step", n);
        long started = System.nanoTime();
        try {
            Map<String, Object> result = call.run();
            line.put("ok", true);
            line.put("result", result);
        } catch (Exception e) {
            line.put("ok", false);
            line.put("error", error(e));
        }
        line.put("elapsed_ms", Math.round((System.nanoTime() - started) / 1e3) / 1e3);
        System.out.println(GSON.toJson(line));
    }

    static Map<String, Object> result(Object... keysAndValues) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            m.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return m;
    }
'''

AWAIT = '''
    /** The scenario acts on the server here: do it, then press Enter. */
    static void awaitHarness(int n, String instruction) throws IOException {
        System.out.println(GSON.toJson(result("step", n, "await", instruction)));
        STDIN.readLine();
    }
'''

DURING_CALL = '''
    /** Starts call on its own thread, closes the client after afterMs, then waits up to waitMs for
     *  the call: what each returned, and when the call ended (ms after close() returned). */
    static Map<String, Object> disconnectDuringCall(Step call, Runnable close, long afterMs, long waitMs)
            throws Exception {
        CompletableFuture<Map<String, Object>> outcome = new CompletableFuture<>();
        long[] ended = {0};
        Thread thread = new Thread(() -> {
            Map<String, Object> o;
            try {
                o = result("ok", true, "result", call.run());
            } catch (Exception e) {
                o = result("ok", false, "error", error(e));
            }
            ended[0] = System.nanoTime();
            outcome.complete(o);
        });
        thread.setDaemon(true); // a call that never ends must not keep the program alive
        thread.start();
        Thread.sleep(afterMs);
        Map<String, Object> disconnect = result("ok", true);
        try {
            close.run();
        } catch (RuntimeException e) {
            disconnect = result("ok", false, "error", error(e));
        }
        long closed = System.nanoTime();
        try {
            Map<String, Object> o = outcome.get(waitMs, TimeUnit.MILLISECONDS);
            return result("disconnect", disconnect, "call", o, "call_ended_ms", Math.round((ended[0] - closed) / 1e3) / 1e3);
        } catch (TimeoutException e) {
            return result("disconnect", disconnect, "call", result("pending", true), "call_ended_ms", null);
        }
    }
'''

NO_SDK_CALL = '''
    /** A step no Java program can make (see the comment where it is called): milvus-conformance's
     *  driver answered it itself, without the SDK; printed so that the steps line up. */
    static void noSdkCall(int n, String type, String message) {
        Map<String, Object> error = result("type", type, "code", null, "message", message);
        System.out.println(GSON.toJson(result("step", n, "ok", false, "error", error, "elapsed_ms", 0.0)));
    }
'''

OPEN_MANY = '''
    static final List<CLIENT> many = new ArrayList<>();

    /** Opens count clients from concurrency threads (none started after budgetSeconds, when > 0),
     *  each verified by a server round trip; kept open until closeMany(). */
    static Map<String, Object> openMany(int count, int concurrency, double budgetSeconds, Callable<CLIENT> open)
            throws InterruptedException {
        AtomicInteger opened = new AtomicInteger(), verified = new AtomicInteger(), failed = new AtomicInteger();
        AtomicInteger notAttempted = new AtomicInteger();
        List<Map<String, Object>> errors = Collections.synchronizedList(new ArrayList<>());
        long started = System.nanoTime();
        ExecutorService pool = Executors.newFixedThreadPool(concurrency);
        for (int i = 0; i < count; i++) {
            pool.submit(() -> {
                if (budgetSeconds > 0 && System.nanoTime() - started > budgetSeconds * 1e9) {
                    notAttempted.incrementAndGet();
                    return;
                }
                try {
                    CLIENT client = open.call();
                    synchronized (many) {
                        many.add(client);
                    }
                    opened.incrementAndGet();
                    VERIFY
                    verified.incrementAndGet();
                } catch (Exception e) {
                    failed.incrementAndGet();
                    errors.add(error(e));
                }
            });
        }
        pool.shutdown();
        pool.awaitTermination(1, TimeUnit.DAYS);
        return result("requested", count, "opened", opened.get(), "verified", verified.get(), "failed", failed.get(),
                "not_attempted", notAttempted.get(), "first_error", errors.isEmpty() ? null : errors.get(0));
    }

    static Map<String, Object> closeMany() {
        int closed = 0;
        for (CLIENT client : many) {
            client.close();
            closed++;
        }
        many.clear();
        return result("closed", closed);
    }
'''


def variable(alias: str, fields: dict) -> str:
    """The Java field holding an alias's client: "main" -> mainClient, "never-connected" -> neverConnectedClient."""
    if alias in fields:
        return fields[alias]
    parts = [p for p in re.split(r"[^A-Za-z0-9]+", alias) if p]
    name = (parts[0][:1].lower() + parts[0][1:] + "".join(p[:1].upper() + p[1:] for p in parts[1:])) if parts else ""
    name = (name if re.match(r"^[A-Za-z]", name) else "client" + name.capitalize()) + "Client"
    base, i = name, 2
    while name in fields.values():
        name, i = f"{base}{i}", i + 1
    return name


def render(request: dict, flavour: str) -> dict:
    f = V1 if flavour == "v1" else V2
    fields, body, used = {}, [], set()
    ind = " " * 8

    def no_sdk_call(n: int, answer: DriverAnswer, what: str):
        used.add("no_sdk_call")
        body.append(f"{ind}// Step {n} ({what}) has no Java equivalent: the driver answered it without the SDK.")
        body.append(f"{ind}noSdkCall({n}, {json_literal(answer.type)}, {json_literal(str(answer))});")

    for step in request["steps"]:
        n, args = step["step"], step.get("args") or {}
        if "harness" in step:
            used.add("await")
            body.append(f"{ind}awaitHarness({n}, {json_literal(harness_instruction(step))});")
            continue
        op = step["op"]
        try:
            alias = args.get("alias", "default")
            if op in ALIAS_OPS and not isinstance(alias, str):
                raise DriverAnswer("DriverTypeError", f"alias {json.dumps(alias)} is not a string: the Java SDK has "
                                                      "no alias, it only names a variable")
            if op in ALIAS_OPS and op != "connect" and alias not in fields:
                raise DriverAnswer("NoClientForAlias", f"no client was ever made for alias '{alias}' (the Java SDK "
                                                       "has no alias registry)")
            if op == "connect":
                var = variable(alias, fields)
                call = f.new_client(args, ind + "    ")
                fields[alias] = var  # held once a connect step is written (as the driver's map after a connect)
                body.append(f"{ind}step({n}, () -> {{\n{ind}    {var} = {call};\n{ind}    return result();\n{ind}}});")
            elif op == "disconnect":
                body.append(f"{ind}step({n}, () -> {{\n{ind}    {fields[alias]}.close();\n{ind}    return result();\n{ind}}});")
            elif op in ("server_version", "list_collections", "check_health"):
                body.append(f"{ind}step({n}, () -> {getattr(f, op)(fields[alias], args)});")
                used.add(op)
            elif op == "disconnect_during_call":
                var, call = fields[alias], f.server_version(fields[alias], args)
                after = args.get("after_ms", 500)  # the driver's own sleep (a JSON number, read as a long)
                if not isinstance(after, (int, float)) or isinstance(after, bool):
                    raise DriverAnswer("DriverTypeError", f"after_ms must be a number; got {json.dumps(after)}")
                wait = ms(args["timeout"]) + 5000 if "timeout" in args else 15000  # as the driver waits
                used.add("during_call")
                body.append(f"{ind}step({n}, () -> disconnectDuringCall(() -> {call}, () -> {var}.close(), "
                            f"{int(after)}, {wait}));")
            elif op == "open_many":
                count = args.get("count", 1)
                concurrency = 16 if args.get("concurrency") is None else args["concurrency"]
                concurrency = max(1, min(concurrency, max(1, count)))
                budget = args.get("time_budget_seconds") or 0
                connect_args = {k: args[k] for k in ("host", "port", "address", "uri", "user", "password", "token",
                                                     "db_name", "secure", "timeout") if k in args}
                call = f.new_client(connect_args, ind + "        ")
                used.add("open_many")
                body.append(f"{ind}step({n}, () -> openMany({count}, {concurrency}, {budget}, () ->\n"
                            f"{ind}        {call}));")
            elif op == "close_many":
                used.add("open_many")
                body.append(f"{ind}step({n}, () -> closeMany());")
            elif op in ("list_connections", "has_connection", "connection_address"):
                raise DriverAnswer("UnsupportedOp", f"op '{op}' needs an alias registry, which the Java SDK lacks")
            else:
                raise SystemExit(f"the java reproducer cannot render op {op!r}")
        except DriverAnswer as answer:
            no_sdk_call(n, answer, op)

    extra = [i for op, names in f.op_imports.items() if op in used for i in names]  # only for ops the program makes
    imports = ["com.google.gson.Gson", "com.google.gson.GsonBuilder"] + f.imports
    imports += [i for i in extra if not i.startswith("java.")]
    java_util = ["java.util.LinkedHashMap", "java.util.Map", "java.util.concurrent.CompletionException",
                 "java.util.concurrent.ExecutionException"] + [i for i in extra if i.startswith("java.")]
    text = "\n".join(body)
    if "TimeUnit." in text or "open_many" in used or "during_call" in used:
        java_util.append("java.util.concurrent.TimeUnit")
    if "during_call" in used:
        java_util += ["java.util.concurrent.CompletableFuture", "java.util.concurrent.TimeoutException"]
    if "await" in used:
        java_util += ["java.io.BufferedReader", "java.io.IOException", "java.io.InputStreamReader"]
    if "open_many" in used:
        java_util += ["java.util.ArrayList", "java.util.Collections", "java.util.List", "java.util.concurrent.Callable",
                      "java.util.concurrent.ExecutorService", "java.util.concurrent.Executors",
                      "java.util.concurrent.atomic.AtomicInteger"]
    java_util = sorted(set(java_util))
    lines = [f"import {i};" for i in imports] + [""] + [f"import {i};" for i in java_util]
    statics = ["    static final Gson GSON = new GsonBuilder().serializeNulls().disableHtmlEscaping().create();"]
    if "await" in used:
        statics.append("    static final BufferedReader STDIN = new BufferedReader(new InputStreamReader(System.in));")
    statics += [f"    static {f.client} {var};" for var in fields.values()]
    helpers = COMMON + f.helpers + "".join(h for op, h in f.op_helpers.items() if op in used)
    helpers += (DURING_CALL if "during_call" in used else "") + (AWAIT if "await" in used else "")
    helpers += NO_SDK_CALL if "no_sdk_call" in used else ""
    if "open_many" in used:
        helpers += OPEN_MANY.replace("CLIENT", f.client).replace("VERIFY", f.verify)
    hint = RUN_HINT.format(version=request["sdk"].get("version"))
    program = (header(request, "//", hint) + "\n" + "\n".join(lines) + "\n\npublic class Repro {\n"
               + "\n".join(statics) + "\n\n    public static void main(String[] args) throws Exception {\n"
               + text + "\n    }\n"
               + helpers + "}\n")
    return {"language": "java", "files": {"Repro.java": program}, "main": "Repro.java",
            "run": ["bash", "-c", RUN], "env": {}}


if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[1] != "--flavour" or sys.argv[2] not in ("v1", "v2"):
        sys.stderr.write("usage: repro.py --flavour v1|v2 <request.json> (drivers/PROTOCOL.md, section 8)\n")
        sys.exit(2)
    main(lambda request: render(request, sys.argv[2]), sys.argv[3:])
