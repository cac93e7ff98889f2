#!/usr/bin/env python3
"""Write tests/mime/corpus/*.eml: real-world-shaped messages for the MIME
helper, each with CRLF line ends. Run it after editing the list; then
tests/mime/dovecot_expect.py records what Dovecot answers for each file
(tests/mime/expected/*.dovecot) and test_mime_corpus.py compares."""
import base64
import os

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpus")

B64_PDF = base64.encodebytes(b"%PDF-1.4\n" + bytes(range(256)) * 3).decode()
B64_PNG = base64.encodebytes(b"\x89PNG\r\n\x1a\n" + bytes(200)).decode()

M = {}

M["01-plain"] = """\
Return-Path: <alice@example.org>
Received: from mx.example.org (mx.example.org [192.0.2.1])
	by mail.example.com with ESMTPS id 4F1; Tue, 2 Jan 2024 10:00:00 +0000
Date: Tue, 2 Jan 2024 10:59:59 +0100
From: Alice Example <alice@example.org>
To: Bob <bob@example.com>
Subject: Lunch on Friday?
Message-ID: <20240102105959.GA1234@example.org>
MIME-Version: 1.0
Content-Type: text/plain; charset=us-ascii
Content-Disposition: inline

Hi Bob,

are you free for lunch on Friday? The usual place.

-- 
Alice
"""

M["02-alternative"] = """\
Date: Wed, 03 Jan 2024 08:15:00 -0500
From: "Newsletter Team" <news@shop.example>
To: customer@example.com
Subject: =?UTF-8?Q?Our_winter_sale_=E2=80=94_up_to_50=25_off?=
Message-ID: <abc.123@shop.example>
MIME-Version: 1.0
Content-Type: multipart/alternative;
	boundary="----=_Part_123_456.789"

------=_Part_123_456.789
Content-Type: text/plain; charset=UTF-8
Content-Transfer-Encoding: quoted-printable

Winter sale =E2=80=94 everything must go!
Visit https://shop.example/sale for details.

------=_Part_123_456.789
Content-Type: text/html; charset=UTF-8
Content-Transfer-Encoding: quoted-printable

<html><head><style>p {color: red}</style></head><body><p>Winter sale =E2=
=80=94 <b>everything</b> must go!</p><p>Visit <a href=3D"https://shop.exa=
mple/sale">our shop</a> &amp; save.</p></body></html>

------=_Part_123_456.789--
"""

M["03-mixed-attachments"] = """\
Date: Thu, 4 Jan 2024 12:00:00 +0000
From: Carol <carol@example.net>
To: Dave <dave@example.com>, Erin <erin@example.com>
Cc: finance@example.com
Subject: Invoice and photo
Message-ID: <CAKx=abc+def@mail.example.net>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="000000000000abcdef0123456789"

--000000000000abcdef0123456789
Content-Type: multipart/alternative; boundary="000000000000abcdef0123456788"

--000000000000abcdef0123456788
Content-Type: text/plain; charset="UTF-8"

Please find the invoice attached.

--000000000000abcdef0123456788
Content-Type: text/html; charset="UTF-8"

<div dir="ltr">Please find the invoice attached.</div>

--000000000000abcdef0123456788--
--000000000000abcdef0123456789
Content-Type: application/pdf; name="invoice-2024-001.pdf"
Content-Disposition: attachment; filename="invoice-2024-001.pdf"
Content-Transfer-Encoding: base64
Content-ID: <f_lqx1>
X-Attachment-Id: f_lqx1

""" + B64_PDF + """--000000000000abcdef0123456789
Content-Type: image/png; name="photo.png"
Content-Disposition: inline; filename="photo.png"; size=208
Content-Transfer-Encoding: base64
Content-ID: <ii_photo@example.net>
Content-Description: A photo

""" + B64_PNG + """--000000000000abcdef0123456789--
"""

