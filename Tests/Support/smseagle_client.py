#!/usr/bin/env python3
"""An SMSEagle APIv1 client written the way published integrations write theirs (Nagios/Zabbix
notification scripts, the Python examples of SMSEagle's code samples page): `requests.get` with a
params dict for the HTTP API, `requests.post(json=...)` for JSON-RPC. Prints one JSON object with
what each call answered, for the end-to-end tests to check.

usage: smseagle_client.py BASE_URL ACCESS_TOKEN
"""
import json
import sys

import requests

base, token = sys.argv[1], sys.argv[2]
results = {}

# HTTP GET, text answer: "OK; ID=[ID]"
r = requests.get(base + "/http_api/send_sms",
                 params={"access_token": token, "to": "+48123456789", "message": "Zabbix: CPU load high on db1"},
                 timeout=10)
results["send_sms"] = r.text

# HTTP GET, XML answer, parsed as the PHP/C# clients do
import xml.etree.ElementTree as ET
r = requests.get(base + "/index.php/http_api/get_queue_length",
                 params={"access_token": token, "responsetype": "xml"}, timeout=10)
root = ET.fromstring(r.text)
results["queue_length_xml"] = {"queue_length": root.findtext("queue_length"), "status": root.findtext("status")}

# JSON-RPC, simple and extended
def rpc(method, **params):
    params["access_token"] = token
    response = requests.post(base + "/jsonrpc/sms", json={"method": method, "params": params}, timeout=10)
    response.raise_for_status()
    return response.json()["result"]

results["rpc_send"] = rpc("sms.send_sms", to="481234567", message="Nagios: host down")
results["rpc_send_extended"] = rpc("sms.send_sms", to="481234567,481234568", message="x", responsetype="extended")
results["rpc_signal"] = rpc("signal.get_gsmsignal")
results["rpc_bad_token"] = requests.post(base + "/jsonrpc/sms",
                                         json={"method": "sms.get_queue_length", "params": {"access_token": "wrong"}},
                                         timeout=10).json()["result"]
# Form POST, as curl -d and PHP clients send it
r = requests.post(base + "/http_api/send_sms",
                  data={"access_token": token, "to": "48123456789", "message": "POSTed ä"}, timeout=10)
results["post_form"] = r.text
print(json.dumps(results))
