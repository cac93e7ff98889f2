#!/usr/bin/env python3
"""LMTP delivery throughput: 4 KB messages over 1 and 4 parallel
connections, messages per second, for every target given, side by side.

    python3 bench/lmtp_bench.py [-d SECONDS] [-c 1,4] [-s BYTES] \\
        [-r RCPT] NAME=HOST:PORT|NAME=unix:PATH ...

e.g. dovecot=127.0.0.1:3424 cyrus=127.0.0.1:2425 (bench/peers up,
user bench). Each connection says LHLO once, then repeats MAIL, RCPT and
DATA pipelined as Postfix does, then the message; a message counts when the
recipient's 250 came back (which every server sends only once the message
is durable). The first target is the reference for the ratios
(bench/lmtp_run.py puts Cloister first). Python 3 stdlib only."""
import multiprocessing
import socket
import sys
import time


def message(size, seq, tag):
    head = ("From: Bench Sender <sender@bench.example>\r\n"
            "To: bench@bench.example\r\n"
            "Subject: benchmark message %d\r\n"
            "Date: Tue, 2 Jan 2024 10:59:59 +0100\r\n"
            "Message-ID: <%s.%d@bench.example>\r\n"
            "MIME-Version: 1.0\r\n"
            "Content-Type: text/plain; charset=us-ascii\r\n\r\n") % (seq, tag, seq)
    line = "The quick brown fox jumps over the lazy dog, %d times.\r\n" % seq
    body = line * max(1, (size - len(head)) // len(line))
    return (head + body).encode()


class Conn:
    def __init__(self, target):
        if target.startswith("unix:"):
            self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.s.connect(target[5:])
        else:
            host, port = target.rsplit(":", 1)
            self.s = socket.create_connection((host, int(port)))
            self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.s.settimeout(60)
        self.buf = b""

    def reply(self):
        while True:
            i = self.buf.find(b"\r\n")
            if i >= 0:
                line, self.buf = self.buf[:i], self.buf[i + 2:]
                if len(line) > 3 and line[3:4] == b"-":
                    continue
                return line
            d = self.s.recv(65536)
            if not d:
                raise EOFError("server closed")
            self.buf += d


def worker(target, rcpt, size, seconds, start_at, tag, out):
    c = Conn(target)
    c.reply()
    c.s.sendall(b"LHLO bench.example\r\n")
    assert c.reply().startswith(b"250")
    while time.time() < start_at:
        time.sleep(0.001)
    end = start_at + seconds
    n = errors = 0
    seq = 0
    first_error = None
    while time.time() < end:
        seq += 1
        c.s.sendall(b"MAIL FROM:<sender@bench.example>\r\nRCPT TO:<%s>\r\n"
                    b"DATA\r\n" % rcpt.encode())
        r = [c.reply() for _ in range(3)]
        if not (r[0].startswith(b"250") and r[1].startswith(b"250") and
                r[2].startswith(b"354")):
            errors += 1
            first_error = first_error or r
            c.s.sendall(b"RSET\r\n")
            c.reply()
            continue
        c.s.sendall(message(size, seq, tag) + b".\r\n")
        r = c.reply()
        if r.startswith(b"250"):
            n += 1
        else:
            errors += 1
            first_error = first_error or r
    c.s.sendall(b"QUIT\r\n")
    out.put((n, errors, repr(first_error) if first_error else ""))


def run(target, rcpt, size, seconds, conns):
    out = multiprocessing.Queue()
    start_at = time.time() + 1.0
    procs = [multiprocessing.Process(target=worker, args=(
        target, rcpt, size, seconds, start_at, "%d.%d.%d" % (
            time.time_ns(), conns, i), out)) for i in range(conns)]
    for p in procs:
        p.start()
    res = [out.get(timeout=seconds + 120) for _ in procs]
    for p in procs:
        p.join()
    n = sum(r[0] for r in res)
    errors = sum(r[1] for r in res)
    err = next((r[2] for r in res if r[2]), "")
    return n / seconds, errors, err


def main(argv):
    seconds, conns, size, rcpt = 10.0, [1, 4], 4096, "bench"
    targets = []
    i = 0
    while i < len(argv):
        a = argv[i]
        if a in ("-d", "-c", "-s", "-r"):
            v = argv[i + 1]
            i += 2
            if a == "-d":
                seconds = float(v)
            elif a == "-c":
                conns = [int(x) for x in v.split(",")]
            elif a == "-s":
                size = int(v)
            else:
                rcpt = v
            continue
        name, _, tgt = a.partition("=")
        targets.append((name, tgt))
        i += 1
    if not targets:
        print(__doc__)
        return 2
    print("LMTP delivery, %d-byte messages, %.0f s per run, rcpt %s" % (
        size, seconds, rcpt))
    results = {}
    for c in conns:
        for name, tgt in targets:
            rate, errors, err = run(tgt, rcpt, size, seconds, c)
            results[(name, c)] = rate
            print("  %-10s %d conn: %8.1f msg/s%s" % (
                name, c, rate, "  (%d errors: %s)" % (errors, err) if errors else ""))
            sys.stdout.flush()
    ref = targets[0][0]
    print("ratios (%s / other):" % ref)
    for c in conns:
        for name, _ in targets[1:]:
            other = results[(name, c)]
            print("  %d conn: %s / %s = %s" % (c, ref, name, "%.2f" % (
                results[(ref, c)] / other) if other else "n/a"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
