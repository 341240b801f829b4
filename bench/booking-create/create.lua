-- wrk script: POST /api/v1/bookings (a hold) with a unique, non-overlapping range per request.
--
-- Environment (set by ./run):
--   BENCH_TOKEN       booker JWT
--   BENCH_ARTISTS     comma-separated artist ids; wrk thread t (1-based) books the artists whose
--                     index i satisfies i % BENCH_THREADS == t - 1, round robin, so two threads
--                     never share an artist and a thread's requests in flight (at most its
--                     connections) hit different artists whenever it owns more artists than
--                     connections: no request waits on another's artist lock
--   BENCH_THREADS     wrk's -t
--   BENCH_BASE_EPOCH  start of the first slot (seconds since the epoch, in the future)
-- Each artist's k-th booking is [base + k days, base + k days + 1 h): ranges never overlap, and an
-- artist has one booking a day (as pgbench's hold_create.sql).
-- done() prints one machine-readable line for ./run:
--   BENCH requests=N duration_us=N non2xx=N errors=N p50_us=N p90_us=N p99_us=N max_us=N

local thread_counter = 0

function setup(thread)
  thread_counter = thread_counter + 1
  thread:set("thread_index", thread_counter)
end

local mine = {}
local n = 0
local base = 0
local headers = {}

function init(args)
  local threads = tonumber(os.getenv("BENCH_THREADS"))
  local i = 0
  for id in string.gmatch(os.getenv("BENCH_ARTISTS"), "[^,]+") do
    if i % threads == thread_index - 1 then
      mine[#mine + 1] = id
    end
    i = i + 1
  end
  base = tonumber(os.getenv("BENCH_BASE_EPOCH"))
  headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
  headers["Content-Type"] = "application/json"
end

function request()
  local artist = mine[(n % #mine) + 1]
  local start = base + math.floor(n / #mine) * 86400
  n = n + 1
  local body = string.format(
    '{"artistId":"%s","startTime":"%s","endTime":"%s"}',
    artist,
    os.date("!%Y-%m-%dT%H:%M:%SZ", start),
    os.date("!%Y-%m-%dT%H:%M:%SZ", start + 3600)
  )
  return wrk.format("POST", "/api/v1/bookings", headers, body)
end

function done(summary, latency, requests)
  io.write(string.format(
    "BENCH requests=%d duration_us=%d non2xx=%d errors=%d p50_us=%d p90_us=%d p99_us=%d max_us=%d\n",
    summary.requests,
    summary.duration,
    summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50),
    latency:percentile(90),
    latency:percentile(99),
    latency.max
  ))
end