M["04-forward-rfc822"] = """\
Date: Fri, 5 Jan 2024 09:00:00 +0200
From: Frank <frank@example.org>
To: Grace <grace@example.com>
Subject: Fwd: Quarterly numbers
Message-ID: <fwd.1@example.org>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="fwd-boundary"

--fwd-boundary
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

See below. Über-important.

--fwd-boundary
Content-Type: message/rfc822
Content-Disposition: attachment; filename="Quarterly numbers.eml"

Date: Thu, 4 Jan 2024 17:30:00 -0800
From: "Heidi H." <heidi@corp.example>
To: frank@example.org
Cc: "Team: Sales" <sales@corp.example>
Subject: Quarterly numbers
Message-ID: <q4.numbers@corp.example>
In-Reply-To: <q3.numbers@corp.example>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="inner"

--inner
Content-Type: text/plain; charset=iso-8859-1
Content-Transfer-Encoding: quoted-printable

Numbers attached. Gr=FC=DFe, Heidi

--inner
Content-Type: text/csv; name=q4.csv
Content-Disposition: attachment; filename=q4.csv

region,revenue
north,100
south,200

--inner--

--fwd-boundary--
"""

M["05-encoded-words"] = """\
Date: Sat, 6 Jan 2024 10:00:00 +0100
From: =?ISO-8859-1?Q?Andr=E9?= Pirard <PIRARD@vm1.ulg.ac.be>
To: =?UTF-8?B?0JjQstCw0L0g0J/QtdGC0YDQvtCy?= <ivan@example.ru>,
 =?utf-8?q?J=C3=BCrgen?= =?utf-8?q?_M=C3=BCller?= <jm@example.de>
Subject: =?ISO-8859-1?B?SWYgeW91IGNhbiByZWFkIHRoaXMgeW8=?=
 =?ISO-8859-2?B?dSB1bmRlcnN0YW5kIHRoZSBleGFtcGxlLg==?=
Message-ID: <ew@example.be>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: base64

0J/RgNC40LLQtdGCLCDQvNC40YAhIEdyw7zDn2UgYXVzIETDvHNzZWxkb3JmLg==
"""

M["06-groups"] = """\
Date: Sun, 7 Jan 2024 11:00:00 +0000
From: Announcements <announce@example.org>
To: undisclosed-recipients:;
Cc: Project Team: ann@example.org, "Bert B." <bert@example.org>;,
 outside@example.net
Bcc: Secret: (nobody here);
Subject: Group addressing
Message-ID: <groups@example.org>

Groups in To and Cc.
"""

M["07-missing-headers"] = """\
X-Mailer: ancient tool 0.1

A message with no Date, From, To, Subject or Message-ID at all.
"""

M["08-koi8r"] = """\
Date: Mon, 8 Jan 2024 12:00:00 +0300
From: =?koi8-r?B?8MXU0s/X?= <petrov@example.ru>
To: ivanov@example.ru
Subject: =?koi8-r?B?9MXT1A==?=
MIME-Version: 1.0
Content-Type: text/plain; charset=koi8-r
Content-Transfer-Encoding: 8bit

\xf0\xd2\xc9\xd7\xc5\xd4, \xcd\xc9\xd2!
"""

M["09-8bit-headers"] = """\
Date: Tue, 9 Jan 2024 13:00:00 +0100
From: Jürgen Müller <juergen@example.de>
To: Zoë <zoe@example.fr>
Subject: Grüße aus München – 8-bit header
Message-ID: <8bit@example.de>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

Grüße!
"""

M["10-content-extras"] = """\
Date: Wed, 10 Jan 2024 14:00:00 +0000
From: web@example.org
To: reader@example.com
Subject: Extras
MIME-Version: 1.0
Content-Type: multipart/related; boundary=rel; type="text/html";
 start="<root@example.org>"
Content-Language: en-GB, fr

--rel
Content-Type: text/html; charset=utf-8
Content-ID: <root@example.org>
Content-Language: en
Content-Location: https://example.org/page.html
Content-MD5: Q2hlY2sgSW50ZWdyaXR5IQ==
Content-Description: The page

<img src="cid:logo@example.org">

--rel
Content-Type: image/gif
Content-ID: <logo@example.org>
Content-Transfer-Encoding: base64
Content-Disposition: inline

R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7
--rel--
"""

M["11-digest"] = """\
From: list-request@example.org
To: list@example.org
Subject: List digest, Vol 1, Issue 2
MIME-Version: 1.0
Content-Type: multipart/digest; boundary="digest"

--digest

From: one@example.org
Subject: First post

Body of the first post.

--digest

From: two@example.org
Subject: Second post

Body of the second post.

--digest--
"""

