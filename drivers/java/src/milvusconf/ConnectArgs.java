package milvusconf;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;

import java.util.TreeMap;

/**
 * The connect arguments of one request, as JSON, with the conversions Java's
 * static types force on a driver. An argument absent from the request is
 * {@code has(k) == false}, and the flavours then never call the SDK's setter
 * for it, so that the SDK's own defaults apply.
 *
 * Java cannot pass a JSON string or number "as given" to a method typed
 * {@code int} or {@code String}. Where the conversion is the Java idiom
 * (a numeric string to an int port: {@link Integer#parseInt}), the driver does
 * it and reports the JDK's own exception when it fails. Where Java would not
 * even compile the call (a number as a host, null as an int port), the driver answers param_error
 * with type "DriverTypeError" and says so.
 */
final class ConnectArgs {
    private final JsonObject args;
    private final Driver.Call call;

    ConnectArgs(JsonObject args, Driver.Call call) {
        this.args = args;
        this.call = call;
    }

    /** Present in the request, possibly as JSON null (passed as Java null where the type allows). */
    boolean has(String k) {
        return args.has(k);
    }

    JsonElement raw(String k) {
        return args.get(k);
    }

    /** Called by open() for every request; call is null inside open_many. */
    void warn(Driver.Call c, String w) {
        if (c != null) {
            c.warn(w);
        }
    }

    /** A string parameter; JSON null is passed on as Java null (the SDK decides). */
    String string(String k) throws Driver.OpError {
        JsonElement e = args.get(k);
        if (e.isJsonNull()) {
            return null;
        }
        if (e.isJsonPrimitive() && e.getAsJsonPrimitive().isString()) {
            return e.getAsString();
        }
        throw typeError(k, "a string (the SDK's parameter is a java.lang.String)", e);
    }

    /** A port: a JSON integer, or a string converted with Integer.parseInt (may throw NumberFormatException). */
    int port(String k) throws Driver.OpError {
        JsonElement e = args.get(k);
        if (e.isJsonPrimitive()) {
            JsonPrimitive p = e.getAsJsonPrimitive();
            if (p.isNumber()) {
                double d = p.getAsDouble();
                if (d == Math.rint(d) && d >= Integer.MIN_VALUE && d <= Integer.MAX_VALUE) {
                    return (int) d;
                }
                throw typeError(k, "an integer that fits a Java int (the SDK's port is an int)", e);
            }
            if (p.isString()) {
                // The Java idiom for a textual port; a NumberFormatException propagates as is.
                return Integer.parseInt(p.getAsString());
            }
        }
        throw typeError(k, "an int or a numeric string (the SDK's port is an int)", e);
    }

    boolean bool(String k) throws Driver.OpError {
        JsonElement e = args.get(k);
        if (e.isJsonPrimitive() && e.getAsJsonPrimitive().isBoolean()) {
            return e.getAsBoolean();
        }
        throw typeError(k, "a boolean", e);
    }

    /** timeout in seconds (a JSON number) -> milliseconds. */
    long timeoutMs() throws Driver.OpError {
        JsonElement e = args.get("timeout");
        if (e.isJsonPrimitive() && e.getAsJsonPrimitive().isNumber()) {
            double s = e.getAsDouble();
            long ms = Math.round(s * 1000.0);
            if (ms == 0 && s > 0) {
                ms = 1;
            }
            return ms;
        }
        throw typeError("timeout", "a number of seconds", e);
    }

    /** Arguments the Java SDK has no parameter for: warn, never pass. */
    void warnUnsupported(Driver.Call c, String... keys) {
        for (String k : keys) {
            if (has(k)) {
                warn(c, "driver: '" + k + "' was given but the Java SDK has no such parameter; not passed");
            }
        }
    }

    /** Whether any TLS file argument (ca_cert, client_cert, client_key) or server_name was given. */
    boolean hasTlsFiles() {
        return has("ca_cert") || has("client_cert") || has("client_key") || has("server_name");
    }

    /**
     * Whether the request asks for two-way TLS (a client certificate or key). The Java SDK, like
     * pymilvus, reads serverPemPath as the trusted root for one-way TLS and caPemPath only together
     * with clientPemPath and clientKeyPath (two-way), so ca_cert goes to the setter of that mode.
     */
    boolean twoWayTls() {
        return has("client_cert") || has("client_key");
    }

    String fingerprint() {
        TreeMap<String, String> m = new TreeMap<>();
        for (String k : args.keySet()) {
            if (!k.equals("alias")) {
                m.put(k, args.get(k).toString());
            }
        }
        return m.toString();
    }

    static Driver.OpError typeError(String k, String expected, JsonElement got) {
        return new Driver.OpError(ErrorInfo.driver("param_error", "DriverTypeError",
                "'" + k + "' must be " + expected + "; got " + got
                        + " (rejected by the driver: Java would not compile this call)"));
    }
}
