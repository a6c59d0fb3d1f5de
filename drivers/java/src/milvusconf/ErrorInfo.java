package milvusconf;

import com.google.gson.JsonNull;
import com.google.gson.JsonObject;

/** One protocol error object: category + the raw type, code and message, and who answered. */
final class ErrorInfo {
    final String category;
    final String type;
    final Integer code;
    final String message;
    /** Extra raw detail: the cause chain (type: message), innermost last. */
    String causes;
    /** The gRPC status code found in the error, if any (raw, e.g. "UNAVAILABLE"). */
    String grpcStatus;
    /** V2 only: the server's error code inside a MilvusClientException. */
    Integer serverCode;
    /** true when the driver answered without the SDK deciding (answered_by: driver). */
    boolean byDriver;

    ErrorInfo(String category, String type, Integer code, String message) {
        this.category = category;
        this.type = type;
        this.code = code;
        this.message = message;
    }

    /** An answer the driver gives itself (answered_by: driver): the message says why. */
    static ErrorInfo driver(String category, String type, String message) {
        ErrorInfo info = new ErrorInfo(category, type, null, message);
        info.byDriver = true;
        return info;
    }

    JsonObject toJson() {
        JsonObject o = new JsonObject();
        o.addProperty("category", category);
        o.addProperty("type", type);
        if (code == null) {
            o.add("code", JsonNull.INSTANCE);
        } else {
            o.addProperty("code", code);
        }
        o.addProperty("message", message);
        if (grpcStatus != null) {
            o.addProperty("grpc_status", grpcStatus);
        }
        if (serverCode != null) {
            o.addProperty("server_code", serverCode);
        }
        if (causes != null) {
            o.addProperty("causes", causes);
        }
        return o;
    }
}
