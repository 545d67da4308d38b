"""HJ 212-2017 on the wire, written from the standard's text (see hj212_peer.py).

Standard library only. Used by hj212_peer.py; nothing here comes from lantian's Rust code.

Packet: `##` + 4-digit decimal length of the data segment + data segment + 4 upper-case hex
CRC of the data segment + CR LF. Data segment:
`QN=yyyyMMddHHmmssSSS;ST=22;CN=2011;PW=..;MN=..;Flag=5;[PNUM=..;PNO=..;]CP=&&payload&&`.
"""

MAX_SEGMENT = 1024
"""The longest data segment the standard allows (the length field's range)."""

MAX_CP = 950
"""The longest CP payload the standard allows."""

FRAME_OVERHEAD = 2 + 4 + 4 + 2
"""`##`, the length field, the CRC and CR LF."""

FLAG_ACK = 1
"""Flag bit A: the sender asks for an answer."""

FLAG_SPLIT = 2
"""Flag bit D: a split packet, PNUM/PNO present."""

VERSION_2017 = 1
"""The version field (Flag >> 2) of the 2017 edition."""

HEADER_KEYS = ("QN", "ST", "CN", "PW", "MN", "Flag")
"""The header fields every 2017 packet carries, in the standard's order."""


def crc_hj212(data: bytes) -> int:
    """The CRC printed in the standard (not CRC-16/MODBUS): the register is shifted right by
    8 and XORed with each byte, then 8 rounds of the 0xA001 polynomial."""
    crc = 0xFFFF
    for b in data:
        crc = (crc >> 8) ^ b
        for _ in range(8):
            if crc & 1:
                crc = (crc >> 1) ^ 0xA001
            else:
                crc >>= 1
    return crc


def crc_text(data: bytes) -> str:
    """The CRC of `data` as written in a packet: 4 upper-case hex digits."""
    return "%04X" % crc_hj212(data)


def flag_value(ack: bool, split: bool = False, version: int = VERSION_2017) -> int:
    """Flag = (version << 2) | D | A."""
    return (version << 2) | (FLAG_SPLIT if split else 0) | (FLAG_ACK if ack else 0)


def data_segment(qn, st, cn, pw, mn, flag, cp, pnum=None, pno=None) -> str:
    """The data segment of one packet; `cp` is the payload between `CP=&&` and `&&`."""
    split = "PNUM=%s;PNO=%s;" % (pnum, pno) if pnum is not None else ""
    return "QN=%s;ST=%s;CN=%s;PW=%s;MN=%s;Flag=%s;%sCP=&&%s&&" % (
        qn, st, cn, pw, mn, flag, split, cp)


def frame(segment: str, crc: str = None) -> bytes:
    """The whole packet around a data segment; `crc` replaces the computed CRC (to send a
    corrupted packet on purpose)."""
    body = segment.encode("utf-8")
    if len(body) > MAX_SEGMENT:
        raise ValueError("data segment is %d bytes, the standard allows %d"
                         % (len(body), MAX_SEGMENT))
    return b"##%04d%s%s\r\n" % (len(body), body, (crc or crc_text(body)).encode("ascii"))


def corrupt_crc(crc: str) -> str:
    """A different valid-looking CRC (upper-case hex), for --bad-crc."""
    return "%04X" % (int(crc, 16) ^ 0x5A5A)


def cp_payload(datatime, values) -> str:
    """`DataTime=...;code-Suffix=v,code-Suffix=v;...` from {code: {suffix: value}}: one group
    per code, `DataTime` first (omitted when `datatime` is None)."""
    groups = [] if datatime is None else ["DataTime=%s" % datatime]
    for code, fields in values.items():
        groups.append(",".join("%s-%s=%s" % (code, suffix, value)
                               for suffix, value in fields.items()))
    return ";".join(groups)


def parse_cp(payload: str):
    """(cp, cp_plain, duplicates) from a CP payload: items split on `;` and `,`; items with a
    `-` in the key go to cp as {code: {suffix: value}} (code = the key before its last `-`),
    the others to cp_plain {key: value}; repeated keys and pieces without `=` to duplicates."""
    cp, plain, duplicates = {}, {}, []
    for group in payload.split(";"):
        for item in group.split(","):
            if item == "":
                continue
            key, eq, value = item.partition("=")
            if not eq:
                duplicates.append(item)
                continue
            if "-" in key:
                code, _, suffix = key.rpartition("-")
                fields = cp.setdefault(code, {})
                if suffix in fields:
                    duplicates.append(item)
                else:
                    fields[suffix] = value
            elif key in plain:
                duplicates.append(item)
            else:
                plain[key] = value
    return cp, plain, duplicates


