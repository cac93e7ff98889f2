"""JMAP for Sieve scripts (RFC 9661) end to end with curl as the client,
against a real server (cloisterd, authd, keyd, stored, jmapd): the
sieve capability in the Session with the store's quota and the
compiler's extensions; a script uploaded, created and activated in one
SieveScript/set, read back by /get and downloaded by its blobId, found
by /query, renamed with its id kept, its content replaced; a broken
script refused by /validate and /set with the compiler's line and
column; the active script not destroyable (sieveIsActive) until
onSuccessDeactivateScript; another user's scripts, ids and blobs out of
reach; and the store's quota (sieve-max-scripts, sieve-max-script-size)
as overQuota and tooLarge."""
import hashlib
import json

import test_jmap_blob as jb
import test_jmap_http as jh
from imap_util import ImapServer, need_stored

SIEVE = "urn:ietf:params:jmap:sieve"
USING = ["urn:ietf:params:jmap:core", SIEVE]

GOOD = b'require "fileinto";\r\nif header :contains "subject" "x" {\r\n' \
    b'  fileinto "Junk";\r\n}\r\n'
OTHER = b'require ["fileinto", "copy"];\r\nfileinto :copy "Archive";\r\n'
BROKEN = b'require "fileinto";\r\nif header :contains "subject" "x" {\r\n' \
    b'  frobnicate "Junk";\r\n}\r\n'


def server(stored_options=None):
    need_stored()
    return ImapServer(users=jb.PASSWORDS, extra_services=[jh.jmapd_block()],
                      stored_options=stored_options)


def session(srv, user="alice"):
    code, body = jb.curl(srv, [jb.base(srv) + "/jmap/session"], user)
    assert code == 200, (code, body)
    return json.loads(body)


def api(srv, calls, user="alice"):
    code, body = jb.curl(srv, [
        "-H", "Content-Type: application/json", "--data-binary", "@-",
        jb.base(srv) + "/jmap/api/"], user,
        json.dumps({"using": USING, "methodCalls": calls}).encode())
    assert code == 200, (code, body)
    return [r[1] if r[0] != "error" else r for r in
            json.loads(body)["methodResponses"]]


def upload(srv, acct, data, user="alice"):
    code, body = jb.upload(srv, acct, data, "application/sieve", user)
    assert code == 201, (code, body)
    return json.loads(body)["blobId"]


def blob_of(data):
    return "G" + hashlib.sha256(data).hexdigest()


def test_session_advertises_sieve_with_the_store_quota():
    with server({"sieve-max-scripts": "3",
                 "sieve-max-script-size": "2K"}) as srv:
        s = session(srv)
        assert s["capabilities"][SIEVE] == {}, s["capabilities"]
        acct = s["primaryAccounts"][SIEVE]
        cap = s["accounts"][acct]["accountCapabilities"][SIEVE]
        assert cap["maxSizeScriptName"] == 128, cap
        assert cap["maxNumberScripts"] == 3 and cap["maxSizeScript"] == 2048
        assert cap["maxNumberRedirects"] == 4, cap
        assert cap["notificationMethods"] == ["mailto"], cap
        assert cap["externalLists"] is None, cap
        assert cap["implementation"].startswith("Cloister "), cap
        ext = set(cap["sieveExtensions"])
        assert {"fileinto", "vacation", "variables", "imap4flags", "body",
                "relational", "enotify", "mailbox", "date"} <= ext, ext
        assert "" not in ext and "frobnicate" not in ext, ext
        # without the capability in using, the methods are unknown
        code, body = jb.curl(srv, [
            "-H", "Content-Type: application/json", "--data-binary", "@-",
            jb.base(srv) + "/jmap/api/"], "alice", json.dumps({
                "using": ["urn:ietf:params:jmap:core"], "methodCalls": [[
                    "SieveScript/get", {"accountId": acct}, "g"]]}).encode())
        got = json.loads(body)["methodResponses"][0]
        assert got[0] == "error" and got[1]["type"] == "unknownMethod", got


