/* jmap_email_body: bodyStructure, textBody/htmlBody/attachments as RFC
 * 8621 section 4.1.4 picks them, bodyValues (transfer encoding and
 * charset undone, truncation on a character boundary), sender, replyTo. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "jmap_blob.h"
#include "jmap_email_body.h"
#include "jmap_email_header.h"

static const char alt_msg[] =
    "From: a@x\r\nSender: \"Sec\" <sec@x>\r\n"
    "Reply-To: =?utf-8?q?J=C3=B6rg?= <j@x>\r\n"
    "Subject: s\r\nMIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed; boundary=\"outer\"\r\n\r\n"
    "--outer\r\n"
    "Content-Type: multipart/alternative; boundary=\"alt\"\r\n\r\n"
    "--alt\r\n"
    "Content-Type: text/plain; charset=iso-8859-1\r\n"
    "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
    "Gr=FC=DFe aus K=F6ln\r\n"
    "--alt\r\n"
    "Content-Type: text/html; charset=utf-8\r\n\r\n"
    "<p>Hello</p>\r\n"
    "--alt--\r\n"
    "--outer\r\n"
    "Content-Type: image/png; name=\"dot.png\"\r\n"
    "Content-Disposition: attachment; filename=\"dot.png\"\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "Content-ID: <dot@x>\r\n\r\n"
    "iVBORw0KGgo=\r\n"
    "--outer--\r\n";

static const char *
str(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

static json_t *
run(const char *msg, struct jmap_body_args *ba)
{
	json_t *o = json_object();
	if (ba->budget == 0)
		ba->budget = 1u << 20;
	CHECK(jmap_body_add(o, (const uint8_t *)msg, strlen(msg), ba) == 0);
	return o;
}

static void
test_alternative(void)
{
	struct jmap_body_args ba = { .text_values = true, .html_values = true };
	json_t *o = run(alt_msg, &ba);
	json_t *text = json_object_get(o, "textBody");
	json_t *html = json_object_get(o, "htmlBody");
	json_t *att = json_object_get(o, "attachments");
	CHECK_EQ(json_array_size(text), 1);
	CHECK_EQ(json_array_size(html), 1);
	CHECK_EQ(json_array_size(att), 1);
	CHECK(strcmp(str(json_array_get(text, 0), "type"), "text/plain") == 0);
	CHECK(strcmp(str(json_array_get(html, 0), "type"), "text/html") == 0);
	json_t *png = json_array_get(att, 0);
	CHECK(strcmp(str(png, "name"), "dot.png") == 0);
	CHECK(strcmp(str(png, "disposition"), "attachment") == 0);
	CHECK(strcmp(str(png, "cid"), "dot@x") == 0);
	/* sizes are of the decoded bytes (RFC 8621 4.1.4): 8 of the PNG
	 * signature from 12 base64 characters, 14 of Latin-1 text from the
	 * 20 quoted-printable ones */
	CHECK_EQ(json_integer_value(json_object_get(png, "size")), 8);
	CHECK_EQ(json_integer_value(json_object_get(json_array_get(text, 0),
	    "size")), 14);
	CHECK(strcmp(str(json_array_get(text, 0), "charset"),
	    "iso-8859-1") == 0);
	char tid[16];
	snprintf(tid, sizeof(tid), "%s", str(json_array_get(text, 0), "partId"));
	json_t *vals = json_object_get(o, "bodyValues");
	CHECK(strcmp(str(json_object_get(vals, tid), "value"),
	    "Gr\xc3\xbc\xc3\x9f" "e aus K\xc3\xb6ln") == 0);
	CHECK(json_is_false(json_object_get(json_object_get(vals, tid),
	    "isTruncated")));
	CHECK_EQ(json_object_size(vals), 2);
	json_t *bs = json_object_get(o, "bodyStructure");
	CHECK(strcmp(str(bs, "type"), "multipart/mixed") == 0);
	CHECK_EQ(json_array_size(json_object_get(bs, "subParts")), 2);
	json_t *sender = json_array_get(json_object_get(o, "sender"), 0);
	CHECK(strcmp(str(sender, "email"), "sec@x") == 0);
	json_t *rt = json_array_get(json_object_get(o, "replyTo"), 0);
	CHECK(strcmp(str(rt, "name"), "J\xc3\xb6rg") == 0);
	json_decref(o);

	/* truncation keeps whole characters: "Grü" is 4 bytes, ü 2 */
	ba = (struct jmap_body_args){ .text_values = true,
	    .max_value_bytes = 3 };
	o = run(alt_msg, &ba);
	json_t *v = json_object_get(json_object_get(o, "bodyValues"), tid);
	CHECK(strcmp(str(v, "value"), "Gr") == 0);
	CHECK(json_is_true(json_object_get(v, "isTruncated")));
	json_decref(o);
}

