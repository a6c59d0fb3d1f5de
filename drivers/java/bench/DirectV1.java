// The no-harness baseline of `python -m conformance.bench` for the `java` driver:
// its server_version op, MilvusServiceClient.getVersion() (or its connect and disconnect
// ops: new MilvusServiceClient, close()), made directly in a plain program (the loop and
// timing are DirectLoop's), started by
// `run.sh BUILD_DIR v1 --bench-direct HOST PORT CALLS [server_version|connect_disconnect]`
// with the driver's JVM flags.
// The client connects as the driver's connect op does with only host and port.

import io.milvus.client.MilvusServiceClient;
import io.milvus.grpc.GetVersionResponse;
import io.milvus.param.ConnectParam;
import io.milvus.param.R;

public class DirectV1 {

    public static void main(String[] args) {
        try {
            ConnectParam params = ConnectParam.newBuilder().withHost(args[0]).withPort(Integer.parseInt(args[1])).build();
            DirectLoop.run(args, "MilvusServiceClient.getVersion", client -> {
                R<GetVersionResponse> r = client.getVersion();
                if (r.getStatus() == null || r.getStatus() != R.Status.Success.getCode()) {
                    throw r.getException() != null ? r.getException()
                            : new Exception("getVersion() status " + r.getStatus());
                }
            }, "new MilvusServiceClient + close", () -> new MilvusServiceClient(params), MilvusServiceClient::close);
        } catch (Exception e) {
            DirectLoop.fail("DirectV1", e);
        }
        System.exit(0);
    }
}