def test_create_activate_get_query_download_rename_destroy():
    jb.need_curl()
    with server() as srv:
        acct = session(srv)["primaryAccounts"][SIEVE]
        blob = upload(srv, acct, GOOD)
        s, g = api(srv, [
            ["SieveScript/set", {"accountId": acct, "create": {"a": {
                "name": "rules", "blobId": blob}},
                "onSuccessActivateScript": "#a"}, "s"],
            ["SieveScript/get", {"accountId": acct, "ids": None}, "g"]])
        made = s["created"]["a"]
        sid = made["id"]
        assert made["isActive"] is True and made["blobId"] == blob, s
        assert g["list"] == [{"id": sid, "name": "rules", "blobId": blob,
                              "isActive": True}], g
        assert s["newState"] == g["state"] != s["oldState"], (s, g)
        # the script's blob is its source, after the upload too
        code, back = jb.download(srv, acct, blob)
        assert code == 200 and back == GOOD, (code, back)

        blob2 = upload(srv, acct, OTHER)
        s, = api(srv, [["SieveScript/set", {"accountId": acct, "create": {
            "b": {"name": "more", "blobId": blob2}},
            "update": {sid: {"name": "renamed"}}}, "s"]])
        other = s["created"]["b"]["id"]
        assert s["updated"] == {sid: None} and other != sid, s
        q, = api(srv, [["SieveScript/query", {
            "accountId": acct, "sort": [{"property": "name"}]}, "q"]])
        assert q["ids"] == [other, sid], q
        q1, q2, q3 = api(srv, [
            ["SieveScript/query", {"accountId": acct,
                                   "filter": {"isActive": True}}, "1"],
            ["SieveScript/query", {"accountId": acct,
                                   "filter": {"name": "ren"}}, "2"],
            ["SieveScript/query", {"accountId": acct, "sort": [
                {"property": "isActive", "isAscending": False}]}, "3"]])
        assert q1["ids"] == [sid] and q2["ids"] == [sid], (q1, q2)
        assert q3["ids"] == [sid, other], q3
        g, = api(srv, [["SieveScript/get", {"accountId": acct,
                                            "ids": [sid]}, "g"]])
        assert g["list"][0]["name"] == "renamed", g   # the same id
        # a name another script has: refused, and nothing else changes
        s, g = api(srv, [
            ["SieveScript/set", {"accountId": acct, "create": {
                "dup": {"name": "more", "blobId": blob}}, "update": {
                sid: {"name": "more", "blobId": blob2}}}, "s"],
            ["SieveScript/get", {"accountId": acct, "ids": [sid],
                                 "properties": ["name", "blobId"]}, "g"]])
        taken = {"type": "alreadyExists", "existingId": other}
        assert s["notCreated"] == {"dup": taken}, s
        assert s["notUpdated"] == {sid: taken}, s
        assert g["list"] == [{"id": sid, "name": "renamed",
                              "blobId": blob}], g

        # the active one stays until it is deactivated
        d, = api(srv, [["SieveScript/set", {"accountId": acct,
                                            "destroy": [sid]}, "d"]])
        assert d["notDestroyed"][sid]["type"] == "sieveIsActive", d
        d, = api(srv, [["SieveScript/set", {
            "accountId": acct, "onSuccessActivateScript": other}, "d"]])
        assert d["updated"] == {sid: {"isActive": False},
                                other: {"isActive": True}}, d
        d, = api(srv, [["SieveScript/set", {
            "accountId": acct, "destroy": [sid],
            "onSuccessDeactivateScript": True}, "d"]])
        assert d["destroyed"] == [sid], d
        assert d["updated"] == {other: {"isActive": False}}, d
        g, = api(srv, [["SieveScript/get", {"accountId": acct}, "g"]])
        assert [(x["id"], x["isActive"]) for x in g["list"]] == \
            [(other, False)], g
        # a new content under the same id: the blobId follows it
        s, g = api(srv, [
            ["SieveScript/set", {"accountId": acct, "update": {
                other: {"blobId": blob}}}, "s"],
            ["SieveScript/get", {"accountId": acct, "ids": [other],
                                 "properties": ["blobId"]}, "g"]])
        assert s["updated"] == {other: None}, s
        assert g["list"] == [{"id": other, "blobId": blob}], g


