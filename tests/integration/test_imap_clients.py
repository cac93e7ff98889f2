"""Real IMAP clients against imapd: mbsync (isync)
syncs a 500-message mailbox both ways and a second run has nothing to do;
npm's imapflow connects over TLS, lists, fetches, appends, moves and idles;
curl lists and fetches over imaps://."""
import os
import re
import shutil
import subprocess
import tempfile

from imap_util import ImapServer, need_stored
from test_imap_commands import mkmsg

USERS = {"alice": "wonderland"}


def have(cmd):
    return shutil.which(cmd) is not None


def mbsync_config(d, srv):
    conf = os.path.join(d, "mbsyncrc")
    with open(conf, "w") as f:
        f.write("""
IMAPAccount test
Host localhost
Port %d
User alice
Pass wonderland
SSLType IMAPS
CertificateFile %s

IMAPStore remote
Account test

MaildirStore local
Path %s/mail/
Inbox %s/mail/INBOX
SubFolders Verbatim

Channel sync
Far :remote:
Near :local:
Patterns INBOX Archive
Create Both
Expunge Both
SyncState *
""" % (srv.port("imaps"), srv.cert, d, d))
    return conf


def maildir_count(path):
    return sum(len(os.listdir(os.path.join(path, sub)))
               for sub in ("cur", "new") if os.path.isdir(os.path.join(path, sub)))


