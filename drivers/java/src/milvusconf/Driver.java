package milvusconf;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;

import java.io.BufferedReader;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The protocol side of the Java drivers (drivers/PROTOCOL.md): JSON lines on
 * stdin/stdout, the driver-side alias map, open_many/close_many, deadlines.
 * Everything that touches the SDK lives in a {@link Flavour} (V1Flavour for
 * MilvusServiceClient, V2Flavour for MilvusClientV2).
 *
 * Usage: java milvusconf.Driver v1|v2 [build_dir]
 */
public final class Driver {
    static final int PROTOCOL = 2;

    private final Flavour flavour;
    private final PrintStream out;
    private final Gson gson = new GsonBuilder().disableHtmlEscaping().serializeNulls().create();

    /** alias -> connection: the variables a program would hold (the SDK has no alias registry).
     *  A disconnected client stays here (closed) so that later calls on that alias reach the
     *  SDK's own closed-client behaviour. Guarded by itself (a hung op's thread may finish late). */
    private final Map<String, Conn> aliases = new LinkedHashMap<>();
    /** clients a later connect on the same alias replaced: still open, as in a program that
     *  reassigns its variable; closed by reset. Guarded by {@link #aliases}. */
    private final List<Object> replaced = new ArrayList<>();
    /** clients opened by open_many, closed by close_many / reset. */
    private final List<Object> many = new ArrayList<>();

    /** Each op runs on a worker thread so the driver can answer even if an SDK call
     *  hangs past the request's deadline (a hung thread is interrupted and abandoned). */
    private final ExecutorService opRunner = Executors.newCachedThreadPool(daemonFactory("op"));

    static final class Conn {
        final Object client;
        boolean closed;

        Conn(Object client) {
            this.client = client;
        }
    }

    Driver(Flavour flavour, PrintStream out) {
        this.flavour = flavour;
        this.out = out;
    }

    public static void main(String[] argv) throws Exception {
        // Protocol output goes to the real stdout; everything else that anything in
        // this JVM prints to System.out (SDK loggers, console appenders) goes to stderr.
        PrintStream protocolOut = new PrintStream(new FileOutputStream(FileDescriptor.out), true, "UTF-8");
        System.setOut(System.err);
        System.setProperty("org.slf4j.simpleLogger.logFile", "System.err");
        System.setProperty("org.slf4j.simpleLogger.showDateTime", "true");
        System.setProperty("org.slf4j.simpleLogger.dateTimeFormat", "HH:mm:ss.SSS");

        String which = argv.length > 0 ? argv[0] : "v1";
        String buildDir = argv.length > 1 ? argv[1] : null;
        Flavour flavour = Flavour.load(which, buildDir);
        new Driver(flavour, protocolOut).serve();
    }