def test_broken_script_is_refused_with_line_and_column():
    jb.need_curl()
    with server() as srv:
        acct = session(srv)["primaryAccounts"][SIEVE]
        bad, good = upload(srv, acct, BROKEN), upload(srv, acct, GOOD)
        v1, v2, v3, s = api(srv, [
            ["SieveScript/validate", {"accountId": acct, "blobId": bad}, "1"],
            ["SieveScript/validate", {"accountId": acct, "blobId": good},
             "2"],
            ["SieveScript/validate", {"accountId": acct,
                                      "blobId": blob_of(b"never")}, "3"],
            ["SieveScript/set", {"accountId": acct, "create": {
                "x": {"name": "x", "blobId": bad},
                "y": {"name": "y", "blobId": good, "isActive": True},
                "z": {"name": "a/b", "blobId": good},
                "c1": {"name": "a\u0085b", "blobId": good},
                "long": {"name": "n" * 129, "blobId": good}},
                "onSuccessActivateScript": "#x"}, "s"]])
        assert v1["error"]["type"] == "invalidSieve", v1
        assert v1["error"]["description"].startswith("line 3, column 3:"), v1
        assert "frobnicate" in v1["error"]["description"], v1
        assert v2["error"] is None, v2
        assert v3["error"]["type"] == "blobNotFound", v3
        assert s["notCreated"]["x"]["type"] == "invalidSieve", s
        assert s["notCreated"]["x"]["description"] == \
            v1["error"]["description"], s
        # isActive is the server's; a name with "/" is not a script name
        assert s["notCreated"]["y"] == {"type": "invalidProperties",
                                        "properties": ["isActive"]}, s
        for bad in ("z", "c1", "long"):
            assert s["notCreated"][bad]["properties"] == ["name"], s
        assert s["created"] == {} and s["updated"] == {}, s
        g, = api(srv, [["SieveScript/get", {"accountId": acct}, "g"]])
        assert g["list"] == [], g
        # no name: the server gives one
        s, = api(srv, [["SieveScript/set", {"accountId": acct, "create": {
            "n": {"name": None, "blobId": good}}}, "s"]])
        assert s["created"]["n"]["name"] == "script1", s


def test_another_users_scripts_are_out_of_reach():
    jb.need_curl()
    with server() as srv:
        acct = session(srv)["primaryAccounts"][SIEVE]
        bacct = session(srv, "bob")["primaryAccounts"][SIEVE]
        blob = upload(srv, acct, GOOD)
        s, = api(srv, [["SieveScript/set", {"accountId": acct, "create": {
            "a": {"name": "mine", "blobId": blob}}}, "s"]])
        sid = s["created"]["a"]["id"]
        # bob names alice's id, her upload and her account
        g, d, v, c = api(srv, [
            ["SieveScript/get", {"accountId": bacct, "ids": [sid]}, "g"],
            ["SieveScript/set", {"accountId": bacct, "destroy": [sid],
                                 "update": {sid: {"name": "x"}}}, "d"],
            ["SieveScript/validate", {"accountId": bacct, "blobId": blob},
             "v"],
            ["SieveScript/set", {"accountId": bacct, "create": {
                "c": {"name": "stolen", "blobId": blob}}}, "c"]], "bob")
        assert g["notFound"] == [sid] and g["list"] == [], g
        assert d["notDestroyed"][sid]["type"] == "notFound", d
        assert d["notUpdated"][sid]["type"] == "notFound", d
        assert v["error"]["type"] == "blobNotFound", v
        assert c["notCreated"]["c"]["type"] == "blobNotFound", c
        e, = api(srv, [["SieveScript/get", {"accountId": acct}, "e"]], "bob")
        assert e[0] == "error" and e[1]["type"] == "accountNotFound", e
        code, _ = jb.download(srv, bacct, blob, "bob")
        assert code == 404, code
        code, _ = jb.download(srv, acct, blob, "bob")
        assert code == 404, code
        g, = api(srv, [["SieveScript/get", {"accountId": acct}, "g"]])
        assert [x["name"] for x in g["list"]] == ["mine"], g


