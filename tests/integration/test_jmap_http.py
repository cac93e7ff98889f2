"""cloister-jmapd's HTTP side against a real server (cloisterd, authd,
keyd, stored, imapd and jmapd): Python's http.client over TLS for what a
client does, a raw TLS socket for what a broken or hostile one does.

- routes: the well-known redirect, the Session resource, the API, 404 for
  an unknown path and 405 with Allow for a wrong method;
- Basic authentication through authd: 401 with WWW-Authenticate without
  or with bad credentials, then one user per connection (another user's
  credentials on the same keep-alive connection get 401 and the close);
- framing: keep-alive and pipelined requests answered in order,
  Content-Length and chunked bodies, the limits (request line, headers,
  body) and the smuggling refusals, each an HTTP status;
- nothing read before authentication: a large declared body is refused
  without its bytes being waited for;
- CORS: only a listed origin gets Access-Control-Allow-Origin, preflights
  answered without credentials.
"""
import base64
import http.client
import json
import socket
import ssl
import time

from harness import service_block
from imap_util import ImapServer, client_context, need_stored

USERS = {"alice": "wonderland", "bob": "builder"}
CORS = "https://a.example https://b.example"


def jmapd_block(options=None, prelogin=20, listens=None):
    return service_block(
        "jmapd", "connection", "@bin:cloister-jmapd@", "jmapd",
        listens or ("jmap tcp 127.0.0.1:@port:jmap@ tls",),
        settings={"spares": 2, "max-processes": 40, "max-per-ip": 0,
                  "prelogin-timeout": prelogin},
        options={"auth": "yes", "keyd": "yes", "cors-origins": CORS,
                 **(options or {})})


def server(options=None, prelogin=20, users=None):
    need_stored()
    return ImapServer(users=users or USERS,
                      extra_services=[jmapd_block(options, prelogin)])


def basic(user, pw):
    return "Basic " + base64.b64encode(("%s:%s" % (user, pw)).encode()).decode()


def client(srv, timeout=10):
    return http.client.HTTPSConnection("127.0.0.1", srv.port("jmap"),
                                       timeout=timeout,
                                       context=client_context())


def request(c, method, path, body=None, headers=None):
    c.request(method, path, body=body, headers=headers or {})
    r = c.getresponse()
    return r, r.read()


class Raw:
    """A TLS socket that sends bytes as given and reads what comes back."""

    def __init__(self, srv, timeout=10):
        s = socket.create_connection(("127.0.0.1", srv.port("jmap")),
                                     timeout=timeout)
        self.s = client_context().wrap_socket(s)
        self.buf = b""

    def send(self, data):
        self.s.sendall(data)

    def response(self):
        """(status, headers dict, body) of one response, or None at EOF."""
        while b"\r\n\r\n" not in self.buf:
            d = self.s.recv(65536)
            if not d:
                return None
            self.buf += d
        head, _, self.buf = self.buf.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        hdrs = {}
        for l in lines[1:]:
            k, _, v = l.partition(":")
            hdrs[k.strip().lower()] = v.strip()
        n = int(hdrs.get("content-length", "0"))
        while len(self.buf) < n:
            d = self.s.recv(65536)
            assert d, "EOF inside a body"
            self.buf += d
        body, self.buf = self.buf[:n], self.buf[n:]
        return status, hdrs, body

    def closed(self, timeout=5):
        """True when the server closes the connection within timeout."""
        self.s.settimeout(timeout)
        try:
            while True:
                d = self.s.recv(65536)
                if not d:
                    return True
        except (socket.timeout, TimeoutError):
            return False
        except (ssl.SSLError, ConnectionError):
            return True

    def close(self):
        self.s.close()


def auth_header(user="alice"):
    return basic(user, USERS[user])


def head(path, user="alice", extra=""):
    return ("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: %s\r\n%s\r\n"
            % (path, auth_header(user), extra)).encode()


