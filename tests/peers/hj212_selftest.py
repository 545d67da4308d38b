"""`hj212_peer.py selftest`: checks the peer against the standard's own facts and itself."""
import argparse
import asyncio
import datetime
import json
import os
import tempfile

import hj212_wire as wire
from hj212_logger import run_logger
from hj212_platform import Platform

VECTOR = ("QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;Flag=5;"
          "CP=&&RtdInterval=30&&")
MN, PW = "LT0000000000000000000001", "123456"


def crc_modbus(data):
    """CRC-16/MODBUS, only to show that the HJ CRC differs from it."""
    crc = 0xFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


def check(condition, what):
    if not condition:
        raise AssertionError(what)


def packet(cn="2011", qn="20260301080000123", values=None, flag=5, pw=PW):
    values = values or {"a34004": {"Rtd": "35.2", "Flag": "N"}, "a21026": {"Rtd": "7"}}
    return wire.frame(wire.data_segment(qn, 22, cn, pw, MN, flag,
                                        wire.cp_payload("20260301080000", values)))


def offline_checks():
    body = VECTOR.encode()
    check(len(body) == 101, "vector length %d" % len(body))
    check(wire.crc_text(body) == "1C80", "vector CRC %s" % wire.crc_text(body))
    check(crc_modbus(body) == 0x0759, "CRC-16/MODBUS of the vector %04X" % crc_modbus(body))
    check(wire.frame(VECTOR) == b"##0101" + body + b"1C80\r\n", "vector packet")

    one = packet()
    frames = wire.Framer().feed(one)
    check(len(frames) == 1 and frames[0].problem is None, "round trip: %r" % frames)
    f = frames[0].fields
    check((f["QN"], f["ST"], f["CN"], f["PW"], f["MN"], f["Flag"])
          == ("20260301080000123", "22", "2011", PW, MN, "5"), "round trip header %r" % f)
    check(f["DataTime"] == "20260301080000", "round trip DataTime")
    check(f["cp"] == {"a34004": {"Rtd": "35.2", "Flag": "N"}, "a21026": {"Rtd": "7"}},
          "round trip CP %r" % f["cp"])

    framer, got = wire.Framer(), []
    stream = b"\x00#" + one + b"junk##12ab" + one + one + b"#" + one
    for b in stream:  # one byte per read
        got += framer.feed(bytes([b]))
    check([g.problem for g in got] == [None] * 4, "byte-wise stream: %r"
          % [(g.problem, g.raw) for g in got])
    check(framer.skipped == len(stream) - 4 * len(one), "skipped %d" % framer.skipped)
    check([g.reads for g in got] == [len(one)] * 4, "reads %r" % [g.reads for g in got])
    got = wire.Framer().feed(one + one)
    check([g.reads for g in got] == [1, 1], "reads of merged packets %r" % got)

    bad_crc = one[:-6] + b"0000\r\n"
    lower = b"##0101" + body + b"1c80\r\n"  # the standard writes the CRC in upper case
    wrong_len = b"##0999" + one[6:]
    got = wire.Framer().feed(bad_crc + wrong_len + one + b"##0010QN=1;ST=22&&ABCD\r\n")
    check([g.problem for g in got] == ["bad-crc", "bad-length", None, "malformed"],
          "bad packets: %r" % [(g.problem, g.detail) for g in got])
    check(wire.Framer().feed(lower)[0].problem == "bad-crc", "lower-case CRC accepted")
    big = wire.Framer()
    check(big.feed(b"##1000" + b"x" * 5000) == [] and len(big.buf) < big.LIMIT, "unbounded")

    cp, plain, dups = wire.parse_cp("DataTime=1;SB1-RS=1;a01001-Rtd=2,a01001-Rtd=3;x")
    check(cp == {"SB1": {"RS": "1"}, "a01001": {"Rtd": "2"}} and plain == {"DataTime": "1"}
          and dups == ["a01001-Rtd=3", "x"], "parse_cp %r %r %r" % (cp, plain, dups))


