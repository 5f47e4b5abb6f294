"""A real SMTP server for the tests of SMS2Email (aiosmtpd, Debian's python3-aiosmtpd): each mail it
accepts is written to DIRECTORY as <time>.eml with its envelope in X-Envelope-From/-To headers.
    python3 smtp_sink.py PORT DIRECTORY [--starttls CERT KEY] [--auth USER:PASSWORD]"""
import asyncio, os, ssl, sys, time
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

port, directory = int(sys.argv[1]), sys.argv[2]
options = sys.argv[3:]

class Sink:
    async def handle_DATA(self, server, session, envelope):
        name = os.path.join(directory, "%d.eml" % time.time_ns())
        head = "X-Envelope-From: %s\r\nX-Envelope-To: %s\r\n" % (envelope.mail_from, ",".join(envelope.rcpt_tos))
        with open(name + ".tmp", "wb") as f:
            f.write(head.encode() + envelope.original_content)
        os.rename(name + ".tmp", name)
        return "250 OK"

kwargs = {}
if "--starttls" in options:
    i = options.index("--starttls")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(options[i + 1], options[i + 2])
    kwargs.update(tls_context=context, require_starttls=True)
if "--auth" in options:
    user, password = options[options.index("--auth") + 1].split(":", 1)
    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and auth_data.login.decode() == user and auth_data.password.decode() == password
        return AuthResult(success=ok)
    kwargs.update(authenticator=authenticator, auth_require_tls=True)

controller = Controller(Sink(), hostname="127.0.0.1", port=port, **kwargs)
controller.start()
print("ready", flush=True)
try:
    while True:
        time.sleep(3600)
finally:
    controller.stop()
