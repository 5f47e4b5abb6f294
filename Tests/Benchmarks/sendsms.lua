-- wrk script for the ingest benchmark: GET <path><number>, a new recipient on every request, until
-- each thread has had its share of answers; counts answers whose body does not match the expected
-- pattern, and prints one RESULT line that bench.py reads. wrk itself knows no request count, so
-- each thread says when it is done and bench.py interrupts wrk (SIGINT) when all are.
--
--   wrk -t T -c C -d 600s -s sendsms.lua http://127.0.0.1:PORT -- PATH REQUESTS_PER_THREAD PATTERN

local threads = {}

function setup(thread)
    thread:set("index", #threads)
    table.insert(threads, thread)
end

function init(args)
    path = args[1]
    limit = tonumber(args[2])
    pattern = args[3]
    first = 46700000000 + index * 10000000
    sent = 0
    answered = 0
    bad = 0
    sample = ""
end

function request()
    sent = sent + 1
    return wrk.format("GET", path .. tostring(first + sent))
end

function response(status, headers, body)
    answered = answered + 1
    if not string.find(body, pattern) then
        bad = bad + 1
        if sample == "" then sample = status .. " " .. string.sub(body, 1, 80) end
    end
    if answered == limit then
        -- wrk runs for its -d; bench.py interrupts it once every thread has said this.
        io.write("THREAD-DONE\n")
        io.stdout:flush()
        wrk.thread:stop()
    end
end

function done(summary, latency, requests)
    local bad_total, sample_any = 0, ""
    for _, thread in ipairs(threads) do
        bad_total = bad_total + thread:get("bad")
        if sample_any == "" then sample_any = thread:get("sample") end
    end
    local e = summary.errors
    io.write(string.format(
        "RESULT requests=%d duration_us=%d p50_us=%d p99_us=%d max_us=%d bad=%d socket_errors=%d sample=%s\n",
        summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.max,
        bad_total, e.connect + e.read + e.write + e.timeout, sample_any))
end