M["12-unterminated"] = """\
From: broken@example.org
Subject: multipart that never ends
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary=never

--never
Content-Type: text/plain

first part

--never
Content-Type: text/plain

second part, and then the message just stops"""

M["13-broken-ctype"] = """\
From: odd@example.org
Subject: broken content types
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary=b

--b
Content-Type: text

no subtype

--b
Content-Type: text/plain garbage; charset=utf-8

trailing garbage after subtype

--b
Content-Type: TEXT/PLAIN; CHARSET="ISO-8859-15"; Format=Flowed

upper case

--b
Content-Type: application/x-foo; name*=utf-8''%E2%82%AC%20rates.txt;
 title*0*=us-ascii'en'This%20is%20even%20more%20; title*1*=%2A%2A%2Afun%2A%2A%2A%20;
 title*2="isn't it!"
Content-Transfer-Encoding: x-uuencode

begin 644 rates.txt
end

--b--
"""

M["14-multipart-no-boundary"] = """\
From: a@example.org
Subject: no boundary
MIME-Version: 1.0
Content-Type: multipart/mixed

--x
Content-Type: text/plain

body
"""

M["15-addresses"] = """\
Date: 11 Jan 2024 15:00 GMT
From: "Last, First \\"Nick\\"" <first.last@example.org>
From: second-from@example.org
Sender: <@relay1.example,@relay2.example:sender@example.org>
Reply-To: replies@example.org (Replies Desk)
To: plainuser, <>, "Quoted @ local"@example.org, broken@, @nolocal.example
Cc: a@[192.0.2.7], comment (in front) <c@example.org>
Subject:   "Quoted" \\ subject   with   spaces   
In-Reply-To: <irt@example.org> (comment) <second@example.org>
Message-ID:   <  spaced@example.org  >

Address edge cases.
"""

M["16-long-folded"] = """\
Date: Fri, 12 Jan 2024 16:00:00 +0000
From: folding@example.org
To: a@example.org, b@example.org, c@example.org,
	d@example.org,
	e@example.org
Subject: This is a very long subject line that has been folded by the
 sending mail user agent because it went past seventy-eight characters
	and then once more with a tab
References: <r1@example.org>
	<r2@example.org> <r3@example.org>
Message-ID: <fold@example.org>

Folded headers.
"""

M["17-calendar"] = """\
Date: Sat, 13 Jan 2024 17:00:00 +0000
From: calendar@example.org
To: attendee@example.com
Subject: Invitation: Standup
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="cal"

--cal
Content-Type: multipart/alternative; boundary="cal-alt"

--cal-alt
Content-Type: text/plain; charset="UTF-8"; format=flowed; delsp=yes

You have been invited to Standup.

--cal-alt
Content-Type: text/calendar; charset="UTF-8"; method=REQUEST
Content-Transfer-Encoding: 7bit

BEGIN:VCALENDAR
METHOD:REQUEST
BEGIN:VEVENT
SUMMARY:Standup
END:VEVENT
END:VCALENDAR

--cal-alt--

--cal
Content-Type: application/ics; name="invite.ics"
Content-Disposition: attachment; filename="invite.ics"
Content-Transfer-Encoding: base64

QkVHSU46VkNBTEVOREFSCkVORDpWQ0FMRU5EQVIK
--cal--
"""

M["18-signed"] = """\
Date: Sun, 14 Jan 2024 18:00:00 +0000
From: signer@example.org
To: verifier@example.com
Subject: Signed
MIME-Version: 1.0
Content-Type: multipart/signed; micalg=pgp-sha256;
 protocol="application/pgp-signature"; boundary="sig"

--sig
Content-Type: text/plain; charset=us-ascii

Signed text.

--sig
Content-Type: application/pgp-signature; name="signature.asc"
Content-Description: OpenPGP digital signature
Content-Disposition: attachment; filename="signature.asc"

-----BEGIN PGP SIGNATURE-----
iQEzBAEBCAAdFiEE
-----END PGP SIGNATURE-----

--sig--
"""

