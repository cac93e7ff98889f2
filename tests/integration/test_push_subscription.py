"""PushSubscription/get and /set over HTTP (RFC 8620 section 7.2): no
accountId, only the caller's own subscriptions, url and keys never
returned, ids and verification codes unguessable, https push URLs of
public hosts only (loopback only with push-allow-loopback), expires
clamped to seven days, verificationCode accepted only when it is the
server's code, and the limit of subscriptions per user."""
import base64
import datetime
import os

import test_jmap_http as jh
from test_jmap_create_identity import api

P256DH = base64.urlsafe_b64encode(b"\x04" + os.urandom(64)).rstrip(b"=")
AUTH = base64.urlsafe_b64encode(os.urandom(16)).rstrip(b"=")
KEYS = {"p256dh": P256DH.decode(), "auth": AUTH.decode()}


def sub(url="https://push.example.com/p/1", **kw):
    return {"deviceClientId": "phone-1", "url": url, "keys": KEYS, **kw}


def date(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_create_get_owner_only():
    with jh.server() as srv:
        c = jh.client(srv)
        s, = api(c, [["PushSubscription/set", {"create": {"a": sub()}},
                      "s"]])
        assert "accountId" not in s and "oldState" not in s, s
        pid = s["created"]["a"]["id"]
        assert len(pid) >= 32, pid
        g, = api(c, [["PushSubscription/get", {}, "g"]])
        assert g["list"] == [{
            "id": pid, "deviceClientId": "phone-1",
            "verificationCode": None, "types": None,
            "expires": s["created"]["a"]["expires"]}], g
        # url and keys are never returned, even when asked for
        bad, = api(c, [["PushSubscription/get",
                        {"properties": ["url"]}, "g"]])
        assert bad["type"] == "invalidArguments", bad
        # accountId is not an argument of these methods
        e, = api(c, [["PushSubscription/get", {"accountId": "x"}, "g"]])
        assert e["type"] == "invalidArguments", e
        # bob sees none of alice's and cannot touch them
        c2 = jh.client(srv)
        g2, = api(c2, [["PushSubscription/get", {"ids": [pid]}, "g"]],
                  user="bob")
        assert g2["list"] == [] and g2["notFound"] == [pid], g2
        d2, = api(c2, [["PushSubscription/set", {"destroy": [pid]}, "d"]],
                  user="bob")
        assert d2["notDestroyed"][pid]["type"] == "notFound", d2
        d, = api(c, [["PushSubscription/set", {"destroy": [pid]}, "d"]])
        assert d["destroyed"] == [pid], d
        g, = api(c, [["PushSubscription/get", {}, "g"]])
        assert g["list"] == [], g


def test_url_keys_types_checked():
    cases = {
        "http": sub("http://push.example.com/p"),
        "loop": sub("https://127.0.0.1:24500/p"),
        "lhost": sub("https://localhost/p"),
        "ten": sub("https://10.1.2.3/p"),
        "v6": sub("https://[::1]/p"),
        "mapped": sub("https://[::ffff:192.168.1.1]/p"),
        "user": sub("https://u:p@push.example.com/p"),
        "num": sub("https://2130706433/p"),
        "port": sub("https://push.example.com:99999/p"),
        "keys": {**sub(), "keys": {"p256dh": "AAAA", "auth": AUTH.decode()}},
        "extra": {**sub(), "keys": {**KEYS, "x": "y"}},
        "types": sub(types=["Email", "Email"]),
        "code": sub(verificationCode="abc"),
        "id": sub(id="P1"),
        "past": sub(expires="2001-01-01T00:00:00Z"),
    }
    want = {"http": "url", "loop": "url", "lhost": "url", "ten": "url",
            "v6": "url", "mapped": "url", "user": "url", "num": "url",
            "port": "url", "keys": "keys", "extra": "keys",
            "types": "types", "code": "verificationCode", "id": "id",
            "past": "expires"}
    with jh.server() as srv:
        c = jh.client(srv)
        s, = api(c, [["PushSubscription/set", {"create": cases}, "s"]])
        assert s["created"] == {}, s
        for k, prop in want.items():
            e = s["notCreated"][k]
            assert e["type"] == "invalidProperties", (k, e)
            assert e["properties"] == [prop], (k, e)


def test_loopback_allowed_by_flag():
    with jh.server(options={"push-allow-loopback": "yes"}) as srv:
        c = jh.client(srv)
        s, = api(c, [["PushSubscription/set", {"create": {
            "a": sub("https://127.0.0.1:24500/p")}}, "s"]])
        assert "a" in s["created"], s


def test_expires_clamped_and_verification_code():
    now = datetime.datetime.now(datetime.timezone.utc)
    with jh.server() as srv:
        c = jh.client(srv)
        far = date(now + datetime.timedelta(days=365))
        s, = api(c, [["PushSubscription/set", {"create": {
            "a": sub(expires=far, types=["Email", "Mailbox"])}}, "s"]])
        exp = s["created"]["a"]["expires"]
        got = datetime.datetime.strptime(exp, "%Y-%m-%dT%H:%M:%SZ")
        got = got.replace(tzinfo=datetime.timezone.utc)
        assert got <= now + datetime.timedelta(days=7, minutes=1), exp
        assert got >= now + datetime.timedelta(days=6), exp
        pid = s["created"]["a"]["id"]
        # a code the server did not send is refused
        u, = api(c, [["PushSubscription/set", {"update": {
            pid: {"verificationCode": "0" * 32}}}, "u"]])
        assert u["notUpdated"][pid]["type"] == "invalidProperties", u
        # url cannot be changed after creation
        u, = api(c, [["PushSubscription/set", {"update": {
            pid: {"url": "https://push.example.com/other"}}}, "u"]])
        assert u["notUpdated"][pid]["properties"] == ["url"], u
        soon = date(now + datetime.timedelta(hours=2))
        u, = api(c, [["PushSubscription/set", {"update": {
            pid: {"expires": soon}}}, "u"]])
        assert u["updated"] == {pid: None}, u
        g, = api(c, [["PushSubscription/get", {"ids": [pid],
                      "properties": ["expires", "types"]}, "g"]])
        assert g["list"] == [{"id": pid, "expires": soon,
                              "types": ["Email", "Mailbox"]}], g


def test_limit_per_user():
    with jh.server() as srv:
        c = jh.client(srv)
        made = 0
        for batch in range(4):
            s, = api(c, [["PushSubscription/set", {"create": {
                "n%d" % i: sub() for i in range(5)}}, "s"]])
            made += len(s["created"])
            for e in s["notCreated"].values():
                assert e["type"] == "overQuota", e
        assert made == 16, made
