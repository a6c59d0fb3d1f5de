package milvusconf;

import io.milvus.client.MilvusClient;
import io.milvus.client.MilvusServiceClient;
import io.milvus.exception.ClientNotConnectedException;
import io.milvus.exception.MilvusException;
import io.milvus.exception.ParamException;
import com.google.gson.Gson;
import com.google.gson.JsonObject;
import io.milvus.grpc.CheckHealthResponse;
import io.milvus.grpc.GetVersionResponse;
import io.milvus.grpc.ShowCollectionsResponse;
import io.milvus.param.ConnectParam;
import io.milvus.param.R;
import io.milvus.param.collection.ShowCollectionsParam;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The doc's Java tab: {@code new MilvusServiceClient(ConnectParam.newBuilder()
 * .withHost(h).withPort(p).build())}, {@code close()}, {@code getVersion()}.
 * The constructor connects (it calls the Connect RPC), so connect errors surface
 * there; getVersion() returns an R whose status is checked as well.
 */
public final class V1Flavour extends Flavour {
    @Override
    String driverName() {
        return "java";
    }

    @Override
    String clientClass() {
        return "io.milvus.client.MilvusServiceClient";
    }

    @Override
    List<String> capabilities() {
        List<String> caps = new ArrayList<>(Arrays.asList("connect.host_port", "connect.uri",
                "connect.user_password", "connect.token", "connect.db_name", "connect.timeout", "connect.defaults",
                "connect.secure", "disconnect", "server_version", "server_version.timeout", "list_collections",
                "check_health", "disconnect_during_call", "open_many"));
        if (TLS_SETTERS.stream().allMatch(V1Flavour::hasSetter)) {
            caps.add("connect.tls_certs");
        }
        return caps;
    }

    /** ConnectParam.Builder's TLS file setters (read reflectively: old SDKs may lack them). */
    private static final List<String> TLS_SETTERS = Arrays.asList(
            "withServerPemPath", "withCaPemPath", "withClientPemPath", "withClientKeyPath", "withServerName");

    private static boolean hasSetter(String name) {
        try {
            ConnectParam.Builder.class.getMethod(name, String.class);
            return true;
        } catch (NoSuchMethodException e) {
            return false;
        }
    }

    private static void set(ConnectParam.Builder b, String setter, String value) throws Exception {
        try {
            ConnectParam.Builder.class.getMethod(setter, String.class).invoke(b, value);
        } catch (NoSuchMethodException e) {
            // connect.tls_certs is not declared for such a version; refused, never silently dropped
            throw new Driver.OpError(ErrorInfo.driver("param_error", "DriverUnsupportedArg",
                    "this SDK version has no ConnectParam.Builder." + setter + "(String) (refused by the driver)"));
        } catch (java.lang.reflect.InvocationTargetException e) {
            Throwable cause = e.getCause();
            throw cause instanceof Exception ? (Exception) cause : e;
        }
    }

    @Override
    Class<?> sdkAnchor() {
        return MilvusServiceClient.class;
    }

    /** The connect arguments ConnectParam.Builder has a setter for (the rest are refused). */
    static final String[] ARGS = {"host", "port", "uri", "user", "password", "token", "db_name", "secure",
            "ca_cert", "client_cert", "client_key", "server_name", "timeout"};

    /** The calls below are the ones drivers/java/repro.py writes (v1_setters), in the same order. */
    @Override
    Opened open(ConnectArgs a, Driver.Call call) throws Exception {
        a.only("ConnectParam", ARGS);
        ConnectParam.Builder b = ConnectParam.newBuilder();
        if (a.has("host")) {
            b.withHost(a.string("host"));
        }
        if (a.has("port")) {
            b.withPort(a.integer("port"));
        }
        if (a.has("uri")) {
            b.withUri(a.string("uri"));
        }
        if (a.has("user") != a.has("password")) {
            throw new Driver.OpError(ErrorInfo.driver("param_error", "DriverUnsupportedArg",
                    "ConnectParam.Builder.withAuthorization(user, password) takes both; the request gave only "
                            + (a.has("user") ? "user" : "password") + " (refused by the driver)"));
        }
        if (a.has("user")) {
            b.withAuthorization(a.string("user"), a.string("password"));
        }
        if (a.has("token")) {
            b.withToken(a.string("token"));
        }
        if (a.has("db_name")) {
            b.withDatabaseName(a.string("db_name"));
        }
        if (a.has("secure")) {
            if (call != null) {
                call.warn("sdk: ConnectParam.Builder.withSecure(boolean) is @Deprecated (since 2.3.6 TLS is auto-detected)");
            }
            b.withSecure(a.bool("secure"));
        }
        if (a.has("ca_cert")) {
            set(b, a.twoWayTls() ? "withCaPemPath" : "withServerPemPath", a.string("ca_cert"));
        }
        if (a.has("client_cert")) {
            set(b, "withClientPemPath", a.string("client_cert"));
        }
        if (a.has("client_key")) {
            set(b, "withClientKeyPath", a.string("client_key"));
        }
        if (a.has("server_name")) {
            set(b, "withServerName", a.string("server_name"));
        }
        if (a.has("timeout")) {
            b.withConnectTimeout(a.timeoutMs(), TimeUnit.MILLISECONDS);
        }
        ConnectParam p;
        MilvusServiceClient client;
        if (call != null) {
            p = call.sdk(b::build);
            client = call.sdk(() -> new MilvusServiceClient(p));
        } else {
            p = b.build();
            client = new MilvusServiceClient(p);
        }
        return new Opened(client, p.getHost() + ":" + p.getPort());
    }

