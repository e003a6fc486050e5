-- wrk script for tests/bench/api_accrual.py: sends prepared requests, prints one JSON line.
--
-- REQUESTS_PREFIX (environment): thread n (1, 2, ...) reads "<prefix><n>", one request per
-- line: method, path, then header name/value pairs, then the body, separated by tabs.
-- Every line is sent once; a thread that runs out starts sending GET /health/live, which
-- the benchmark sees as "exhausted" and reports (it must prepare more).
-- Without REQUESTS_PREFIX every request is wrk's default (the URL given on the command line),
-- with the method REQUEST_METHOD names (GET when unset).

local counter = 1
local threads = {}

function setup(thread)
   thread:set("id", counter)
   table.insert(threads, thread)
   counter = counter + 1
end

local function split(line)
   local fields = {}
   for field in (line .. "\t"):gmatch("([^\t]*)\t") do
      table.insert(fields, field)
   end
   return fields
end

function init(args)
   local method = os.getenv("REQUEST_METHOD")
   if method ~= nil and method ~= "" then
      wrk.method = method
   end
   prepared = {}
   next_index = 1
   exhausted = 0
   local prefix = os.getenv("REQUESTS_PREFIX")
   if prefix == nil or prefix == "" then
      return
   end
   for line in io.lines(prefix .. id) do
      local fields = split(line)
      local headers = {}
      for i = 3, #fields - 1, 2 do
         headers[fields[i]] = fields[i + 1]
      end
      table.insert(prepared, wrk.format(fields[1], fields[2], headers, fields[#fields]))
   end
end

function request()
   if #prepared == 0 then
      return wrk.request()
   end
   local chosen = prepared[next_index]
   if chosen == nil then
      exhausted = exhausted + 1
      return wrk.format("GET", "/health/live")
   end
   next_index = next_index + 1
   return chosen
end

function done(summary, latency, requests)
   local exhausted_total = 0
   for _, thread in ipairs(threads) do
      exhausted_total = exhausted_total + thread:get("exhausted")
   end
   -- The latency at the middle of every 0.1 % of requests, so that the benchmark can pool
   -- the latencies of several phases.
   local shares = {}
   for i = 0, 999 do
      table.insert(shares, string.format("%d", latency:percentile((i + 0.5) / 10)))
   end
   local e = summary.errors
   io.write(string.format(
      '{"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, "status_errors": %d, ' ..
      '"socket_errors": %d, "timeouts": %d, "exhausted": %d, "per_mille_us": [%s]}\n',
      summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), e.status,
      e.connect + e.read + e.write, e.timeout, exhausted_total, table.concat(shares, ", ")))
end
