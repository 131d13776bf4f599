-- JSON-RPC POST load for wrk: one request body, fixed headers, optional session ids rotated per
-- request, and a check of every response body. Configured from the environment by bench/lib/wrk.ts:
--   BENCH_BODY_FILE      file holding the request body
--   BENCH_HEADERS_FILE   file with one "Name: value" header per line
--   BENCH_SESSIONS_FILE  optional: one Mcp-Session-Id per line, used round-robin
--   BENCH_EXPECT         substring every good response body contains
--   BENCH_CONNECTIONS    the run's connection count: the first request of each waits ADMIT_MS (below)
-- done() prints one line "BENCH_JSON {...}" for the runner to parse.
--
-- Why the wait: libuv accepts one connection per turn of the event loop, so a Node server already busy with the
-- first connections of a run admits the others one per turn, each turn longer than the last; at c=64 the last
-- ones waited up to ~2 s, and their first requests (1% of a point's requests) were its p99. With every first
-- request held back ADMIT_MS, all connections are accepted by the server before any load arrives, so the
-- percentiles describe the load itself. 100 ms was not always enough: a run that follows another (its warm-up)
-- finds the server still answering the last one's requests. The wait is not counted in the run's duration
-- (nothing is in flight), nor in any latency (wrk starts a request's clock when it writes it).

local function read_file(path)
  local file = assert(io.open(path, "rb"))
  local content = file:read("*a")
  file:close()
  return content
end

local body = read_file(os.getenv("BENCH_BODY_FILE"))
local expect = os.getenv("BENCH_EXPECT") or ""
local headers = {}
for line in read_file(os.getenv("BENCH_HEADERS_FILE")):gmatch("[^\r\n]+") do
  local name, value = line:match("^([^:]+):%s*(.*)$")
  if name then headers[name] = value end
end

local sessions = {}
local sessions_file = os.getenv("BENCH_SESSIONS_FILE")
if sessions_file and sessions_file ~= "" then
  for line in read_file(sessions_file):gmatch("[^\r\n]+") do
    sessions[#sessions + 1] = line
  end
end

local ADMIT_MS = 300
local unadmitted = tonumber(os.getenv("BENCH_CONNECTIONS") or "0")
local admit_us = unadmitted > 0 and ADMIT_MS * 1000 or 0

function delay()
  if unadmitted > 0 then
    unadmitted = unadmitted - 1
    return ADMIT_MS
  end
  return 0
end

local fixed_request = nil
local next_session = 0
bad = 0
first_bad = ""

function request()
  if #sessions == 0 then
    if not fixed_request then fixed_request = wrk.format("POST", nil, headers, body) end
    return fixed_request
  end
  next_session = next_session % #sessions + 1
  headers["Mcp-Session-Id"] = sessions[next_session]
  return wrk.format("POST", nil, headers, body)
end

function response(status, _, response_body)
  if status ~= 200 or (expect ~= "" and not string.find(response_body, expect, 1, true)) then
    bad = bad + 1
    if first_bad == "" then first_bad = status .. " " .. string.sub(response_body, 1, 300) end
  end
end

local threads = {}
function setup(thread)
  threads[#threads + 1] = thread
end

local function json_string(s)
  return '"' .. s:gsub('\\', '\\\\'):gsub('"', '\\"'):gsub('[%c]', ' ') .. '"'
end

function done(summary, latency, _)
  local bad_total, first = 0, ""
  for _, thread in ipairs(threads) do
    bad_total = bad_total + thread:get("bad")
    if first == "" then first = thread:get("first_bad") end
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"bytes":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},"bad":%d,"first_bad":%s}\n',
    summary.requests, summary.duration - admit_us, summary.bytes,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean,
    e.connect, e.read, e.write, e.status, e.timeout, bad_total, json_string(first)))
end
