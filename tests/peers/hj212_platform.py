"""The platform mode of hj212_peer.py (see its docstring): an upper platform that receives
packets, checks them, acknowledges them and records them as JSON lines."""
import asyncio
import datetime
import json
import sys

import hj212_wire as wire


def event(**fields):
    """An event on stdout (one JSON line)."""
    print(json.dumps(fields), flush=True)


class Platform:
    """What the platform has seen across connections, and its misbehaviour budget."""

    def __init__(self, args, stations):
        self.args = args
        self.stations = stations
        self.out = open(args.out, "a", encoding="utf-8")
        self.connections = 0
        self.active = 0
        self.received = 0
        self.dropped = 0
        self.closed_once = False
        self.events = event

    async def settle(self, patience=10.0):
        """Waits until every connection has ended (at most `patience` seconds)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + patience
        while self.active and loop.time() < deadline:
            await asyncio.sleep(0.02)

    def check(self, frame):
        """(accepted, reason) for one frame."""
        if frame.problem == "malformed":
            return False, "malformed: %s" % frame.detail
        if frame.problem is not None:
            return False, frame.problem
        fields = frame.fields
        if self.stations is not None:
            if fields["MN"] not in self.stations:
                return False, "unknown MN"
            if self.stations[fields["MN"]] != fields["PW"]:
                return False, "wrong PW"
        return True, None

    def record(self, frame, peer, conn, accepted, reason, answered):
        """The JSON line for one received packet."""
        fields = frame.fields or {}
        flag = fields.get("Flag")
        line = dict(
            at=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds"),
            peer=peer, conn=conn, status=frame.problem or "valid", accepted=accepted,
            reason=reason, st=fields.get("ST"), cn=fields.get("CN"), mn=fields.get("MN"),
            qn=fields.get("QN"), flag=int(flag) if flag and flag.isdigit() else flag,
            pnum=fields.get("PNUM"), pno=fields.get("PNO"), datatime=fields.get("DataTime"),
            cp=fields.get("cp"), cp_plain=fields.get("cp_plain"),
            cp_duplicates=fields.get("cp_duplicates") or None,
            len=frame.declared, len_ok=frame.len_ok, crc=frame.crc, crc_field=frame.crc_field,
            crc_ok=frame.crc_ok, answered=answered)
        if self.args.raw:
            line["raw"] = frame.raw.decode("utf-8", "replace")
        self.out.write(json.dumps(line, ensure_ascii=False) + "\n")
        self.out.flush()

    async def packet(self, frame, peer, conn, writer):
        """Handles one frame; False when the connection is to be closed."""
        self.received += 1
        accepted, reason = self.check(frame)
        close = (self.args.close_after and not self.closed_once
                 and self.received >= self.args.close_after)
        answer = None
        if accepted and not close and int(frame.fields["Flag"]) & wire.FLAG_ACK:
            if self.dropped < self.args.drop_acks:
                self.dropped += 1
            else:
                answer = "9014"
        self.record(frame, peer, conn, accepted, reason, answer)
        if close:
            self.closed_once = True
            return False
        if answer:
            if self.args.stall:
                await asyncio.sleep(self.args.stall)
            f = frame.fields
            ack = wire.data_segment(f["QN"], "91", "9014", f["PW"], f["MN"], 4, "")
            writer.write(wire.frame(ack))
            await writer.drain()
        return True

    async def handle(self, reader, writer):
        """One logger connection: frames its stream until it closes, idles or is refused."""
        host, port = writer.get_extra_info("peername")[:2]
        peer = "%s:%d" % (host, port)
        if self.active >= self.args.max_connections:
            self.events(event="refused", peer=peer, reason="max connections")
            writer.transport.abort()
            return
        self.active += 1
        self.connections += 1
        conn = self.connections
        framer, packets, why = wire.Framer(), 0, "closed by peer"
        self.events(event="connected", peer=peer, conn=conn)
        try:
            while True:
                try:
                    data = await asyncio.wait_for(reader.read(4096), self.args.idle_timeout)
                except asyncio.TimeoutError:
                    why = "idle timeout"
                    break
                if not data:
                    break
                keep = True
                for frame in framer.feed(data):
                    packets += 1
                    keep = await self.packet(frame, peer, conn, writer)
                    if not keep:
                        break
                if not keep:
                    why = "--close-after"
                    break
        except (ConnectionError, OSError) as e:
            why = "error: %s" % e
        finally:
            self.active -= 1
            writer.transport.abort()
            self.events(event="closed", peer=peer, conn=conn, packets=packets,
                  skipped=framer.skipped + len(framer.buf), reason=why)


async def run_platform(args, stations):
    """Listens on 127.0.0.1 until killed."""
    platform = Platform(args, stations)
    server = await asyncio.start_server(platform.handle, "127.0.0.1", args.port)
    event(listening=server.sockets[0].getsockname()[1])
    try:
        async with server:
            await server.serve_forever()
    finally:
        platform.out.close()
        print("hj212_peer platform: stopped", file=sys.stderr)
