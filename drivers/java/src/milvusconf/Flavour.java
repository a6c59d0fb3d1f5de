package milvusconf;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One client flavour of milvus-sdk-java: how to open, verify and close a client,
 * and how to read its errors. The shared error reading lives here; a flavour
 * adds what is specific to its exception classes.
 */
abstract class Flavour {
    /** A client the SDK opened, and its address as the SDK's parameters report it. */
    static final class Opened {
        final Object client;
        final String address;

        Opened(Object client, String address) {
            this.client = client;
            this.address = address;
        }
    }

    protected String buildDir;

    abstract String driverName();

    abstract String clientClass();

    abstract List<String> capabilities();

    /** Opens one client; {@code call} is null inside open_many (no warnings, timing is the caller's). */
    abstract Opened open(ConnectArgs args, Driver.Call call) throws Exception;

    /** One server round trip; returns the server's version string or throws. {@code timeoutMs}
     *  (null: none given) goes to the SDK's own per-call timeout, where the flavour has one. */
    abstract String serverVersion(Object client, Long timeoutMs) throws Exception;

    /** The names of the collections in the client's database (the SDK's own listing call). */
    abstract List<String> listCollections(Object client, Long timeoutMs) throws Exception;

    /** The SDK's CheckHealth call: healthy, reasons, and whatever else its response holds. */
    abstract JsonObject checkHealth(Object client, Long timeoutMs) throws Exception;

    abstract void close(Object client) throws Exception;

    /** Flavour-specific reading of an SDK exception; null to fall back to the shared rules. */
    abstract ErrorInfo classifySpecific(Throwable t);

    /** The class whose jar carries the SDK's Implementation-Version. */
    abstract Class<?> sdkAnchor();

    static Flavour load(String which, String buildDir) throws Exception {
        String cls;
        switch (which) {
            case "v1":
                cls = "milvusconf.V1Flavour";
                break;
            case "v2":
                cls = "milvusconf.V2Flavour";
                break;
            default:
                throw new IllegalArgumentException("unknown flavour " + which + " (v1 or v2)");
        }
        Flavour f = (Flavour) Class.forName(cls).getDeclaredConstructor().newInstance();
        f.buildDir = buildDir;
        return f;
    }

    /** The SDK version: build.json's sdk_version (covers local checkouts), else the jar manifest. */
    String sdkVersion() {
        if (buildDir != null) {
            try {
                Path p = Paths.get(buildDir, "build.json");
                if (Files.exists(p)) {
                    JsonObject o = JsonParser.parseString(new String(Files.readAllBytes(p), StandardCharsets.UTF_8)).getAsJsonObject();
                    if (o.has("sdk_version")) {
                        return o.get("sdk_version").getAsString();
                    }
                }
            } catch (Exception e) {
                System.err.println("could not read build.json: " + e);
            }
        }
        Package p = sdkAnchor().getPackage();
        String v = p == null ? null : p.getImplementationVersion();
        return v == null ? "unknown" : v;
    }

    // ---------------------------------------------------------------- errors

    private static final Pattern GRPC_CODE = Pattern.compile(
            "\\b(CANCELLED|UNKNOWN|INVALID_ARGUMENT|DEADLINE_EXCEEDED|NOT_FOUND|ALREADY_EXISTS|PERMISSION_DENIED"
                    + "|RESOURCE_EXHAUSTED|FAILED_PRECONDITION|ABORTED|OUT_OF_RANGE|UNIMPLEMENTED|INTERNAL|UNAVAILABLE"
                    + "|DATA_LOSS|UNAUTHENTICATED)\\b:?");

    ErrorInfo classify(Throwable t) {
        while ((t instanceof ExecutionException || t instanceof CompletionException) && t.getCause() != null) {
            t = t.getCause();
        }
        ErrorInfo info = classifySpecific(t);
        if (info == null) {
            info = classifyShared(t);
        }
        if (info.grpcStatus == null) {
            info.grpcStatus = grpcStatus(t);
        }
        info.causes = causeChain(t);
        return info;
    }

    /** Rules that hold for both flavours. */
    ErrorInfo classifyShared(Throwable t) {
        String type = t.getClass().getSimpleName();
        String msg = String.valueOf(t.getMessage());
        if (t instanceof IllegalArgumentException || t instanceof NullPointerException) {
            // Builder validation, URI parsing.
            return new ErrorInfo("param_error", type, null, msg);
        }
        String grpc = grpcStatus(t);
        if (t.getClass() == RuntimeException.class && msg.startsWith("Failed to initialize connection")
                && grpc == null) {
            // Both clients' constructors: the Connect RPC was answered with an error
            // status (e.g. "database not found"): the server refused, the transport was fine.
            return new ErrorInfo("internal", type, null, msg);
        }
        return new ErrorInfo(categoryFromText(grpc, msg), type, null, msg);
    }

    /** Category from a gRPC status code name and/or the message text. */
    static String categoryFromText(String grpc, String msg) {
        String m = msg == null ? "" : msg;
        String lower = m.toLowerCase();
        if (grpc == null) {
            Matcher mt = GRPC_CODE.matcher(m);
            if (mt.find()) {
                grpc = mt.group(1);
            }
        }
        if (lower.contains("auth check failure") || lower.contains("unauthenticated")
                || lower.contains("incorrect username or password")) {
            return "auth_failed";
        }
        if (grpc != null) {
            switch (grpc) {
                case "UNAVAILABLE":
                    return "unavailable";
                case "DEADLINE_EXCEEDED":
                    return "timeout";
                case "UNAUTHENTICATED":
                case "PERMISSION_DENIED":
                    return "auth_failed";
                case "CANCELLED":
                    return "unknown";
                default:
                    return "internal";
            }
        }
        if (lower.startsWith("retry timeout") || lower.contains("retry times, stop retry")) {
            return "timeout";
        }
        return "unknown";
    }

    /** The gRPC status code of the first io.grpc (possibly shaded) Status*Exception in the chain. */
    static String grpcStatus(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            String n = c.getClass().getSimpleName();
            if (n.equals("StatusRuntimeException") || n.equals("StatusException")) {
                try {
                    Method gs = c.getClass().getMethod("getStatus");
                    Object status = gs.invoke(c);
                    Object code = status.getClass().getMethod("getCode").invoke(status);
                    return String.valueOf(code);
                } catch (Exception ignored) {
                    // fall through to text
                }
            }
            if (c.getCause() == c) {
                break;
            }
        }
        String m = t.getMessage();
        if (m != null) {
            Matcher mt = GRPC_CODE.matcher(m);
            if (mt.find()) {
                return mt.group(1);
            }
        }
        return null;
    }

    static String causeChain(Throwable t) {
        StringBuilder sb = new StringBuilder();
        int depth = 0;
        for (Throwable c = t.getCause(); c != null && depth < 6; c = c.getCause(), depth++) {
            if (sb.length() > 0) {
                sb.append(" <- ");
            }
            sb.append(c.getClass().getName()).append(": ").append(c.getMessage());
            if (c.getCause() == c) {
                break;
            }
        }
        return sb.length() == 0 ? null : sb.toString();
    }
}
