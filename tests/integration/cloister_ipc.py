"""The IPC codec of the integration tests and benches: record framing
(docs/ipc.md), typed fields, send and receive with an fd. Python 3 stdlib
only.

Its constants are read from the C headers at import, never copied: the
message types (the X(NAME, value) lists of common/ipc_types*.h and
store/store_proto.h if present), IPC_VERSION, the header size, flags, field
tags and error codes (common/ipc.h, common/ipc_types.h). Every #define and
enum item with a constant value in those headers lands in C, by its C name.
"""
import array
import glob
import os
import re
import select
import socket
import struct

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def header_paths():
    """The C headers that define the protocol, in a stable order."""
    paths = [os.path.join(TOP, "common", "ipc.h")]
    paths += sorted(glob.glob(os.path.join(TOP, "common", "ipc_types*.h")))
    proto = os.path.join(TOP, "store", "store_proto.h")
    if os.path.exists(proto):
        paths.append(proto)
    return paths


_COMMENT = re.compile(r"/\*.*?\*/|//[^\n]*", re.S)
_NUMBER = re.compile(r"\b(0[xX][0-9a-fA-F]+|\d+)[uUlL]*\b")
_OPERATORS = re.compile(r"^[\s()<>|&*+~-]*$")
_DEFINE_OR_ENUM = re.compile(r"^[ \t]*#define[ \t]+(\w+)[ \t]+([^\n]+)$"
                             r"|\benum\s+\w*\s*\{(.*?)\}", re.S | re.M)


def _value(expr, known):
    """The integer value of a C constant expression of numbers, names in
    known and arithmetic, or None."""
    expr = re.sub(r"\b([A-Za-z_]\w*)\b",
                  lambda m: str(known.get(m.group(1), m.group(1))), expr)
    expr = _NUMBER.sub(r"\1", expr).strip()
    if not expr or not _OPERATORS.match(_NUMBER.sub("", expr)):
        return None
    try:
        return int(eval(expr, {"__builtins__": {}}))  # numbers and operators only
    except (SyntaxError, TypeError, ValueError, ZeroDivisionError):
        return None


def _enum_items(body, consts):
    nxt = 0      # None after an item whose value is not known
    for item in body.split(","):
        name, _, expr = item.partition("=")
        name = name.strip()
        if not re.match(r"^[A-Za-z_]\w*$", name):
            continue
        v = _value(expr, consts) if expr.strip() else nxt
        nxt = None if v is None else v + 1
        if v is not None:
            consts[name] = v


def parse_headers(paths):
    """(constants by C name, message types by NAME) of the given headers,
    read in order: #defines and enum items."""
    consts, types = {}, {}
    for path in paths:
        with open(path) as f:
            text = _COMMENT.sub(" ", f.read())
        text = text.replace("\\\n", " ")
        for name, value in re.findall(r"\bX\((\w+),\s*(\d+)\)", text):
            types[name] = int(value)
        for m in _DEFINE_OR_ENUM.finditer(text):
            if m.group(1):
                v = _value(m.group(2), consts)
                if v is not None:
                    consts[m.group(1)] = v
            else:
                _enum_items(m.group(3), consts)
    for name, value in types.items():
        consts["IPC_" + name] = value
    return consts, types


C, T = parse_headers(header_paths())
NAMES = {v: k for k, v in T.items()}

IPC_VERSION = C["IPC_VERSION"]
HDR_SIZE = C["IPC_HDR_SIZE"]
MAX_PAYLOAD = C["IPC_MAX_PAYLOAD"]
F_FD, F_MORE = C["IPC_F_FD"], C["IPC_F_MORE"]
TAG_U32, TAG_U64 = C["IPC_T_U32"], C["IPC_T_U64"]
TAG_STR, TAG_BYTES = C["IPC_T_STR"], C["IPC_T_BYTES"]
# error codes of an ERROR reply, by the name after IPC_ERR_
ERR = {k[len("IPC_ERR_"):]: v for k, v in C.items() if k.startswith("IPC_ERR_")}
OK, ERROR, PING, PONG = T["OK"], T["ERROR"], T["PING"], T["PONG"]
CTL_KEY, CTL_PEER, CTL_CONN = T["CTL_KEY"], T["CTL_PEER"], T["CTL_CONN"]
CTL_CLIENT, CTL_READY = T["CTL_CLIENT"], T["CTL_READY"]
CTL_LOGGED_IN = T["CTL_LOGGED_IN"]
CTL_PEER_ADMIN = C["IPC_CTL_PEER_ADMIN"]

