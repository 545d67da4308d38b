#!/usr/bin/env python3
"""An independent Modbus TCP server (pymodbus) for lantian's integration tests.

Serves fixed register contents given on the command line, e.g.

    pymodbus_server.py --port 15020 --unit 1 --input 0=0x4148,0x0000 --discrete 3=1

Addresses are protocol (0-based) addresses. Prints READY on stdout once it listens.
"""
import argparse
import asyncio
import sys

from pymodbus.datastore import (
    ModbusDeviceContext,
    ModbusSequentialDataBlock,
    ModbusServerContext,
)
from pymodbus.server import StartAsyncTcpServer


def block(specs, size=256):
    """A data block covering protocol addresses 0..size-1 with the given contents.

    pymodbus's sequential block is addressed from 1 for protocol address 0, hence the
    block starts at address 1.
    """
    values = [0] * size
    for spec in specs or []:
        start, _, words = spec.partition("=")
        for i, w in enumerate(words.split(",")):
            values[int(start, 0) + i] = int(w, 0)
    return ModbusSequentialDataBlock(1, values)


async def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--unit", type=int, default=1)
    for table in ("input", "holding", "discrete", "coil"):
        p.add_argument(f"--{table}", action="append")
    a = p.parse_args()
    device = ModbusDeviceContext(
        di=block(a.discrete), co=block(a.coil), hr=block(a.holding), ir=block(a.input)
    )
    context = ModbusServerContext(devices={a.unit: device}, single=False)
    loop = asyncio.get_running_loop()
    loop.call_later(0.3, lambda: (print("READY", flush=True)))
    await StartAsyncTcpServer(context=context, address=("127.0.0.1", a.port))


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
