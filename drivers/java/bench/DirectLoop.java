// The timing loop of the bench's plain programs (DirectV1, DirectV2), which only
// say how their SDK connects and calls. None of the driver's code is involved:
// this is the no-harness baseline of `python -m conformance.bench`.

import java.util.Arrays;

public class DirectLoop {

    /** One SDK call, the one the driver's server_version op makes. */
    public interface SdkCall {
        void call() throws Exception;
    }

    /** CALLS warm-up calls (as the bench warms the driver up), then CALLS timed ones, each timed alone;
     *  prints {"median_ms": ..., "calls": ..., "call": name} as the last stdout line. */
    public static void run(String name, int calls, SdkCall call) throws Exception {
        for (int i = 0; i < calls; i++) {
            call.call();
        }
        double[] times = new double[calls];
        for (int i = 0; i < calls; i++) {
            long began = System.nanoTime();
            call.call();
            times[i] = (System.nanoTime() - began) / 1e6;
        }
        Arrays.sort(times);
        double median = calls % 2 == 1 ? times[calls / 2] : (times[calls / 2 - 1] + times[calls / 2]) / 2;
        System.out.println("{\"median_ms\": " + Math.round(median * 1e4) / 1e4 + ", \"calls\": " + calls
                + ", \"call\": \"" + name + "\"}");
    }

    /** A failure: one line on stderr, exit 1. */
    public static void fail(String program, Exception e) {
        System.err.println(program + ": " + e.getClass().getSimpleName() + ": "
                + String.valueOf(e.getMessage()).split("\n")[0]);
        System.exit(1);
    }
}
