#!/usr/bin/python3
"""The web interface in a real browser (Debian's chromium through chromedriver and Selenium).

Starts its own gateway (simulated modem, the staged plugins, a rule with an escalation), creates an
admin and a read-only user with the CLI, and goes through what an admin and a user do: sign in,
manage the phonebook, compose to a number and a group (the simulated network must receive both),
read an injected SMS whose text is markup (shown as text), enable a plugin through its generated
form (a wrong value refused, then its health shown), acknowledge an escalation. Then what must be
refused: a read-only user has no compose button and a forged POST is refused; a POST without its
CSRF token is refused. A screenshot of each page goes to the artefacts directory.

  /usr/bin/python3 Tests/Browser/web_gui.py --swiftlet .build/debug/swiftlet --plugins DIR [--artefacts DIR]
"""
import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

import requests
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

CHECKS = []


def check(condition, what):
    CHECKS.append(what)
    if not condition:
        raise AssertionError(what)
    print(f"ok   {what}", flush=True)


def eventually(probe, what, timeout=15.0):
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return check(True, what)
        if time.monotonic() > deadline:
            return check(False, what)
        time.sleep(0.25)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Gateway:
    def __init__(self, swiftlet, plugins, directory):
        self.swiftlet = swiftlet
        self.directory = directory
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.config = os.path.join(directory, "swiftlet.yaml")
        with open(self.config, "w") as f:
            f.write(f"""data_dir: {directory}/data
http:
  listen: 127.0.0.1:{self.port}
time_zone: UTC
plugin_directory: {plugins}
rules:
  - name: pump
    on: api
    then:
      - escalate:
          text: "Pump station 3 stopped"
          steps:
            - {{to: ["+46700000031"], wait: 10m}}
""")
        self.cli("user", "add", "admin", "--admin")
        self.cli("user", "set-password", "admin", stdin="correct horse\n")
        self.cli("user", "add", "viewer", "--read-only")
        self.cli("user", "set-password", "viewer", stdin="viewer pass\n")
        self.token = self.cli("token", "create", "--user", "admin").strip()
        self.log = open(os.path.join(directory, "gateway.log"), "w")
        self.process = subprocess.Popen(
            [swiftlet, "serve", "--config", self.config], stdout=self.log, stderr=subprocess.STDOUT
        )
        eventually(lambda: "HTTP API listening" in open(self.log.name).read(), "the gateway listens", 60)

    def cli(self, *arguments, stdin=None):
        return subprocess.run(
            [self.swiftlet, *arguments, "--config", self.config],
            input=stdin, capture_output=True, text=True, check=True,
        ).stdout

    def sim(self, *arguments):
        return subprocess.run(
            [self.swiftlet, "sim", *arguments, "--url", self.url], capture_output=True, text=True, check=True
        ).stdout

    def received(self):
        return json.loads(self.sim("received", "--json"))

    def stop(self):
        self.process.terminate()
        self.process.wait(30)


class Browser:
    def __init__(self, base, artefacts):
        options = webdriver.ChromeOptions()
        options.binary_location = "/usr/bin/chromium"
        for argument in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1200,1000"]:
            options.add_argument(argument)
        self.driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
        self.driver.implicitly_wait(0)
        self.base = base
        self.artefacts = artefacts

    def open(self, path):
        self.driver.get(self.base + path)

    def shot(self, name):
        self.driver.save_screenshot(os.path.join(self.artefacts, f"{name}.png"))

    def find(self, css):
        return self.driver.find_element(By.CSS_SELECTOR, css)

    def all(self, css):
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def text(self):
        return self.find("body").text

    def submit(self, css):
        """Clicks a submit button and waits for the page that answers."""
        page = self.find("html").id
        self.find(css).click()
        def answered(driver):
            try:
                return (
                    driver.find_element(By.CSS_SELECTOR, "html").id != page
                    and driver.execute_script("return document.readyState") == "complete"
                )
            except Exception:
                return False
        WebDriverWait(self.driver, 15).until(answered)

    def fill(self, css, value):
        element = self.find(css)
        element.clear()
        element.send_keys(value)

    def sign_in(self, login, password):
        self.open("login")
        self.fill("#login", login)
        self.fill("#password", password)
        self.submit("form button[type=submit]")

    def sign_out(self):
        self.submit(".signout button")

    def notice(self):
        notices = self.all(".notice")
        return notices[0].text if notices else ""

    def problem(self):
        problems = self.all(".problem")
        return problems[0].text if problems else ""


