-- The load of bench/http.ts for wrk (`--load wrk`), the lighter of the two load generators the
-- bench may use: one thread of a C program spends less of the shared two cores than
-- autocannon's JavaScript does. It sends what bench/http-load.ts sends. Each request carries a
-- target's session cookie and an X-Forwarded-For address of its own out of 1,000.
--
-- get: each target's task page in turn, for the run's duration.
--
--   wrk -t 1 -c 16 -d 15s -s bench/wrk-load.lua URL -- get TARGETS.tsv GZIP(0|1)
--
--   TARGETS.tsv: one "assignmentId<TAB>cookie" line per target.
--
-- post: each target's report form once (a form body with a fresh idempotency key, and the
-- page's Origin). A connection with no form left to send waits instead of sending anything else,
-- so every response measured is a report's. When every form has been answered the thread stops
-- and prints "answered" on a line of its own. wrk itself runs until its duration is up, so
-- bench/http.ts then stops it with SIGINT, and wrk prints its figures.
--
--   wrk -t 1 -c 16 -d 3600s --timeout 30s -s bench/wrk-load.lua URL -- post FORMS.tsv ORIGIN
--
--   FORMS.tsv: one "assignmentId<TAB>cookie<TAB>body" line per target.
--
-- Prints one JSON line in the shape bench/http-load.ts prints (latency in ms, from wrk's
-- histogram of every response).

local targets = {}
local posting = false
local gzip = false
local origin = ""
local running = false
local reserved = 0
local sent = 0
local answered = 0
statuses = {}

local function address(n)
  return string.format("10.%d.%d.%d", math.floor(n / 65536) % 256, math.floor(n / 256) % 4, n % 256)
end

-- Called before each request of a post run: a connection takes the next form, or, once every
-- form is taken, waits out the run.
local function wait_for_form()
  running = true
  if reserved >= #targets then return 3600000 end
  reserved = reserved + 1
  return 0
end

function init(args)
  posting = args[1] == "post"
  for line in io.lines(args[2]) do
    local id, cookie, body = line:match("^(%S+)\t([^\t]*)\t?(.*)$")
    if id then
      local path = posting and ("/tasks/" .. id .. "/report") or ("/tasks/" .. id)
      targets[#targets + 1] = { path = path, cookie = cookie, body = body }
    end
  end
  if posting then
    origin = args[3]
    -- Only a post run delays: wrk sets a timer before each request when delay() is defined.
    delay = wait_for_form
  else
    gzip = args[3] == "1"
  end
end

function request()
  if not posting then
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
  -- wrk calls request() once before the run, to check the request it builds: that one isn't sent.
  if not running then return wrk.format("POST", targets[1].path, {}, targets[1].body) end
  local form = targets[sent + 1]
  local headers = {
    ["Cookie"] = form.cookie,
    ["X-Forwarded-For"] = address(sent % 1000),
    ["Accept"] = "text/html",
    ["Origin"] = origin,
    ["Content-Type"] = "application/x-www-form-urlencoded",
  }
  sent = sent + 1
  return wrk.format("POST", form.path, headers, form.body)
end

function response(status)
  statuses[status] = (statuses[status] or 0) + 1
  answered = answered + 1
  if posting and answered >= #targets then
    io.write("answered\n")
    io.flush()
    wrk.thread:stop()
  end
end

local threads = {}

function setup(thread)
  threads[#threads + 1] = thread
end

function done(summary, latency)
  local counted = {}
  local total = 0
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses")) do
      counted[#counted + 1] = string.format('"%d":%d', status, n)
      total = total + n
    end
  end
  local seconds = summary.duration / 1e6
  local errors = summary.errors
  io.write(string.format(
    '{"requests":%d,"seconds":%.3f,"rps":%.1f,"p50":%.2f,"p95":%.2f,"p99":%.2f,"max":%.2f,"statuses":{%s},"errors":%d,"timeouts":%d}\n',
    total, seconds, total / seconds,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, table.concat(counted, ","),
    errors.connect + errors.read + errors.write + errors.status, errors.timeout))
end
