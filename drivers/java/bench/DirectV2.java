// The no-harness baseline of `python -m conformance.bench` for the `java-v2` driver:
// its server_version op, MilvusClientV2.getServerVersion(), made directly in a plain
// program (the loop and timing are DirectLoop's), started by
// `run.sh BUILD_DIR v2 --bench-direct HOST PORT CALLS` with the driver's JVM flags.
// The client connects as the driver's connect op does with only host and port
// (the URI "http://HOST:PORT").

import io.milvus.v2.client.ConnectConfig;
import io.milvus.v2.client.MilvusClientV2;

public class DirectV2 {

    public static void main(String[] args) {
        try {
            MilvusClientV2 client = new MilvusClientV2(
                    ConnectConfig.builder().uri("http://" + args[0] + ":" + args[1]).build());
            try {
                DirectLoop.run("MilvusClientV2.getServerVersion", Integer.parseInt(args[2]),
                        client::getServerVersion);
            } finally {
                client.close();
            }
        } catch (Exception e) {
            DirectLoop.fail("DirectV2", e);
        }
        System.exit(0);
    }
}
