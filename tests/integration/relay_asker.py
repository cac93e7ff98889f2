#!/usr/bin/python3
"""A stand-in for submitd under cloisterd (role submit): says ready, then
asks for the relay connection as a compromised submitd would — as fast as
it can, ASKS times ("set asker-count N") — and writes what came back to relay-asker.json beside
its configuration: per answer the errno and, with a socket, its peer.
"set asker-kind store": it asks for a fresh channel to store shard 0
(CTL_STORE_ASK) instead; with a channel, its peer is "store"."""
import json
import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cloister_ipc import CTL_READY_RECORD, T, decode, record, recv_record, u32  # noqa: E402

config = sys.argv[sys.argv.index("--config") + 1]
ASKS = 200           # "set asker-count N" in its block
KIND = "relay"
with open(config) as f:
    for line in f:
        w = line.split()
        if w[:2] == ["set", "asker-count"]:
            ASKS = int(w[2])
        if w[:3] == ["set", "asker-kind", "store"]:
            KIND = "store"
ctl = socket.socket(fileno=5)
ctl.send(CTL_READY_RECORD)
time.sleep(0.2)
answers = []
t0 = time.time()
for _ in range(ASKS):
    if KIND == "store":
        ctl.send(record(T["CTL_STORE_ASK"], payload=u32(0)))
    else:
        ctl.send(record(T["CTL_RELAY_ASK"]))
    try:
        type_, reqid, flags, payload, fd = recv_record(ctl, 30)
    except OSError:
        break                # killed for flooding: the test reads the log
    assert type_ == T["CTL_STORE_CHAN" if KIND == "store" else "CTL_RELAY"], type_
    err = decode(payload)[0]
    peer = None
    if fd is not None:
        s = socket.socket(fileno=fd)
        peer = "store" if KIND == "store" else list(s.getpeername())
        s.close()
    answers.append([err, peer])
out = os.path.join(os.path.dirname(config), "relay-asker.json")
with open(out + ".tmp", "w") as f:
    json.dump({"seconds": time.time() - t0, "answers": answers}, f)
os.rename(out + ".tmp", out)
while ctl.recv(64):
    pass
