-- The task page GET of bench/http.ts for wrk (`--load wrk`), the lighter of the two load
-- generators the bench may use: one thread of a C program spends less of the shared two cores
-- than autocannon's JavaScript does. Requests go in turn to each target's task page, with the
-- target's session cookie and an X-Forwarded-For address of its own out of 1,000, as
-- bench/http-load.ts sends them.
--
--   wrk -t 1 -c 16 -d 15s -s bench/wrk-page.lua URL -- TARGETS.tsv GZIP(0|1)
--
-- TARGETS.tsv: one "assignmentId<TAB>cookie" line per target. Prints one JSON line in the shape
-- bench/http-load.ts prints (latency in ms, from wrk's histogram of every response).

local targets = {}
local gzip = false
local sent = 0
statuses = {}

function init(args)
  for line in io.lines(args[1]) do
    local id, cookie = line:match("^(%S+)\t(.*)$")
    if id then targets[#targets + 1] = { path = "/tasks/" .. id, cookie = cookie } end
  end
  gzip = args[2] == "1"
end

local function address(n)
  return string.format("10.%d.%d.%d", math.floor(n / 65536) % 256, math.floor(n / 256) % 4, n % 256)
end

function request()
  local target = targets[(sent % #targets) + 1]
  local headers = {
    ["Cookie"] = target.cookie,
    ["X-Forwarded-For"] = address(sent % 1000),
    ["Accept"] = "text/html",
  }
  if gzip then headers["Accept-Encoding"] = "gzip, deflate, br" end
  sent = sent + 1
  return wrk.format("GET", target.path, headers)
end

function response(status)
  statuses[status] = (statuses[status] or 0) + 1
end

local threads = {}

function setup(thread)
  threads[#threads + 1] = thread
end

function done(summary, latency)
  local counted = {}
  local answered = 0
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses")) do
      counted[#counted + 1] = string.format('"%d":%d', status, n)
      answered = answered + n
    end
  end
  local seconds = summary.duration / 1e6
  local errors = summary.errors
  io.write(string.format(
    '{"requests":%d,"seconds":%.3f,"rps":%.1f,"p50":%.2f,"p95":%.2f,"p99":%.2f,"max":%.2f,"statuses":{%s},"errors":%d,"timeouts":%d}\n',
    answered, seconds, answered / seconds,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, table.concat(counted, ","),
    errors.connect + errors.read + errors.write + errors.status, errors.timeout))
end
