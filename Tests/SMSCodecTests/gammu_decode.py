#!/usr/bin/python3
"""Decodes PDUs with Gammu's codec (python3-gammu), the independent oracle of the codec tests.

Reads one hex PDU (with its SMSC field) per line on stdin; prints one JSON object per line:
{"type", "number", "text", "coding", "class", "part", "parts"} or {"error": "..."}.
"""
import binascii
import json
import sys

import gammu

for line in sys.stdin:
    line = line.strip()
    if not line:
        continue
    try:
        sms = gammu.DecodePDU(binascii.unhexlify(line), SMSC=True)
        print(json.dumps({
            "type": sms["Type"],
            "number": sms["Number"],
            "text": sms["Text"] if isinstance(sms["Text"], str) else sms["Text"].hex(),
            "coding": sms["Coding"],
            "class": sms["Class"],
            "part": sms["UDH"]["PartNumber"],
            "parts": sms["UDH"]["AllParts"],
        }))
    except Exception as error:  # Gammu raises its own error types
        print(json.dumps({"error": str(error)}))
    sys.stdout.flush()