    void serve() throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            line = line.trim();
            if (line.isEmpty()) {
                continue;
            }
            JsonObject resp = handleLine(line);
            synchronized (out) {
                out.println(gson.toJson(resp));
                out.flush();
            }
        }
        try {
            closeEverything();
        } catch (Throwable ignored) {
            // exiting anyway
        }
        System.exit(0);
    }

    JsonObject handleLine(String line) {
        JsonElement id = JsonNull.INSTANCE;
        JsonObject req;
        try {
            req = JsonParser.parseString(line).getAsJsonObject();
        } catch (Exception e) {
            return failure(id, 0.0, new ArrayList<>(),
                    ErrorInfo.driver("unknown", "BadRequest", "request is not a JSON object: " + e.getMessage()));
        }
        if (req.has("id")) {
            id = req.get("id");
        }
        String op = req.has("op") && req.get("op").isJsonPrimitive() ? req.get("op").getAsString() : "";
        JsonObject args = req.has("args") && req.get("args").isJsonObject() ? req.getAsJsonObject("args") : new JsonObject();
        long deadlineMs = req.has("deadline_ms") && req.get("deadline_ms").isJsonPrimitive()
                ? req.get("deadline_ms").getAsLong() : 0L;

        Call call = new Call(args);
        // Answer 1 s before the harness gives up: a hanging SDK call is a finding, not a dead driver.
        long waitMs = Math.max(500, deadlineMs - 1000);
        call.answerBy = deadlineMs > 0 ? System.nanoTime() + waitMs * 1_000_000L : 0;
        Future<JsonObject> fut = opRunner.submit(() -> dispatch(op, call));
        try {
            JsonObject result = deadlineMs > 0 ? fut.get(waitMs, TimeUnit.MILLISECONDS) : fut.get();
            // hello and reset are the driver's bookkeeping; a success where no SDK call ran is the driver's too
            boolean byDriver = op.equals("hello") || op.equals("reset") || !call.sdkRan;
            return success(id, call.elapsedMs(), call.warnings, result, byDriver);
        } catch (TimeoutException e) {
            call.abandoned = true;
            fut.cancel(true);
            ErrorInfo hang = new ErrorInfo("hang", "DriverDeadline", null, "the SDK call had not returned "
                    + waitMs + " ms after it started (deadline_ms=" + deadlineMs + "); the driver stopped waiting");
            return failure(id, call.elapsedMs(), call.warnings, hang);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            return failure(id, call.elapsedMs(), call.warnings, errorOf(cause));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return failure(id, call.elapsedMs(), call.warnings, ErrorInfo.driver("unknown", "InterruptedException", String.valueOf(e.getMessage())));
        }
    }

    /** Per-request state: the arguments, warnings and the time spent in SDK calls. */
    static final class Call {
        final JsonObject args;
        final List<String> warnings = new ArrayList<>();
        private long sdkNanos = 0;
        private long openedAt = -1;
        /** Whether any SDK call ran (a success without one is answered_by driver). */
        volatile boolean sdkRan;
        /** Set when the driver answered hang: the op's thread must not change the alias map. */
        volatile boolean abandoned;
        /** System.nanoTime() at which the driver stops waiting for this op (0: no deadline). */
        long answerBy;

        Call(JsonObject args) {
            this.args = args;
        }

        /** Times an SDK call; the elapsed time counts even when it throws. */
        <T> T sdk(Callable<T> c) throws Exception {
            long t0 = System.nanoTime();
            openedAt = t0;
            sdkRan = true;
            try {
                return c.call();
            } finally {
                sdkNanos += System.nanoTime() - t0;
                openedAt = -1;
            }
        }

        synchronized double elapsedMs() {
            long n = sdkNanos;
            if (openedAt >= 0) {
                n += System.nanoTime() - openedAt; // a call still running (deadline case)
            }
            return Math.round(n / 1000.0) / 1000.0;
        }

        void warn(String w) {
            synchronized (warnings) {
                warnings.add(w);
            }
        }
    }

    /** An error the driver answers with directly (already categorised). */
    static final class OpError extends Exception {
        final ErrorInfo info;

        OpError(ErrorInfo info) {
            super(info.message);
            this.info = info;
        }
    }

    JsonObject dispatch(String op, Call call) throws Exception {
        switch (op) {
            case "hello":
                return hello();
            case "reset":
                return obj("closed", closeEverything());
            case "connect":
                return connect(call);
            case "disconnect":
                return disconnect(call);
            case "server_version":
                return serverVersion(call);
            case "list_collections":
                return listCollections(call);
            case "check_health":
                return checkHealth(call);
            case "disconnect_during_call":
                return disconnectDuringCall(call);
            case "open_many":
                return openMany(call);
            case "close_many":
                return obj("closed", closeMany(call));
            default:
                throw new OpError(ErrorInfo.driver("unsupported_op", "UnsupportedOp",
                        "op '" + op + "' is not implemented by the " + flavour.driverName() + " driver"));
        }
    }

    JsonObject hello() {
        JsonObject r = new JsonObject();
        r.addProperty("protocol", PROTOCOL);
        r.addProperty("driver", flavour.driverName());
        r.addProperty("language", "java");
        r.addProperty("runtime", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
        JsonObject sdk = new JsonObject();
        sdk.addProperty("name", "milvus-sdk-java");
        sdk.addProperty("version", flavour.sdkVersion());
        sdk.addProperty("client", flavour.clientClass());
        r.add("sdk", sdk);
        r.add("capabilities", gson.toJsonTree(flavour.capabilities()));
        return r;
    }

    /** The alias names a variable of the driver's (the Java SDK has no alias): a string, "default" when absent. */
    static String alias(Call call) throws OpError {
        JsonElement a = call.args.get("alias");
        if (a == null) {
            return "default";
        }
        if (a.isJsonPrimitive() && a.getAsJsonPrimitive().isString()) {
            return a.getAsString();
        }
        throw new OpError(ErrorInfo.driver("param_error", "DriverTypeError", "alias " + a + " is not a string: the"
                + " Java SDK has no alias parameter, so it only names the driver's variable (refused by the driver)"));
    }

    /** The client held under an alias; one the driver's map never held is the driver's answer. */
    Conn held(String alias) throws OpError {
        synchronized (aliases) {
            Conn conn = aliases.get(alias);
            if (conn == null) {
                throw new OpError(ErrorInfo.driver("not_connected", "NoClientForAlias", "no client was ever made"
                        + " for alias '" + alias + "': the Java SDK has no alias registry, so no Java program can make"
                        + " this call (answered by the driver)"));
            }
            return conn;
        }
    }

    JsonObject connect(Call call) throws Exception {
        String alias = alias(call);
        Flavour.Opened opened = flavour.open(new ConnectArgs(call.args), call);
        synchronized (aliases) {
            if (call.abandoned) { // answered hang already: as if the call never returned
                flavour.close(opened.client);
                return new JsonObject();
            }
            // A second connect on an alias is a new client in the same variable; the old one stays open.
            Conn previous = aliases.put(alias, new Conn(opened.client));
            if (previous != null && !previous.closed) {
                replaced.add(previous.client);
            }
        }
        return obj("address", opened.address);
    }

    JsonObject disconnect(Call call) throws Exception {
        Conn conn = held(alias(call));
        call.sdk(() -> {
            flavour.close(conn.client);
            return null;
        });
        conn.closed = true;
        return new JsonObject();
    }

    /** An op's own timeout (seconds -> ms; null when absent), for the SDK's per-call timeout. */
    Long callTimeoutMs(Call call) throws OpError {
        if (!call.args.has("timeout")) {
            return null;
        }
        long ms = ConnectArgs.timeoutMs(call.args.get("timeout"));
        if (!flavour.capabilities().contains("server_version.timeout")) { // nothing to pass it to
            throw new OpError(ErrorInfo.driver("param_error", "DriverUnsupportedArg", flavour.clientClass()
                    + "'s calls take no per-call timeout (refused by the driver)"));
        }
        return ms;
    }

    JsonObject serverVersion(Call call) throws Exception {
        Conn conn = held(alias(call));
        Long timeoutMs = callTimeoutMs(call);
        String v = call.sdk(() -> flavour.serverVersion(conn.client, timeoutMs));
        return obj("version", v);
    }

    JsonObject listCollections(Call call) throws Exception {
        Conn conn = held(alias(call));
        Long timeoutMs = callTimeoutMs(call);
        List<String> names = call.sdk(() -> flavour.listCollections(conn.client, timeoutMs));
        JsonObject r = new JsonObject();
        r.add("collections", gson.toJsonTree(names));
        return r;
    }

    JsonObject checkHealth(Call call) throws Exception {
        Conn conn = held(alias(call));
        Long timeoutMs = callTimeoutMs(call);
        return call.sdk(() -> flavour.checkHealth(conn.client, timeoutMs));
    }

    /** server_version on its own thread, the SDK's close() after after_ms, then the call's outcome:
     *  what a program sees when another thread closes the client under a call. */
    JsonObject disconnectDuringCall(Call call) throws Exception {
        Conn conn = held(alias(call));
        Long timeoutMs = callTimeoutMs(call);
        JsonElement after = call.args.get("after_ms"); // the driver's own sleep, not an SDK value
        if (after != null && !(after.isJsonPrimitive() && after.getAsJsonPrimitive().isNumber())) {
            throw new OpError(ErrorInfo.driver("param_error", "DriverTypeError", "after_ms must be a number; got " + after));
        }
        long afterMs = after == null ? 500 : after.getAsLong();
        AtomicLong ended = new AtomicLong();
        JsonObject r = new JsonObject();
        call.sdk(() -> {
            Future<JsonObject> inFlight = opRunner.submit(() -> {
                JsonObject outcome = new JsonObject();
                try {
                    String version = flavour.serverVersion(conn.client, timeoutMs);
                    outcome.addProperty("ok", true);
                    outcome.add("result", obj("version", version));
                } catch (Throwable t) {
                    outcome.addProperty("ok", false);
                    outcome.add("error", errorOf(t).toJson());
                }
                ended.set(System.nanoTime());
                return outcome;
            });
            Thread.sleep(afterMs);
            JsonObject disconnect = new JsonObject();
            try {
                flavour.close(conn.client);
                conn.closed = true;
                disconnect.addProperty("ok", true);
            } catch (Throwable t) {
                disconnect.addProperty("ok", false);
                disconnect.add("error", errorOf(t).toJson());
            }
            long closedAt = System.nanoTime();
            long patienceMs = timeoutMs != null ? timeoutMs + 5000 : 15000;
            if (call.answerBy > 0) { // answer before handleLine stops waiting (deadline_ms - 1 s)
                patienceMs = Math.min(patienceMs, Math.max(100, (call.answerBy - closedAt) / 1_000_000 - 500));
            }
            r.add("disconnect", disconnect);
            try {
                r.add("call", inFlight.get(patienceMs, TimeUnit.MILLISECONDS));
                r.addProperty("call_ended_ms", round3((ended.get() - closedAt) / 1e6));
            } catch (TimeoutException e) {
                inFlight.cancel(true); // as a hung op: interrupted and abandoned
                r.add("call", obj("pending", true));
                r.add("call_ended_ms", JsonNull.INSTANCE);
            }
            return null;
        });
        return r;
    }

    /** The error object of a failure: the driver's own answer as it is, anything else as the SDK's. */
    ErrorInfo errorOf(Throwable t) {
        return t instanceof OpError ? ((OpError) t).info : flavour.classify(t);
    }

    JsonObject openMany(Call call) throws Exception {
        JsonObject a = call.args;
        int count;
        int concurrency;
        double budget; // time_budget_seconds: past it, a task starts no connection (counted in not_attempted)
        try { // the driver's own loop parameters, not SDK values
            count = a.has("count") ? a.get("count").getAsInt() : 1;
            concurrency = a.has("concurrency") && !a.get("concurrency").isJsonNull() ? a.get("concurrency").getAsInt() : 16;
            budget = a.has("time_budget_seconds") && !a.get("time_budget_seconds").isJsonNull()
                    ? a.get("time_budget_seconds").getAsDouble() : 0;
        } catch (RuntimeException e) {
            throw new OpError(ErrorInfo.driver("param_error", "DriverTypeError",
                    "open_many: count, concurrency and time_budget_seconds must be numbers: " + e));
        }
        concurrency = Math.max(1, Math.min(concurrency, Math.max(1, count)));
        JsonObject connArgs = new JsonObject();
        for (String k : new String[]{"host", "port", "address", "uri", "user", "password", "token", "db_name", "secure", "timeout"}) {
            if (a.has(k)) {
                connArgs.add(k, a.get(k));
            }
        }
        ConnectArgs ca = new ConnectArgs(connArgs);
        long started = System.nanoTime();
        AtomicInteger notAttempted = new AtomicInteger();
        List<Double> latencies = new ArrayList<>(); // connect + verify, ms; guarded by mine
        long[] firstAt = {Long.MAX_VALUE}; // the first error is the earliest in time; guarded by firstAt
        AtomicInteger opened = new AtomicInteger();
        AtomicInteger verified = new AtomicInteger();
        AtomicInteger failed = new AtomicInteger();
        AtomicReference<ErrorInfo> firstError = new AtomicReference<>();
        AtomicReference<OpError> refused = new AtomicReference<>(); // a value the driver refused (same for all)
        List<Object> mine = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(concurrency, daemonFactory("open-many"));
        List<Future<?>> futs = new ArrayList<>();
        try {
            call.sdk(() -> {
                for (int i = 0; i < count; i++) {
                    futs.add(pool.submit(() -> {
                        if (budget != 0 && System.nanoTime() - started > budget * 1e9) {
                            notAttempted.incrementAndGet();
                            return;
                        }
                        long t0 = System.nanoTime();
                        Object client = null;
                        try {
                            client = flavour.open(ca, null).client;
                            synchronized (mine) {
                                mine.add(client);
                            }
                            opened.incrementAndGet();
                            flavour.serverVersion(client, null);
                            synchronized (mine) {
                                latencies.add((System.nanoTime() - t0) / 1e6);
                            }
                            verified.incrementAndGet();
                        } catch (OpError e) {
                            refused.set(e);
                        } catch (Throwable t) {
                            long at = System.nanoTime() - started;
                            failed.incrementAndGet();
                            ErrorInfo e = flavour.classify(t);
                            synchronized (firstAt) {
                                if (at < firstAt[0]) {
                                    firstAt[0] = at;
                                    firstError.set(e);
                                }
                            }
                        }
                    }));
                }
                for (Future<?> f : futs) {
                    f.get();
                }
                return null;
            });
        } finally {
            pool.shutdownNow();
            synchronized (many) {
                synchronized (mine) {
                    many.addAll(mine);
                }
            }
        }
        if (refused.get() != null) {
            throw refused.get();
        }
        JsonObject r = new JsonObject();
        r.addProperty("requested", count);
        r.addProperty("opened", opened.get());
        r.addProperty("verified", verified.get());
        r.addProperty("failed", failed.get());
        r.addProperty("not_attempted", notAttempted.get());
        r.addProperty("concurrency", concurrency);
        ErrorInfo fe = firstError.get();
        r.add("first_error", fe == null ? JsonNull.INSTANCE : fe.toJson());
        r.add("first_error_after_s", fe == null ? JsonNull.INSTANCE : new JsonPrimitive(round3(firstAt[0] / 1e9)));
        // nearest-rank quantiles, as the Python driver computes them
        latencies.sort(null);
        int n = latencies.size();
        r.add("latency_p50_ms", n == 0 ? JsonNull.INSTANCE : new JsonPrimitive(round3(latencies.get(n / 2))));
        r.add("latency_p99_ms", n == 0 ? JsonNull.INSTANCE : new JsonPrimitive(round3(latencies.get((int) (n * 0.99)))));
        return r;
    }

    static double round3(double x) {
        return Math.round(x * 1000) / 1000.0;
    }

    /** close_many (call: the request) and reset (call null): closes open_many's clients. */
    int closeMany(Call call) throws Exception {
        List<Object> todo;
        synchronized (many) {
            todo = new ArrayList<>(many);
            many.clear();
        }
        if (todo.isEmpty()) {
            return 0; // no SDK call: answered_by driver
        }
        Callable<Integer> closeAll = () -> {
            ExecutorService pool = Executors.newFixedThreadPool(Math.min(16, todo.size()), daemonFactory("close-many"));
            AtomicInteger closed = new AtomicInteger();
            try {
                List<Future<?>> futs = new ArrayList<>();
                for (Object c : todo) {
                    futs.add(pool.submit(() -> {
                        try {
                            flavour.close(c);
                            closed.incrementAndGet();
                        } catch (Throwable t) {
                            System.err.println("close_many: close failed: " + t);
                        }
                    }));
                }
                for (Future<?> f : futs) {
                    f.get();
                }
            } finally {
                pool.shutdownNow();
            }
            return closed.get();
        };
        return call != null ? call.sdk(closeAll) : closeAll.call();
    }

    /** reset: closes every client the driver holds and forgets every alias (a fresh process). */
    int closeEverything() throws Exception {
        List<Object> open = new ArrayList<>();
        synchronized (aliases) {
            for (Conn c : aliases.values()) {
                if (!c.closed) {
                    open.add(c.client);
                }
            }
            open.addAll(replaced);
            aliases.clear();
            replaced.clear();
        }
        for (Object client : open) {
            try {
                flavour.close(client);
            } catch (Throwable t) {
                System.err.println("reset: close failed: " + t);
            }
        }
        return open.size() + closeMany(null);
    }

    JsonObject success(JsonElement id, double elapsed, List<String> warnings, JsonObject result, boolean byDriver) {
        JsonObject r = new JsonObject();
        r.add("id", id);
        r.addProperty("ok", true);
        r.addProperty("answered_by", byDriver ? "driver" : "sdk");
        r.add("result", result == null ? new JsonObject() : result);
        r.addProperty("elapsed_ms", elapsed);
        r.add("warnings", gson.toJsonTree(snapshot(warnings)));
        return r;
    }

    JsonObject failure(JsonElement id, double elapsed, List<String> warnings, ErrorInfo info) {
        JsonObject r = new JsonObject();
        r.add("id", id);
        r.addProperty("ok", false);
        r.addProperty("answered_by", info.byDriver ? "driver" : "sdk");
        r.addProperty("elapsed_ms", elapsed);
        r.add("warnings", gson.toJsonTree(snapshot(warnings)));
        r.add("error", info.toJson());
        return r;
    }

    private static List<String> snapshot(List<String> w) {
        synchronized (w) {
            return new ArrayList<>(w);
        }
    }

    static JsonObject obj(String k, Object v) {
        JsonObject o = new JsonObject();
        if (v instanceof Number) {
            o.addProperty(k, (Number) v);
        } else if (v instanceof Boolean) {
            o.addProperty(k, (Boolean) v);
        } else {
            o.addProperty(k, v == null ? null : v.toString());
        }
        return o;
    }

    static ThreadFactory daemonFactory(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