def test_routes_and_session():
    with server() as srv:
        c = client(srv)
        r, _ = request(c, "GET", "/.well-known/jmap")
        assert r.status == 307 and r.getheader("Location") == "/jmap/session"
        r, body = request(c, "GET", "/jmap/session",
                          headers={"Authorization": auth_header()})
        assert r.status == 200, (r.status, body)
        assert r.getheader("Content-Type") == "application/json"
        sess = json.loads(body)
        assert sess["username"] == "alice"
        acct = sess["primaryAccounts"]["urn:ietf:params:jmap:mail"]
        assert acct in sess["accounts"]
        assert sess["apiUrl"].startswith("https://127.0.0.1:%d/" % srv.port("jmap"))
        # the same keep-alive connection: the API answers Core/echo
        req = {"using": ["urn:ietf:params:jmap:core"],
               "methodCalls": [["Core/echo", {"hello": "world"}, "c1"]]}
        r, body = request(c, "POST", "/jmap/api/", json.dumps(req),
                          {"Authorization": auth_header(),
                           "Content-Type": "application/json"})
        assert r.status == 200, (r.status, body)
        out = json.loads(body)
        assert out["methodResponses"][0] == ["Core/echo", {"hello": "world"}, "c1"]
        r, body = request(c, "POST", "/jmap/api/", b"{not json",
                          {"Authorization": auth_header(),
                           "Content-Type": "application/json"})
        assert r.status == 400 and b"notJSON" in body, (r.status, body)
        r, _ = request(c, "POST", "/jmap/api/", b"{}",
                       {"Authorization": auth_header(),
                        "Content-Type": "text/plain"})
        assert r.status == 415
        # HEAD: the headers of GET, no body, and the connection stays in step
        r, body = request(c, "HEAD", "/jmap/session",
                          headers={"Authorization": auth_header()})
        assert r.status == 200 and body == b"" and \
            int(r.getheader("Content-Length")) > 100
        # uploads: 201 for the account, 404 for another (test_jmap_blob
        # for the rest)
        r, _ = request(c, "POST", "/jmap/upload/%s/" % acct, b"blob",
                       {"Authorization": auth_header(),
                        "Content-Type": "application/octet-stream"})
        assert r.status == 201
        r, _ = request(c, "POST", "/jmap/upload/Aother/", b"blob",
                       {"Authorization": auth_header(),
                        "Content-Type": "application/octet-stream"})
        assert r.status == 404
        r, _ = request(c, "GET", "/nowhere", headers={"Authorization": auth_header()})
        assert r.status == 404
        r, _ = request(c, "GET", "/jmap/api/", headers={"Authorization": auth_header()})
        assert r.status == 405 and "POST" in r.getheader("Allow")
        r, _ = request(c, "DELETE", "/jmap/session",
                       headers={"Authorization": auth_header()})
        assert r.status == 405 and "GET" in r.getheader("Allow")
        c.close()


def test_basic_auth_and_one_user_per_connection():
    with server() as srv:
        c = client(srv)
        r, _ = request(c, "GET", "/jmap/session")
        assert r.status == 401
        assert r.getheader("WWW-Authenticate").startswith('Basic realm="cloister"')
        r, _ = request(c, "GET", "/jmap/session",
                       headers={"Authorization": basic("alice", "wrong")})
        assert r.status == 401
        r, _ = request(c, "GET", "/jmap/session",
                       headers={"Authorization": "Bearer nonsense"})
        assert r.status == 401
        c.close()
        # logged in as alice, then bob's (valid) credentials on the same
        # connection: 401 and the connection ends
        raw = Raw(srv)
        raw.send(head("/jmap/session"))
        st, _, body = raw.response()
        assert st == 200 and json.loads(body)["username"] == "alice"
        raw.send(head("/jmap/session", user="bob"))
        st, hdrs, _ = raw.response()
        assert st == 401 and hdrs.get("connection") == "close", (st, hdrs)
        assert raw.closed()
        raw.close()
        # bob on a connection of his own is fine
        c = client(srv)
        r, body = request(c, "GET", "/jmap/session",
                          headers={"Authorization": auth_header("bob")})
        assert r.status == 200 and json.loads(body)["username"] == "bob"
        c.close()


def test_pipelined_keepalive_and_chunked():
    with server() as srv:
        raw = Raw(srv)
        api = {"using": ["urn:ietf:params:jmap:core"],
               "methodCalls": [["Core/echo", {"n": 1}, "a"]]}
        body = json.dumps(api).encode()
        chunked = b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + 7]), body[i:i + 7])
                           for i in range(0, len(body), 7)) + b"0\r\n\r\n"
        # three requests in one write: answered in order
        raw.send(head("/jmap/session") +
                 ("POST /jmap/api/ HTTP/1.1\r\nHost: x\r\nAuthorization: %s\r\n"
                  "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n"
                  % (auth_header(), len(body))).encode() + body +
                 ("POST /jmap/api/ HTTP/1.1\r\nHost: x\r\nAuthorization: %s\r\n"
                  "Content-Type: application/json\r\nTransfer-Encoding: chunked"
                  "\r\n\r\n" % auth_header()).encode() + chunked)
        st, _, b1 = raw.response()
        assert st == 200 and b"username" in b1
        for _ in range(2):
            st, _, b2 = raw.response()
            assert st == 200, (st, b2)
            assert json.loads(b2)["methodResponses"][0][1] == {"n": 1}
        raw.close()


