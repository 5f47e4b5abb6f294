#!/usr/bin/env python3
"""Abuse probe for a running gateway (not part of the test run): how the API answers a legitimate
client while (1) N connections sit idle or send half a request, and (2) an attacker on the same
address guesses tokens. Loopback only.

    python3 Tests/Benchmarks/abuse_probe.py --url http://127.0.0.1:8080 --token TOKEN [--slow 5000]
"""
import argparse
import resource
import socket
import statistics
import threading
import time
import urllib.parse
import urllib.request


def get(url):
    start = time.monotonic()
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            body = answer.read().decode()
    except Exception as error:  # noqa: BLE001 - a probe reports every failure the same way
        body = f"error: {error}"
    return time.monotonic() - start, body


def latencies(url, count):
    results = [get(url) for _ in range(count)]
    times = sorted(t for t, _ in results)
    failures = sum(1 for _, body in results if body.strip() != "0")
    return times, failures


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--slow", type=int, default=5000)
    parser.add_argument("--seconds", type=float, default=10)
    options = parser.parse_args()
    host, port = urllib.parse.urlsplit(options.url).hostname, urllib.parse.urlsplit(options.url).port
    assert host in ("127.0.0.1", "localhost", "::1"), "loopback only"
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, options.slow + 1024), hard))
    good = f"{options.url}/http_api/get_queue_length?access_token={options.token}"

    times, failures = latencies(good, 20)
    print(f"idle gateway: median {statistics.median(times) * 1000:.1f} ms, max {max(times) * 1000:.1f} ms, {failures} failed of 20")

    sockets = []
    for index in range(options.slow):
        s = socket.create_connection((host, port))
        if index % 2:
            s.send(b"GET /http_api/get_queue_length HTTP/1.1\r\nHost: x\r\n")  # half a head, never finished
        sockets.append(s)
    times, failures = latencies(good, 20)
    print(f"with {options.slow} slow connections: median {statistics.median(times) * 1000:.1f} ms, max {max(times) * 1000:.1f} ms, {failures} failed of 20")
    for s in sockets:
        s.close()

    stop = threading.Event()
    guesses = [0]

    def attacker():
        while not stop.is_set():
            get(f"{options.url}/http_api/get_queue_length?access_token=guess{guesses[0]}")
            guesses[0] += 1
            time.sleep(0.05)

    thread = threading.Thread(target=attacker)
    thread.start()
    deadline = time.monotonic() + options.seconds
    sent = failed = 0
    while time.monotonic() < deadline:
        _, body = get(good)
        sent += 1
        failed += body.strip() != "0"
        time.sleep(0.1)
    stop.set()
    thread.join()
    print(f"during {guesses[0]} wrong tokens from the same address: {failed} of {sent} legitimate requests failed")


if __name__ == "__main__":
    main()
