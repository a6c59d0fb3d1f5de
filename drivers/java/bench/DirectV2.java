// The no-harness baseline of `python -m conformance.bench` for the `java-v2` driver:
// its server_version op, MilvusClientV2.getServerVersion(), made directly in a plain
// program. A single-file source program:
//
//   java <run.sh's JVM flags> -cp "BUILD_DIR/lib/*" DirectV2.java HOST PORT CALLS
//
// Connects one client as the driver's connect op does with only host and port (the
// URI "http://HOST:PORT"), makes CALLS warm-up calls (as the bench warms the driver up), then CALLS timed ones, and prints
// as its last stdout line
// {"median_ms": ..., "calls": ..., "call": "MilvusClientV2.getServerVersion"}.

import io.milvus.v2.client.ConnectConfig;
import io.milvus.v2.client.MilvusClientV2;

import java.util.Arrays;

public class DirectV2 {

    public static void main(String[] args) {
        try {
            String host = args[0];
            String port = args[1];
            int calls = Integer.parseInt(args[2]);
            MilvusClientV2 client = new MilvusClientV2(
                    ConnectConfig.builder().uri("http://" + host + ":" + port).build());
            try {
                for (int i = 0; i < calls; i++) {
                    client.getServerVersion();
                }
                double[] times = new double[calls];
                for (int i = 0; i < calls; i++) {
                    long began = System.nanoTime();
                    client.getServerVersion();
                    times[i] = (System.nanoTime() - began) / 1e6;
                }
                Arrays.sort(times);
                double median = calls % 2 == 1 ? times[calls / 2] : (times[calls / 2 - 1] + times[calls / 2]) / 2;
                System.out.println("{\"median_ms\": " + Math.round(median * 1e4) / 1e4 + ", \"calls\": " + calls
                        + ", \"call\": \"MilvusClientV2.getServerVersion\"}");
            } finally {
                client.close();
            }
        } catch (Exception e) {
            System.err.println("DirectV2: " + e.getClass().getSimpleName() + ": " + String.valueOf(e.getMessage()).split("\n")[0]);
            System.exit(1);
        }
        System.exit(0);
    }
}