def mbsync(conf, debug=False):
    r = subprocess.run(["mbsync", "-c", conf, "-Dn" if debug else "-V", "-a"],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    return r.stdout + r.stderr


def test_mbsync_both_ways():
    if not need_stored() or not have("mbsync"):
        return
    d = tempfile.mkdtemp(prefix="cloister-mbsync-")
    try:
        with ImapServer(users=USERS) as srv:
            m = srv.login("alice")
            # 500 messages on the server
            for i in range(500):
                m.append("INBOX", r"(\Seen)" if i % 3 == 0 else None, None,
                         mkmsg("server message %d" % i,
                               body="body %d\r\n" % i))
            # and 20 only on the local side
            inbox = os.path.join(d, "mail", "INBOX")
            for sub in ("cur", "new", "tmp"):
                os.makedirs(os.path.join(inbox, sub))
            for i in range(20):
                with open(os.path.join(inbox, "new", "local%d.host" % i),
                          "wb") as f:
                    f.write(mkmsg("local message %d" % i).replace(b"\r\n", b"\n"))
            conf = mbsync_config(d, srv)
            out = mbsync(conf)
            assert maildir_count(inbox) == 520, (maildir_count(inbox), out[-2000:])
            typ, data = m.status("INBOX", "(MESSAGES)")
            assert b"MESSAGES 520" in data[0], data
            # a second run has nothing to do: with the network trace on,
            # no command that moves a message or a flag goes out
            out = mbsync(conf, debug=True)
            sent = re.findall(r"^>>> \d+ (\S+ ?\S*)", out, re.M)
            assert sent and any(c.startswith("SELECT") or
                                c.startswith("EXAMINE") for c in sent), out[-3000:]
            busy = [c for c in sent if re.match(
                r"(APPEND|UID STORE|STORE|UID EXPUNGE|EXPUNGE|UID MOVE|UID COPY)", c)]
            assert not busy, busy
            assert not re.search(r"BODY\.PEEK\[\]", out), out[-3000:]
            # a change on each side goes across
            m.select("INBOX")
            m.store("1", "+FLAGS", r"\Flagged")
            m.append("Archive", None, None, mkmsg("archived on the server"))
            out = mbsync(conf)
            assert maildir_count(os.path.join(d, "mail", "Archive")) >= 1, out[-2000:]
            flagged = [f for f in os.listdir(os.path.join(inbox, "cur"))
                       if re.search(r":2,.*F", f)]
            assert len(flagged) == 1, out[-2000:]
            m.logout()
    finally:
        shutil.rmtree(d, ignore_errors=True)


IMAPFLOW_SCRIPT = r"""
const { ImapFlow } = require('imapflow');
(async () => {
  const port = parseInt(process.argv[2]);
  const client = new ImapFlow({ host: '127.0.0.1', port, secure: true,
    tls: { rejectUnauthorized: false },
    auth: { user: 'alice', pass: 'wonderland' }, logger: false });
  await client.connect();
  const out = {};
  out.list = (await client.list()).map(b => [b.path, b.specialUse || null]);
  const up = await client.append('INBOX', 'From: flow@example.org\r\nTo: alice@example.org\r\nSubject: from imapflow\r\n\r\nhello from node\r\n', ['\\Seen']);
  out.appended = up.uid;
  let lock = await client.getMailboxLock('INBOX');
  try {
    out.exists = client.mailbox.exists;
    out.fetched = [];
    for await (let msg of client.fetch('1:*', { envelope: true, source: true, flags: true, uid: true })) {
      out.fetched.push([msg.uid, msg.envelope.subject, msg.source.length, [...msg.flags]]);
    }
    const mv = await client.messageMove({ uid: up.uid }, 'Archive', { uid: true });
    out.moved = mv && mv.uidMap ? [...mv.uidMap.entries()] : null;
    // IDLE: wait for an EXISTS pushed by another session
    const waiter = new Promise(resolve => client.on('exists', d => resolve(d.count)));
    const idling = client.idle();
    process.stdout.write('IDLING\n');
    out.idle_exists = await waiter;
  } finally {
    lock.release();
  }
  await client.logout();
  process.stdout.write(JSON.stringify(out) + '\n');
})().catch(e => { console.error('ERR', e && e.stack || e); process.exit(1); });
"""


def npm_imapflow(d):
    """Install imapflow from the npm registry into d (test time only)."""
    r = subprocess.run(["npm", "install", "--silent", "--no-audit",
                        "--no-fund", "--prefix", d, "imapflow"],
                       capture_output=True, text=True, timeout=600)
    return r.returncode == 0


def test_imapflow():
    if not need_stored() or not have("node") or not have("npm"):
        return
    d = tempfile.mkdtemp(prefix="cloister-imapflow-")
    try:
        assert npm_imapflow(d), "npm install imapflow failed"
        with ImapServer(users=USERS) as srv:
            m = srv.login("alice")
            for i in range(3):
                m.append("INBOX", None, None, mkmsg("flow %d" % i))
            script = os.path.join(d, "t.js")
            with open(script, "w") as f:
                f.write(IMAPFLOW_SCRIPT)
            p = subprocess.Popen(["node", script, str(srv.port("imaps"))],
                                 cwd=d, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True,
                                 env=dict(os.environ, NODE_PATH=os.path.join(d, "node_modules")))
            line = p.stdout.readline()
            assert line.strip() == "IDLING", line + p.stderr.read()
            m.append("INBOX", None, None, mkmsg("wakes the idler"))
            out, err = p.communicate(timeout=60)
            assert p.returncode == 0, err
            import json
            res = json.loads(out.strip().splitlines()[-1])
            paths = dict(res["list"])
            assert paths.get("Sent") == "\\Sent" and "INBOX" in paths, res
            assert res["exists"] == 4, res
            assert len(res["fetched"]) == 4 and res["fetched"][3][1] == "from imapflow", res
            assert "\\Seen" in res["fetched"][3][3], res
            assert res["moved"] and res["moved"][0][0] == res["appended"], res
            assert res["idle_exists"] == 4, res     # 3 + 1 appended - 1 moved + 1
            typ, data = m.status("Archive", "(MESSAGES)")
            assert b"MESSAGES 1" in data[0], data
            m.logout()
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_curl_imaps():
    if not need_stored() or not have("curl"):
        return
    with ImapServer(users=USERS) as srv:
        m = srv.login("alice")
        m.append("INBOX", None, None, mkmsg("for curl", body="curl body\r\n"))
        m.logout()
        base = "imaps://127.0.0.1:%d/" % srv.port("imaps")
        common = ["curl", "-s", "-k", "--max-time", "30", "-u",
                  "alice:wonderland"]
        r = subprocess.run(common + [base], capture_output=True, text=True,
                           timeout=60)
        assert r.returncode == 0, r.stderr
        assert '"INBOX"' in r.stdout and '"Sent"' in r.stdout, r.stdout
        r = subprocess.run(common + [base + "INBOX;UID=1"], capture_output=True,
                           text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        assert "Subject: for curl" in r.stdout and "curl body" in r.stdout, r.stdout
        r = subprocess.run(common + [base + "INBOX;UID=1/;SECTION=TEXT"],
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 0 and r.stdout.strip() == "curl body", r.stdout
        # wrong password: curl reports a login failure
        r = subprocess.run(["curl", "-s", "-k", "--max-time", "30", "-u",
                            "alice:nope", base], capture_output=True,
                           text=True, timeout=60)
        assert r.returncode == 67, (r.returncode, r.stdout, r.stderr)
