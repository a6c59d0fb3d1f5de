package milvusconf;

import com.google.gson.JsonNull;
import com.google.gson.JsonObject;

/** One protocol error object: category + the raw type, code and message. */
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

    ErrorInfo(String category, String type, Integer code, String message) {
        this.category = category;
        this.type = type;
        this.code = code;
        this.message = message;
    }

    static ErrorInfo driver(String category, String type, String message) {
        return new ErrorInfo(category, type, null, message);
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