class PacketError(Exception):
    """A data segment that breaks the standard's layout."""


def parse_segment(segment: str) -> dict:
    """The fields of a data segment: the header fields by name (`QN`, `ST`, `CN`, `PW`, `MN`,
    `Flag`, `PNUM`, `PNO`), `cp`, `cp_plain`, `cp_duplicates` and `DataTime`.

    Raises PacketError naming what is missing or out of place."""
    start = segment.find("CP=&&")
    if start < 0:
        raise PacketError("no CP=&&")
    if not segment.endswith("&&") or len(segment) < start + 7:
        raise PacketError("CP not closed with &&")
    header, payload = segment[:start], segment[start + 5:-2]
    fields = {}
    for item in header.split(";"):
        if item == "":
            continue
        key, eq, value = item.partition("=")
        if not eq:
            raise PacketError("header item %r has no '='" % item)
        if key in fields:
            raise PacketError("header field %s repeated" % key)
        fields[key] = value
    for key in HEADER_KEYS:
        if key not in fields:
            raise PacketError("no %s" % key)
    if not fields["Flag"].isdigit():
        raise PacketError("Flag %r is not a number" % fields["Flag"])
    if int(fields["Flag"]) & FLAG_SPLIT and ("PNUM" not in fields or "PNO" not in fields):
        raise PacketError("Flag has the D bit but PNUM/PNO are missing")
    cp, plain, duplicates = parse_cp(payload)
    fields.update(cp=cp, cp_plain=plain, cp_duplicates=duplicates,
                  DataTime=plain.get("DataTime"), payload=payload)
    return fields


class Frame:
    """One packet cut from a stream at its CR LF: `raw` bytes, the data segment's text, the
    declared length, the CRC field and the computed CRC, the parsed `fields`, and `problem`:
    None for a valid packet, else the first of `malformed` (`detail` says why), `bad-length`,
    `bad-crc` (the CRC field must be the computed CRC in upper-case hex)."""

    def __init__(self, raw: bytes):
        self.raw = raw
        body, crc_field = raw[6:-6], raw[-6:-2]
        self.declared = int(raw[2:6])
        self.length = len(body)
        self.crc = crc_text(body)
        self.crc_field = crc_field.decode("ascii", "replace")
        self.len_ok = self.declared == self.length
        self.crc_ok = self.crc_field == self.crc
        self.segment, self.fields, self.problem, self.detail = None, None, None, None
        try:
            self.segment = body.decode("utf-8")
            if len(raw) < FRAME_OVERHEAD:
                raise PacketError("shorter than ## + length + CRC + CR LF")
            if not all(c in b"0123456789ABCDEFabcdef" for c in crc_field):
                raise PacketError("CRC field %r is not 4 hex digits" % self.crc_field)
            self.fields = parse_segment(self.segment)
        except UnicodeDecodeError:
            self.problem, self.detail = "malformed", "data segment is not UTF-8"
        except PacketError as e:
            self.problem, self.detail = "malformed", str(e)
        if self.problem is None and not self.len_ok:
            self.problem = "bad-length"
        if self.problem is None and not self.crc_ok:
            self.problem = "bad-crc"


class Framer:
    """Cuts packets out of a TCP byte stream: packets split across reads, several in one read,
    bytes that are not a packet skipped (`skipped` counts them), resynchronising on the next
    `##`. A packet ends at its CR LF (the data segment holds none), so a wrong length field is
    reported as `bad-length` rather than swallowing the next packet. Memory is bounded by the
    longest packet the standard allows."""

    LIMIT = FRAME_OVERHEAD + MAX_SEGMENT

    def __init__(self):
        self.buf = bytearray()
        self.skipped = 0

    def _skip(self, n):
        self.skipped += n
        del self.buf[:n]

    def feed(self, data: bytes):
        """The frames completed by `data`, in order."""
        self.buf += data
        out = []
        while True:
            start = self.buf.find(b"##")
            if start < 0:
                self._skip(len(self.buf) - (1 if self.buf.endswith(b"#") else 0))
                return out
            self._skip(start)
            if len(self.buf) < 6:
                return out
            if not bytes(self.buf[2:6]).isdigit():
                self._skip(1)
                continue
            crlf = self.buf.find(b"\r\n", 6)
            following = self.buf.find(b"##", 2)
            if 0 <= following and (crlf < 0 or following < crlf):
                self._skip(following)  # another packet starts before this one ended
                continue
            if crlf < 0:
                if len(self.buf) >= self.LIMIT:
                    self._skip(2)
                    continue
                return out
            raw = bytes(self.buf[:crlf + 2])
            del self.buf[:crlf + 2]
            out.append(Frame(raw))