M["19-bounce"] = """\
Date: Mon, 15 Jan 2024 19:00:00 +0000
From: MAILER-DAEMON@example.com (Mail Delivery System)
To: sender@example.org
Subject: Undelivered Mail Returned to Sender
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
	boundary="bounce"

--bounce
Content-Description: Notification
Content-Type: text/plain; charset=us-ascii

This is the mail system at host example.com.

--bounce
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; example.com
Final-Recipient: rfc822; nobody@example.com
Action: failed
Status: 5.1.1

--bounce
Content-Description: Undelivered Message Headers
Content-Type: text/rfc822-headers

From: sender@example.org
To: nobody@example.com
Subject: hello

--bounce--
"""

M["20-empty-body"] = """\
From: empty@example.org
To: x@example.org
Subject: empty
MIME-Version: 1.0
Content-Type: text/plain

"""

M["21-deep"] = """\
From: deep@example.org
Subject: five levels
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary=l1

--l1
Content-Type: multipart/mixed; boundary=l2

--l2
Content-Type: multipart/alternative; boundary=l3

--l3
Content-Type: message/rfc822

From: inner@example.org
Subject: inner
Content-Type: multipart/mixed; boundary=l4

--l4
Content-Type: text/plain

deepest
--l4--
--l3
Content-Type: text/plain

sibling
--l3--
--l2--
--l1--
"""

M["22-8bit-body-no-cte"] = """\
From: latin@example.org
Subject: caf\xe9
MIME-Version: 1.0
Content-Type: text/plain; charset=windows-1252

Caf\xe9 cr\xe8me br\xfbl\xe9e \x80 5
"""

M["23-iso2022jp"] = """\
Date: Tue, 16 Jan 2024 20:00:00 +0900
From: =?ISO-2022-JP?B?GyRCOzNFRBsoQg==?= <yamada@example.jp>
To: tanaka@example.jp
Subject: =?ISO-2022-JP?B?GyRCJDMkcyRLJEEkTxsoQg==?=
MIME-Version: 1.0
Content-Type: text/plain; charset=ISO-2022-JP
Content-Transfer-Encoding: 7bit

\x1b$B$3$s$K$A$O\x1b(B
"""

M["24-params-quoting"] = """\
From: params@example.org
Subject: parameter quoting
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="=_quoted boundary with spaces"

--=_quoted boundary with spaces
Content-Type: text/plain; charset="utf-8"; name="a \\"quoted\\" name.txt"
Content-Disposition: attachment; filename="a \\"quoted\\" name.txt";
 modification-date="Wed, 12 Feb 1997 16:29:51 -0500"

quoted names

--=_quoted boundary with spaces
Content-Type: application/octet-stream
Content-Disposition: ATTACHMENT
Content-Transfer-Encoding: BASE64

AAECAwQ=

--=_quoted boundary with spaces--
"""

M["25-top-rfc822"] = """\
From: wrapper@example.org
Subject: top-level message/rfc822
MIME-Version: 1.0
Content-Type: message/rfc822

From: wrapped@example.org
Subject: the wrapped one
Content-Type: text/plain; charset=utf-8

wrapped body
"""

M["26-header-oddities"] = """\
SUBJECT: upper case name
from: lower@example.org
Sender: Real Sender <sender@example.org>
content-type: TEXT/plain (a comment) ; charset = "utf-8" (another) ;
 name=
X-Blank-Continuation: first
 \t
 last
Content-Disposition: inline
Content-Disposition: attachment; filename=second.txt
Content-Language: en (English), de-DE, ,
Content-Type: text/html
MIME-Version: 1.0 (produced by hand)

odd headers
"""

M["27-nested-same-prefix"] = """\
From: prefix@example.org
Subject: nested boundaries sharing a prefix
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="=_abc"

--=_abc
Content-Type: multipart/alternative; boundary="=_abc_alt"

--=_abc_alt
Content-Type: text/plain

alt plain
--=_abc_alt
Content-Type: text/html

<p>alt html</p>
--=_abc_alt--

--=_abc
Content-Type: text/plain; name="after.txt"

after
--=_abc--  trailing junk on the close line
epilogue text
"""

M["28-padding-and-preamble"] = """\
From: pad@example.org
Subject: transport padding
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary=pad

This is a multi-part message in MIME format.
--pad   \t
Content-Type: text/plain

padded boundary line
--pad
Content-Type: text/plain

--pad--
"""

