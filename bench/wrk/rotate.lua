-- GETs rotating over the paths in the file named by BENCH_PATHS (one a line), each thread from
-- its own offset; prints a JSON summary line at the end for bench/run.py. With BENCH_UNIQUE set,
-- every request gets a query parameter no other request has, so no cached answer can serve it
-- (the shop's render cost).
local paths = {}
for line in io.lines(os.getenv("BENCH_PATHS")) do
  paths[#paths + 1] = line
end
local counter = 1
local extra_headers = os.getenv("BENCH_HEADER")
local unique = os.getenv("BENCH_UNIQUE")
local threads = 0
local sent = 0

function setup(thread)
  threads = threads + 1
  thread:set("offset", math.random(#paths))
  thread:set("thread_id", threads)
end

function init(args)
  counter = tonumber(offset or 1)
  if extra_headers then
    local name, value = extra_headers:match("^([^:]+):%s*(.*)$")
    wrk.headers[name] = value
  end
end

function request()
  counter = counter % #paths + 1
  local path = paths[counter]
  if unique then
    sent = sent + 1
    local join = path:find("?", 1, true) and "&" or "?"
    path = string.format("%s%s_bench=%d-%d", path, join, thread_id or 0, sent)
  end
  return wrk.format("GET", path)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "non2xx": %d, "connect": %d, "read": %d, "write": %d, '
      .. '"timeout": %d, "p50_us": %d, "p99_us": %d, "max_us": %d}\n',
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end
