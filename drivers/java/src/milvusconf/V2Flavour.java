package milvusconf;

import com.google.gson.Gson;
import com.google.gson.JsonObject;
import io.milvus.v2.client.ConnectConfig;
import io.milvus.v2.client.MilvusClientV2;
import io.milvus.v2.exception.MilvusClientException;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The V2 client of milvus-sdk-java (2.4+): {@code new MilvusClientV2(ConnectConfig.builder()
 * .uri("http://h:p").username(u).password(p).connectTimeoutMs(ms).build())},
 * {@code close()}, {@code getServerVersion()}. The constructor connects (Connect RPC).
 *
 * ConnectConfig takes one URI and nothing else for the address, so a string host and
 * an integer port are written into {@code "http://<host>:<port>"} (PROTOCOL section 5);
 * the SDK parses that URI itself.
 */
public final class V2Flavour extends Flavour {
    @Override
    String driverName() {
        return "java-v2";
    }

    @Override
    String clientClass() {
        return "io.milvus.v2.client.MilvusClientV2";
    }

    @Override
    List<String> capabilities() {
        List<String> caps = new ArrayList<>(Arrays.asList("connect.host_port", "connect.uri",
                "connect.user_password", "connect.token", "connect.db_name", "connect.timeout", "connect.secure",
                "connect.tls_certs", "disconnect", "server_version", "list_collections", "disconnect_during_call",
                "open_many"));
        if (CHECK_HEALTH != null) {
            caps.add("check_health");
        }
        return caps;
    }

    /** MilvusClientV2.checkHealth(): public since 2.5.8 (package-private before), so read reflectively. */
    private static final Method CHECK_HEALTH = publicMethod("checkHealth");

    private static Method publicMethod(String name) {
        try {
            return MilvusClientV2.class.getMethod(name);
        } catch (NoSuchMethodException e) {
            return null;
        }
    }

    @Override
    Class<?> sdkAnchor() {
        return MilvusClientV2.class;
    }

    /** The connect arguments ConnectConfig.Builder has a setter for, host + port composed into its uri. */
    static final String[] ARGS = {"host", "port", "uri", "user", "password", "token", "db_name", "secure",
            "ca_cert", "client_cert", "client_key", "server_name", "timeout"};

    /** The calls below are the ones drivers/java/repro.py writes (v2_setters), in the same order. */
    @Override
    Opened open(ConnectArgs a, Driver.Call call) throws Exception {
        a.only("ConnectConfig", ARGS);
        ConnectConfig.ConnectConfigBuilder b = ConnectConfig.builder();
        if (a.has("uri")) {
            b.uri(a.string("uri"));
        }
        if (a.has("host") || a.has("port")) {
            // ConnectConfig has no host or port: its uri, in the form the SDK's docs show, composed
            // only from a string host and an integer port (PROTOCOL section 5); nothing else is written.
            if (a.has("uri") || !a.has("host") || !a.has("port")) {
                throw new Driver.OpError(ErrorInfo.driver("param_error", "DriverUnsupportedArg",
                        "ConnectConfig takes one uri; the driver composes \"http://<host>:<port>\" only from both"
                                + " host and port, without a uri (refused by the driver)"));
            }
            String why = "it is written into ConnectConfig's uri \"http://<host>:<port>\"";
            b.uri("http://" + a.plainString("host", why) + ":" + a.integer("port"));
        }
        if (a.has("user")) {
            b.username(a.string("user"));
        }
        if (a.has("password")) {
            b.password(a.string("password"));
        }
        if (a.has("token")) {
            b.token(a.string("token"));
        }
        if (a.has("db_name")) {
            b.dbName(a.string("db_name"));
        }
        if (a.has("secure")) {
            b.secure(a.bool("secure"));
        }
        // ConnectConfig reads serverPemPath as the trusted root for one-way TLS and caPemPath only
        // with clientPemPath + clientKeyPath (two-way): ca_cert goes to the setter of that mode.
        if (a.has("ca_cert")) {
            if (a.twoWayTls()) {
                b.caPemPath(a.string("ca_cert"));
            } else {
                b.serverPemPath(a.string("ca_cert"));
            }
        }
        if (a.has("client_cert")) {
            b.clientPemPath(a.string("client_cert"));
        }
        if (a.has("client_key")) {
            b.clientKeyPath(a.string("client_key"));
        }
        if (a.has("server_name")) {
            b.serverName(a.string("server_name"));
        }
        if (a.has("timeout")) {
            b.connectTimeoutMs(a.timeoutMs());
        }
        ConnectConfig cfg;
        MilvusClientV2 client;
        if (call != null) {
            cfg = call.sdk(b::build);
            client = call.sdk(() -> new MilvusClientV2(cfg));
        } else {
            cfg = b.build();
            client = new MilvusClientV2(cfg);
        }
        String address;
        try {
            address = cfg.getHost() + ":" + cfg.getPort();
        } catch (RuntimeException e) {
            address = cfg.getUri();
        }
        return new Opened(client, address);
    }

