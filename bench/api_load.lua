-- The coverage look-up's load, for wrk (Debian's `wrk`, a C load generator, so the load costs
-- the 2 cores little): every request a POST /api/v1/coverage with {"nik": …} drawn at random
-- from the sample and the bench token, over persistent connections, as nginx's upstream pool
-- (deploy/nginx/jaring.conf: keepalive) reaches gunicorn in production.
-- Reads BENCH_TOKEN and BENCH_NIKS (a file with one NIK per line); prints one JSON line at the
-- end: the answered requests (status < 400), every other outcome (an error status, a socket
-- error, a time-out), the answered requests per second, and the latency percentiles (wrk times
-- from the request written to the response read).

local niks = {}
local thread_count = 0

function setup(thread)
  thread_count = thread_count + 1
  thread:set("seed", thread_count)
end

function init(args)
  for line in io.lines(os.getenv("BENCH_NIKS")) do
    if #line > 0 then
      niks[#niks + 1] = line
    end
  end
  math.randomseed(seed or 1)
  wrk.method = "POST"
  wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  local body = '{"nik": "' .. niks[math.random(#niks)] .. '"}'
  return wrk.format(nil, "/api/v1/coverage", nil, body)
end

function done(summary, latency, requests)
  local e = summary.errors
  local failed = e.connect + e.read + e.write + e.status + e.timeout
  local ok = summary.requests - e.status  -- wrk counts a response of status 400 or more here
  io.write(string.format(
    '{"requests": %d, "errors": %d, "rps": %.1f, "p50_ms": %.2f, "p99_ms": %.2f}\n',
    ok, failed, ok / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
