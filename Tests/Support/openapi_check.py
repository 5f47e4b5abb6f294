#!/usr/bin/env python3
"""Checks a running gateway's APIv2 against the OpenAPI document it serves, with independent tools:
openapi-spec-validator for the document, openapi-core for every request and answer below (each
endpoint's success and error cases). Written as an APIv2 client would be (requests, JSON bodies,
the access-token header).

usage: openapi_check.py BASE_URL ALICE_TOKEN LIMITED_TOKEN
  ALICE_TOKEN: a user that may call every method and has a contact (id in $CONTACT_ID) and a
  group with it (id in $GROUP_ID); LIMITED_TOKEN: a user that may call read_sms only; $ADMIN_TOKEN: an admin's.
Prints one line per checked exchange; exits 1 with the reasons when any answer is not as documented.
"""
import datetime
import json
import os
import sys
import time

import requests
from openapi_core import OpenAPI
from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse
from openapi_spec_validator import validate

base, alice, limited = sys.argv[1], sys.argv[2], sys.argv[3]
contact_id, group_id = int(os.environ["CONTACT_ID"]), int(os.environ["GROUP_ID"])
admin = os.environ["ADMIN_TOKEN"]

document = requests.get(base + "/api/v2/openapi.json", timeout=10).json()
validate(document)
document["servers"] = [{"url": base + "/api/v2"}]
spec = OpenAPI.from_dict(document)

failures = []
checked = 0


def call(method, path, expect, token=alice, body=None, params=None, bearer=False, raw=None):
    """Sends one request, checks its status and validates request and answer against the document."""
    global checked
    headers = {}
    if token is not None:
        headers = {"Authorization": "Bearer " + token} if bearer else {"access-token": token}
    request = requests.Request(method, base + "/api/v2" + path, headers=headers, json=body, params=params,
                               data=raw).prepare()
    response = requests.Session().send(request, timeout=30)
    checked += 1
    name = f"{method} {path} {params or ''} -> {response.status_code}"
    if response.status_code != expect:
        failures.append(f"{name}: expected {expect}: {response.text}")
    try:
        spec.validate_response(RequestsOpenAPIRequest(request), RequestsOpenAPIResponse(response))
    except Exception as error:  # openapi-core raises a family of errors; each is a failure here
        failures.append(f"{name}: answer not as documented: {error!r}: {response.text}")
    print(name, response.text[:160])
    return response


# Webhooks: one to a port where nothing listens, so its deliveries stay pending with their errors.
hook = call("POST", "/webhooks", 201, body={"url": "http://127.0.0.1:9/hook", "events": ["queued", "sent"]}).json()
call("POST", "/webhooks", 201, body={"url": "http://127.0.0.1:9/eagle", "format": "smseagle", "method": "GET",
                                     "apikey": "k", "secret": "0123456789abcdef"})
call("POST", "/webhooks", 400, body={"url": "mailto:ops@example.org"})
call("POST", "/webhooks", 400, body={"url": "http://127.0.0.1:9/", "events": []})

# Sending: numbers, contacts, groups, every option; partial and total failures.
sent = call("POST", "/messages/sms", 200, body={
    "to": ["+48123456789", "not a number"], "contacts": [contact_id], "groups": [group_id], "text": "Disk full on db1",
    "priority": 5, "modem_no": 1, "flash": False, "encoding": "unicode", "validity": "1h",
    "send_after": "00:00:00", "send_before": "23:59:59"}).json()
if [item["status"] for item in sent] != ["queued", "error", "queued"]:
    failures.append(f"send: one answer per recipient in order (the group's member is the contact): {sent}")
queued_id = sent[0]["id"]
later = f"{datetime.date.today().year + 2}-01-01 10:00:00"  # in the outbox; at most 10 years ahead is accepted
call("POST", "/messages/sms", 200, bearer=True, body={"to": ["+48123456780"], "text": "later", "date": later})
call("POST", "/messages/sms", 400, body={"to": ["nope"], "text": "x"})
call("POST", "/messages/sms", 400, body={"to": ["+48123456789"]})
call("POST", "/messages/sms", 400, body={"text": "nobody"})
call("POST", "/messages/sms", 400, body={"to": ["+48123456789"], "text": "x", "priority": 10})
call("POST", "/messages/sms", 400, body={"to": ["+48123456789"], "text": "x", "modem_no": 9})
call("POST", "/messages/sms", 400, body={"to": ["+48123456789"], "text": "x", "encoding": "ascii"})
call("POST", "/messages/sms", 400, body={"to": ["+48123456789"], "text": "x", "date": "tomorrow"})
call("POST", "/messages/sms", 400, body={"contacts": [999999], "text": "x"})
call("POST", "/messages/sms", 401, token=None, body={"to": ["+48123456789"], "text": "x"})
call("POST", "/messages/sms", 401, token="not-a-token", body={"to": ["+48123456789"], "text": "x"})
call("POST", "/messages/sms", 403, token=limited, body={"to": ["+48123456789"], "text": "x"})