static void
test_plain_and_html_only(void)
{
	struct jmap_body_args ba = { .text_values = true };
	json_t *o = run("Subject: x\r\n\r\nplain body\r\n", &ba);
	json_t *text = json_object_get(o, "textBody");
	/* one text/plain part: both lists show it */
	CHECK_EQ(json_array_size(text), 1);
	CHECK_EQ(json_array_size(json_object_get(o, "htmlBody")), 1);
	CHECK_EQ(json_array_size(json_object_get(o, "attachments")), 0);
	CHECK(strcmp(str(json_array_get(text, 0), "charset"), "us-ascii") == 0);
	CHECK(json_is_null(json_object_get(o, "sender")));
	json_decref(o);
	/* an alternative with html only: textBody falls back to it */
	o = run("Content-Type: multipart/alternative; boundary=b\r\n\r\n"
	    "--b\r\nContent-Type: text/html\r\n\r\n<b>x</b>\r\n--b--\r\n", &ba);
	CHECK_EQ(json_array_size(json_object_get(o, "textBody")), 1);
	CHECK(strcmp(str(json_array_get(json_object_get(o, "textBody"), 0),
	    "type"), "text/html") == 0);
	json_decref(o);
}

/* Values stop at the call's budget: many large bodies cannot build an
 * answer past the response limit first. */
static void
test_budget(void)
{
	struct jmap_body_args ba = { .all_values = true, .budget = 20 };
	json_t *o = json_object();
	CHECK(jmap_body_add(o, (const uint8_t *)alt_msg, strlen(alt_msg),
	    &ba) == -2);
	json_decref(o);
	ba = (struct jmap_body_args){ .all_values = true, .budget = 100 };
	o = json_object();
	CHECK(jmap_body_add(o, (const uint8_t *)alt_msg, strlen(alt_msg),
	    &ba) == 0);
	CHECK(ba.budget < 100);
	json_decref(o);
}

/* header:{name}[:as{Form}][:all] and headers (RFC 8621 4.1.2-4.1.3) */
static void
test_header_forms(void)
{
	const char *msg = "Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\r\n"
	    "Date: Tue, 01 Dec 2026 10:00:00 +0100\r\n"
	    "X-Tag: one\r\nX-Tag:  two\r\n"
	    "List-Post: <mailto:list@x>\r\n"
	    "To: A <a@x>, b@x\r\n\r\nbody\r\n";
	json_t *props = json_pack("{sbsbsbsbsbsbsbsb}", "headers", 1,
	    "header:Subject:asText", 1, "header:Subject", 1,
	    "header:date:asDate", 1, "header:X-Tag:all", 1, "header:X-Tag", 1,
	    "header:List-Post:asURLs", 1, "header:To:asAddresses", 1);
	struct jmap_body_args ba = { .budget = 1000, .props = props };
	json_t *o = run(msg, &ba);
	CHECK(strcmp(str(o, "header:Subject:asText"),
	    "Gr\xc3\xbc\xc3\x9f" "e") == 0);
	CHECK(strcmp(str(o, "header:Subject"),
	    " =?utf-8?q?Gr=C3=BC=C3=9Fe?=") == 0);
	CHECK(strcmp(str(o, "header:date:asDate"),
	    "2026-12-01T10:00:00+01:00") == 0);
	json_t *all = json_object_get(o, "header:X-Tag:all");
	CHECK_EQ(json_array_size(all), 2);
	CHECK(strcmp(json_string_value(json_array_get(all, 1)), "  two") == 0);
	CHECK(strcmp(str(o, "header:X-Tag"), "  two") == 0);   /* the last */
	CHECK(strcmp(json_string_value(json_array_get(json_object_get(o,
	    "header:List-Post:asURLs"), 0)), "mailto:list@x") == 0);
	CHECK_EQ(json_array_size(json_object_get(o, "header:To:asAddresses")), 2);
	CHECK_EQ(json_array_size(json_object_get(o, "headers")), 6);
	json_decref(o);
	json_decref(props);
	CHECK(jmap_header_prop_ok("header:X-Y:asRaw:all"));
	CHECK(!jmap_header_prop_ok("header:X:asNothing"));
	CHECK(!jmap_header_prop_ok("header::asText"));
	CHECK(!jmap_header_prop_ok("header:X:all:asText"));
	/* RFC 8621 4.1.2: a known field only in its forms; others in any */
	CHECK(!jmap_header_prop_ok("header:Subject:asAddresses"));
	CHECK(!jmap_header_prop_ok("header:from:asDate"));
	CHECK(!jmap_header_prop_ok("header:Received:asText"));
	CHECK(jmap_header_prop_ok("header:From:asGroupedAddresses:all"));
	CHECK(jmap_header_prop_ok("header:Received"));
	CHECK(jmap_header_prop_ok("header:X-Any:asDate"));
}