def corpus_checks(path):
    """Our CRC and lengths against the shared corpus' computed facts; 2017 packets that the
    corpus calls valid are valid here."""
    checked = 0
    with open(path, encoding="utf-8") as f:
        for line in f:
            rec = json.loads(line)
            text = rec["text"]
            if rec["status"] == "malformed" or not rec["crlf"] or rec["trailing_after_crc"]:
                continue
            frames = wire.Framer().feed(text.encode("utf-8"))
            check(len(frames) == 1, "%s: %d frames" % (rec["id"], len(frames)))
            fr = frames[0]
            check(fr.crc == rec["crc_hj"], "%s: CRC %s, corpus %s" % (rec["id"], fr.crc,
                                                                       rec["crc_hj"]))
            check(fr.length == rec["len_bytes"], "%s: length" % rec["id"])
            strict = rec["crc_case"] != "lower" and rec["length_basis"] == "utf8-bytes"
            if rec["status"] == "valid" and rec["qn"] is not None and rec["flag"] is not None \
                    and strict:
                check(fr.problem is None, "%s: %s %s" % (rec["id"], fr.problem, fr.detail))
            checked += 1
    return checked


def logger_args(port, path, **over):
    a = dict(host="127.0.0.1", port=port, mn=MN, input=path, st="22", ack=True, timeout=2.0,
             retries=3, interval=0.0, max_cp=950, bad_crc=0, split=False, split_pause=0.01,
             together=1, garbage=False, resend=False, wrong_pw=False, disconnect_after=0,
             linger=0.0, clock_skew=0.0, clock_rate=1.0, clock_anchor=None, utc_offset=8.0,
             rtd_interval=30, rtd_for=0.0, rtd_values={"a34004": {"Rtd": "1.0"}})
    a.update(over)
    return argparse.Namespace(**a)


