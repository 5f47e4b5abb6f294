#!/usr/bin/python3
"""Gammu's SMS codec (python3-gammu), the independent oracle of the codec tests.

  gammu_oracle.py decode   reads one hex PDU (with its SMSC field) per line; prints one JSON object
                           per line: {"type", "number", "text", "coding", "class", "validity",
                           "part", "parts"}
                           or {"error": "..."}.
  gammu_oracle.py split    reads one JSON string (a text) per line; prints one JSON object per line:
                           {"coding", "parts"}: the alphabet Gammu chooses by itself (as SMSEagle,
                           which is built on it, does) and how many SMS the text takes.
  gammu_oracle.py encode   reads one JSON object {"number", "text", "unicode"} per line; prints one
                           JSON object per line: {"pdus": [hex, ...]} (SMS-SUBMIT, with SMSC field).
"""
import binascii
import json
import sys

import gammu


def decode(line):
    sms = gammu.DecodePDU(binascii.unhexlify(line), SMSC=True)
    return {
        "type": sms["Type"],
        "number": sms["Number"],
        "text": sms["Text"] if isinstance(sms["Text"], str) else sms["Text"].hex(),
        "coding": sms["Coding"],
        "class": sms["Class"],
        "validity": sms["SMSC"]["Validity"],
        "part": sms["UDH"]["PartNumber"],
        "parts": sms["UDH"]["AllParts"],
    }


def encode(line):
    request = json.loads(line)
    info = {
        "Class": -1,
        "Unicode": request.get("unicode", False),
        "Entries": [{"ID": "ConcatenatedTextLong", "Buffer": request["text"]}],
    }
    pdus = []
    for message in gammu.EncodeSMS(info):
        message["Number"] = request["number"]
        pdus.append(gammu.EncodePDU(message, Layout="Submit").hex().upper())
    return {"pdus": pdus}


def split(line):
    info = {"Class": -1, "Entries": [{"ID": "ConcatenatedAutoTextLong", "Buffer": json.loads(line)}]}
    messages = gammu.EncodeSMS(info)
    return {"coding": messages[0]["Coding"], "parts": len(messages)}


mode = {"decode": decode, "encode": encode, "split": split}[sys.argv[1]]
for line in sys.stdin:
    line = line.strip()
    if not line:
        continue
    try:
        print(json.dumps(mode(line)))
    except Exception as error:  # Gammu raises its own error types
        print(json.dumps({"error": str(error)}))
    sys.stdout.flush()
