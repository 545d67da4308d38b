#!/usr/bin/env python3
"""An independent HJ 212-2017 peer for lantian's tests, written from the standard's text
(../shared/reference/hj212.md), not from lantian's Rust code. Python 3 standard library only.

    hj212_peer.py logger   --port P --mn MN --pw-env VAR --input packets.jsonl [options]
    hj212_peer.py platform --port P --accept MN=VAR [--accept-file F] --out received.jsonl [options]
    hj212_peer.py selftest [--corpus packets.jsonl]

logger: a data logger. Connects to --host (127.0.0.1) : --port, sends one packet per line of
--input (`-` for stdin), waits for the 9014 acknowledgement of each packet whose Flag asks for
one (A bit): --timeout seconds (10), then resends, --retries times (3) — the standard's Table 1.
The PW comes from --pw-env VAR or --pw-file PATH, never from the command line. Input lines:

    {"cn": 2061, "datatime": "20260301080000", "values": {"a34004": {"Avg": "35.2", "Flag": "N"}}}

  cn        2011 real-time, 2051 minute, 2061 hourly, 2031 daily (any 4-digit CN is sent)
  datatime  `DataTime` (yyyyMMddHHmmss), the first CP group; omitted when absent
  values    {code: {suffix: value}}, one CP group per code, in the order given; values are
            written as given (strings are best: "35.20" keeps its digits)
  cp        optional: the raw CP payload, replacing datatime/values (for odd packets)
  ack       optional: true/false, whether Flag asks for a reply (default: --ack/--no-ack)
  qn, st    optional: QN (default: now, yyyyMMddHHmmssSSS, unique per packet), ST (--st, 22)
Blank lines and lines starting with `#` are skipped. When the CP is longer than --max-cp (950),
the packet is split (Flag D bit, PNUM/PNO, one QN): the CP is cut at `;` between groups, so
the parts' CPs joined with `;` in PNO order give the whole CP.

When the run ends the logger prints one JSON line on stdout: packets `sent`, `acknowledged`,
`retried` (resends after a timeout, a lost connection or a corrupted first try), `failed` (no
acknowledgement after the retries), `rejected` (answered 9011 with a QnRtn other than 1),
`corrupted`, `disconnects`, `replies` (packets received, by CN), `commands` answered, and the
QNs of failed packets. Exit status 0 when the run completed (read the summary), 2 on bad usage
or input, 3 when it could not connect.

Misbehaviour on purpose: --bad-crc N corrupts the CRC of every Nth packet's first transmission
(a resend after the timeout is correct, as after corruption in transit; without A bit the
packet is lost); --split sends each packet in 3 writes --split-pause apart; --together K writes
K packets at once; --garbage writes bytes that are not a packet before each packet; --resend
writes each packet twice; --wrong-pw sends a PW other than the configured one; --disconnect-
after N drops the connection right after the Nth packet, then reconnects and goes on (packets
awaiting an acknowledgement are resent). --linger S keeps the connection open S seconds after
the last packet to answer platform commands: 1011/1012 get/set time, 1061/1062 get/set the
real-time interval, answered with 9011 (QnRtn), the data, and 9012 (ExeRtn).

The logger keeps its own clock: the host's plus --clock-skew seconds, running --clock-rate
times as fast from --clock-anchor (a Unix time, default now: to follow a platform whose clock
is accelerated), shown at UTC+--utc-offset hours (8). QNs and real-time DataTimes come from
it, 1011 reads it and 1012 sets it (SystemTime, local time). --rtd-for S sends real-time data
(2011, the values of --rtd-values {code: {suffix: value}}) every --rtd-interval seconds (30)
of its clock for S real seconds after the input's packets; 1062 changes that interval from
the next packet. The summary adds `realtime` (each real-time packet's datatime, the interval
then and the clock's error), the final `rtd_interval` and `clock_error` (seconds), and for
each 1012 the `clock_error_before` it.

platform: an upper (provincial/national) platform. Listens on 127.0.0.1:--port (0: any; the
first stdout line is {"listening": PORT}), frames packets from each connection, checks length
and CRC, checks MN/PW against --accept MN=VAR (the PW in environment variable VAR), --accept-file
(lines MN=PW) or --accept-any, and answers 9014 (the upload's QN, ST=91, Flag=4, CP=&&&&)
to each accepted packet whose Flag has the A bit. Appends one JSON line per received packet
to --out (flushed per line): peer, conn, status (valid/bad-length/bad-crc/malformed),
accepted, reason, st, cn, mn, qn, flag, pnum, pno, datatime, cp {code: {suffix: value}},
cp_plain, len, len_ok, crc, crc_ok, reads (in how many socket reads the packet arrived),
answered (the answer's CN or null); with --raw the packet text too. Bytes that are no packet are counted (`skipped`) in a line per closed connection.
On demand it misbehaves: --drop-acks N leaves the first N acknowledgements unsent, --stall S
waits S seconds before each answer, --close-after N closes the connection on the Nth packet
(unanswered; once). --max-connections (64) and --idle-timeout (300 s) bound what a client
can hold.

selftest: the CRC test vector (1C80), build → parse round trips, the framer on split, merged
and garbled streams, the shared corpus's CRCs and lengths (when found), and a logger against a
platform on loopback with every misbehaviour.
"""
import argparse
import asyncio
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from hj212_logger import run_logger  # noqa: E402
from hj212_platform import run_platform  # noqa: E402


