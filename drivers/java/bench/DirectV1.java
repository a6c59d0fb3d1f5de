// The no-harness baseline of `python -m conformance.bench` for the `java` driver:
// its server_version op, MilvusServiceClient.getVersion(), made directly in a plain
// program (the loop and timing are DirectLoop's), started by
// `run.sh BUILD_DIR v1 --bench-direct HOST PORT CALLS` with the driver's JVM flags.
// The client connects as the driver's connect op does with only host and port.

import io.milvus.client.MilvusServiceClient;
import io.milvus.grpc.GetVersionResponse;
import io.milvus.param.ConnectParam;
import io.milvus.param.R;

public class DirectV1 {

    public static void main(String[] args) {
        try {
            MilvusServiceClient client = new MilvusServiceClient(
                    ConnectParam.newBuilder().withHost(args[0]).withPort(Integer.parseInt(args[1])).build());
            try {
                DirectLoop.run("MilvusServiceClient.getVersion", Integer.parseInt(args[2]), () -> {
                    R<GetVersionResponse> r = client.getVersion();
                    if (r.getStatus() == null || r.getStatus() != R.Status.Success.getCode()) {
                        throw r.getException() != null ? r.getException()
                                : new Exception("getVersion() status " + r.getStatus());
                    }
                });
            } finally {
                client.close();
            }
        } catch (Exception e) {
            DirectLoop.fail("DirectV1", e);
        }
        System.exit(0);
    }
}
