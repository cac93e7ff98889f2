"""RFC 8620 checks: binary data (section 6: upload, download, Blob/copy)
and push over EventSource (section 7.3: types, closeafter, ping)."""
import json
import time
import urllib.parse

from jmap_conformance import CORE, MAIL, need, short


def download_url(c, blob, ctype, name):
    q = urllib.parse.quote
    return (c.session["downloadUrl"].replace("{accountId}", q(c.acct, safe=""))
            .replace("{blobId}", q(blob, safe="")).replace("{name}", q(name))
            .replace("{type}", q(ctype, safe="")))


def blobs(c):
    data = b"conformance blob \x00\x01\x02\xff" * 50
    up = {}

    def upload():
        r = c.upload(data, "application/x-conformance")
        for f in ("accountId", "blobId", "type", "size"):
            need(f in r, "no %s: %s" % (f, short(r)))
        need(r["accountId"] == c.acct and r["size"] == len(data), short(r))
        need(r["type"] == "application/x-conformance", "type %r" % r["type"])
        up.update(r)
    c.check("upload returns accountId, blobId, type, size", upload)
    if not up:
        return

    def download():
        url = download_url(c, up["blobId"], "application/x-test", "f.bin")
        st, hdrs, body = c.http.request("GET", url)
        need(st == 200 and body == data, "HTTP %d, %d bytes" % (st, len(body)))
        need(hdrs.get("content-type", "").startswith("application/x-test"),
             "Content-Type %r" % hdrs.get("content-type"))
        cd = hdrs.get("content-disposition")
        need(cd is None or "f.bin" in cd, "Content-Disposition %r" % cd)
    c.check("download gives the bytes with the type asked for", download)

    def download_missing():
        url = download_url(c, "no-such-blob", "text/plain", "x")
        st, _, _ = c.http.request("GET", url)
        need(st == 404, "HTTP %d" % st)
    c.check("download of an unknown blob is 404", download_missing)

    def download_unauth():
        url = download_url(c, up["blobId"], "text/plain", "x")
        st, _, _ = c.http.request("GET", url, auth=False)
        need(st == 401, "HTTP %d" % st)
    c.check("download needs authentication", download_unauth)

    def upload_other():
        url = c.session["uploadUrl"].replace("{accountId}", "no-such-account-x")
        st, _, _ = c.http.request("POST", url, b"x",
                                  {"Content-Type": "text/plain"})
        need(400 <= st < 500, "HTTP %d" % st)
        return "HTTP %d" % st
    c.check("upload to an account not ours is refused", upload_other)

    c.check("Blob/copy from an unknown account is fromAccountNotFound",
            lambda: c.method_error("Blob/copy", {
                "accountId": c.acct, "fromAccountId": "no-such-account-x",
                "blobIds": [up["blobId"]]}, "fromAccountNotFound",
                using=(CORE, MAIL)))


class Stream:
    """A text/event-stream response read event by event."""

    def __init__(self, c, types, closeafter, ping):
        url = (c.session["eventSourceUrl"].replace("{types}", types)
               .replace("{closeafter}", closeafter)
               .replace("{ping}", str(ping)))
        self.conn = c.http.conn(timeout=40)
        self.conn.request("GET", c.http.path_of(url), headers={
            "Authorization": c.http.auth, "Accept": "text/event-stream"})
        self.resp = self.conn.getresponse()

    def event(self, deadline):
        """(name, data) of the next event, or None at the end of the stream.
        Comment lines and blank keep-alives are skipped."""
        name, data = "message", []
        while time.time() < deadline:
            line = self.resp.fp.readline()
            if not line:
                return None
            line = line.decode("utf-8").rstrip("\r\n")
            if line == "":
                if data:
                    return name, json.loads("\n".join(data))
                continue
            if line.startswith(":"):
                continue
            field, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if field == "event":
                name = value
            elif field == "data":
                data.append(value)
        raise TimeoutError("no event before the deadline")

    def close(self):
        self.conn.close()


def touch_mailbox(c):
    """A change the server must report: a mailbox created and destroyed."""
    mid = c.make_mailbox("conformance-push-%s" % c.tag)
    c.ok("Mailbox/set", {"destroy": [mid]})


def push(c):
    def stream_head():
        s = Stream(c, "*", "state", 0)
        try:
            need(s.resp.status == 200, "HTTP %d" % s.resp.status)
            t = s.resp.getheader("Content-Type", "")
            need(t.split(";")[0].strip() == "text/event-stream", repr(t))
        finally:
            s.close()
    c.check("EventSource answers text/event-stream", stream_head)

    def state_event():
        s = Stream(c, "*", "state", 0)
        try:
            touch_mailbox(c)
            deadline = time.time() + 20
            while True:
                ev = s.event(deadline)
                need(ev is not None, "stream ended without a state event")
                if ev[0] == "state":
                    break
            name, data = ev
            need(data.get("@type") == "StateChange", short(data))
            need(isinstance(data.get("changed"), dict) and
                 c.acct in data["changed"], short(data))
            need("Mailbox" in data["changed"][c.acct], short(data))
            # the state pushed is one /changes can start from: the
            # current one (nothing changed since) or an older one
            pushed = data["changed"][c.acct]["Mailbox"]
            r = c.call("Mailbox/changes", {"accountId": c.acct,
                                           "sinceState": pushed})
            need(r[0] == "Mailbox/changes", "pushed state %r: %s" %
                 (pushed, short(r)))
            # closeafter=state: the response ends after that event
            need(s.event(time.time() + 10) is None,
                 "stream still open after closeafter=state")
        finally:
            s.close()
    c.check("EventSource state event, closeafter=state ends the stream",
            state_event)

    def types_filter():
        s = Stream(c, "Mailbox", "state", 0)
        try:
            touch_mailbox(c)
            deadline = time.time() + 20
            while True:
                ev = s.event(deadline)
                need(ev is not None, "stream ended without a state event")
                if ev[0] == "state":
                    break
            for acct, changed in ev[1]["changed"].items():
                need(set(changed) <= {"Mailbox"}, "types=Mailbox, got %s"
                     % sorted(changed))
        finally:
            s.close()
    c.check("EventSource types limits the types named", types_filter)

    def ping():
        s = Stream(c, "*", "no", 1)
        try:
            start = time.time()
            while True:
                ev = s.event(start + 35)
                need(ev is not None, "stream ended")
                if ev[0] == "ping":
                    break
            iv = ev[1].get("interval")
            need(isinstance(iv, int) and 1 <= iv <= 30, "interval %r" % iv)
            return "interval %d after %.1fs" % (iv, time.time() - start)
        finally:
            s.close()
    c.check("EventSource ping carries its interval", ping)

    def unauth():
        url = (c.session["eventSourceUrl"].replace("{types}", "*")
               .replace("{closeafter}", "state").replace("{ping}", "0"))
        st, _, _ = c.http.request("GET", url, auth=False)
        need(st == 401, "HTTP %d" % st)
    c.check("EventSource needs authentication", unauth)


SECTIONS = [blobs, push]