def signed_in_session(base, login, password):
    """A requests session signed in as the browser does, for the forged requests."""
    session = requests.Session()
    page = session.get(base + "login").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    answer = session.post(base + "login", data={"csrf": csrf, "login": login, "password": password})
    check(answer.url.rstrip("/") == base.rstrip("/"), f"{login} signs in with requests")
    page = session.get(base + "folders/inbox").text
    return session, re.search(r'name="csrf" value="([^"]+)"', page).group(1)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--swiftlet", required=True)
    parser.add_argument("--plugins", required=True)
    parser.add_argument("--artefacts", default=".build/artefacts/web")
    arguments = parser.parse_args()
    os.makedirs(arguments.artefacts, exist_ok=True)
    directory = tempfile.mkdtemp(prefix="swiftlet-web-")
    gateway = Gateway(os.path.abspath(arguments.swiftlet), os.path.abspath(arguments.plugins), directory)
    browser = None
    try:
        base = gateway.url + "/"
        browser = Browser(base, arguments.artefacts)

        # Signing in: a page asked for first is where one lands.
        browser.open("folders/sentitems")
        check(browser.driver.current_url.startswith(base + "login"), "an anonymous browser is sent to sign in")
        browser.shot("login")
        browser.fill("#login", "admin")
        browser.fill("#password", "wrong")
        browser.submit("form button[type=submit]")
        check("Wrong user name or password" in browser.problem(), "a wrong password is refused, saying so")
        browser.fill("#password", "correct horse")
        browser.submit("form button[type=submit]")
        check(browser.driver.current_url == base + "folders/sentitems", "signing in leads back to the page asked for")
        cookie = browser.driver.get_cookie("swiftlet_session")
        check(cookie["httpOnly"] and cookie["sameSite"] == "Strict", "the session cookie is HttpOnly and SameSite=Strict")

        # The phonebook: a contact, a group, the contact in the group.
        browser.open("phonebook")
        browser.fill("#contact-name", "Anna")
        browser.fill("#contact-number", "+46700000001")
        browser.submit("form[action$='add-contact'] button")
        check("Contact Anna added" in browser.notice(), "a contact is added")
        browser.fill("#group-name", "oncall")
        browser.submit("form[action$='add-group'] button")
        check("Group oncall added" in browser.notice(), "a group is added")
        browser.submit("form[action$='add-member'] button")
        check("Anna" in browser.find("section[aria-labelledby=groups] tbody td:nth-child(3)").text, "Anna is in oncall")
        browser.shot("phonebook")

        # Compose to a number and a group; the part counter is the codec's.
        browser.open("compose")
        browser.fill("#to", "+46700000002")
        browser.find("input[type=checkbox][name^='group.']").click()
        browser.fill("#text", "x" * 161)
        eventually(lambda: browser.find("#parts").text == "2", "the part counter says 2 SMS for 161 GSM characters")
        browser.fill("#text", "Hej från webben ✓")
        eventually(
            lambda: browser.find("#parts").text == "1" and "Unicode" in browser.find("#alphabet").text,
            "the part counter follows the text: 1 SMS, Unicode",
        )
        browser.shot("compose")
        browser.submit("#send")
        check("Queued 2 messages" in browser.notice(), "compose queues one message per recipient")
        browser.shot("outbox")
        eventually(
            lambda: {m.get("recipient") for m in gateway.received()} >= {"+46700000001", "+46700000002"},
            "the simulated network receives the message to the number and to the group's member",
            30,
        )
        texts = {m.get("text") for m in gateway.received()}
        check("Hej från webben ✓" in texts, "the text arrives as written")

        # Compose refuses what is not a number, and keeps what was typed.
        browser.open("compose")
        browser.fill("#to", "not-a-number")
        browser.fill("#text", "kept")
        browser.submit("#send")
        check("Not phone numbers: not-a-number" in browser.problem(), "a wrong number is refused, naming it")
        check(browser.find("#text").get_attribute("value") == "kept", "the text typed is kept")

        # Scheduled for later: queued, not sent.
        browser.open("compose")
        browser.fill("#to", "+46700000005")
        browser.fill("#text", "next year")
        browser.driver.execute_script("document.getElementById('at').value = arguments[0]", "2031-01-01T09:00")
        browser.submit("#send")
        check("Queued 1 message" in browser.notice(), "a message scheduled for later is queued")
        row = [r.text for r in browser.all("tbody tr") if "+46700000005" in r.text]
        check(row and "queued" in row[0], "the outbox lists it as queued")

        # An incoming SMS whose text is markup is shown as text.
        markup = "<script>alert(1)</script><b>bold</b>"
        gateway.sim("inject", "--from", "+46700000009", markup)
        def inbox_shows_it():
            browser.open("folders/inbox")
            cells = browser.all("td.text")
            return cells and cells[0].text == markup
        eventually(inbox_shows_it, "an injected SMS appears in the inbox, its markup shown as text")
        check(not browser.all("td.text b"), "no element is made from a message's text")
        browser.shot("inbox")
        browser.submit("td.actions a")
        check(browser.find("#to").get_attribute("value") == "+46700000009", "Reply fills in the sender's number")

        # A plugin enabled through its generated form: a wrong value is refused, then it runs.
        browser.open("plugins/keywords")
        browser.fill("#field-max_replies_per_hour", "5000")
        browser.submit("form.plugin button")
        check("max_replies_per_hour" in browser.problem(), "a value outside the schema is refused, naming the key")
        browser.shot("plugin-form")
        browser.fill("#field-max_replies_per_hour", "5")
        browser.submit("form.plugin button")
        check("Keywords enabled" in browser.notice(), "the plugin is enabled")
        def healthy():
            browser.open("plugins")
            return browser.find("#plugin-keywords td.health").text.startswith("ok")
        eventually(healthy, "the plugins page shows the started plugin's health")
        browser.shot("plugins")
        dropin = open(os.path.join(directory, "plugins.d", "keywords.yaml")).read()
        check('"max_replies_per_hour": 5' in dropin, "the plugin's settings are written to plugins.d/keywords.yaml")

        # An escalation acknowledged from the browser stops.
        request = urllib.request.Request(
            gateway.url + "/swiftlet/v1/rules/pump/fire", data=b"{}", method="POST",
            headers={"Authorization": f"Bearer {gateway.token}", "Content-Type": "application/json"},
        )
        urllib.request.urlopen(request).read()
        def escalation_listed():
            browser.open("rules")
            return "Pump station 3 stopped" in browser.find("section[aria-labelledby=escalations]").text
        eventually(escalation_listed, "the rules page lists the active escalation")
        browser.shot("rules")
        browser.submit("form[action$='/acknowledge'] button")
        check("acknowledged" in browser.notice(), "the escalation is acknowledged")
        request = urllib.request.Request(
            gateway.url + "/swiftlet/v1/escalations", headers={"Authorization": f"Bearer {gateway.token}"}
        )
        escalations = json.loads(urllib.request.urlopen(request).read())
        states = [e.get("state") for e in (escalations if isinstance(escalations, list) else escalations.get("escalations", []))]
        check(states and states[0] == "acknowledged", "the API reports it acknowledged")

        browser.open("")
        check("Modems" in browser.text() and browser.all("svg.chart"), "the dashboard shows the modems and the chart")
        browser.shot("dashboard")
        browser.sign_out()
        check(browser.driver.current_url.startswith(base + "login"), "signing out leads to the sign-in page")

        # A read-only user: no way to send in the page, and a forged POST refused.
        browser.sign_in("viewer", "viewer pass")
        browser.open("folders/inbox")
        check(not browser.all("td.actions a") and not browser.all("td.actions form"), "a read-only user sees no Reply or Delete")
        check(not [a for a in browser.all("nav a") if a.text in ("Plugins", "Rules", "Users")], "nor the admin pages")
        browser.shot("inbox-read-only")
        session, csrf = signed_in_session(base, "viewer", "viewer pass")
        before = len(gateway.received())
        answer = session.post(base + "compose", data={"csrf": csrf, "to": "+46700000003", "text": "forged"})
        check(answer.status_code == 403, "a read-only user's POST to compose is refused (403)")
        check(session.get(base + "plugins").status_code == 403, "a read-only user cannot open the plugins page")

        # CSRF: an admin's POST without the token, or with another session's, is refused.
        admin, admin_csrf = signed_in_session(base, "admin", "correct horse")
        answer = admin.post(base + "compose", data={"to": "+46700000004", "text": "no token"})
        check(answer.status_code == 403, "a POST without its CSRF token is refused (403)")
        answer = admin.post(base + "compose", data={"csrf": csrf, "to": "+46700000004", "text": "wrong token"})
        check(answer.status_code == 403, "a POST with another session's CSRF token is refused (403)")
        answer = admin.post(base + "compose", data={"csrf": admin_csrf, "to": "+46700000004", "text": "with token"})
        check(answer.status_code == 200 and "Queued 1 message" in answer.text, "the same POST with its token is accepted")
        eventually(lambda: len(gateway.received()) == before + 1, "only the accepted POST reached the network", 30)
        check("+46700000005" not in {m.get("recipient") for m in gateway.received()}, "the scheduled message waits")
        headers = admin.get(base).headers
        check("script-src 'self'" in headers.get("Content-Security-Policy", "") and headers.get("X-Frame-Options") == "DENY",
              "pages carry the Content-Security-Policy and X-Frame-Options")
        print(f"{len(CHECKS)} checks passed; screenshots in {arguments.artefacts}")
    except Exception:
        if browser:
            browser.shot("failure")
            print(browser.driver.page_source[:3000], file=sys.stderr)
        print(open(os.path.join(directory, "gateway.log")).read()[-6000:], file=sys.stderr)
        raise
    finally:
        if browser:
            browser.driver.quit()
        gateway.stop()
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()