def test_quota_over_scripts_and_size():
    jb.need_curl()
    with server({"sieve-max-scripts": "2",
                 "sieve-max-script-size": "200"}) as srv:
        acct = session(srv)["primaryAccounts"][SIEVE]
        small = upload(srv, acct, GOOD)
        big = upload(srv, acct, b"# " + b"x" * 300 + b"\r\nkeep;\r\n")
        s, = api(srv, [["SieveScript/set", {"accountId": acct, "create": {
            "1": {"name": "one", "blobId": small},
            "2": {"name": "two", "blobId": small},
            "3": {"name": "three", "blobId": small},
            "4": {"blobId": big}}}, "s"]])
        assert sorted(s["created"]) == ["1", "2"], s
        assert s["notCreated"]["3"]["type"] == "overQuota", s
        assert s["notCreated"]["4"]["type"] in ("tooLarge", "overQuota"), s
        one = s["created"]["1"]["id"]
        u, = api(srv, [["SieveScript/set", {"accountId": acct, "update": {
            one: {"blobId": big}}}, "u"]])
        assert u["notUpdated"][one]["type"] == "tooLarge", u
        g, = api(srv, [["SieveScript/get", {"accountId": acct}, "g"]])
        assert sorted(x["name"] for x in g["list"]) == ["one", "two"], g
        assert all(x["blobId"] == small for x in g["list"]), g


def test_a_script_put_by_cloisterctl_is_seen_and_downloadable():
    """A script made outside JMAP gets an id when JMAP first lists it;
    its blobId, never uploaded, downloads its source from the store; a
    JMAP rename shows in cloisterctl and keeps the id; an activation by
    cloisterctl moves the state the next /get reports."""
    import subprocess
    from harness import tool
    jb.need_curl()
    with server() as srv:
        def ctl(*args, stdin=None):
            return subprocess.run(
                [tool("cloisterctl"), "-c", srv.srv.config_path] + list(args),
                input=stdin, capture_output=True, timeout=60)
        r = ctl("sieve", "put", "alice", "from-ctl", "-", stdin=OTHER)
        assert r.returncode == 0, r
        acct = session(srv)["primaryAccounts"][SIEVE]
        g, = api(srv, [["SieveScript/get", {"accountId": acct}, "g"]])
        (x,) = g["list"]
        assert x["name"] == "from-ctl" and x["blobId"] == blob_of(OTHER), g
        code, back = jb.download(srv, acct, x["blobId"], name="f.sieve")
        assert code == 200 and back == OTHER, (code, back)
        # not bob's, though he knows the id and has a script of his own
        assert ctl("sieve", "put", "bob", "his", "-",
                   stdin=GOOD).returncode == 0
        code, _ = jb.download(srv, session(srv, "bob")["primaryAccounts"][
            SIEVE], x["blobId"], "bob")
        assert code == 404, code
        s, = api(srv, [["SieveScript/set", {"accountId": acct, "update": {
            x["id"]: {"name": "renamed"}}}, "s"]])
        assert s["updated"] == {x["id"]: None}, s
        assert ctl("sieve", "list", "alice").stdout.split()[0] == b"renamed"
        g, = api(srv, [["SieveScript/get", {"accountId": acct}, "g"]])
        assert [(y["id"], y["name"]) for y in g["list"]] == \
            [(x["id"], "renamed")], g
        assert g["state"] == s["newState"], (g, s)
        # a change by another protocol moves the state JMAP reports
        assert ctl("sieve", "activate", "alice", "renamed").returncode == 0
        g2, = api(srv, [["SieveScript/get", {"accountId": acct}, "g"]])
        assert g2["list"][0]["isActive"] is True, g2
        assert g2["state"] != g["state"], (g, g2)
        g3, = api(srv, [["SieveScript/get", {"accountId": acct}, "g"]])
        assert g3["state"] == g2["state"], (g2, g3)


def test_a_script_change_is_pushed_as_sieve_script_only():
    import test_jmap_http_push as jp
    import test_jmap_push_objects as po
    jb.need_curl()
    with server() as srv:
        acct = session(srv)["primaryAccounts"][SIEVE]
        blob = upload(srv, acct, GOOD)
        stream = jp.open_stream(srv, "types=*&closeafter=no&ping=0")
        ident = jp.open_stream(srv, "types=Identity,Email&closeafter=no&ping=0")
        s, = api(srv, [["SieveScript/set", {"accountId": acct, "create": {
            "a": {"name": "pushed", "blobId": blob}}}, "s"]])
        assert "a" in s["created"], s
        name, data, _ = jp.next_event(stream, 5)
        assert name == "state", (name, data)
        assert data["changed"] == {acct: {"SieveScript": s["newState"]}}, data
        assert po.quiet(ident, 0.3), ident.buf
        for r in (stream, ident):
            r.close()
