"""SearchSnippet/get (RFC 8621 section 5) end to end: messages APPENDed
over IMAP, found with Email/query, and their snippets fetched by result
reference in the same request: the filter's terms marked in the subject
and in a preview cut around the first match, the rest HTML-escaped,
null where nothing matches."""
import json

import test_jmap_http as jh
from test_jmap_mail_http import MAIL, api


def message(subject, body, ctype="text/plain; charset=utf-8"):
    return ("From: ann@example.org\r\nTo: alice@example.org\r\n"
            "Subject: %s\r\nMIME-Version: 1.0\r\nContent-Type: %s\r\n"
            "Content-Transfer-Encoding: 8bit\r\n\r\n%s\r\n"
            % (subject, ctype, body)).encode()


def snippets(c, acct, flt):
    q, s = api(c, [
        ["Email/query", {"accountId": acct, "filter": flt}, "q"],
        ["SearchSnippet/get", {"accountId": acct, "filter": flt,
                               "#emailIds": {"resultOf": "q",
                                             "name": "Email/query",
                                             "path": "/ids"}}, "s"]])
    assert len(s["list"]) == len(q["ids"]), (q, s)
    return s["list"]


def test_terms_are_marked_in_subject_and_preview():
    with jh.server() as srv:
        m = srv.login("alice")
        m.append("INBOX", None, None, message(
            "Budget meeting <Q3>", "Agenda: the budget & the plan."))
        filler = " ".join("word%d" % i for i in range(200))
        m.append("INBOX", None, None, message(
            "Long one", filler + " the Caf\u00e9 opens " + filler))
        m.append("INBOX", None, None, message(
            "Html", "<p>See the <b>r\u00e9sum\u00e9</b> here</p>",
            "text/html; charset=utf-8"))
        c = jh.client(srv)
        _, body = jh.request(c, "GET", "/jmap/session",
                             headers={"Authorization": jh.auth_header()})
        acct = json.loads(body)["primaryAccounts"][MAIL[1]]

        got = snippets(c, acct, {"text": "budget"})
        assert len(got) == 1, got
        assert got[0]["subject"] == \
            "<mark>Budget</mark> meeting &lt;Q3&gt;", got
        assert got[0]["preview"] == \
            "Agenda: the <mark>budget</mark> &amp; the plan.", got

        # ids that are no email of the user's
        s, = api(c, [["SearchSnippet/get", {
            "accountId": acct, "filter": {"text": "budget"},
            "emailIds": ["E999999999", "Mbogus", got[0]["emailId"]]}, "s"]])
        assert s["notFound"] == ["E999999999", "Mbogus"], s
        assert [x["emailId"] for x in s["list"]] == [got[0]["emailId"]], s

        # a subject condition marks the subject only
        got = snippets(c, acct, {"subject": "meeting"})
        assert got[0]["subject"] == "Budget <mark>meeting</mark> &lt;Q3&gt;"
        assert got[0]["preview"] is None, got

        # the preview is cut around the match, case folded beyond ASCII
        got = snippets(c, acct, {"body": "CAF\u00c9"})
        assert len(got) == 1 and got[0]["subject"] is None, got
        p = got[0]["preview"]
        assert "the <mark>Caf\u00e9</mark> opens" in p, p
        assert len(p.replace("<mark>", "").replace("</mark>", "")) <= 255
        assert not p.startswith("word0 "), p

        # an HTML body: the text, not the tags
        got = snippets(c, acct, {"body": "R\u00c9SUM\u00c9"})
        assert got[0]["preview"] == \
            "See the <mark>r\u00e9sum\u00e9</mark> here", got

        # operators: AND's terms count, NOT's do not
        got = snippets(c, acct, {"operator": "AND", "conditions": [
            {"text": "plan"},
            {"operator": "NOT", "conditions": [{"text": "agenda"}]}]})
        assert got == [] or "<mark>Agenda" not in got[0]["preview"], got
        q, s = api(c, [
            ["Email/query", {"accountId": acct,
                             "filter": {"subject": "Budget"}}, "q"],
            ["SearchSnippet/get", {"accountId": acct, "filter": {
                "operator": "AND", "conditions": [
                    {"body": "plan"},
                    {"operator": "NOT", "conditions": [
                        {"body": "agenda"}]}]},
                "#emailIds": {"resultOf": "q", "name": "Email/query",
                              "path": "/ids"}}, "s"]])
        assert s["list"][0]["preview"] == \
            "Agenda: the budget &amp; the <mark>plan</mark>.", s
        c.close()
        m.logout()
