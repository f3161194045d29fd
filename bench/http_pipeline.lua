-- The pipelining scenario of bench/http.ts: every connection writes DEPTH requests at once, and wrk writes the next
-- DEPTH only once all of their responses are in (wrk counts the requests request() returns and keeps that many in
-- flight per connection).
--
--   wrk -t1 -c64 -d5s -s bench/http_pipeline.lua http://127.0.0.1:PORT/ -- DEPTH

local batch

function init(args)
  local depth = tonumber(args[1]) or 16
  batch = string.rep(wrk.format("GET", "/"), depth)
end

function request()
  return batch
end
