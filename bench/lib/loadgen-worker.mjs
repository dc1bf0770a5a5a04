// A separate process that runs autocannon on request (over the IPC channel),
// so the load generator does not share an event loop with the bench driver.
//
// Extra option (functions cannot cross IPC): `rotateHeader: { name, values }`
// sends each request with the next value in turn, one counter shared by all
// connections (e.g. 1 000 distinct Bearer tokens round-robin).
import autocannon from "autocannon";

function rotating({ name, values }) {
  let next = 0;
  return [
    {
      setupRequest(request) {
        const value = values[next];
        next = next + 1 === values.length ? 0 : next + 1;
        return { ...request, headers: { ...request.headers, [name]: value } };
      },
    },
  ];
}

process.on("message", async ({ id, options }) => {
  try {
    const { rotateHeader, ...rest } = options;
    const result = await autocannon({
      ...rest,
      ...(rotateHeader ? { requests: rotating(rotateHeader) } : {}),
      setupClient: undefined,
    });
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
