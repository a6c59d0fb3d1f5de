// The no-harness baseline of `python -m conformance.bench` for the `java` driver:
// its server_version op, MilvusServiceClient.getVersion(), made directly in a plain
// program. A single-file source program:
//
//   java <run.sh's JVM flags> -cp "BUILD_DIR/lib/*" DirectV1.java HOST PORT CALLS
//
// Connects one client as the driver's connect op does with only host and port,
// makes CALLS warm-up calls (as the bench warms the driver up), then CALLS timed ones, and prints as its last stdout line
// {"median_ms": ..., "calls": ..., "call": "MilvusServiceClient.getVersion"}.

import io.milvus.client.MilvusServiceClient;
import io.milvus.grpc.GetVersionResponse;
import io.milvus.param.ConnectParam;
import io.milvus.param.R;

import java.util.Arrays;

public class DirectV1 {

    static void getVersion(MilvusServiceClient client) throws Exception {
        R<GetVersionResponse> r = client.getVersion();
        if (r.getStatus() == null || r.getStatus() != R.Status.Success.getCode()) {
            throw r.getException() != null ? r.getException() : new Exception("getVersion() status " + r.getStatus());
        }
    }

    public static void main(String[] args) {
        try {
            String host = args[0];
            int port = Integer.parseInt(args[1]);
            int calls = Integer.parseInt(args[2]);
            MilvusServiceClient client = new MilvusServiceClient(
                    ConnectParam.newBuilder().withHost(host).withPort(port).build());
            try {
                for (int i = 0; i < calls; i++) {
                    getVersion(client);
                }
                double[] times = new double[calls];
                for (int i = 0; i < calls; i++) {
                    long began = System.nanoTime();
                    getVersion(client);
                    times[i] = (System.nanoTime() - began) / 1e6;
                }
                Arrays.sort(times);
                double median = calls % 2 == 1 ? times[calls / 2] : (times[calls / 2 - 1] + times[calls / 2]) / 2;
                System.out.println("{\"median_ms\": " + Math.round(median * 1e4) / 1e4 + ", \"calls\": " + calls
                        + ", \"call\": \"MilvusServiceClient.getVersion\"}");
            } finally {
                client.close();
            }
        } catch (Exception e) {
            System.err.println("DirectV1: " + e.getClass().getSimpleName() + ": " + String.valueOf(e.getMessage()).split("\n")[0]);
            System.exit(1);
        }
        System.exit(0);
    }
}