M["29-names-and-quotes"] = """\
Date: Sun, 21 Jan 2024 08:00:00 +0000
From: "=?utf-8?q?Ren=C3=A9e?= O'Brien" <renee@example.ie>
To: <noname@example.org>, "Doe, Jane" <jane@example.org>, john@example.org (John Doe)
Cc: "\\backslash\\" <bs@example.org>
Subject: =?utf-8?q?=22quoted=22_and_=5Cbackslash?=
Message-ID: <names@example.org>

names
"""

M["30-empty-subject-and-message"] = """\
From: a@example.org
Subject:
To:
Message-ID:

"""

M["31-rfc822-no-body"] = """\
From: a@example.org
Subject: enclosed message has no body and no blank line
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary=z

--z
Content-Type: message/rfc822

From: inner@example.org
Subject: headers only
--z--
"""

M["32-many-params"] = """\
From: a@example.org
Subject: parameters
MIME-Version: 1.0
Content-Type: application/octet-stream; name=a; NAME=b; x-mac-type=54455854;
 x-mac-creator=74747874; x-unix-mode=0644
Content-Disposition: attachment; filename*0="long";
 filename*1="name.txt"; size=1234; creation-date="Mon, 1 Jan 2024 00:00:00 +0000"
Content-Transfer-Encoding: base64

AAAA
"""

M["33-rfc822-base64"] = """\
From: a@example.org
Subject: enclosed message in base64 (not allowed, seen anyway)
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary=q

--q
Content-Type: message/rfc822
Content-Transfer-Encoding: base64

RnJvbTogeEB5DQpTdWJqZWN0OiBoaQ0KDQpib2R5DQo=
--q
Content-Type: message/global

From: g@example.org
Subject: global

g
--q
Content-Type: message/partial; id="abc@example.org"; number=1; total=2

part one
--q--
"""

M["34-empty-params-and-boundary"] = """\
From: a@example.org
Subject: empty things
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary=""

--
Content-Type: text/plain; charset=; name=""; =x; y

empty values
----
"""

M["35-address-oddities"] = """\
Date: garbage date
From: =?utf-8?q?Gr=C3=BCppe?=: one@example.org, "Two, Inc." <two@example.org>;
Sender: Group Sender: s@example.org;
To: "unterminated <u@example.org>
Cc: a@b@c, <a@b> trailing words, ,, <c@d>
Bcc: (only a comment)
In-Reply-To: not a message id
Message-ID: <mid@example.org>
Subject: =?utf-8?q?=E2=80=9Cquotes=E2=80=9D?= and "real" ones

addresses
"""

M["36-header-edge"] = """\
From: edge@example.org
Subject: first line
 
	continued after a blank continuation
X-Very-Long: """ + "word " * 300 + """
Content-Type: text/plain;
 charset="us-ascii"
MIME-Version: 1.0

headers
"""

M["37-html-only-base64"] = """\
From: html@example.org
Subject: html only
MIME-Version: 1.0
Content-Type: text/html; charset=utf-8
Content-Transfer-Encoding: base64

PGh0bWw+PGJvZHk+PHA+SGVsbG8gPGk+d29ybGQ8L2k+ITwvcD48L2JvZHk+PC9odG1sPg==
"""

M["38-nested-digest-and-alt"] = """\
From: nest@example.org
Subject: digest inside mixed inside alternative
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary=A

--A
Content-Type: text/plain

alt text
--A
Content-Type: multipart/mixed; boundary=B

--B
Content-Type: multipart/digest; boundary=C

--C

Subject: d1

one
--C
Content-Type: text/plain

not a message
--C--
--B--
--A--
"""


def crlf(s):
    return s.replace("\r\n", "\n").replace("\n", "\r\n")


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, text in M.items():
        data = crlf(text).encode("latin-1" if name in LATIN1 else "utf-8")
        with open(os.path.join(OUT, name + ".eml"), "wb") as f:
            f.write(data)
    print("wrote %d messages to %s" % (len(M), OUT))


# written byte for byte (their \\x escapes are the bytes)
LATIN1 = {"08-koi8r", "22-8bit-body-no-cte", "23-iso2022jp"}

if __name__ == "__main__":
    main()