# Reading: wait until the first message is sent, then every folder and filter.
for _ in range(100):
    if requests.get(f"{base}/api/v2/messages/sentitems/{queued_id}", headers={"access-token": alice},
                    timeout=10).status_code == 200:
        break
    time.sleep(0.2)
call("GET", "/messages/sentitems", 200, params={"limit": 10, "phone_number": "+48123456789", "modem_no": 1})
call("GET", f"/messages/sentitems/{queued_id}", 200)
call("GET", "/messages/outbox", 200)
call("GET", "/messages/inbox", 200, params={"unread": "1"})
call("GET", "/messages/inbox/1", 200)
call("GET", "/messages/sendingerror", 404)
call("GET", "/messages/sentitems", 200, params={"date_from": "2000-01-01T00:00:00Z", "date_to": "2099-01-01 00:00:00"})
call("GET", "/messages/sentitems", 400, params={"date_from": "yesterday"})
call("GET", "/messages/sentitems", 400, params={"limit": 0})
call("GET", "/messages/trash", 400)
call("GET", "/messages/sentitems/999999", 404)
call("GET", "/messages/inbox", 200, token=limited)
call("GET", "/messages/outbox", 404, token=limited)
call("DELETE", f"/messages/sentitems/{queued_id}", 200)
call("DELETE", f"/messages/sentitems/{queued_id}", 404)
call("DELETE", "/messages/inbox/1", 403, token=limited)

# The webhook's failed attempts are visible.
for _ in range(100):
    if requests.get(f"{base}/api/v2/webhooks/{hook['id']}/deliveries", params={"state": "pending"},
                    headers={"access-token": alice}, timeout=10).status_code == 200:
        break
    time.sleep(0.2)
call("GET", "/webhooks", 200)
call("GET", f"/webhooks/{hook['id']}", 200)
call("GET", f"/webhooks/{hook['id']}/deliveries", 200, params={"state": "pending", "limit": 5})
call("GET", f"/webhooks/{hook['id']}/deliveries", 404, params={"state": "failed"})
call("GET", f"/webhooks/{hook['id']}/deliveries", 400, params={"state": "lost"})
call("GET", f"/webhooks/{hook['id']}", 404, token=limited)
call("DELETE", f"/webhooks/{hook['id']}", 200)
call("GET", f"/webhooks/{hook['id']}", 404)

# Modems and the phonebook.
call("GET", "/modem/signal", 200)
call("GET", "/modem/signal/1", 200)
call("GET", "/modem/signal/2", 400)
call("GET", "/modem/state/1", 200)
call("GET", "/modem/state/1", 403, token=limited)
call("GET", "/phonebook/contacts", 200)
call("GET", "/phonebook/groups", 200)
call("GET", f"/phonebook/groups/{group_id}/contacts", 200)
call("GET", "/phonebook/groups/999999/contacts", 404)
call("GET", "/phonebook/contacts", 403, token=limited)

# Changing the phonebook.
made = call("POST", "/phonebook/contacts", 201, body={"name": "Bo", "number": "+46700000002"}).json()
call("POST", "/phonebook/contacts", 400, body={"name": "Bo", "number": "not a number"})
call("POST", "/phonebook/contacts", 400, body={"name": "Bo\u0000\r\nX-Injected: 1", "number": "+46700000003"})
call("PUT", f"/phonebook/contacts/{made['id']}", 200, body={"public": True})
call("PUT", "/phonebook/contacts/999999", 404, body={"name": "x"})
team = call("POST", "/phonebook/groups", 201, body={"name": "team"}).json()
call("POST", "/phonebook/groups", 400, body={"name": "TEAM"})
call("PUT", f"/phonebook/groups/{team['id']}", 200, body={"name": "team-a"})
call("POST", f"/phonebook/groups/{team['id']}/contacts", 200, body={"contacts": [made["id"]]})
call("POST", f"/phonebook/groups/{team['id']}/contacts", 400, body={"contacts": [999999]})
call("DELETE", f"/phonebook/groups/{team['id']}/contacts/{made['id']}", 200)
call("DELETE", f"/phonebook/groups/{team['id']}/contacts/{made['id']}", 404)
call("DELETE", f"/phonebook/contacts/{made['id']}", 200)
call("DELETE", f"/phonebook/groups/{team['id']}", 200)
call("POST", "/phonebook/groups", 403, token=limited, body={"name": "x"})