async def loopback(tmp):
    """A logger against a platform in this process, once per misbehaviour."""
    lines = [{"cn": cn, "datatime": "2026030108%02d00" % i,
              "values": {"a34004": {"Avg": "%d.5" % i, "Flag": "N"}, "a01001": {"Avg": "-1.0"}}}
             for i, cn in enumerate([2011, 2051, 2061, 2031, 2011, 2051])]
    path = os.path.join(tmp, "in.jsonl")
    with open(path, "w") as f:
        f.write("# comment\n\n" + "".join(json.dumps(x) + "\n" for x in lines))

    async def run(platform_opts, **logger_opts):
        out = os.path.join(tmp, "out-%d.jsonl" % len(os.listdir(tmp)))
        pargs = argparse.Namespace(out=out, raw=False, drop_acks=0, stall=0.0, close_after=0,
                                   max_connections=4, idle_timeout=30.0)
        vars(pargs).update(platform_opts)
        platform = Platform(pargs, {MN: PW})
        platform.events = lambda **_: None
        server = await asyncio.start_server(platform.handle, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        summary = await run_logger(logger_args(port, path, **logger_opts), PW)
        await platform.settle()
        server.close()
        platform.out.close()
        with open(out) as f:
            return summary, [json.loads(x) for x in f]

    def values(received):
        return [(r["cn"], r["datatime"], r["cp"]) for r in received if r["accepted"]]

    expected = [(str(x["cn"]), x["datatime"], x["values"]) for x in lines]
    s, got = await run({})
    check(s["acknowledged"] == 6 and s["failed"] == 0 and values(got) == expected, "plain %r" % s)
    check(all(r["flag"] == 5 and r["answered"] == "9014" for r in got), "flags %r" % got)
    s, got = await run({}, split=True, together=2, garbage=True, resend=True)
    check(s["acknowledged"] == 6 and values(got)[::2] == expected and len(got) == 12
          and max(r["reads"] for r in got) >= 2,
          "split/together/garbage/resend %r %r" % (s, values(got)))
    s, got = await run({}, bad_crc=2, timeout=0.3)
    check((s["acknowledged"], s["retried"], s["corrupted"]) == (6, 3, 3) and
          [r["status"] for r in got].count("bad-crc") == 3 and values(got) == expected,
          "bad-crc %r" % s)
    s, got = await run({}, wrong_pw=True, retries=1, timeout=0.2)
    check(s["failed"] == 6 and len(got) == 12 and {r["reason"] for r in got} == {"wrong PW"},
          "wrong PW %r" % s)
    s, got = await run({}, disconnect_after=2)
    check(s["acknowledged"] == 6 and s["disconnects"] == 1
          and {r["conn"] for r in got} == {1, 2}, "disconnect %r" % s)
    s, got = await run({"drop_acks": 2}, timeout=0.3)
    check(s["acknowledged"] == 6 and s["retried"] == 2 and len(got) == 8, "drop acks %r" % s)
    s, got = await run({"close_after": 3})
    check(s["acknowledged"] == 6 and s["disconnects"] == 1, "close-after %r" % s)
    s, got = await run({"stall": 0.5}, timeout=0.3, retries=0)
    check(s["failed"] == 6, "stall %r" % s)
    s, got = await run({}, ack=False)
    check(s["acknowledged"] == 0 and s["sent"] == 6 and all(r["flag"] == 4 for r in got)
          and all(r["answered"] is None for r in got), "no ack %r" % s)
    s, got = await run({}, max_cp=40)
    check(s["acknowledged"] == 6 and all(r["flag"] == 7 for r in got), "split CP %r" % s)
    joined = {}
    for r in got:  # the parts of one packet: one QN, PNO 1..PNUM, CPs that add up
        qn, cn, datatime, cp, pnos = joined.get(r["qn"], (r["qn"], r["cn"], None, {}, []))
        cp.update(r["cp"])
        joined[r["qn"]] = (qn, cn, datatime or r["datatime"], cp, pnos + [(r["pno"], r["pnum"])])
    check([(cn, t, cp) for _, cn, t, cp, _ in joined.values()] == expected and
          all(pnos == [("1", "3"), ("2", "3"), ("3", "3")] for *_, pnos in joined.values()),
          "PNUM/PNO %r" % joined)
    await command_check(tmp)


async def command_check(tmp):
    """A platform asks the logger for its time and sets its real-time interval."""
    answers = []

    utc8 = datetime.timezone(datetime.timedelta(hours=8))
    host_time = datetime.datetime.now(utc8).strftime("%Y%m%d%H%M%S")

    async def ask(reader, writer):
        for qn, cn, cp, replies in (("20260301080000001", "1011", "", 3),
                                    ("20260301080000002", "1062", "RtdInterval=60", 2),
                                    ("20260301080000003", "1012", "SystemTime=" + host_time, 2)):
            writer.write(wire.frame(wire.data_segment(qn, 22, cn, PW, MN, 5, cp)))
            framer, got = wire.Framer(), []
            while len(got) < replies:
                got += framer.feed(await reader.read(4096))
            answers.extend(got)
        writer.close()

    server = await asyncio.start_server(ask, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    path = os.path.join(tmp, "empty.jsonl")
    open(path, "w").close()
    s = await run_logger(logger_args(port, path, linger=0.5, clock_skew=500.0), PW)
    server.close()
    cns = [(a.fields["CN"], a.fields["QN"], a.fields["cp_plain"]) for a in answers]
    check([c[0] for c in cns] == ["9011", "1011", "9012", "9011", "9012", "9011", "9012"],
          "cmds %r" % cns)
    check(abs(s["commands"][2]["clock_error_before"] - 500) < 1 and abs(s["clock_error"]) < 2,
          "1012 sets the clock %r" % s)
    check(cns[0][1] == cns[1][1] == cns[2][1] == "20260301080000001", "reply QNs %r" % cns)
    check(cns[3][2] == {"QnRtn": "1"} and cns[4][2] == {"ExeRtn": "1"}, "1062 %r" % cns)
    check(s["commands"][1]["rtd_interval"] == 60, "interval %r" % s)


def run_selftest(corpus):
    offline_checks()
    print("selftest: CRC vector 1C80, round trip, framer: ok")
    if corpus is None:
        here = os.path.dirname(os.path.abspath(__file__))
        for up in ("../../..", "../../../.."):
            candidate = os.path.normpath(os.path.join(here, up, "shared/data/hj212/packets.jsonl"))
            if os.path.exists(candidate):
                corpus = candidate
                break
    if corpus:
        print("selftest: corpus %s: %d packets checked: ok" % (corpus, corpus_checks(corpus)))
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(loopback(tmp))
    print("selftest: logger against platform on loopback: ok")
    return 0