class UsageError(Exception):
    """Bad options or input, reported with exit status 2."""


def read_secret(env_name, path, what):
    """A secret from an environment variable or a file (its first line)."""
    if env_name:
        value = os.environ.get(env_name)
        if value is None:
            raise UsageError("%s: environment variable %s is not set" % (what, env_name))
        return value
    if path:
        try:
            with open(path, encoding="utf-8") as f:
                return f.readline().rstrip("\r\n")
        except OSError as e:
            raise UsageError("%s: cannot read %s: %s" % (what, path, e))
    raise UsageError("%s: give --pw-env NAME or --pw-file PATH" % what)


def accepted_stations(pairs, path, any_station):
    """{MN: PW} from --accept MN=VAR pairs and an --accept-file of MN=PW lines; None for
    --accept-any."""
    if any_station:
        return None
    stations = {}
    for pair in pairs or []:
        mn, eq, var = pair.partition("=")
        if not eq or not mn:
            raise UsageError("--accept %r: expected MN=ENVVAR" % pair)
        stations[mn] = read_secret(var, None, "--accept %s" % mn)
    if path:
        try:
            with open(path, encoding="utf-8") as f:
                for number, line in enumerate(f, 1):
                    line = line.strip()
                    if not line or line.startswith("#"):
                        continue
                    mn, eq, pw = line.partition("=")
                    if not eq or not mn:
                        raise UsageError("%s:%d: expected MN=PW" % (path, number))
                    stations[mn] = pw
        except OSError as e:
            raise UsageError("--accept-file: cannot read %s: %s" % (path, e))
    if not stations:
        raise UsageError("platform: give --accept MN=ENVVAR, --accept-file or --accept-any")
    return stations


