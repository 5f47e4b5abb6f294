#!/usr/bin/env python3
"""Swiftlet's benchmark, side by side with Kannel, on this machine's loopback.

Run it through `scripts/bench` (which installs wrk and Kannel, builds a release Swiftlet with its
plugins, and calls this). Every phase starts a fresh gateway on a fresh data directory, drives it with
wrk, checks every answer, and stops it. Figures are the median of --runs runs; see BENCHMARKS.md.

Phases:
  ingest     APIv1 send_sms (GET) at 1, 10 and 50 clients with keep-alive, and 50 without; Kannel's
             cgi-bin/sendsms with the same wrk script. Both have a connected, slow "modem"
             (Swiftlet: one simulated modem taking 3 s a message; Kannel: its fake SMSC at 1 msg/s).
  e2e        the same 50-client load into 1 and 8 zero-latency simulated modems (Kannel: fake SMSCs):
             messages/s from the first request until the last message is sent; CPU per 1,000.
  modems     4 simulated modems taking 3 s per AT+CMGS: the share of wall time each spends sending.
  group      send_togroup to a public group of 100,000 contacts: time to the answer, all queued.
  footprint  start to ready, RSS idle with every plugin that needs no peer of its own loaded, RSS peak after e2e.
  voice      text-to-speech calls back to back through the voice plugin to a baresip on loopback that
             answers at once: from the API's answer to the callee answering (claim, speech, SIP set-up),
             and calls per minute on the one line (each call 1 s of audio). Not run by default.
  directory  the ldap plugin against a slapd of 5,000 people in 50 teams and one group of everyone:
             the first sync (paged by 500; the plugin logs its duration), then send_togroup to
             everyone. Not run by default (Tests/Benchmarks/directory_bench.py).
  relay      the pixie-relay plugin as the primary transport to the Pixie-compatible test server:
             500 messages relayed (messages/s), and the time until every delivery status came back
             through the stream. Not run by default (Tests/Benchmarks/relay_bench.py).
"""

import argparse
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

import directory_bench
import relay_bench

HERE = os.path.dirname(os.path.abspath(__file__))
WRK_SCRIPT = os.path.join(HERE, "sendsms.lua")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def free_port_pair():
    """A port whose next port is free too (baresip binds SIP over TLS on PORT+1)."""
    while True:
        port = free_port()
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port + 1))
                return port
            except OSError:
                continue


def http_get(url, timeout=600):
    with urllib.request.urlopen(url, timeout=timeout) as answer:
        return answer.status, answer.read().decode()


def wait_for(condition, timeout, what, interval=0.02):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise RuntimeError(f"timed out after {timeout} s waiting for {what}")


