#!/usr/bin/env python3
"""A Modbus TCP server for the sensors plugin's tests: pymodbus (Debian's python3-pymodbus), an
implementation independent of the libmodbus the plugin reads with. Unit 1, input and holding
registers 0-99 (addresses as on the wire), set from a JSON file the test rewrites:
{"input": {"3": 215}, "holding": {"10": 16968, "11": 0}}, read again every 50 ms."""

import argparse
import json
import threading
import time

from pymodbus.datastore import ModbusSequentialDataBlock, ModbusServerContext, ModbusSlaveContext
from pymodbus.server import StartTcpServer


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--registers", required=True, help="the JSON file of register values")
    args = parser.parse_args()
    unit = ModbusSlaveContext(
        ir=ModbusSequentialDataBlock(0, [0] * 100), hr=ModbusSequentialDataBlock(0, [0] * 100), zero_mode=True
    )
    context = ModbusServerContext(slaves={1: unit}, single=False)

    def follow():
        last = None
        while True:
            try:
                with open(args.registers) as file:
                    text = file.read()
                if text != last:
                    values = json.loads(text)
                    for table, function in (("input", 4), ("holding", 3)):
                        for address, value in values.get(table, {}).items():
                            unit.setValues(function, int(address), [int(value) & 0xFFFF])
                    last = text
            except (OSError, ValueError):
                pass
            time.sleep(0.05)

    threading.Thread(target=follow, daemon=True).start()
    StartTcpServer(context=context, address=("127.0.0.1", args.port))


if __name__ == "__main__":
    main()
