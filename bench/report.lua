-- wrk report: one machine-readable line (latencies in microseconds), read by bench/run.py.
done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.status + summary.errors.timeout
  io.write(string.format("BENCH requests=%d duration_us=%d p50=%d p95=%d p99=%d errors=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), errors))
end
