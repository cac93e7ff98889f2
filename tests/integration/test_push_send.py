"""One push message the way pushd sends it (workers/push/push_deliver.c,
driven by cloister-push-send-check) to a loopback push service with its
own CA: the body decrypts with the user agent's keys (RFC 8291, Python's
cryptography as the independent side), the VAPID token verifies with its
k= key and names the service's origin, with an expiry within 24 hours and
the mailto: contact (RFC 8292); TTL, Urgency and Content-Encoding are
sent; 410 is "gone", 429 "retry" with its Retry-After; a certificate of
another CA, a port other than 443 (and the allowed test port) and a
private address are refused before a byte is sent. A name is resolved
over DNS/TCP and its address checked after: a name that points inside
is refused like the address itself."""
import json
import time

from harness import run, tool

from push_receiver import (Receiver, Resolver, UserAgent, check_vapid,
                           make_ca, vapid_key_file)


def send(rcv, path, ua, vapid_path, payload, ca=None, port=None,
         resolver=None):
    keys = [ua.p256dh, ua.auth_b64] if ua else ["-", "-"]
    dns = ["127.0.0.1", str(resolver.port)] if resolver else []
    r = run([tool("cloister-push-send-check"), rcv.url(path)
             if path.startswith("/") else path] + keys +
            [vapid_path, ca or rcv.ca, str(port or rcv.port),
             json.dumps(payload)] + dns, timeout=30)
    return r.returncode, r.stdout.strip()


def test_encrypted_state_change_with_vapid():
    with Receiver() as rcv:
        ua = UserAgent()
        vkey, vpath = vapid_key_file(rcv.tmp)
        change = {"@type": "StateChange",
                  "changed": {"A1": {"Email": "s42", "Mailbox": "s42"}}}
        rc, out = send(rcv, "/p/abc?x=1", ua, vpath, change)
        assert (rc, out) == (0, "sent"), (rc, out)
        (path, headers, body), = rcv.got
        assert path == "/p/abc?x=1", path
        assert headers["Content-Encoding"] == "aes128gcm", headers
        assert headers["TTL"] == "60" and headers["Urgency"] == "normal"
        assert json.loads(ua.decrypt(body)) == change
        claims = check_vapid(headers["Authorization"],
                             "https://127.0.0.1:%d" % rcv.port, vkey)
        assert time.time() < claims["exp"] <= time.time() + 24 * 3600 + 5
        assert claims["sub"] == "mailto:postmaster@example.org"
        # another user agent's keys cannot read it
        try:
            UserAgent().decrypt(body)
            raise AssertionError("decrypted with the wrong keys")
        except Exception as e:
            assert "decrypted" not in str(e)


def test_gone_retry_and_refusals():
    with Receiver() as rcv:
        ua = UserAgent()
        _, vpath = vapid_key_file(rcv.tmp)
        assert send(rcv, "/gone", ua, vpath, {}) == (2, "gone")
        rc, out = send(rcv, "/busy", ua, vpath, {})
        assert rc == 3 and out.startswith("retry 7"), (rc, out)
        assert len(rcv.got) == 2
        # a certificate of another CA: nothing is sent
        other_ca, _, _ = make_ca(rcv.tmp, "Other CA")
        rc, out = send(rcv, "/p", ua, vpath, {}, ca=other_ca)
        assert rc == 3 and "certificate" in out, (rc, out)
        # only 443 and the allowed test port; never a private address
        rc, out = send(rcv, "/p", ua, vpath, {}, port=rcv.port + 1)
        assert rc == 1 and "not allowed" in out, (rc, out)
        rc, out = send(rcv, "https://10.1.2.3/p", ua, vpath, {})
        assert rc == 1 and "not a public address" in out, (rc, out)
        assert len(rcv.got) == 2, rcv.got


def test_names_resolved_over_tcp_and_checked_after():
    with Receiver() as rcv:
        ua = UserAgent()
        vkey, vpath = vapid_key_file(rcv.tmp)
        dns = Resolver({"push.test": "127.0.0.1", "inside.test": "10.0.0.5"})
        try:
            url = "https://push.test:%d/p/n" % rcv.port
            rc, out = send(rcv, url, ua, vpath, {"a": 1}, resolver=dns)
            assert (rc, out) == (0, "sent"), (rc, out)
            (_, headers, body), = rcv.got
            assert json.loads(ua.decrypt(body)) == {"a": 1}
            check_vapid(headers["Authorization"],
                        "https://push.test:%d" % rcv.port, vkey)
            rc, out = send(rcv, "https://inside.test:%d/p" % rcv.port, ua,
                           vpath, {}, resolver=dns)
            assert rc == 1 and "not a public address" in out, (rc, out)
            rc, out = send(rcv, "https://nowhere.test:%d/p" % rcv.port, ua,
                           vpath, {}, resolver=dns)
            assert rc == 1 and "no address" in out, (rc, out)
            assert len(rcv.got) == 1 and dns.queries >= 4, dns.queries
        finally:
            dns.close()

