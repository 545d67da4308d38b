#!/usr/bin/env python3
"""An independent Modbus TCP server (pymodbus) for lantian's integration tests.

Serves fixed register contents given on the command line, e.g.

    pymodbus_server.py --port 15020 --unit 1 --input 0=0x4148,0x0000 --discrete 3=1

Addresses are protocol (0-based) addresses. Prints READY on stdout once it listens.

Options for the maintainers' trials:
  --sparse        only the addresses given exist, like an instrument that answers
                  IllegalDataAddress for any request touching an unmapped register
                  (by default every table holds addresses 0..255)
  --framer rtu    RTU frames over TCP, as a serial gateway tunnels them
  --log-requests  print `REQUEST <function> <address> <count>` for every request received
"""
import argparse
import asyncio
import sys

from pymodbus import FramerType, __version__ as PYMODBUS_VERSION
from pymodbus.datastore import (
    ModbusDeviceContext,
    ModbusSequentialDataBlock,
    ModbusServerContext,
    ModbusSparseDataBlock,
)
from pymodbus.server import StartAsyncTcpServer


SPARSE_BY_PROTOCOL_ADDRESS = tuple(int(x) for x in PYMODBUS_VERSION.split(".")[:2]) >= (3, 13)


def contents(specs):
    """{address: word} from `START=W1,W2,...` specs."""
    values = {}
    for spec in specs or []:
        start, _, words = spec.partition("=")
        for i, w in enumerate(words.split(",")):
            values[int(start, 0) + i] = int(w, 0)
    return values


def block(specs, sparse, size=256):
    """A data block with the given contents: addresses 0..size-1 (zero where not given), or
    only the given ones when `sparse`.

    pymodbus's sequential blocks are addressed from 1 for protocol address 0, hence their
    start at 1; its sparse blocks likewise before 3.13, by protocol address since (3.13 put
    the old datastores on its SimData layer).
    """
    values = contents(specs)
    if sparse:
        # pymodbus cannot serve an empty table: a table given nothing holds only address
        # 60000, which no test reads.
        shift = 0 if SPARSE_BY_PROTOCOL_ADDRESS else 1
        return ModbusSparseDataBlock({a + shift: w for a, w in (values or {60000: 0}).items()})
    words = [0] * size
    for a, w in values.items():
        words[a] = w
    return ModbusSequentialDataBlock(1, words)


def log_request(sending, pdu):
    if not sending:
        print(
            f"REQUEST {pdu.function_code} {getattr(pdu, 'address', '-')} "
            f"{getattr(pdu, 'count', '-')}",
            flush=True,
        )
    return pdu


async def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--unit", type=int, default=1)
    p.add_argument("--sparse", action="store_true")
    p.add_argument("--framer", choices=["socket", "rtu"], default="socket")
    p.add_argument("--log-requests", action="store_true")
    for table in ("input", "holding", "discrete", "coil"):
        p.add_argument(f"--{table}", action="append")
    a = p.parse_args()
    device = ModbusDeviceContext(
        di=block(a.discrete, a.sparse),
        co=block(a.coil, a.sparse),
        hr=block(a.holding, a.sparse),
        ir=block(a.input, a.sparse),
    )
    context = ModbusServerContext(devices={a.unit: device}, single=False)
    loop = asyncio.get_running_loop()
    loop.call_later(0.3, lambda: (print("READY", flush=True)))
    await StartAsyncTcpServer(
        context=context,
        address=("127.0.0.1", a.port),
        framer=FramerType.RTU if a.framer == "rtu" else FramerType.SOCKET,
        trace_pdu=log_request if a.log_requests else None,
    )


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
