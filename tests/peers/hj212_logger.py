"""The logger mode of hj212_peer.py (see its docstring): a data logger that uploads packets
from a JSON-lines file and waits for their 9014 acknowledgements, keeps its own clock and
sends real-time data at its own interval when asked to."""
import asyncio
import datetime
import json
import sys
import time

import hj212_wire as wire

DATA_CNS = ("2011", "2051", "2061", "2031")
COMMANDS = ("1011", "1012", "1061", "1062")
GARBAGE = b"\x00\xff#GARBAGE#\r\n##12x"
"""Bytes that are not a packet, with `#`, a CR LF and a false start among them."""


class Packet:
    """One upload: its QN, whether it asks for an acknowledgement, and its data segments (more
    than one when the CP had to be split)."""

    def __init__(self, number, qn, ack, segments):
        self.number, self.qn, self.ack, self.segments = number, qn, ack, segments

    def wire(self, corrupt=False):
        """The bytes of all parts; `corrupt` spoils the first part's CRC."""
        parts = []
        for i, segment in enumerate(self.segments):
            crc = None
            if corrupt and i == 0:
                crc = wire.corrupt_crc(wire.crc_text(segment.encode("utf-8")))
            parts.append(wire.frame(segment, crc))
        return b"".join(parts)


class LoggerClock:
    """The logger's own clock: the host's, off by --clock-skew seconds, running --clock-rate
    times as fast from --clock-anchor (a Unix time; default: start). It shows local time at
    UTC+--utc-offset hours (China: 8), as the standard's times are written."""

    def __init__(self, skew=0.0, rate=1.0, anchor=None, utc_offset=8.0):
        self.anchor = time.time() if anchor is None else anchor
        self.skew, self.rate = skew, rate
        self.zone = datetime.timezone(datetime.timedelta(hours=utc_offset))

    def now(self):
        """Its time now, as a Unix time."""
        return self.anchor + self.skew + (time.time() - self.anchor) * self.rate

    def error(self):
        """How far it is off the host's time line (the host's clock at --clock-rate)."""
        return self.now() - (self.anchor + (time.time() - self.anchor) * self.rate)

    def local(self):
        """Its time now as a local datetime."""
        return datetime.datetime.fromtimestamp(self.now(), self.zone)

    def set_local(self, text):
        """Sets it to `text` (yyyyMMddHHmmss, local time); False when that is no time."""
        try:
            naive = datetime.datetime.strptime(text, "%Y%m%d%H%M%S")
        except ValueError:
            return False
        self.skew += naive.replace(tzinfo=self.zone).timestamp() - self.now()
        return True


