/* jmap_build: Email/set create objects into RFC 5322 messages: header
 * forms, encoded-words and folding, the MIME tree the body properties
 * make, transfer encodings, and the SetErrors; every message built is
 * read back (jmap_build_roundtrip.h). */
#include <string.h>

#include "check.h"
#include "jmap_build.h"
#include "jmap_build_roundtrip.h"

static const uint8_t blob_bytes[] = { 0x89, 'P', 'N', 'G', 0, 1, 2, 0xff };

static int
blob(void *arg, const char *id, struct jmap_build_blob *out)
{
	(void)arg;
	if (strcmp(id, "Gpng") != 0)
		return JMAP_BLOB_NOTFOUND;
	out->p = blob_bytes;
	out->n = sizeof(blob_bytes);
	memcpy(out->type, "image/png", 10);
	return 0;
}

static struct jmap_build_env env = {
	.domain = "mail.example", .now = 1700000000, .blob = blob,
	.max_size = 1u << 20,
	.random = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 },
};

/* Build the JSON object; the message (NUL-terminated) in m, or NULL with
 * the error in e. */
static const char *
build(const char *json, struct buf *m, struct jmap_build_err *e)
{
	json_t *o = json_loads(json, 0, NULL);
	buf_reset(m);
	if (o == NULL) {
		fprintf(stderr, "bad test JSON: %s\n", json);
		return NULL;
	}
	int rc = jmap_build(o, &env, m, e);
	const char *why = rc == 0 ? jmap_build_roundtrip(o, m) : NULL;
	if (why != NULL) {
		fprintf(stderr, "round trip: %s\n%.*s\n", why, (int)m->len,
		    (const char *)m->data);
		rc = -1;
		e->type = "roundtrip";
	}
	json_decref(o);
	return rc == 0 ? buf_cstr(m) : NULL;
}

static bool
has(const char *msg, const char *s)
{
	bool ok = msg != NULL && strstr(msg, s) != NULL;
	if (!ok)
		fprintf(stderr, "missing \"%s\" in:\n%s\n", s, msg ? msg : "NULL");
	return ok;
}

static bool
err_is(const char *json, const char *type, const char *prop)
{
	struct buf m = BUF_INIT(1u << 20);
	struct jmap_build_err e;
	bool ok = build(json, &m, &e) == NULL && e.type != NULL &&
	    strcmp(e.type, type) == 0 && (prop == NULL ||
	    strcmp(e.property, prop) == 0);
	if (!ok)
		fprintf(stderr, "%s: got %s %s\n", json, e.type ? e.type : "ok",
		    e.property);
	buf_free(&m);
	return ok;
}

static void
test_text(void)
{
	struct buf m = BUF_INIT(1u << 20);
	struct jmap_build_err e;
	const char *s = build("{\"from\": [{\"name\": \"Ann Example\", "
	    "\"email\": \"ann@example.org\"}], \"to\": [{\"name\": "
	    "\"Doe, John\", \"email\": \"jd@example.org\"}, {\"email\": "
	    "\"x@example.org\"}], \"subject\": \"Hello there\", "
	    "\"sentAt\": \"2024-02-29T23:59:01-05:30\", "
	    "\"references\": [\"a@b\", \"c@d\"], "
	    "\"header:X-Raw\": \" kept\\r\\n\\tfolded\", "
	    "\"header:X-Id:asMessageIds\": [\"q@r\"], "
	    "\"bodyValues\": {\"1\": {\"value\": \"hi\\nthere\"}}, "
	    "\"textBody\": [{\"partId\": \"1\"}]}", &m, &e);
	CHECK(has(s, "Date: Thu, 29 Feb 2024 23:59:01 -0530\r\n"));
	CHECK(has(s, "From: Ann Example <ann@example.org>\r\n"));
	CHECK(has(s, "To: \"Doe, John\" <jd@example.org>, x@example.org\r\n"));
	CHECK(has(s, "Subject: Hello there\r\n"));
	CHECK(has(s, "References: <a@b> <c@d>\r\n"));
	CHECK(has(s, "X-Raw: kept\r\n\tfolded\r\n"));
	CHECK(has(s, "X-Id: <q@r>\r\n"));
	CHECK(has(s, "Message-ID: <0102030405060708090a0b0c0d0e0f10@"
	    "mail.example>\r\n"));
	CHECK(has(s, "MIME-Version: 1.0\r\nContent-Type: text/plain;\r\n "
	    "charset=\"utf-8\"\r\nContent-Transfer-Encoding: 7bit\r\n\r\n"
	    "hi\r\nthere"));
	/* no sentAt: now, in UTC */
	s = build("{\"subject\": \"x\"}", &m, &e);
	CHECK(has(s, "Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n"));
	buf_free(&m);
}

