// The no-harness baseline of `python -m conformance.bench` for the `java-v2` driver:
// its server_version op, MilvusClientV2.getServerVersion() (or its connect and disconnect
// ops: new MilvusClientV2, close()), made directly in a plain program (the loop and timing
// are DirectLoop's), started by
// `run.sh BUILD_DIR v2 --bench-direct HOST PORT CALLS [server_version|connect_disconnect]`
// with the driver's JVM flags.
// The client connects as the driver's connect op does with only host and port
// (the URI "http://HOST:PORT").

import io.milvus.v2.client.ConnectConfig;
import io.milvus.v2.client.MilvusClientV2;

public class DirectV2 {

    public static void main(String[] args) {
        try {
            ConnectConfig config = ConnectConfig.builder().uri("http://" + args[0] + ":" + args[1]).build();
            DirectLoop.run(args, "MilvusClientV2.getServerVersion", MilvusClientV2::getServerVersion,
                    "new MilvusClientV2 + close", () -> new MilvusClientV2(config), MilvusClientV2::close);
        } catch (Exception e) {
            DirectLoop.fail("DirectV2", e);
        }
        System.exit(0);
    }
}
