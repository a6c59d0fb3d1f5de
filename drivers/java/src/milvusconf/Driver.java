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
    static final int PROTOCOL = 1;

    private final Flavour flavour;
    private final PrintStream out;
    private final Gson gson = new GsonBuilder().disableHtmlEscaping().serializeNulls().create();

    /** alias -> connection; a disconnected client stays here (closed) so that later
     *  calls on that alias reach the SDK's own closed-client behaviour. */
    private final Map<String, Conn> aliases = new LinkedHashMap<>();
    /** clients opened by open_many, closed by close_many / reset. */
    private final List<Object> many = new ArrayList<>();

    /** Each op runs on a worker thread so the driver can answer even if an SDK call
     *  hangs past the request's deadline (a hung thread is abandoned). */
    private final ExecutorService opRunner = Executors.newCachedThreadPool(daemonFactory("op"));

    static final class Conn {
        final Object client;
        boolean closed;
        final String fingerprint;

        Conn(Object client, String fingerprint) {
            this.client = client;
            this.fingerprint = fingerprint;
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
        Future<JsonObject> fut = opRunner.submit(() -> dispatch(op, call));
        try {
            JsonObject result = deadlineMs > 0 ? fut.get(deadlineMs, TimeUnit.MILLISECONDS) : fut.get();
            return success(id, call.elapsedMs(), call.warnings, result);
        } catch (TimeoutException e) {
            fut.cancel(true);
            return failure(id, call.elapsedMs(), call.warnings, ErrorInfo.driver("unknown", "DriverDeadline",
                    "the SDK call did not return within deadline_ms=" + deadlineMs
                            + "; the driver gave up waiting (the SDK itself raised nothing)"));
        } catch (ExecutionException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            ErrorInfo info;
            if (cause instanceof OpError) {
                info = ((OpError) cause).info;
            } else {
                info = flavour.classify(cause);
            }
            return failure(id, call.elapsedMs(), call.warnings, info);
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

        Call(JsonObject args) {
            this.args = args;
        }

        /** Times an SDK call; the elapsed time counts even when it throws. */
        <T> T sdk(Callable<T> c) throws Exception {
            long t0 = System.nanoTime();
            openedAt = t0;
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
            case "open_many":
                return openMany(call);
            case "close_many":
                return obj("closed", closeMany());
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

    static String alias(Call call) {
        JsonElement a = call.args.get("alias");
        if (a == null || a.isJsonNull()) {
            return "default";
        }
        if (a.isJsonPrimitive() && a.getAsJsonPrimitive().isString()) {
            return a.getAsString();
        }
        // The Java SDK has no alias parameter: the alias only names the driver's variable.
        call.warn("driver: alias " + a + " is not a string; the Java SDK has no alias, so the driver keys its map by "
                + a.toString());
        return a.toString();
    }

    JsonObject connect(Call call) throws Exception {
        String alias = alias(call);
        ConnectArgs ca = new ConnectArgs(call.args, call);
        Conn previous = aliases.get(alias);
        Flavour.Opened opened = flavour.open(ca, call);
        Conn conn = new Conn(opened.client, ca.fingerprint());
        JsonObject r = new JsonObject();
        r.addProperty("address", opened.address);
        if (previous != null) {
            // No alias registry in the SDK: a second connect on the same alias is a new
            // client object replacing the old one (which the driver closes).
            r.addProperty("replaced", true);
            r.addProperty("same_parameters", previous.fingerprint.equals(conn.fingerprint));
            if (!previous.closed) {
                try {
                    call.sdk(() -> {
                        flavour.close(previous.client);
                        return null;
                    });
                } catch (Exception e) {
                    call.warn("driver: closing the replaced client failed: " + e);
                }
            }
        }
        aliases.put(alias, conn);
        return r;
    }

    JsonObject disconnect(Call call) throws Exception {
        String alias = alias(call);
        Conn conn = aliases.get(alias);
        if (conn == null) {
            call.warn("driver: no client for alias '" + alias + "'; nothing to close (the Java SDK has no alias registry)");
            return new JsonObject();
        }
        call.sdk(() -> {
            flavour.close(conn.client);
            return null;
        });
        if (conn.closed) {
            call.warn("driver: alias '" + alias + "' was already closed; close() was called again");
        }
        conn.closed = true;
        return new JsonObject();
    }

    JsonObject serverVersion(Call call) throws Exception {
        String alias = alias(call);
        Conn conn = aliases.get(alias);
        if (conn == null) {
            throw new OpError(ErrorInfo.driver("not_connected", "NoClientForAlias",
                    "no client was ever created for alias '" + alias + "' (driver-side map; the Java SDK has no alias registry)"));
        }
        if (conn.closed) {
            call.warn("driver: alias '" + alias + "' was closed; calling the SDK on the closed client");
        }
        String v = call.sdk(() -> flavour.serverVersion(conn.client));
        return obj("version", v);
    }

    JsonObject openMany(Call call) throws Exception {
        JsonObject a = call.args;
        int count = a.has("count") ? a.get("count").getAsInt() : 1;
        int concurrency = a.has("concurrency") && !a.get("concurrency").isJsonNull() ? a.get("concurrency").getAsInt() : 16;
        concurrency = Math.max(1, Math.min(concurrency, Math.max(1, count)));
        JsonObject connArgs = new JsonObject();
        for (String k : new String[]{"host", "port", "address", "uri", "user", "password", "token", "db_name", "secure", "timeout"}) {
            if (a.has(k)) {
                connArgs.add(k, a.get(k));
            }
        }
        ConnectArgs ca = new ConnectArgs(connArgs, call);
        // time_budget_seconds: past it, a task starts no connection (counted in not_attempted)
        double budget = a.has("time_budget_seconds") && !a.get("time_budget_seconds").isJsonNull()
                ? a.get("time_budget_seconds").getAsDouble() : 0;
        long started = System.nanoTime();
        AtomicInteger notAttempted = new AtomicInteger();
        List<Double> latencies = new ArrayList<>(); // connect + verify, ms; guarded by mine
        long[] firstAt = {Long.MAX_VALUE}; // the first error is the earliest in time; guarded by firstAt
        AtomicInteger opened = new AtomicInteger();
        AtomicInteger verified = new AtomicInteger();
        AtomicInteger failed = new AtomicInteger();
        AtomicReference<ErrorInfo> firstError = new AtomicReference<>();
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
                            flavour.serverVersion(client);
                            synchronized (mine) {
                                latencies.add((System.nanoTime() - t0) / 1e6);
                            }
                            verified.incrementAndGet();
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

    int closeMany() throws Exception {
        List<Object> todo;
        synchronized (many) {
            todo = new ArrayList<>(many);
            many.clear();
        }
        if (todo.isEmpty()) {
            return 0;
        }
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
    }

    int closeEverything() throws Exception {
        int n = 0;
        for (Conn c : aliases.values()) {
            if (!c.closed) {
                try {
                    flavour.close(c.client);
                } catch (Throwable t) {
                    System.err.println("reset: close failed: " + t);
                }
                c.closed = true;
                n++;
            }
        }
        aliases.clear();
        n += closeMany();
        return n;
    }

    JsonObject success(JsonElement id, double elapsed, List<String> warnings, JsonObject result) {
        JsonObject r = new JsonObject();
        r.add("id", id);
        r.addProperty("ok", true);
        r.add("result", result == null ? new JsonObject() : result);
        r.addProperty("elapsed_ms", elapsed);
        r.add("warnings", gson.toJsonTree(snapshot(warnings)));
        return r;
    }

    JsonObject failure(JsonElement id, double elapsed, List<String> warnings, ErrorInfo info) {
        JsonObject r = new JsonObject();
        r.add("id", id);
        r.addProperty("ok", false);
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