static void
test_encoded_and_folded(void)
{
	struct buf m = BUF_INIT(1u << 20);
	struct jmap_build_err e;
	const char *s = build("{\"subject\": \"Gr\\u00fc\\u00dfe aus K\\u00f6ln,"
	    " und noch viel mehr Text damit die Zeile lang wird, sehr lang\","
	    "\"from\": [{\"name\": \"J\\u00fcrgen\", \"email\": \"j@x.de\"}],"
	    "\"cc\": [{\"email\": \"one@example.org\"}, {\"email\": "
	    "\"two@example.org\"}, {\"email\": \"three@example.org\"}, "
	    "{\"email\": \"four@example.org\"}, {\"email\": "
	    "\"five@example.org\"}]}", &m, &e);
	CHECK(has(s, "Subject: =?UTF-8?B?"));
	CHECK(has(s, "From: =?UTF-8?B?SsO8cmdlbg==?= <j@x.de>\r\n"));
	CHECK(has(s, "four@example.org,\r\n five@example.org\r\n"));
	for (const char *l = s; l != NULL && *l; ) {
		const char *end = strstr(l, "\r\n");
		if (end == l)
			break;                 /* the header ends */
		CHECK(end != NULL && end - l <= 78);
		l = end ? end + 2 : NULL;
	}
	/* a plain subject folds at its spaces */
	s = build("{\"subject\": \"aaaaaaaaaa bbbbbbbbbb cccccccccc dddddddddd "
	    "eeeeeeeeee ffffffffff gggggggggg\"}", &m, &e);
	CHECK(has(s, "Subject: aaaaaaaaaa bbbbbbbbbb cccccccccc dddddddddd "
	    "eeeeeeeeee ffffffffff\r\n gggggggggg\r\n"));
	buf_free(&m);
}

static void
test_body_encodings(void)
{
	struct buf m = BUF_INIT(1u << 20);
	struct jmap_build_err e;
	/* 8-bit text: quoted-printable; a trailing blank survives as =20 */
	const char *s = build("{\"bodyValues\": {\"1\": {\"value\": "
	    "\"caf\\u00e9 \\n= sign\"}}, \"textBody\": [{\"partId\": \"1\"}]}",
	    &m, &e);
	CHECK(has(s, "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
	    "caf=C3=A9=20\r\n=3D sign"));
	/* a line past 998 bytes: quoted-printable with soft breaks */
	char big[1200 + 200], line[1101];
	memset(line, 'a', 1100);
	line[1100] = '\0';
	snprintf(big, sizeof(big), "{\"bodyValues\": {\"1\": {\"value\": "
	    "\"%s\"}}, \"textBody\": [{\"partId\": \"1\"}]}", line);
	s = build(big, &m, &e);
	CHECK(has(s, "quoted-printable"));
	CHECK(has(s, "=\r\naaaa"));
	/* a blob: base64, its own type, a non-ASCII name per RFC 2231 */
	s = build("{\"bodyValues\": {\"1\": {\"value\": \"see\"}}, "
	    "\"textBody\": [{\"partId\": \"1\"}], \"attachments\": "
	    "[{\"blobId\": \"Gpng\", \"name\": \"\\u00fc.png\"}]}", &m, &e);
	CHECK(has(s, "Content-Type: multipart/mixed;\r\n boundary=\"=_"
	    "0102030405060708090a0b0c_0\"\r\n"));
	CHECK(has(s, "Content-Type: image/png;\r\n name*=utf-8''%C3%BC.png\r\n"
	    "Content-Disposition: attachment;\r\n filename*=utf-8''%C3%BC.png"
	    "\r\nContent-Transfer-Encoding: base64\r\n\r\niVBORwABAv8=\r\n"));
	buf_free(&m);
}

static void
test_structure(void)
{
	struct buf m = BUF_INIT(1u << 20);
	struct jmap_build_err e;
	/* text + html + an inline image + a file: mixed(alternative(text,
	 * related(html, image)), file) */
	const char *s = build("{\"bodyValues\": {\"t\": {\"value\": \"T\"}, "
	    "\"h\": {\"value\": \"<img src=cid:i@x>\"}}, \"textBody\": "
	    "[{\"partId\": \"t\"}], \"htmlBody\": [{\"partId\": \"h\"}], "
	    "\"attachments\": [{\"blobId\": \"Gpng\", \"cid\": \"i@x\", "
	    "\"disposition\": \"inline\"}, {\"blobId\": \"Gpng\", "
	    "\"type\": \"application/octet-stream\"}]}", &m, &e);
	const char *mixed = s ? strstr(s, "multipart/mixed") : NULL;
	const char *alt = mixed ? strstr(mixed, "multipart/alternative") : NULL;
	const char *plain = alt ? strstr(alt, "text/plain") : NULL;
	const char *rel = plain ? strstr(plain, "multipart/related") : NULL;
	const char *html = rel ? strstr(rel, "text/html") : NULL;
	const char *img = html ? strstr(html, "Content-ID: <i@x>") : NULL;
	const char *file = img ? strstr(img, "application/octet-stream") : NULL;
	CHECK(file != NULL);
	/* bodyStructure as given, nested */
	s = build("{\"bodyValues\": {\"a\": {\"value\": \"A\"}}, "
	    "\"bodyStructure\": {\"type\": \"multipart/mixed\", \"subParts\": "
	    "[{\"partId\": \"a\", \"type\": \"text/x-note\", \"language\": "
	    "[\"de\", \"en\"], \"header:X-Part:asText\": \"p\"}, "
	    "{\"blobId\": \"Gpng\", \"disposition\": \"inline\"}]}}", &m, &e);
	CHECK(has(s, "X-Part: p\r\nContent-Type: text/x-note;\r\n"
	    " charset=\"utf-8\"\r\nContent-Language: de, en\r\n"));
	CHECK(has(s, "Content-Disposition: inline\r\n"));
	buf_free(&m);
}

