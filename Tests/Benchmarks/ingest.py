#!/usr/bin/env python3
"""Sequential APIv1 send_sms ingest and end-to-end drain through the simulated modem.

Starts its own gateway (the built .build/release/swiftlet if present, else .build/debug/swiftlet)
on a free loopback port with a fresh data directory, sends N messages from one keep-alive client,
waits until the queue is empty, and prints the figures. Not part of the test run: machines here
are noisy, so read the figures as an indication and compare runs on one machine.

    Tests/Benchmarks/ingest.py [N]          (default 2000)
"""
import http.client
import os
import re
import subprocess
import sys
import tempfile
import time

root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
binary = next(
    path for path in (f"{root}/.build/release/swiftlet", f"{root}/.build/debug/swiftlet") if os.path.exists(path)
)
n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
data = tempfile.mkdtemp(prefix="swiftlet-bench-")
log = open(f"{data}.log", "w+")
gateway = subprocess.Popen(
    [binary, "serve", "--data-dir", data, "--http", "127.0.0.1:0", "--log-level", "notice"], stderr=log, stdout=log
)
try:
    port = None
    for _ in range(300):
        log.seek(0)
        match = re.search(r"http://127\.0\.0\.1:(\d+)/http_api", log.read())
        if match:
            port = int(match.group(1))
            break
        time.sleep(0.1)
    assert port, "the gateway did not start"
    token = subprocess.check_output([binary, "token", "create", "--data-dir", data], text=True).strip()

    connection = http.client.HTTPConnection("127.0.0.1", port)
    latencies = []
    start = time.perf_counter()
    for i in range(n):
        before = time.perf_counter()
        connection.request("GET", f"/http_api/send_sms?access_token={token}&to=%2B4670{i:07d}&message=load+test+{i}")
        body = connection.getresponse().read().decode()
        assert body.startswith("OK; ID="), body
        latencies.append(time.perf_counter() - before)
    ingest = time.perf_counter() - start
    while True:
        connection.request("GET", f"/http_api/get_queue_length?access_token={token}")
        if int(connection.getresponse().read()) == 0:
            break
        time.sleep(0.05)
    total = time.perf_counter() - start
    latencies.sort()
    rss = int(open(f"/proc/{gateway.pid}/status").read().split("VmRSS:")[1].split()[0]) // 1024
    print(f"binary: {os.path.relpath(binary, root)}, synchronous=FULL, one client, keep-alive, N={n}")
    print(f"send_sms: {n / ingest:.0f} requests/s, p50 {latencies[n // 2] * 1000:.2f} ms, "
          f"p99 {latencies[int(n * 0.99)] * 1000:.2f} ms")
    print(f"end to end to the simulated modem: {n / total:.0f} messages/s ({total:.1f} s until the queue was empty)")
    print(f"RSS after: {rss} MiB")
finally:
    gateway.terminate()
    gateway.wait()