_HDR = ">IIIHH"   # type, payload length, request id, version, flags
assert struct.calcsize(_HDR) == HDR_SIZE


# ---- typed fields ------------------------------------------------------------

def _blob(v):
    return v.encode() if isinstance(v, str) else v


def u32(v):
    return bytes([TAG_U32]) + struct.pack(">I", v)


def u64(v):
    return bytes([TAG_U64]) + struct.pack(">Q", v)


def s(v):
    v = _blob(v)
    return bytes([TAG_STR]) + struct.pack(">I", len(v)) + v


def b(v):
    v = _blob(v)
    return bytes([TAG_BYTES]) + struct.pack(">I", len(v)) + v


def decode(payload):
    """The fields of a payload as a list of ints (u32, u64) and bytes (str,
    bytes)."""
    out, i = [], 0
    while i < len(payload):
        tag = payload[i]
        i += 1
        if tag == TAG_U32:
            out.append(struct.unpack(">I", payload[i:i + 4])[0])
            i += 4
        elif tag == TAG_U64:
            out.append(struct.unpack(">Q", payload[i:i + 8])[0])
            i += 8
        elif tag in (TAG_STR, TAG_BYTES):
            n = struct.unpack(">I", payload[i:i + 4])[0]
            out.append(payload[i + 4:i + 4 + n])
            i += 4 + n
        else:
            raise ValueError("bad tag %d" % tag)
    return out


# ---- records -------------------------------------------------------------------

def record(type_, reqid=0, payload=b"", flags=0, version=None):
    """One record's bytes; version defaults to IPC_VERSION (a test may
    write another to see it refused)."""
    if version is None:
        version = IPC_VERSION
    return struct.pack(_HDR, type_, len(payload), reqid, version, flags) + payload


def parse_header(data):
    """(type, payload length, request id, version, flags) of a record."""
    return struct.unpack(_HDR, data[:HDR_SIZE])


CTL_READY_RECORD = record(CTL_READY)


def send_record(sock, type_, reqid=0, payload=b"", fd=None, flags=0,
                version=None):
    """Send one record, with fd attached (and IPC_F_FD set) if given."""
    if fd is not None:
        flags |= F_FD
    send_raw(sock, record(type_, reqid, payload, flags, version),
             () if fd is None else (fd,))


def send_raw(sock, data, fds=()):
    """Send data as one record, as it is, with fds attached: how a test
    sends a record it made by hand, broken on purpose."""
    anc = []
    if fds:
        anc = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", list(fds)))]
    sock.sendmsg([data], anc)


def recv_record(sock, timeout=10):
    """(type, reqid, flags, payload, fd or None) of the next record; EOFError
    when the peer closed, socket.timeout when nothing came."""
    # poll, not select: a test may hold more than FD_SETSIZE descriptors
    p = select.poll()
    p.register(sock, select.POLLIN)
    if not p.poll(None if timeout is None else timeout * 1000):
        raise socket.timeout("no record within %.1fs" % timeout)
    fds = array.array("i")
    try:
        data, anc, _flags, _addr = sock.recvmsg(
            HDR_SIZE + MAX_PAYLOAD + 1, socket.CMSG_LEN(4 * fds.itemsize))
    except ConnectionResetError:
        data, anc = b"", []
    for level, kind, raw in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(raw[:len(raw) - (len(raw) % fds.itemsize)])
    if not data:
        raise EOFError("the peer closed the channel")
    type_, length, reqid, version, flags = parse_header(data)
    assert version == IPC_VERSION, "IPC version %d from peer, expected %d" % (
        version, IPC_VERSION)
    assert length == len(data) - HDR_SIZE, (length, len(data))
    return type_, reqid, flags, data[HDR_SIZE:], (fds[0] if fds else None)


def store_shard_of(user, shards):
    """The shard that holds user, as store/store_proto.c:store_shard_of
    places it (FNV-1a 32 of the name, modulo the shard count)."""
    h = 2166136261
    for c in user.encode():
        h = ((h ^ c) * 16777619) & 0xffffffff
    return h % shards if shards else 0