def bad(srv, data, want, close=True):
    raw = Raw(srv)
    raw.send(data)
    r = raw.response()
    assert r is not None and r[0] == want, (data[:80], r and r[:2], want)
    if close:
        assert raw.closed(), data[:80]
    raw.close()
    return r


def test_framing_limits_and_smuggling():
    with server(options={"max-size-request": "4K"}) as srv:
        a = "Authorization: %s\r\n" % auth_header()
        bad(srv, b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\n\r\n", 414)
        bad(srv, b"GET / HTTP/1.1\r\nHost: x\r\n" +
            b"".join(b"X-%d: y\r\n" % i for i in range(80)) + b"\r\n", 431)
        bad(srv, b"GET / HTTP/1.1\r\nHost: x\r\nX: " + b"y" * 20000 +
            b"\r\n\r\n", 431)
        bad(srv, b"GET / HTTP/1.1\nHost: x\n\n", 400)
        bad(srv, b"GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n", 400)
        bad(srv, b"GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505)
        bad(srv, b"GET /jmap/session HTTP/1.1\r\n\r\n", 400)   # no Host
        bad(srv, ("POST /jmap/api/ HTTP/1.1\r\nHost: x\r\n%sContent-Length: 5"
                  "\r\nTransfer-Encoding: chunked\r\n\r\n" % a).encode(), 400)
        bad(srv, ("POST /jmap/api/ HTTP/1.1\r\nHost: x\r\n%sContent-Length: 5"
                  "\r\nContent-Length: 6\r\n\r\n" % a).encode(), 400)
        bad(srv, ("POST /jmap/api/ HTTP/1.1\r\nHost: x\r\n%sTransfer-Encoding:"
                  " gzip\r\n\r\n" % a).encode(), 501)
        # over maxSizeRequest (4K here), declared or chunked: 413 with the
        # JMAP limit problem
        r = bad(srv, ("POST /jmap/api/ HTTP/1.1\r\nHost: x\r\n%sContent-Type: "
                      "application/json\r\nContent-Length: 5000\r\n\r\n"
                      % a).encode(), 413)
        assert b"maxSizeRequest" in r[2]
        bad(srv, ("POST /jmap/api/ HTTP/1.1\r\nHost: x\r\n%sContent-Type: "
                  "application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                  % a).encode() + b"1000\r\n" + b"x" * 4096 + b"\r\n1000\r\n" +
            b"x" * 100, 413)
        bad(srv, ("POST /jmap/api/ HTTP/1.1\r\nHost: x\r\n%sContent-Type: "
                  "application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                  % a).encode() + b"zz\r\n", 400)


def test_nothing_read_before_auth():
    """A request without credentials that declares a huge body is answered
    401 at once, the body never waited for, and the connection closed."""
    with server(prelogin=5) as srv:
        raw = Raw(srv)
        t0 = time.time()
        raw.send(b"POST /jmap/api/ HTTP/1.1\r\nHost: x\r\nContent-Type: "
                 b"application/json\r\nContent-Length: 900000000\r\n\r\n")
        st, hdrs, _ = raw.response()
        assert st == 401 and hdrs.get("connection") == "close"
        assert raw.closed(3) and time.time() - t0 < 3
        raw.close()
        # unauthenticated requests are few per connection: 8 redirects
        # pipelined with a ninth, then the close
        raw = Raw(srv)
        raw.send(b"GET /.well-known/jmap HTTP/1.1\r\nHost: x\r\n\r\n" * 9)
        codes = [raw.response()[0] for _ in range(8)]
        assert codes == [307] * 8 and raw.response() is None, codes
        raw.close()
        # three failed logins on one connection, then the close (authd's
        # backoff for this user from this address may make the third a
        # 429 with Retry-After)
        raw = Raw(srv)
        raw.send(b"".join(("GET /jmap/session HTTP/1.1\r\nHost: x\r\n"
                           "Authorization: %s\r\n\r\n" % basic("alice", "no%d" % i)
                           ).encode() for i in range(4)))
        rs = [raw.response() for _ in range(3)]
        assert [r[0] for r in rs[:2]] == [401] * 2, rs
        assert rs[2][0] in (401, 429), rs
        assert rs[2][1].get("connection") == "close" and raw.response() is None
        raw.close()
        # a client that sends half a head and stalls is dropped at the
        # prelogin deadline (5 s here)
        raw = Raw(srv, timeout=15)
        raw.send(b"GET /jmap/session HTTP/1.1\r\nHost: x\r\n")
        t0 = time.time()
        assert raw.closed(12)
        assert 3 < time.time() - t0 < 10, time.time() - t0
        raw.close()


def test_cors():
    with server() as srv:
        c = client(srv)
        r, _ = request(c, "OPTIONS", "/jmap/api/", headers={
            "Origin": "https://a.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type"})
        assert r.status == 204
        assert r.getheader("Access-Control-Allow-Origin") == "https://a.example"
        assert "POST" in r.getheader("Access-Control-Allow-Methods")
        assert "Authorization" in r.getheader("Access-Control-Allow-Headers")
        r, _ = request(c, "OPTIONS", "/jmap/api/", headers={
            "Origin": "https://evil.example",
            "Access-Control-Request-Method": "POST"})
        assert r.status == 204
        assert r.getheader("Access-Control-Allow-Origin") is None
        # a prefix of a listed origin is not that origin
        r, _ = request(c, "GET", "/jmap/session", headers={
            "Origin": "https://a.example.evil", "Authorization": auth_header()})
        assert r.status == 200 and r.getheader("Access-Control-Allow-Origin") is None
        r, _ = request(c, "GET", "/jmap/session", headers={
            "Origin": "https://b.example", "Authorization": auth_header()})
        assert r.status == 200
        assert r.getheader("Access-Control-Allow-Origin") == "https://b.example"
        c.close()


def test_timeouts_expect_and_http10():
    """After login: a body that stalls gets 408 at request-timeout (5 s
    here); a quiet kept-alive connection is closed at idle-timeout (10 s);
    curl's Expect: 100-continue upload of a large API body is answered;
    HTTP/1.0 closes after its response unless it asks to keep alive."""
    import subprocess
    with server(options={"request-timeout": 5, "idle-timeout": 10}) as srv:
        raw = Raw(srv, timeout=20)
        raw.send(head("/jmap/session"))
        assert raw.response()[0] == 200
        raw.send(("POST /jmap/api/ HTTP/1.1\r\nHost: x\r\nAuthorization: %s\r\n"
                  "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"
                  % auth_header()).encode())
        t0 = time.time()
        st, hdrs, _ = raw.response()
        assert st == 408 and 4 < time.time() - t0 < 8, (st, time.time() - t0)
        assert raw.closed()
        raw.close()
        raw = Raw(srv, timeout=20)
        raw.send(head("/jmap/session"))
        assert raw.response()[0] == 200
        t0 = time.time()
        assert raw.closed(15) and 8 < time.time() - t0 < 13, time.time() - t0
        raw.close()
        # curl sends Expect: 100-continue for a body this large; the echo
        # is larger than the output buffer's limit and goes out in pieces
        big = json.dumps({"using": ["urn:ietf:params:jmap:core"],
                          "methodCalls": [["Core/echo", {"pad": "x" * 5000000},
                                           "e"]]})
        r = subprocess.run(
            ["curl", "-sk", "--user", "alice:" + USERS["alice"], "-H",
             "Content-Type: application/json", "-H", "Expect: 100-continue",
             "--data-binary", "@-", "-o", "/dev/null", "-w",
             "%{http_code} %{size_download}",
             "https://127.0.0.1:%d/jmap/api/" % srv.port("jmap")],
            input=big.encode(), capture_output=True, timeout=60)
        code, size = r.stdout.split()
        assert code == b"200" and int(size) > 5000000, (r.stdout, r.stderr)
        raw = Raw(srv)
        raw.send(("GET /jmap/session HTTP/1.0\r\nHost: x\r\nAuthorization: %s\r\n\r\n"
                  % auth_header()).encode())
        assert raw.response()[0] == 200 and raw.closed()
        raw.close()