    /** The calls take no per-call timeout (withTimeout() changes the whole client's rpc deadline for
     *  every later call), so server_version.timeout is not declared and timeoutMs is always null here:
     *  the driver refuses a timeout before any call. */
    @Override
    String serverVersion(Object client, Long timeoutMs) throws Exception {
        return ((MilvusClientV2) client).getServerVersion();
    }

    /** listCollections(): "the current database of the connection" (ConnectConfig.dbName). */
    @Override
    List<String> listCollections(Object client, Long timeoutMs) throws Exception {
        return ((MilvusClientV2) client).listCollections().getCollectionNames();
    }

    /** checkHealth() -> CheckHealthResp {isHealthy, reasons, quotaStates}, read reflectively (see CHECK_HEALTH). */
    @Override
    JsonObject checkHealth(Object client, Long timeoutMs) throws Exception {
        if (CHECK_HEALTH == null) { // check_health is not declared for such a version
            throw new Driver.OpError(ErrorInfo.driver("unsupported_op", "UnsupportedOp",
                    "this SDK version has no public MilvusClientV2.checkHealth() (refused by the driver)"));
        }
        Object resp = invoke(CHECK_HEALTH, client);
        JsonObject o = new JsonObject();
        o.add("healthy", GSON.toJsonTree(invoke(resp.getClass().getMethod("getIsHealthy"), resp)));
        o.add("reasons", GSON.toJsonTree(invoke(resp.getClass().getMethod("getReasons"), resp)));
        o.add("quota_states", GSON.toJsonTree(invoke(resp.getClass().getMethod("getQuotaStates"), resp)));
        return o;
    }

    private static final Gson GSON = new Gson();

    /** A reflective call, with the SDK's own exception rethrown as it was. */
    private static Object invoke(Method m, Object target) throws Exception {
        try {
            return m.invoke(target);
        } catch (InvocationTargetException e) {
            Throwable cause = e.getCause();
            throw cause instanceof Exception ? (Exception) cause : e;
        }
    }

    @Override
    void close(Object client) throws Exception {
        ((MilvusClientV2) client).close();
    }

    @Override
    ErrorInfo classifySpecific(Throwable t) {
        if (!(t instanceof MilvusClientException)) {
            return null;
        }
        MilvusClientException e = (MilvusClientException) t;
        String type = t.getClass().getSimpleName();
        String msg = String.valueOf(t.getMessage());
        String ec = e.getErrorCode() == null ? "" : e.getErrorCode().name();
        String grpc = grpcStatus(t);
        String cat;
        switch (ec) {
            case "INVALID_PARAMS":
                cat = "param_error";
                break;
            case "TIMEOUT":
                cat = "timeout";
                break;
            case "CLIENT_ERROR": {
                Throwable cause = t.getCause();
                if (cause != null) {
                    ErrorInfo inner = classifyShared(cause);
                    cat = inner.category;
                } else {
                    cat = categoryFromText(grpc, msg);
                }
                break;
            }
            case "SERVER_ERROR":
            case "COLLECTION_NOT_FOUND":
                cat = categoryFromText(grpc, msg);
                if (cat.equals("unknown")) {
                    cat = "internal";
                }
                break;
            default: // RPC_ERROR and anything newer
                cat = categoryFromText(grpc, msg);
        }
        ErrorInfo info = new ErrorInfo(cat, type, e.getErrorCode() == null ? null : e.getErrorCode().getCode(), msg);
        // getServerErrCode/getLegacyServerCode exist only in newer SDKs: read them reflectively.
        int server = intGetter(e, "getServerErrCode");
        if (server <= 0) {
            server = intGetter(e, "getLegacyServerCode");
        }
        if (server > 0) {
            info.serverCode = server;
        }
        info.grpcStatus = grpc;
        return info;
    }

    private static int intGetter(Object o, String name) {
        try {
            Object v = o.getClass().getMethod(name).invoke(o);
            return v instanceof Integer ? (Integer) v : 0;
        } catch (ReflectiveOperationException | RuntimeException ex) {
            return 0;
        }
    }
}