# Shifts (shared by every user).
day = call("POST", "/phonebook/shifts", 201, body={"name": "day", "days": {"mon": {"from": "08:00", "to": "16:00"}}}).json()
call("POST", "/phonebook/shifts", 400, body={"name": "x", "days": {"funday": None}})
call("POST", "/phonebook/shifts", 400, body={"name": "x", "days": {"mon": {"from": "8", "to": "16:00"}}})
call("PUT", f"/phonebook/shifts/{day['id']}", 200, body={"enabled": False, "days": {"sat": {"from": "22:00", "to": "06:00"}}})
call("PUT", "/phonebook/shifts/999999", 404, body={"enabled": True})
call("POST", f"/phonebook/shifts/{day['id']}/contacts", 200, body={"contacts": [contact_id]})
call("POST", f"/phonebook/shifts/{day['id']}/contacts", 400, body={"contacts": [999999]})
call("GET", "/phonebook/shifts", 200)
call("DELETE", f"/phonebook/shifts/{day['id']}/contacts/{contact_id}", 200)
call("DELETE", f"/phonebook/shifts/{day['id']}/contacts/{contact_id}", 404)
call("DELETE", f"/phonebook/shifts/{day['id']}", 200)
call("DELETE", f"/phonebook/shifts/{day['id']}", 404)
call("POST", "/phonebook/shifts", 403, token=limited, body={"name": "x"})

# Calls, and MMS (refused when asked: this gateway's modems cannot send it).
call("POST", "/calls/ring", 200, body={"to": ["+46700000003"], "duration": 1})
call("POST", "/calls/ring", 400, body={"to": ["+46700000003"], "duration": 0})
call("POST", "/calls/tts", 503, body={"to": ["+46700000003"], "text": "Fire alarm"})
call("POST", "/calls/tts_advanced", 400, body={"to": ["+46700000003"]})
png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
call("POST", "/messages/mms", 503, body={"to": ["+46700000004"], "text": "photo",
                                         "attachments": [{"content_type": "image/png", "content": png}]})
call("POST", "/messages/mms", 400, body={"to": ["+46700000004"], "text": "photo",
                                         "attachments": [{"content_type": "text/html", "content": png}]})

# Modem state, users and tokens (admins).
call("PUT", "/modem/state/1", 200, body={"state": "disabled"})
call("PUT", "/modem/state/1", 400, body={"state": "off"})
call("PUT", "/modem/state/1", 200, body={"state": "enabled"})
call("PUT", "/modem/state/1", 403, token=limited, body={"state": "disabled"})
call("GET", "/users", 200, token=admin)
call("GET", "/users", 403)
call("POST", "/users", 201, token=admin, body={"name": "carol", "permissions": ["send_sms"]})
call("POST", "/users", 400, token=admin, body={"name": "carol"})
call("POST", "/users", 400, token=admin, body={"name": "dave", "permissions": ["launch_rockets"]})
call("PUT", "/users/carol", 200, token=admin, body={"permissions": ["read_sms"]})
call("PUT", "/users/nobody", 404, token=admin, body={"admin": True})
made = call("POST", "/users/carol/tokens", 201, token=admin).json()
call("GET", "/users/carol/tokens", 200, token=admin)
call("GET", "/messages/inbox", 200, token=made["token"])
call("DELETE", f"/tokens/{made['id']}", 200, token=admin)
call("GET", "/messages/inbox", 401, token=made["token"])
call("DELETE", f"/tokens/{made['id']}", 404, token=admin)
call("DELETE", "/users/carol", 200, token=admin)
call("DELETE", "/users/carol", 404, token=admin)

print(f"{checked} exchanges checked against the OpenAPI document")
if failures:
    print("\n".join(["FAILURES:"] + failures))
    sys.exit(1)
