#!/usr/bin/env python3
"""Sends one APIv2 request to a running gateway and checks it and its answer against the OpenAPI
document the gateway serves (openapi-core), for tests that need a gateway set up in a particular way
(a voice plugin and a SIP callee) before an answer exists to check.

usage: openapi_exchange.py BASE_URL TOKEN METHOD PATH EXPECTED_STATUS [JSON_BODY]
Prints the answer's body; exits 1 with the reason when the status or the answer is not as documented.
"""
import json
import sys

import requests
from openapi_core import OpenAPI
from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse

base, token, method, path, expected = sys.argv[1:6]
body = json.loads(sys.argv[6]) if len(sys.argv) > 6 else None
document = requests.get(base + "/api/v2/openapi.json", timeout=10).json()
document["servers"] = [{"url": base + "/api/v2"}]
spec = OpenAPI.from_dict(document)
request = requests.Request(method, base + "/api/v2" + path, headers={"access-token": token}, json=body).prepare()
response = requests.Session().send(request, timeout=30)
print(response.text)
if response.status_code != int(expected):
    sys.exit(f"{method} {path}: expected {expected}, got {response.status_code}")
try:
    spec.validate_request(RequestsOpenAPIRequest(request))
    spec.validate_response(RequestsOpenAPIRequest(request), RequestsOpenAPIResponse(response))
except Exception as error:  # openapi-core raises a family of errors; each is a failure here
    sys.exit(f"{method} {path}: not as documented: {error!r}")