def proc_figures(pids):
    """RSS now and peak (MiB) and CPU seconds, summed over processes."""
    rss = peak = cpu = 0.0
    for pid in pids:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    rss += int(line.split()[1]) / 1024
                elif line.startswith("VmHWM:"):
                    peak += int(line.split()[1]) / 1024
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
            cpu += (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    return rss, peak, cpu


def wrk(base, path, requests, clients, keepalive, pattern):
    """Runs wrk until `requests` answers; returns requests/s, p50 and p99 in ms, and the checks."""
    threads = min(clients, 2)
    command = [
        "wrk", "-t", str(threads), "-c", str(clients), "-d", "600s", "--timeout", "10s", "-s", WRK_SCRIPT,
    ]
    if not keepalive:
        command += ["-H", "Connection: close"]
    command += [base, "--", path, str(requests // threads), pattern]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    output, done = "", 0
    for line in process.stdout:
        output += line
        done += line.startswith("THREAD-DONE")
        if done == threads:
            process.send_signal(signal.SIGINT)
            break
    output += process.stdout.read()
    process.wait()
    match = re.search(r"RESULT (.*)", output)
    if not match or " requests=0 " in match.group(0):
        raise RuntimeError(f"wrk printed no result:\n{output}")
    fields = dict(item.split("=", 1) for item in match.group(1).split(" ", 7))
    done = int(fields["requests"])
    seconds = int(fields["duration_us"]) / 1e6
    return {
        "rps": done / seconds,
        "p50": int(fields["p50_us"]) / 1000,
        "p99": int(fields["p99_us"]) / 1000,
        "answers": done,
        "bad": int(fields["bad"]),
        "socket_errors": int(fields["socket_errors"]),
        "sample": fields.get("sample", ""),
    }


class Swiftlet:
    def __init__(self, binary, plugin_dir, modems=1, send_delay="0s", delivery_reports=False, plugins=False, extra="",
                 dispatcher=""):
        # The configuration file is in a temporary directory: a relative plugin directory would be
        # taken relative to it.
        plugin_dir = os.path.realpath(plugin_dir)
        self.binary = binary
        self.directory = tempfile.mkdtemp(prefix="swiftlet-bench-")
        self.data = os.path.join(self.directory, "data")
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        config = [
            f"data_dir: {self.data}",
            f"http:\n  listen: 127.0.0.1:{self.port}",
            f"plugin_directory: {plugin_dir}",
            f"dispatcher:\n  delivery_reports: {'true' if delivery_reports else 'false'}{dispatcher}",
            f"simulator:\n  modems: {modems}\n  send_delay: {send_delay}",
        ]
        if plugins:
            # The plugins that need no peer of their own; snmp (snmpd) and ldap (slapd) are left out.
            staged = {name.removesuffix(".plugin.json") for name in os.listdir(plugin_dir) if name.endswith(".plugin.json")}
            if not staged >= set(self.PLUGINS):
                raise RuntimeError(f"plugins staged: {sorted(staged)}; bench.py configures {sorted(self.PLUGINS)}")
            config.append(self.every_plugin(free_port()))
        if extra:
            config.append(extra)
        self.config = os.path.join(self.directory, "swiftlet.yaml")
        with open(self.config, "w") as file:
            file.write("\n".join(config) + "\n")
        self.token = subprocess.run(
            [binary, "token", "create", "--data-dir", self.data], capture_output=True, text=True, check=True
        ).stdout.strip()
        self.log = open(os.path.join(self.directory, "swiftlet.log"), "w")
        started = time.monotonic()
        self.process = subprocess.Popen(
            [binary, "serve", "--config", self.config], stdout=self.log, stderr=subprocess.STDOUT
        )
        try:
            wait_for(self.answers, 30, "the gateway's HTTP API")
            self.startup = time.monotonic() - started
            # The modems are ready when the dispatcher may use them: each logs once it is. Plugins
            # start on their own after the HTTP API; idle RSS is meant to count them.
            wait_for(lambda: len(re.findall(r"modem \S+ ready on", self.log_text())) >= modems, 30, "the simulated modems")
            for plugin in self.PLUGINS if plugins else []:
                # "plugin started" with the values in metadata, e.g. "abi=1.4 plugin=keywords version=1.0.0".
                line = re.compile(rf"plugin={plugin} .*\] plugin started$", re.MULTILINE)
                wait_for(lambda: line.search(self.log_text()), 30, f"plugin {plugin} to start")
        except RuntimeError as error:
            self.process.kill()
            self.process.wait()
            raise RuntimeError(f"{error}; its log ends:\n{self.log_text()[-2000:]}") from None
        self.database = sqlite3.connect(os.path.join(self.data, "swiftlet.sqlite"), timeout=30)

    PLUGINS = ("keywords", "mqtt", "email", "voice")

    @staticmethod
    def every_plugin(email_port):
        """A section for each plugin in the repository, as small as each allows."""
        return "\n".join(
            [
                "plugins:",
                "  keywords:",
                "    keywords:",
                "      - keyword: JOIN",
                "        subscribe: news",
                "        reply: Welcome",
                "  mqtt:",
                "    host: 127.0.0.1",
                f"    port: {free_port()}",
                "    client_id: swiftlet-bench",
                "  email:",
                "    listener:",
                f"      port: {email_port}",
                "      domains: [sms.example.com]",
                "  voice:",
                f"    listen: 127.0.0.1:{free_port_pair()}",
            ]
        )

    def answers(self):
        if self.process.poll() is not None:
            raise RuntimeError(f"swiftlet exited with status {self.process.returncode}")
        try:
            return http_get(self.base + "/http_api/", timeout=1)[0] > 0
        except urllib.error.HTTPError:
            return True
        except OSError:
            return False

    def log_text(self):
        with open(self.log.name) as file:
            return file.read()

    def api(self, method, **parameters):
        query = urllib.parse.urlencode({"access_token": self.token, **parameters})
        return http_get(f"{self.base}/http_api/{method}?{query}")[1]

    def count(self, states):
        placeholders = ",".join("?" * len(states))
        return self.database.execute(
            f"SELECT count(*) FROM outgoing WHERE state IN ({placeholders})", states
        ).fetchone()[0]

    def timed_group_send(self, group, size):
        """send_togroup to `group`: seconds to the answer, and messages queued (all `size`, or an error)."""
        started = time.monotonic()
        answer = self.api("send_togroup", groupname=group, message="Outage at the plant")
        answered = time.monotonic() - started
        if not answer.startswith("OK"):
            raise RuntimeError(f"send_togroup answered: {answer[:200]}")
        queued = self.count(["queued", "claimed", "submitting", "sent"])
        if queued < size:
            raise RuntimeError(f"send_togroup answered OK but only {queued} of {size} messages are queued")
        return answered, queued

    def figures(self):
        return proc_figures([self.process.pid])

    def send_path(self):
        return f"/http_api/send_sms?access_token={self.token}&message=Benchmark+message&to=%2B"

    def stop(self):
        self.database.close()
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()
        shutil.rmtree(self.directory, ignore_errors=True)


class Kannel:
    """bearerbox + smsbox with store-type=file, and one fakesmsc per fake SMSC."""

    def __init__(self, smscs=1, throughput=None):
        self.directory = tempfile.mkdtemp(prefix="kannel-bench-")
        self.admin = free_port()
        self.sendsms = free_port()
        smsc_ports = [free_port() for _ in range(smscs)]
        d = self.directory
        sections = [
            f'group = core\nadmin-port = {self.admin}\nadmin-password = bench\nadmin-allow-ip = "127.0.0.1"\n'
            f'smsbox-port = {free_port()}\nbox-allow-ip = "127.0.0.1"\nlog-file = "{d}/bearerbox.log"\n'
            f'log-level = 1\nstore-type = file\nstore-location = "{d}/kannel.store"\ndlr-storage = internal',
            f'group = smsbox\nbearerbox-host = 127.0.0.1\nsendsms-port = {self.sendsms}\n'
            f'log-file = "{d}/smsbox.log"\nlog-level = 1',
            "group = sendsms-user\nusername = bench\npassword = bench",
            'group = sms-service\nkeyword = default\ntext = "No service"',
        ]
        for number, port in enumerate(smsc_ports):
            section = f'group = smsc\nsmsc = fake\nsmsc-id = fake{number}\nport = {port}\nconnect-allow-ip = "127.0.0.1"'
            if throughput:
                section += f"\nthroughput = {throughput}"
            sections.append(section)
        self.config = os.path.join(d, "kannel.conf")
        with open(self.config, "w") as file:
            file.write("\n\n".join(sections) + "\n")
        self.output = open(os.path.join(d, "console.log"), "w")
        started = time.monotonic()
        self.bearerbox = subprocess.Popen(["bearerbox", "-v", "2", self.config], stdout=self.output, stderr=subprocess.STDOUT)
        wait_for(lambda: self.status() is not None, 30, "bearerbox")
        self.smsbox = subprocess.Popen(["smsbox", "-v", "2", self.config], stdout=self.output, stderr=subprocess.STDOUT)
        self.base = f"http://127.0.0.1:{self.sendsms}"
        wait_for(self.answers, 30, "smsbox")
        self.startup = time.monotonic() - started
        self.fakes = [
            subprocess.Popen(
                ["/usr/lib/kannel/test/fakesmsc", "-v", "2", "-H", "127.0.0.1", "-r", str(port), "-m", "0", "1 2 text x"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for port in smsc_ports
        ]
        wait_for(lambda: (self.status() or "").count("(online") >= smscs, 30, "the fake SMSCs")

    def status(self):
        try:
            return http_get(f"http://127.0.0.1:{self.admin}/status.txt?password=bench", timeout=1)[1]
        except OSError:
            return None

    def answers(self):
        try:
            http_get(self.base + "/cgi-bin/sendsms", timeout=1)
            return True
        except urllib.error.HTTPError:
            return True
        except OSError:
            return False

    def sent(self):
        match = re.search(r"SMS: received \d+ \(\d+ queued\), sent (\d+)", self.status() or "")
        return int(match.group(1)) if match else 0

    def figures(self):
        return proc_figures([self.bearerbox.pid, self.smsbox.pid])

    def send_path(self):
        return "/cgi-bin/sendsms?username=bench&password=bench&from=Bench&text=Benchmark+message&to="

    def stop(self):
        for process in self.fakes + [self.smsbox, self.bearerbox]:
            process.send_signal(signal.SIGTERM)
        for process in self.fakes + [self.smsbox, self.bearerbox]:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.output.close()
        shutil.rmtree(self.directory, ignore_errors=True)


SWIFTLET_OK = "^OK; ID=%d+$"
KANNEL_OK = "^0: Accepted for delivery"
LOADS = [("keep-alive, 1 client", 1, True), ("keep-alive, 10 clients", 10, True),
         ("keep-alive, 50 clients", 50, True), ("no keep-alive, 50 clients", 50, False)]


def check(result, name):
    if result["bad"] or result["socket_errors"]:
        raise RuntimeError(
            f"{name}: {result['bad']} wrong answer(s), {result['socket_errors']} socket error(s); first: {result['sample']}"
        )


def ingest(args, system):
    """One run of the four loads into a fresh instance; returns {load: wrk result}."""
    results = {}
    if system == "swiftlet":
        instance = Swiftlet(args.swiftlet, args.plugins, modems=1, send_delay="3s")
        pattern = SWIFTLET_OK
    else:
        instance = Kannel(smscs=1, throughput=1)
        pattern = KANNEL_OK
    try:
        # A short warm-up, so neither pays for its first connections in the figures.
        warmup = wrk(instance.base, instance.send_path(), 500, 10, True, pattern)
        for name, clients, keepalive in LOADS:
            result = wrk(instance.base, instance.send_path(), args.requests, clients, keepalive, pattern)
            check(result, f"{system} {name}")
            results[name] = result
        if system == "swiftlet":
            queued = instance.count(["queued", "claimed", "submitting", "sent"])
            expected = warmup["answers"] + sum(r["answers"] for r in results.values())
            if queued < expected:
                raise RuntimeError(f"swiftlet answered OK {expected} times but holds only {queued} messages")
    finally:
        instance.stop()
    return results


def end_to_end(args, system, modems):
    """N messages at 50 clients into `modems` zero-latency modems; rate until all are sent."""
    if system == "swiftlet":
        instance = Swiftlet(args.swiftlet, args.plugins, modems=modems, plugins=modems == 1)
        pattern, sent = SWIFTLET_OK, lambda: instance.count(["sent"])
    else:
        instance = Kannel(smscs=modems)
        pattern, sent = KANNEL_OK, instance.sent
    try:
        idle_rss, _, cpu_before = instance.figures()
        started = time.monotonic()
        result = wrk(instance.base, instance.send_path(), args.requests, 50, True, pattern)
        check(result, f"{system} end to end")
        total = result["answers"]
        wait_for(lambda: sent() >= total, 600, f"{total} messages sent", interval=0.01)
        elapsed = time.monotonic() - started
        _, peak_rss, cpu_after = instance.figures()
        return {
            "rate": total / elapsed,
            "cpu_per_1000": (cpu_after - cpu_before) / total * 1000,
            "idle_rss": idle_rss,
            "peak_rss": peak_rss,
            "startup": instance.startup,
        }
    finally:
        instance.stop()


def utilisation(args, modems=4, each=10, delay=3.0):
    instance = Swiftlet(args.swiftlet, args.plugins, modems=modems, send_delay=f"{delay:g}s")
    try:
        for number in range(modems * each):
            instance.api("send_sms", to=f"+4670555{number:04d}", message="Utilisation")
        wait_for(lambda: instance.count(["sent"]) >= modems * each, 120, "every message sent", interval=0.1)
        received = json.loads(http_get(instance.base + "/simulator/received")[1])
        shares = []
        for name in sorted({m["modem"] for m in received}):
            times = sorted(m["receivedAt"] for m in received if m["modem"] == name)
            # Between its first and last acceptance, a modem that never waits is busy all the time.
            shares.append((len(times) - 1) * delay / (times[-1] - times[0]))
        return {"min": min(shares), "mean": statistics.mean(shares), "modems": len(shares)}
    finally:
        instance.stop()


def group_send(args, size=100_000):
    instance = Swiftlet(args.swiftlet, args.plugins, modems=1, send_delay="3s")
    try:
        group = int(re.search(r"\d+", instance.api("group_create", groupname="everyone")).group())
        contact = int(re.search(r"\d+", instance.api("contact_create", contactname="c0", number="+46700000000")).group())
        instance.api("group_addcontact", group_id=group, contact_id=contact)
        db = instance.database
        # Copy the one contact and its membership, whatever columns the schema has.
        columns = [row[1] for row in db.execute("PRAGMA table_info(contact)") if row[1] != "id"]
        values = ["'c' || n" if c == "name" else "printf('+4671%07d', n)" if c == "number" else c for c in columns]
        db.execute(
            f"""WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < {size - 1})
                INSERT INTO contact ({", ".join(columns)}) SELECT {", ".join(values)} FROM seq, contact WHERE id = ?""",
            (contact,),
        )
        members = [row[1] for row in db.execute("PRAGMA table_info(group_member)")]
        values = ["c.id" if m == "contact_id" else f"g.{m}" for m in members]
        db.execute(
            f"""INSERT INTO group_member ({", ".join(members)}) SELECT {", ".join(values)}
                FROM contact c, group_member g WHERE g.contact_id = ? AND c.id != ?""",
            (contact, contact),
        )
        db.commit()
        answered, queued = instance.timed_group_send("everyone", size)
        return {"answered": answered, "queued": queued}
    finally:
        instance.stop()


def voice(args, calls=20):
    """Calls back to back to a baresip that answers at once and records; see the module's text."""
    directory = tempfile.mkdtemp(prefix="callee-bench-")
    port, control = free_port_pair(), free_port()
    with open(os.path.join(directory, "silence.wav"), "wb") as file:
        samples = 8000 * 5
        file.write(b"RIFF" + (36 + 2 * samples).to_bytes(4, "little") + b"WAVEfmt " + (16).to_bytes(4, "little")
                   + (1).to_bytes(2, "little") + (1).to_bytes(2, "little") + (8000).to_bytes(4, "little")
                   + (16000).to_bytes(4, "little") + (2).to_bytes(2, "little") + (16).to_bytes(2, "little")
                   + b"data" + (2 * samples).to_bytes(4, "little") + bytes(2 * samples))
    os.makedirs(os.path.join(directory, "recordings"))
    with open(os.path.join(directory, "config"), "w") as file:
        file.write("\n".join([
            f"sip_listen 127.0.0.1:{port}", "module_path /usr/lib/baresip/modules", "module g711.so",
            "module aufile.so", "module sndfile.so", "module account.so", "module menu.so", "module ctrl_tcp.so",
            f"ctrl_tcp_listen 127.0.0.1:{control}", "audio_player aufile,/dev/null",
            f"audio_source aufile,{directory}/silence.wav", f"snd_path {directory}/recordings", "",
        ]))
    with open(os.path.join(directory, "accounts"), "w") as file:
        file.write(f"<sip:+46700000001@127.0.0.1:{port}>;regint=0;answermode=auto;audio_codecs=PCMU,PCMA\n")
    callee = subprocess.Popen(["/usr/bin/baresip", "-f", directory], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    extra = "\n".join([
        "plugins:", "  voice:", f"    listen: 127.0.0.1:{free_port_pair()}",
        f'    dial: "sip:{{number}}@127.0.0.1:{port}"',
    ])
    instance = Swiftlet(args.swiftlet, args.plugins, extra=extra)
    try:
        line = re.compile(r"name=sip role=voice .*\] provider ready$", re.MULTILINE)
        wait_for(lambda: line.search(instance.log_text()), 30, "the voice provider")
        latencies = []
        started = time.monotonic()
        for number in range(calls):
            recordings = os.path.join(directory, "recordings")
            before = len(os.listdir(recordings))
            body = json.dumps({"to": ["+46700000001"], "text": f"Benchmark alarm number {number}", "duration": 1})
            request = urllib.request.Request(
                instance.base + "/api/v2/calls/tts", data=body.encode(), method="POST",
                headers={"access-token": instance.token, "Content-Type": "application/json"},
            )
            queued_at = time.time()
            with urllib.request.urlopen(request, timeout=30) as answer:
                call = json.load(answer)[0]["id"]
            wait_for(lambda: len(os.listdir(recordings)) > before, 30, f"call {call} answered")
            # The recording's file is created when the callee answers.
            created = max(os.stat(os.path.join(recordings, name)).st_ctime for name in os.listdir(recordings))
            latencies.append(created - queued_at)
            done = re.compile(rf"message.id={call} result=answered .*\] call ended$", re.MULTILINE)
            wait_for(lambda: done.search(instance.log_text()), 30, f"call {call} ended")
        elapsed = time.monotonic() - started
        latencies.sort()
        return {"answered_p50": statistics.median(latencies), "answered_max": latencies[-1],
                "per_minute": calls / elapsed * 60}
    finally:
        instance.stop()
        callee.kill()
        callee.wait()
        shutil.rmtree(directory, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--swiftlet", required=True, help="the release swiftlet binary")
    parser.add_argument("--plugins", required=True, help="plugin directory with every plugin staged")
    parser.add_argument("--runs", type=int, default=3, help="runs per figure (the median is shown)")
    parser.add_argument("--requests", type=int, default=20_000, help="requests per load")
    parser.add_argument("--only", choices=["ingest", "e2e", "modems", "group", "voice", "directory", "relay"], action="append")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    phases = args.only or ["ingest", "e2e", "modems", "group"]
    figures = {}
    say = lambda text: print(text, file=sys.stderr, flush=True)

    if "ingest" in phases:
        for system in ["swiftlet", "kannel"]:
            runs = []
            for run in range(args.runs):
                say(f"ingest: {system}, run {run + 1} of {args.runs}")
                runs.append(ingest(args, system))
            figures[f"ingest/{system}"] = {
                load: {key: statistics.median([r[load][key] for r in runs]) for key in ("rps", "p50", "p99")}
                for load, _, _ in LOADS
            }
    if "e2e" in phases:
        for modems in (1, 8):
            for system in ["swiftlet", "kannel"]:
                runs = []
                for run in range(args.runs):
                    say(f"end to end: {system}, {modems} modem(s), run {run + 1} of {args.runs}")
                    runs.append(end_to_end(args, system, modems))
                figures[f"e2e{modems}/{system}"] = {key: statistics.median([r[key] for r in runs]) for key in runs[0]}
    if "modems" in phases:
        say("modem utilisation: 4 simulated modems, 3 s per AT+CMGS")
        figures["modems"] = utilisation(args)
    if "group" in phases:
        say("send_togroup: 100,000 contacts")
        runs = [group_send(args) for _ in range(args.runs)]
        figures["group"] = {key: statistics.median([r[key] for r in runs]) for key in runs[0]}
    if "directory" in phases:
        say("directory: the ldap plugin's first sync of 5,000 people, and send_togroup to all of them")
        runs = [directory_bench.directory(args, Swiftlet, free_port, wait_for) for _ in range(args.runs)]
        figures["directory"] = {key: statistics.median([r[key] for r in runs]) for key in runs[0]}
    if "relay" in phases:
        say("relay: 500 messages through the pixie-relay plugin to the Pixie-compatible test server")
        runs = [relay_bench.relay(args, Swiftlet, free_port, wait_for) for _ in range(args.runs)]
        figures["relay"] = {key: statistics.median([r[key] for r in runs]) for key in runs[0]}
    if "voice" in phases:
        say("voice: 20 text-to-speech calls back to back to a baresip on loopback")
        runs = [voice(args) for _ in range(args.runs)]
        figures["voice"] = {key: statistics.median([r[key] for r in runs]) for key in runs[0]}

    print(table(figures, args))
    if args.json:
        with open(args.json, "w") as file:
            json.dump(figures, file, indent=2)


def table(figures, args):
    rows = []

    def row(name, ours, theirs, unit, digits=0):
        fmt = lambda v: "—" if v is None else f"{v:,.{digits}f} {unit}".strip()
        if ours is not None and theirs:
            ratio = ours / theirs
            ratio_text = f"{ratio:.2f}×"
        else:
            ratio_text = "—"
        rows.append(f"| {name} | {fmt(ours)} | {fmt(theirs)} | {ratio_text} |")

    for load, _, _ in LOADS:
        ours = figures.get("ingest/swiftlet", {}).get(load)
        theirs = figures.get("ingest/kannel", {}).get(load)
        if ours or theirs:
            row(f"send_sms, {load}: requests/s", ours and ours["rps"], theirs and theirs["rps"], "")
            row(f"send_sms, {load}: p50", ours and ours["p50"], theirs and theirs["p50"], "ms", digits=2)
            row(f"send_sms, {load}: p99", ours and ours["p99"], theirs and theirs["p99"], "ms", digits=2)
    for modems in (1, 8):
        ours, theirs = figures.get(f"e2e{modems}/swiftlet"), figures.get(f"e2e{modems}/kannel")
        if ours or theirs:
            what = f"{modems} zero-latency modem{'s' if modems > 1 else ''}" + (" / fake SMSCs" if modems > 1 else " / fake SMSC")
            row(f"end to end, {what}: messages/s", ours and ours["rate"], theirs and theirs["rate"], "")
            row(f"end to end, {what}: CPU s per 1,000", ours and ours["cpu_per_1000"], theirs and theirs["cpu_per_1000"], "s", digits=3)
            if modems == 1:
                row("start to ready", ours and ours["startup"], theirs and theirs["startup"], "s", digits=2)
                row("RSS idle (Swiftlet with every plugin)", ours and ours["idle_rss"], theirs and theirs["idle_rss"], "MiB", digits=1)
                row("RSS peak after the end-to-end run", ours and ours["peak_rss"], theirs and theirs["peak_rss"], "MiB", digits=1)
    if "modems" in figures:
        m = figures["modems"]
        rows.append(f"| modem utilisation, {m['modems']} modems at 3 s per AT+CMGS: lowest / mean | {m['min']:.2%} / {m['mean']:.2%} | — | — |")
    if "group" in figures:
        g = figures["group"]
        rows.append(f"| send_togroup, 100,000 contacts: answered (all queued) | {g['answered']:.2f} s | — | — |")
    if "directory" in figures:
        d = figures["directory"]
        rows.append(f"| ldap plugin, first sync of {d['people']:,} people (51 groups, pages of 500) | {d['sync']:.2f} s | — | — |")
        rows.append(f"| send_togroup, a directory group of {d['people']:,}: answered (all queued) | {d['answered']:.2f} s | — | — |")
    if "relay" in figures:
        r = figures["relay"]
        rows.append(f"| pixie-relay, {r['messages']:,} messages to the test server: relayed | {r['rate']:.1f} messages/s | — | — |")
        rows.append(f"| pixie-relay: every delivery status back through the stream | {r['reported']:.1f} s | — | — |")
    if "voice" in figures:
        v = figures["voice"]
        rows.append(f"| voice call, API answer to callee answering: median / slowest | {v['answered_p50']:.2f} s / {v['answered_max']:.2f} s | — | — |")
        rows.append(f"| voice calls back to back (1 s of audio each) | {v['per_minute']:.1f} per minute | — | — |")
    with open("/proc/cpuinfo") as cpuinfo:
        cpu = next((line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")), "?")
    header = [
        f"Machine: {os.cpu_count()} cores ({cpu}), {os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB; "
        f"median of {args.runs} run(s); {args.requests:,} requests per load; wrk on the same machine.",
        "",
        "| | Swiftlet | Kannel 1.4.5 | Swiftlet / Kannel |",
        "|---|---:|---:|---:|",
    ]
    return "\n".join(header + rows)


if __name__ == "__main__":
    main()
