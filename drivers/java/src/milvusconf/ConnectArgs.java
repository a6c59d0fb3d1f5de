package milvusconf;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;

import java.util.Arrays;
import java.util.List;

/**
 * The connect arguments of one request, as JSON. An argument absent from the
 * request is {@code has(k) == false}, and the flavours then never call the
 * SDK's setter for it, so that the SDK's own defaults apply.
 *
 * Java's setters are typed (String, int, boolean, long): a JSON value of that
 * type is passed as it is (JSON null as Java null for a String); any other
 * value cannot be written as that Java call, so the driver answers it itself
 * (param_error, type DriverTypeError, answered_by driver) and converts nothing.
 * drivers/java/repro.py writes the same literals and refuses the same values.
 */
final class ConnectArgs {
    private final JsonObject args;

    ConnectArgs(JsonObject args) {
        this.args = args;
    }

    boolean has(String k) {
        return args.has(k);
    }

    /** Refuses an argument the flavour has no SDK parameter for (never silently dropped). */
    void only(String sdkClass, String... known) throws Driver.OpError {
        List<String> ok = Arrays.asList(known);
        for (String k : args.keySet()) {
            if (!k.equals("alias") && !ok.contains(k)) {
                throw new Driver.OpError(ErrorInfo.driver("param_error", "DriverUnsupportedArg",
                        "'" + k + "' has no counterpart in " + sdkClass + " (the Java SDK's API cannot express it;"
                                + " not passed, refused by the driver)"));
            }
        }
    }

    /** A String parameter: a JSON string, or JSON null as Java null (the SDK decides). */
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

    /** A JSON string only (no null): what the driver composes a URI from. */
    String plainString(String k, String why) throws Driver.OpError {
        JsonElement e = args.get(k);
        if (e.isJsonPrimitive() && e.getAsJsonPrimitive().isString()) {
            return e.getAsString();
        }
        throw typeError(k, "a string (" + why + ")", e);
    }

    /** An int parameter: a JSON integer (written without fraction or exponent) that fits a Java int. */
    int integer(String k) throws Driver.OpError {
        JsonElement e = args.get(k);
        if (e.isJsonPrimitive() && e.getAsJsonPrimitive().isNumber()) {
            String text = e.getAsJsonPrimitive().getAsNumber().toString();
            if (text.matches("-?[0-9]+")) {
                try {
                    return Integer.parseInt(text); // the JSON integer itself, not a conversion of text
                } catch (NumberFormatException tooLarge) {
                    // falls through: beyond a Java int
                }
            }
        }
        throw typeError(k, "an integer that fits a Java int (the SDK's parameter is an int)", e);
    }

    boolean bool(String k) throws Driver.OpError {
        JsonElement e = args.get(k);
        if (e.isJsonPrimitive() && e.getAsJsonPrimitive().isBoolean()) {
            return e.getAsBoolean();
        }
        throw typeError(k, "a boolean (the SDK's parameter is a boolean)", e);
    }

    /** timeout in seconds (a JSON number) -> the milliseconds the SDK's setters take. */
    long timeoutMs() throws Driver.OpError {
        return timeoutMs(args.get("timeout"));
    }

    /** Seconds -> milliseconds, rounded; a positive timeout stays positive (0 ms means "none" to the SDK). */
    static long timeoutMs(JsonElement e) throws Driver.OpError {
        if (e.isJsonPrimitive() && e.getAsJsonPrimitive().isNumber()) {
            double s = e.getAsDouble();
            long ms = Math.round(s * 1000.0);
            return ms == 0 && s > 0 ? 1 : ms;
        }
        throw typeError("timeout", "a number of seconds", e);
    }

    /** Whether the request asks for two-way TLS (a client certificate or key). The Java SDK, like
     *  pymilvus, reads serverPemPath as the trusted root for one-way TLS and caPemPath only together
     *  with clientPemPath and clientKeyPath (two-way), so ca_cert goes to the setter of that mode. */
    boolean twoWayTls() {
        return has("client_cert") || has("client_key");
    }

    static Driver.OpError typeError(String k, String expected, JsonElement got) {
        return new Driver.OpError(ErrorInfo.driver("param_error", "DriverTypeError",
                "'" + k + "' must be " + expected + "; got " + got
                        + " (the Java SDK's API cannot express this value; refused by the driver, not converted)"));
    }
}