static void
test_errors(void)
{
	CHECK(err_is("{\"size\": 5}", "invalidProperties", "size"));
	CHECK(err_is("{\"id\": \"E1\"}", "invalidProperties", "id"));
	CHECK(err_is("{\"headers\": []}", "invalidProperties", "headers"));
	CHECK(err_is("{\"from\": [{\"email\": \"no-at\"}]}",
	    "invalidProperties", "from"));
	CHECK(err_is("{\"from\": [{\"email\": \"a@b\", \"x\": 1}]}",
	    "invalidProperties", "from"));
	CHECK(err_is("{\"to\": [{\"email\": \"a@b>, evil@c\"}]}",
	    "invalidProperties", "to"));
	CHECK(err_is("{\"subject\": \"a\\r\\nBcc: evil@x\"}",
	    "invalidProperties", "subject"));
	CHECK(err_is("{\"header:X-A\": \"a\\r\\nBcc: evil@x\"}",
	    "invalidProperties", "header:X-A"));
	CHECK(err_is("{\"subject\": \"a\", \"header:Subject:asText\": \"b\"}",
	    "invalidProperties", "header:Subject:asText"));
	CHECK(err_is("{\"header:content-type\": \" text/html\"}",
	    "invalidProperties", "header:content-type"));
	CHECK(err_is("{\"header:X:asNothing\": \"b\"}", "invalidProperties",
	    "header:X:asNothing"));
	CHECK(err_is("{\"messageId\": [\"a@b\", \"c@d\"]}",
	    "invalidProperties", "messageId"));
	CHECK(err_is("{\"inReplyTo\": [\"<a@b>\"]}", "invalidProperties",
	    "inReplyTo"));
	CHECK(err_is("{\"sentAt\": \"yesterday\"}", "invalidProperties",
	    "sentAt"));
	CHECK(err_is("{\"bodyStructure\": {\"partId\": \"1\"}, \"textBody\": "
	    "[{\"partId\": \"1\"}], \"bodyValues\": {\"1\": {\"value\": "
	    "\"x\"}}}", "invalidProperties", "bodyStructure"));
	CHECK(err_is("{\"textBody\": [{\"partId\": \"1\"}]}",
	    "invalidProperties", "bodyValues"));
	CHECK(err_is("{\"textBody\": [{\"partId\": \"1\", \"type\": "
	    "\"text/html\"}], \"bodyValues\": {\"1\": {\"value\": \"x\"}}}",
	    "invalidProperties", "textBody"));
	CHECK(err_is("{\"textBody\": [{\"partId\": \"1\"}], \"bodyValues\": "
	    "{\"1\": {\"value\": \"x\", \"isTruncated\": true}}}",
	    "invalidProperties", "bodyValues"));
	CHECK(err_is("{\"bodyStructure\": {\"partId\": \"1\", \"header:"
	    "Content-Transfer-Encoding\": \" binary\"}, \"bodyValues\": "
	    "{\"1\": {\"value\": \"x\"}}}", "invalidProperties",
	    "bodyStructure"));
	CHECK(err_is("{\"attachments\": [{\"blobId\": \"Gnone\"}]}",
	    "blobNotFound", NULL));
	CHECK(err_is("{\"bodyStructure\": {\"type\": \"multipart/mixed\", "
	    "\"subParts\": []}}", "invalidProperties", "bodyStructure"));
	env.max_size = 100;
	CHECK(err_is("{\"subject\": \"this will not fit in a hundred "
	    "bytes together with its Date and Message-ID\"}", "tooLarge",
	    NULL));
	env.max_size = 1u << 20;
}

int
main(void)
{
	test_text();
	test_encoded_and_folded();
	test_body_encodings();
	test_structure();
	test_errors();
	return check_done("jmap_build");
}
