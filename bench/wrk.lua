-- wrk script shared by every bench/run scenario. Configured through the environment:
--   BENCH_METHOD    GET or POST
--   BENCH_TOKENS    file with one bearer token per line (sent round-robin), optional
--   BENCH_BODIES    file with one JSON body per line (sent round-robin), optional
--   BENCH_REFRESH   file with one refresh token per line: each request refreshes one
--                   session with its current token, and the rotated token the server
--                   answers replaces it, so no token is ever presented twice (API §2.4)
--   BENCH_OUT       where done() writes the JSON summary
-- Each wrk thread has its own Lua state; threads take disjoint slices of the files.

local threads = {}
local counter = 0

function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

local function read_lines(path)
  local lines = {}
  if path == nil or path == "" then
    return lines
  end
  for line in io.lines(path) do
    if line ~= "" then
      table.insert(lines, line)
    end
  end
  return lines
end

local function slice(lines, id, n)
  local mine = {}
  for i, v in ipairs(lines) do
    if (i - 1) % n == id then
      table.insert(mine, v)
    end
  end
  return mine
end

local method, tokens, bodies, pool, lost, refreshing
local ti, bi = 0, 0

function init(args)
  local n = tonumber(os.getenv("BENCH_THREADS") or "1")
  method = os.getenv("BENCH_METHOD") or "GET"
  tokens = slice(read_lines(os.getenv("BENCH_TOKENS")), tid, n)
  bodies = slice(read_lines(os.getenv("BENCH_BODIES")), tid, n)
  pool = slice(read_lines(os.getenv("BENCH_REFRESH")), tid, n)
  lost = 0
  refreshing = (os.getenv("BENCH_REFRESH") or "") ~= ""
end

function request()
  local headers = {}
  local body = nil
  if #tokens > 0 then
    ti = ti % #tokens + 1
    headers["Authorization"] = "Bearer " .. tokens[ti]
  end
  if #bodies > 0 then
    bi = bi % #bodies + 1
    body = bodies[bi]
  end
  if refreshing then
    -- Take a session whose current token is not in flight.
    local token = table.remove(pool, 1) or "exhausted"
    body = '{"refresh_token":"' .. token .. '"}'
  end
  if body ~= nil then
    headers["Content-Type"] = "application/json"
  end
  return wrk.format(method, nil, headers, body)
end

function response(status, headers, body)
  if refreshing then
    local rotated = status == 200 and string.match(body, '"refresh_token":"([^"]+)"')
    if rotated then
      table.insert(pool, rotated)
    else
      lost = lost + 1
    end
  end
end

function done(summary, latency, requests)
  local out = io.open(os.getenv("BENCH_OUT"), "w")
  local e = summary.errors
  out:write(string.format(
    '{"requests":%d,"duration_us":%d,"bytes":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,'
      .. '"max_us":%d,"mean_us":%.1f,"err_connect":%d,"err_read":%d,"err_write":%d,'
      .. '"err_status":%d,"err_timeout":%d}\n',
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, latency.mean, e.connect, e.read, e.write, e.status, e.timeout))
  out:close()
end
