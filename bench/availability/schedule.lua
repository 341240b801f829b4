-- wrk script: GET /api/v1/artists/{id}/schedule?from&to, cycling through a list of windows.
--
-- Environment (set by ./run):
--   BENCH_TOKEN     a JWT of the artist's tenant (viewer)
--   BENCH_ARTIST    the artist id
--   BENCH_WINDOWS   a file of windows, "from to" per line (load.mjs windows)
--   BENCH_SEED      shuffles the order (the same seed gives the same order)
--   BENCH_THREADS   wrk's -t: thread t (1-based) asks for the windows i with
--                   i % BENCH_THREADS == t - 1, in its own shuffled order, then again
-- So the first len(windows) requests of a run are distinct windows; a longer run repeats them
-- in the same order. No response() callback: wrk then hands no bodies to Lua.
-- done() prints one machine-readable line for ./run:
--   BENCH requests=N duration_us=N non2xx=N errors=N p50_us=N p90_us=N p99_us=N mean_us=N max_us=N

local thread_counter = 0

function setup(thread)
  thread_counter = thread_counter + 1
  thread:set("thread_index", thread_counter)
end

local paths = {}
local sent = 0

function init(args)
  local nthreads = tonumber(os.getenv("BENCH_THREADS") or "1")
  local artist = os.getenv("BENCH_ARTIST")
  local i = 0
  for line in io.lines(os.getenv("BENCH_WINDOWS")) do
    local from, to = line:match("^(%S+) (%S+)$")
    if from then
      if i % nthreads == thread_index - 1 then
        paths[#paths + 1] = "/api/v1/artists/" .. artist .. "/schedule?from=" .. from .. "&to=" .. to
      end
      i = i + 1
    end
  end
  math.randomseed(tonumber(os.getenv("BENCH_SEED") or "1") * 1000 + thread_index)
  for k = #paths, 2, -1 do -- Fisher-Yates
    local j = math.random(k)
    paths[k], paths[j] = paths[j], paths[k]
  end
  wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
  wrk.headers["Accept"] = "application/json"
end

function request()
  sent = sent + 1
  return wrk.format("GET", paths[((sent - 1) % #paths) + 1])
end

function done(summary, latency, requests)
  io.write(string.format(
    "BENCH requests=%d duration_us=%d non2xx=%d errors=%d p50_us=%d p90_us=%d p99_us=%d mean_us=%.1f max_us=%d\n",
    summary.requests,
    summary.duration,
    summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50),
    latency:percentile(90),
    latency:percentile(99),
    latency.mean,
    latency.max
  ))
end
