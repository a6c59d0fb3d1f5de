// The timing loop of the bench's plain programs (DirectV1, DirectV2), which only
// say how their SDK connects and calls. None of the driver's code is involved:
// this is the no-harness baseline of `python -m conformance.bench`.

import java.util.Arrays;

public class DirectLoop {

    /** One SDK call (or the connect and close pair) that a driver op makes. */
    public interface SdkCall {
        void call() throws Exception;
    }

    /** Opens one client as the driver's connect op does with only host and port. */
    public interface Open<C> {
        C open() throws Exception;
    }

    /** An SDK call on a client: the server_version op's call, or close (the disconnect op's). */
    public interface Use<C> {
        void use(C client) throws Exception;
    }

    /** The workload named by the optional 4th argument (after HOST PORT CALLS): server_version (the
     *  default) times {@code call} on one open client; connect_disconnect times {@code open} and
     *  {@code close}, with no other client open (as the driver's connect steps run). */
    public static <C> void run(String[] args, String callName, Use<C> call, String connectName, Open<C> open,
                               Use<C> close) throws Exception {
        int calls = Integer.parseInt(args[2]);
        String workload = args.length > 3 ? args[3] : "server_version";
        switch (workload) {
            case "server_version":
                C client = open.open();
                try {
                    run(callName, calls, () -> call.use(client));
                } finally {
                    close.use(client);
                }
                break;
            case "connect_disconnect":
                run(connectName, calls, () -> close.use(open.open()));
                break;
            default:
                throw new IllegalArgumentException("unknown workload \"" + workload + "\"");
        }
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