class QnClock:
    """Unique QNs (yyyyMMddHHmmssSSS) from the logger's clock, one millisecond apart at least
    (until its clock is set back)."""

    def __init__(self, clock):
        self.clock = clock
        self.last = None

    def next(self):
        now = self.clock.local()
        now = now.replace(microsecond=now.microsecond // 1000 * 1000)
        # Two in one millisecond: the next millisecond (not after the clock was set back).
        if self.last is not None and self.last - datetime.timedelta(seconds=1) < now <= self.last:
            now = self.last + datetime.timedelta(milliseconds=1)
        self.last = now
        return now.strftime("%Y%m%d%H%M%S") + "%03d" % (now.microsecond // 1000)


def split_cp(payload, limit):
    """The CP cut at `;` into pieces of at most `limit` characters."""
    if len(payload) <= limit:
        return [payload]
    pieces, current = [], ""
    for group in payload.split(";"):
        if len(group) > limit:
            raise ValueError("CP group %r is longer than --max-cp %d" % (group[:40], limit))
        candidate = group if not current else current + ";" + group
        if len(candidate) > limit:
            pieces.append(current)
            candidate = group
        current = candidate
    pieces.append(current)
    return pieces


def make_packet(args, pw, mn, number, qn, cn, payload, ack, st=None):
    """One upload (split when its CP is longer than --max-cp)."""
    pieces = split_cp(payload, args.max_cp)
    flag = wire.flag_value(ack, split=len(pieces) > 1)
    st = st or args.st
    if len(pieces) == 1:
        segments = [wire.data_segment(qn, st, cn, pw, mn, flag, payload)]
    else:
        segments = [wire.data_segment(qn, st, cn, pw, mn, flag, piece,
                                      pnum=len(pieces), pno=i + 1)
                    for i, piece in enumerate(pieces)]
    for segment in segments:
        wire.frame(segment)
    return Packet(number, qn, ack, segments)


def load_packets(args, pw, mn, qns):
    """The packets of --input, with the place of any error (file:line: field: problem)."""
    name = "<stdin>" if args.input == "-" else args.input
    try:
        source = sys.stdin if args.input == "-" else open(args.input, encoding="utf-8")
    except OSError as e:
        raise ValueError("%s: %s" % (name, e))
    packets = []
    with source:
        for number, line in enumerate(source, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            where = "%s:%d" % (name, number)
            try:
                item = json.loads(line)
            except json.JSONDecodeError as e:
                raise ValueError("%s: not JSON: %s" % (where, e))
            if not isinstance(item, dict):
                raise ValueError("%s: expected an object" % where)
            cn = str(item.get("cn", ""))
            if len(cn) != 4 or not cn.isdigit():
                raise ValueError("%s: field cn: expected a 4-digit command number" % where)
            if "cp" in item:
                payload = str(item["cp"])
            else:
                values = item.get("values", {})
                if not isinstance(values, dict) or not all(
                        isinstance(v, dict) for v in values.values()):
                    raise ValueError("%s: field values: expected {code: {suffix: value}}"
                                     % where)
                payload = wire.cp_payload(item.get("datatime"), values)
            ack = bool(item.get("ack", args.ack))
            qn = str(item.get("qn") or qns.next())
            st = str(item.get("st", args.st))
            try:
                packets.append(make_packet(args, pw, mn, len(packets) + 1, qn, cn, payload,
                                           ack, st))
            except ValueError as e:
                raise ValueError("%s: %s" % (where, e))
    return packets


class Link:
    """One TCP connection to the platform, with a task that reads and dispatches packets."""

    def __init__(self, reader, writer, dispatch):
        self.reader, self.writer = reader, writer
        self.lost = asyncio.get_running_loop().create_future()
        self.framer = wire.Framer()
        self.task = asyncio.create_task(self._read(dispatch))

    async def _read(self, dispatch):
        try:
            while True:
                data = await self.reader.read(4096)
                if not data:
                    break
                for frame in self.framer.feed(data):
                    await dispatch(frame)
        except (ConnectionError, OSError):
            pass
        finally:
            if not self.lost.done():
                self.lost.set_result(True)

    def abort(self):
        self.writer.transport.abort()


class Logger:
    """The logger's state: the link, the acknowledgements awaited, and the counts."""

    def __init__(self, args, pw):
        self.args = args
        self.pw = pw
        if args.wrong_pw:
            self.pw = pw[:-1] + ("1" if pw[-1:] == "0" else "0") if pw else "000000"
        self.link = None
        self.generation = 0
        self.lock = asyncio.Lock()
        self.pending = {}
        self.rtd_interval = args.rtd_interval
        self.clock = LoggerClock(args.clock_skew, args.clock_rate, args.clock_anchor,
                                 args.utc_offset)
        self.qns = QnClock(self.clock)
        self.realtime = []
        self.counts = dict(sent=0, acknowledged=0, retried=0, failed=0, rejected=0,
                           corrupted=0, disconnects=0, invalid_replies=0)
        self.replies, self.commands, self.failed_qns = {}, [], []

    async def connect(self, patience=5.0):
        """Opens a link, trying for `patience` seconds; False if it cannot."""
        deadline = asyncio.get_running_loop().time() + patience
        while True:
            try:
                reader, writer = await asyncio.open_connection(self.args.host, self.args.port)
                self.link = Link(reader, writer, self.dispatch)
                self.generation += 1
                return True
            except OSError as e:
                if asyncio.get_running_loop().time() >= deadline:
                    print("hj212_peer logger: cannot connect to %s:%d: %s"
                          % (self.args.host, self.args.port, e), file=sys.stderr)
                    return False
                await asyncio.sleep(0.2)

    async def reconnect(self, generation):
        """A new link if the one of `generation` is lost (once for all its waiters)."""
        async with self.lock:
            if self.generation != generation:
                return True
            self.counts["disconnects"] += 1
            self.link.abort()
            return await self.connect()

    async def write(self, blob):
        """Writes `blob` at once, or in 3 pieces with pauses under --split."""
        pieces = [blob]
        if self.args.split and len(blob) >= 3:
            third = len(blob) // 3
            pieces = [blob[:third], blob[third:2 * third], blob[2 * third:]]
        for i, piece in enumerate(pieces):
            if i:
                await asyncio.sleep(self.args.split_pause)
            try:
                self.link.writer.write(piece)
                await self.link.writer.drain()
            except (ConnectionError, OSError):
                return

    async def send_reply(self, segment):
        await self.write(wire.frame(segment))

    async def dispatch(self, frame):
        """Handles one packet from the platform: acknowledgements and commands."""
        fields = frame.fields
        if frame.problem is not None:
            self.counts["invalid_replies"] += 1
            return
        cn, qn = fields["CN"], fields["QN"]
        self.replies[cn] = self.replies.get(cn, 0) + 1
        waiter = self.pending.get(qn)
        if cn == "9014" and waiter is not None and not waiter.done():
            waiter.set_result("acknowledged")
        elif cn == "9011" and waiter is not None and not waiter.done():
            if fields["cp_plain"].get("QnRtn") != "1":
                waiter.set_result("rejected")
        elif cn in COMMANDS or not cn.startswith("9"):
            await self.answer(fields)

    async def answer(self, fields):
        """Answers a platform request: 9011 (QnRtn), the data asked for, 9012 (ExeRtn)."""
        cn, qn, mn = fields["CN"], fields["QN"], self.args.mn
        rtn = "1"
        if fields["MN"] != mn:
            rtn = "4"
        elif fields["PW"] != self.pw:
            rtn = "3"
        elif cn not in COMMANDS:
            rtn = "8"

        def segment(reply_cn, st, cp):
            return wire.data_segment(qn, st, reply_cn, self.pw, mn, 4, cp)

        await self.send_reply(segment("9011", "91", "QnRtn=%s" % rtn))
        record = {"cn": int(cn), "qn": qn, "qn_rtn": int(rtn)}
        self.commands.append(record)
        if rtn != "1":
            return
        plain, exe = fields["cp_plain"], "1"
        if cn == "1011":
            now = self.clock.local().strftime("%Y%m%d%H%M%S")
            await self.send_reply(segment("1011", self.args.st, "SystemTime=%s" % now))
        elif cn == "1012":
            value = plain.get("SystemTime", "")
            record["system_time"] = value
            record["clock_error_before"] = round(self.clock.error(), 3)
            ok = len(value) == 14 and value.isdigit() and self.clock.set_local(value)
            exe = "1" if ok else "3"
        elif cn == "1061":
            await self.send_reply(segment("1061", self.args.st,
                                          "RtdInterval=%d" % self.rtd_interval))
        elif cn == "1062":
            value = plain.get("RtdInterval", "")
            if value.isdigit() and 30 <= int(value) <= 3600:
                self.rtd_interval = int(value)
                record["rtd_interval"] = self.rtd_interval
            else:
                exe = "3"
        record["exe_rtn"] = int(exe)
        await self.send_reply(segment("9012", "91", "ExeRtn=%s" % exe))

    async def await_ack(self, packet):
        """Waits for the acknowledgement of `packet` (already written), resending after each
        timeout or lost connection, at most --retries times."""
        attempts = 0
        while True:
            waiter = self.pending[packet.qn]
            link, generation = self.link, self.generation
            done, _ = await asyncio.wait({waiter, link.lost}, timeout=self.args.timeout,
                                         return_when=asyncio.FIRST_COMPLETED)
            if waiter in done:
                self.counts[waiter.result()] += 1
                del self.pending[packet.qn]
                return
            if link.lost in done and not await self.reconnect(generation):
                break
            if attempts >= self.args.retries:
                break
            attempts += 1
            self.counts["retried"] += 1
            self.pending[packet.qn] = asyncio.get_running_loop().create_future()
            await self.write(packet.wire())
        self.counts["failed"] += 1
        self.failed_qns.append(packet.qn)
        del self.pending[packet.qn]

    async def send_batch(self, batch):
        """Writes a batch (--together) and waits for its acknowledgements."""
        blob = b""
        for packet in batch:
            corrupt = self.args.bad_crc and packet.number % self.args.bad_crc == 0
            self.counts["corrupted"] += 1 if corrupt else 0
            data = packet.wire(corrupt=corrupt)
            if packet.ack:
                self.pending[packet.qn] = asyncio.get_running_loop().create_future()
            blob += (GARBAGE if self.args.garbage else b"") + data
            blob += data if self.args.resend else b""
        await self.write(blob)
        self.counts["sent"] += len(batch)
        last = batch[-1].number
        n = self.args.disconnect_after
        if n and last >= n and last - len(batch) < n:
            await asyncio.sleep(0.05)
            await self.reconnect(self.generation)
            for packet in batch:
                if packet.ack and not self.pending[packet.qn].done():
                    self.counts["retried"] += 1
                    await self.write(packet.wire())
        await asyncio.gather(*(self.await_ack(p) for p in batch if p.ack))

    async def send_realtime(self, seconds):
        """For `seconds` (real time), sends real-time data (2011) every `rtd_interval` seconds
        of its clock, `DataTime` its time then; a 1062 changes the pace from the next one."""
        loop = asyncio.get_running_loop()
        end = loop.time() + seconds
        while loop.time() < end:
            local = self.clock.local()
            datatime = local.strftime("%Y%m%d%H%M%S")
            payload = wire.cp_payload(datatime, self.args.rtd_values)
            number = len(self.realtime) + 1
            packet = make_packet(self.args, self.pw, self.args.mn, number, self.qns.next(),
                                 "2011", payload, self.args.ack)
            self.realtime.append(dict(datatime=datatime, interval=self.rtd_interval,
                                      clock_error=round(self.clock.error(), 3)))
            await self.send_batch([packet])
            await asyncio.sleep(max(0.0, min(self.rtd_interval / self.clock.rate,
                                             end - loop.time())))

    def summary(self):
        return dict(mn=self.args.mn, connected=True, **self.counts,
                    replies=self.replies, commands=self.commands,
                    failed_qns=self.failed_qns, realtime=self.realtime,
                    rtd_interval=self.rtd_interval, clock_error=round(self.clock.error(), 3))


async def run_logger(args, pw):
    """Runs the logger and returns its summary."""
    logger = Logger(args, pw)
    packets = load_packets(args, logger.pw, args.mn, logger.qns)
    if not await logger.connect():
        return dict(mn=args.mn, connected=False, sent=0)
    for i in range(0, len(packets), args.together):
        if i and args.interval:
            await asyncio.sleep(args.interval)
        await logger.send_batch(packets[i:i + args.together])
    if args.rtd_for:
        await logger.send_realtime(args.rtd_for)
    if args.linger:
        await asyncio.sleep(args.linger)
    logger.link.writer.close()
    return logger.summary()