/* Part blob ids: made from the message's, read back, cut out decoded. */
static void
test_part_blobs(void)
{
	uint8_t id[STORE_BLOBID_LEN], back[STORE_BLOBID_LEN];
	char bid[JMAP_BLOBID_MAX];
	uint32_t part;
	for (size_t i = 0; i < sizeof(id); i++)
		id[i] = (uint8_t)(i * 7);
	struct jmap_body_args ba = { .budget = 1000, .blobid = id };
	json_t *o = run(alt_msg, &ba);
	json_t *png = json_array_get(json_object_get(o, "attachments"), 0);
	const char *pb = str(png, "blobId");
	CHECK(jmap_blobid_parse(pb, back, &part));
	CHECK(memcmp(back, id, sizeof(id)) == 0);
	CHECK(part == (uint32_t)atoi(str(png, "partId")));
	CHECK(json_is_null(json_object_get(json_object_get(o, "bodyStructure"),
	    "blobId")));   /* multipart */
	struct buf out = BUF_INIT(1 << 20);
	char type[64];
	CHECK(jmap_blob_part((const uint8_t *)alt_msg, strlen(alt_msg), part,
	    &out, type, sizeof(type)) == 0);
	CHECK(out.len == 8 && memcmp(out.data, "\x89PNG\r\n\x1a\n", 8) == 0);
	CHECK(strcmp(type, "image/png") == 0);
	buf_free(&out);
	CHECK(jmap_blob_part((const uint8_t *)alt_msg, strlen(alt_msg), 99,
	    &out, type, sizeof(type)) == -1);
	json_decref(o);
	jmap_blobid_fmt(bid, id, 0);
	CHECK(strlen(bid) == 65 && jmap_blobid_parse(bid, back, &part) &&
	    part == 0);
	jmap_blobid_fmt(bid, id, 12);
	CHECK(jmap_blobid_parse(bid, back, &part) && part == 12);
	CHECK(!jmap_blobid_parse("G00", back, &part));
	bid[strlen(bid) - 2] = '0';   /* "P02": no leading zero */
	CHECK(!jmap_blobid_parse(bid, back, &part));
}

/* bodyProperties: only those, on every part, the tree kept. */
static void
test_body_properties(void)
{
	struct jmap_body_args ba;
	json_t *args = json_pack("{s[sss]}", "bodyProperties", "partId", "type",
	    "header:Content-Type:asText");
	CHECK(jmap_body_args_parse(args, &ba));
	json_decref(args);
	json_t *o = run(alt_msg, &ba);
	json_t *t = json_array_get(json_object_get(o, "textBody"), 0);
	CHECK_EQ(json_object_size(t), 3);
	CHECK(strcmp(str(t, "header:Content-Type:asText"),
	    "text/plain; charset=iso-8859-1") == 0);
	json_t *bs = json_object_get(o, "bodyStructure");
	CHECK_EQ(json_array_size(json_object_get(bs, "subParts")), 2);
	CHECK(json_object_get(bs, "size") == NULL);
	json_decref(o);
	jmap_body_args_free(&ba);
	args = json_pack("{s[s]}", "bodyProperties", "nope");
	CHECK(!jmap_body_args_parse(args, &ba));
	json_decref(args);
}

int
main(void)
{
	test_body_properties();
	test_part_blobs();
	test_header_forms();
	test_budget();
	test_alternative();
	test_plain_and_html_only();
	return check_done("jmap_body");
}
