"""The pixie-relay plugin as the primary transport (bench.py --only relay): messages relayed per
second through the Pixie-compatible test server (Tests/Support/pixie_server.py, one POST per message,
each key recorded in the plugin's state before it leaves), and the time until every delivery status
came back through the stream."""

import os
import re
import subprocess
import sys
import time

SERVER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Support", "pixie_server.py")


def relay(args, swiftlet_class, free_port, wait_for, messages=500):
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, SERVER, "--port", str(port), "--token", "bench-token"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    instance = None
    try:
        server.stdout.readline()  # {"port": …}: listening
        extra = "\n".join([
            "plugins:",
            "  pixie-relay:",
            f"    url: http://127.0.0.1:{port}",
            "    token: bench-token",
            "    poll_interval: 1",
            "    stream_limit: 1000",
        ])
        instance = swiftlet_class(args.swiftlet, args.plugins, modems=1, send_delay="3s", extra=extra,
                                  dispatcher="\n  transport: pixie\n  transport_use: primary")
        ready = re.compile(r"name=pixie role=transport \[SwiftletGateway\] provider ready")
        wait_for(lambda: ready.search(instance.log_text()), 30, "the relay")
        started = time.monotonic()
        for n in range(messages):
            answer = instance.api("send_sms", to=f"+4673{n:07d}", message="Pump 3 stopped")
            if not answer.startswith("OK"):
                raise RuntimeError(f"send_sms answered: {answer[:200]}")
        queued = time.monotonic() - started
        relayed = lambda: instance.database.execute(
            "SELECT count(*) FROM outgoing WHERE state = 'sent' AND modem = 'transport:pixie'"
        ).fetchone()[0]
        wait_for(lambda: relayed() >= messages, 600, f"{messages} messages relayed")
        sent = time.monotonic() - started
        delivered = lambda: instance.database.execute(
            "SELECT count(*) FROM outgoing WHERE delivery = 'delivered' AND modem = 'transport:pixie'"
        ).fetchone()[0]
        wait_for(lambda: delivered() >= messages, 600, f"{messages} delivery statuses")
        reported = time.monotonic() - started
        return {"messages": messages, "queued": queued, "rate": messages / sent, "reported": reported}
    finally:
        if instance:
            instance.stop()
        server.kill()
        server.wait()