    /** The client, through withTimeout(ms, MILLISECONDS) when the request gives a timeout: the SDK's
     *  per-call form (a copy of the client whose calls carry that deadline; the client is unchanged). */
    private static MilvusClient timed(Object client, Long timeoutMs) {
        MilvusClient c = (MilvusServiceClient) client;
        return timeoutMs == null ? c : c.withTimeout(timeoutMs, TimeUnit.MILLISECONDS);
    }

    /** An R's data, or its failure thrown (the calls report failures in the R, they do not throw). */
    private static <T> T data(R<T> r) throws RFailed {
        if (r.getStatus() == null || r.getStatus() != R.Status.Success.getCode()) {
            throw new RFailed(r);
        }
        return r.getData();
    }

    @Override
    String serverVersion(Object client, Long timeoutMs) throws Exception {
        R<GetVersionResponse> r = timed(client, timeoutMs).getVersion();
        return data(r).getVersion();
    }

    /** showCollections() with no names: every collection of the connection's database (withDatabaseName
     *  reaches the server as the client's dbname header; the request names no database). */
    @Override
    List<String> listCollections(Object client, Long timeoutMs) throws Exception {
        R<ShowCollectionsResponse> r = timed(client, timeoutMs).showCollections(ShowCollectionsParam.newBuilder().build());
        return new ArrayList<>(data(r).getCollectionNamesList());
    }

    @Override
    JsonObject checkHealth(Object client, Long timeoutMs) throws Exception {
        CheckHealthResponse h = data(timed(client, timeoutMs).checkHealth());
        JsonObject o = new JsonObject();
        o.addProperty("healthy", h.getIsHealthy());
        o.add("reasons", GSON.toJsonTree(new ArrayList<>(h.getReasonsList())));
        List<String> states = new ArrayList<>();
        h.getQuotaStatesList().forEach(q -> states.add(q.name()));
        o.add("quota_states", GSON.toJsonTree(states));
        return o;
    }

    private static final Gson GSON = new Gson();

    @Override
    void close(Object client) throws Exception {
        ((MilvusServiceClient) client).close();
    }

    /** A failed R: its status is the code, its exception the raw type and message. */
    static final class RFailed extends Exception {
        final R<?> r;

        RFailed(R<?> r) {
            super(r.getException() == null ? "R status " + r.getStatus() : r.getException().getMessage(), r.getException());
            this.r = r;
        }
    }

    @Override
    ErrorInfo classifySpecific(Throwable t) {
        if (t instanceof RFailed) {
            R<?> r = ((RFailed) t).r;
            Exception e = r.getException();
            ErrorInfo base = e == null
                    ? new ErrorInfo("unknown", "R", r.getStatus(), "R status " + r.getStatus())
                    : classifyInner(e);
            if (base == null) {
                base = classifyShared(e);
            }
            ErrorInfo info = new ErrorInfo(base.category, base.type, r.getStatus(), base.message);
            info.grpcStatus = e == null ? null : grpcStatus(e);
            return info;
        }
        return classifyInner(t);
    }

    private ErrorInfo classifyInner(Throwable t) {
        String type = t.getClass().getSimpleName();
        String msg = String.valueOf(t.getMessage());
        if (t instanceof ParamException) {
            return new ErrorInfo("param_error", type, ((ParamException) t).getStatus(), msg);
        }
        if (t instanceof ClientNotConnectedException) {
            return new ErrorInfo("not_connected", type, ((ClientNotConnectedException) t).getStatus(), msg);
        }
        if (t instanceof MilvusException) {
            // ServerException (the server answered an error status) and retry timeouts.
            Integer code = ((MilvusException) t).getStatus();
            String cat = categoryFromText(grpcStatus(t), msg);
            if (cat.equals("unknown") && type.equals("ServerException")) {
                cat = "internal";
            }
            return new ErrorInfo(cat, type, code, msg);
        }
        return null;
    }
}
