// A separate process that runs autocannon on request (over the IPC channel),
// so the load generator does not share an event loop with the bench driver.
import autocannon from "autocannon";

process.on("message", async ({ id, options }) => {
  try {
    const result = await autocannon({ ...options, setupClient: undefined });
    process.send({
      id,
      result: {
        total: result.requests.total,
        duration: result.duration,
        latency: result.latency,
        errors: result.errors,
        timeouts: result.timeouts,
        non2xx: result.non2xx,
        statusCodeStats: result.statusCodeStats,
        bytes: result.throughput.total,
      },
    });
  } catch (error) {
    process.send({ id, error: String(error?.stack ?? error) });
  }
});
process.on("disconnect", () => process.exit(0));