def arguments(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="mode", required=True)

    lg = sub.add_parser("logger", help="send data packets as a data logger")
    lg.add_argument("--host", default="127.0.0.1")
    lg.add_argument("--port", type=int, required=True)
    lg.add_argument("--mn", required=True, help="station MN")
    lg.add_argument("--pw-env", metavar="NAME", help="environment variable holding the PW")
    lg.add_argument("--pw-file", metavar="PATH", help="file whose first line is the PW")
    lg.add_argument("--input", required=True, help="JSON lines, one packet each (- = stdin)")
    lg.add_argument("--st", default="22", help="system code (22 ambient air)")
    lg.add_argument("--ack", dest="ack", action="store_true", default=True,
                    help="ask for acknowledgements (default)")
    lg.add_argument("--no-ack", dest="ack", action="store_false")
    lg.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for 9014")
    lg.add_argument("--retries", type=int, default=3, help="resends after a timeout")
    lg.add_argument("--interval", type=float, default=0.0, help="seconds between packets")
    lg.add_argument("--max-cp", type=int, default=950, help="longest CP before splitting")
    lg.add_argument("--bad-crc", type=int, default=0, metavar="N")
    lg.add_argument("--split", action="store_true")
    lg.add_argument("--split-pause", type=float, default=0.05)
    lg.add_argument("--together", type=int, default=1, metavar="K")
    lg.add_argument("--garbage", action="store_true")
    lg.add_argument("--resend", action="store_true")
    lg.add_argument("--wrong-pw", action="store_true")
    lg.add_argument("--disconnect-after", type=int, default=0, metavar="N")
    lg.add_argument("--linger", type=float, default=0.0, metavar="SECONDS")
    lg.add_argument("--clock-skew", type=float, default=0.0, metavar="SECONDS")
    lg.add_argument("--clock-rate", type=float, default=1.0, metavar="RATE")
    lg.add_argument("--clock-anchor", type=float, default=None, metavar="UNIX_TIME")
    lg.add_argument("--utc-offset", type=float, default=8.0, metavar="HOURS")
    lg.add_argument("--rtd-interval", type=int, default=30, metavar="SECONDS")
    lg.add_argument("--rtd-for", type=float, default=0.0, metavar="SECONDS")
    lg.add_argument("--rtd-values", type=json.loads,
                    default={"a34004": {"Rtd": "35.0", "Flag": "N"}}, metavar="JSON")

    pf = sub.add_parser("platform", help="receive packets as an upper platform")
    pf.add_argument("--port", type=int, required=True, help="port on 127.0.0.1 (0: any)")
    pf.add_argument("--accept", action="append", metavar="MN=ENVVAR")
    pf.add_argument("--accept-file", metavar="PATH", help="lines MN=PW")
    pf.add_argument("--accept-any", action="store_true")
    pf.add_argument("--out", required=True, help="JSON lines, one per received packet")
    pf.add_argument("--raw", action="store_true", help="record the packet text as well")
    pf.add_argument("--drop-acks", type=int, default=0, metavar="N")
    pf.add_argument("--stall", type=float, default=0.0, metavar="SECONDS")
    pf.add_argument("--close-after", type=int, default=0, metavar="N")
    pf.add_argument("--max-connections", type=int, default=64)
    pf.add_argument("--idle-timeout", type=float, default=300.0)

    st = sub.add_parser("selftest", help="check the CRC vector, round trips and a loopback run")
    st.add_argument("--corpus", help="the shared packets.jsonl (default: found by path)")
    return p.parse_args(argv)


def main(argv=None):
    args = arguments(argv)
    try:
        if args.mode == "logger":
            if args.together < 1 or args.bad_crc < 0 or args.retries < 0:
                raise UsageError("--together must be >= 1, --bad-crc and --retries >= 0")
            if args.clock_rate <= 0 or not 30 <= args.rtd_interval <= 3600:
                raise UsageError("--clock-rate must be > 0, --rtd-interval 30..3600")
            password = read_secret(args.pw_env, args.pw_file, "logger PW")
            summary = asyncio.run(run_logger(args, password))
            print(json.dumps(summary), flush=True)
            return 0 if summary.get("connected", True) else 3
        if args.mode == "platform":
            stations = accepted_stations(args.accept, args.accept_file, args.accept_any)
            try:
                asyncio.run(run_platform(args, stations))
            except KeyboardInterrupt:
                pass
            return 0
        from hj212_selftest import run_selftest
        return run_selftest(args.corpus)
    except UsageError as e:
        print("hj212_peer: %s" % e, file=sys.stderr)
        return 2
    except ValueError as e:  # input errors from the logger name their file and line
        print("hj212_peer: %s" % e, file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
