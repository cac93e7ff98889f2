"""A keyword bit keeps its name: clients keep the user's keyword table
(imapd's FETCH formats flags with it) and ask again only for a bit past its
end, so a bit once named in a reply must never name another keyword. The
one way stored could undo a keyword is a lost turn (a full disk fails the
commit of requests that had made keywords which reads of the same turn
already returned): stored writes those keywords back at their bits.
docs/store-protocol.md, "flags"."""
import os
import signal
import subprocess

from harness import Skip
from store_util import (ERROR, T, Store, decode, memfd_message, meta_block,
                        new_user, s, small_disk, u32, u64)


def keywords(c):
    f = c.call("STORE_KEYWORDS")
    return [n.decode() for n in f[1:1 + f[0]]]


def send_append(ch, body, kws=()):
    fd, size, mlen = memfd_message(body, meta_block(keywords=kws))
    try:
        return ch.send(T["STORE_APPEND"], u64(0) + s("INBOX") + u64(size) +
                       u32(mlen), fd=fd)
    finally:
        os.close(fd)


def failed(recs):
    return recs[-1][0] == ERROR


def test_a_lost_turn_gives_no_keyword_bit_a_second_name():
    st = Store()
    data = os.path.join(st.spool, "data")
    filler = small_disk(st, "8m", 9 << 19)
    try:
        st.start()
        writer = new_user(st, "alice")
        readers = [st.connect("imapd") for _ in range(2)]
        for r in readers:
            r.hello(st.key, "alice")
        # copies of one message: no new file, the database's log fills,
        # and the commit of a turn fails (the turn is lost)
        same = os.urandom(512)
        for n in range(3000):
            rid = send_append(writer, same)
            if failed(writer.reply(rid)):
                break
        else:
            raise AssertionError("the disk never filled")
        # room for a message file, not for the database's log: the appends
        # below pass, and the commit of their turn fails
        os.truncate(filler, os.path.getsize(filler) - (64 << 10))
        # each turn: an append making a new keyword, then a read of the
        # table on another channel, queued while stored is stopped so that
        # one turn holds both; wanted: an append that failed (its turn was
        # lost) while the read returned its keyword
        shown = None
        for i in range(40):
            kw = "$lost%d" % i
            os.kill(st.proc.pid, signal.SIGSTOP)
            try:
                rid = send_append(writer, same, [kw])
                kid = readers[0].send(T["STORE_KEYWORDS"])
            finally:
                os.kill(st.proc.pid, signal.SIGCONT)
            a = writer.reply(rid)
            k = readers[0].reply(kid)
            names = [] if failed(k) else [n.decode() for n in
                                          decode(k[-1][2])[1:]]
            if failed(a) and kw in names:
                shown = (names.index(kw), kw)
                break
        if shown is None:
            raise Skip("no lost turn returned its keyword to a read")
        assert st.proc.poll() is None, st.log_text()[-3000:]
        # the bit still names that keyword, for every channel...
        os.unlink(filler)
        table = keywords(readers[1])
        assert table[shown[0]:shown[0] + 1] == [shown[1]], (shown, table)
        # ...and a keyword made later takes a bit of its own
        rid = send_append(writer, b"after the cleanup", ["$later"])
        assert not failed(writer.reply(rid))
        table = keywords(readers[1])
        assert table.index("$later") > shown[0], (shown, table)
        assert table[shown[0]] == shown[1], (shown, table)
        for ch in [writer] + readers:
            ch.close()
    finally:
        st.stop()
        subprocess.run(["umount", "-l", data])
        st.cleanup()
