/* Unit tests for sieve_load: a program it did not produce. Every prefix of
 * a good program is refused; hand-made programs that break a rule the
 * compiler enforces (an extension not required, a tag on the wrong
 * command, a block whose length lies, nesting past the limit) are refused
 * with the reason; a program that survives the loader re-encodes to the
 * same bytes. */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "sieve.h"
#include "sv_interp.h"
#include "sv_program.h"
#include "sv_table.h"

#define put_varint sv_put_varint

/* A node's head: id, line 1, column 1, nargs. */
static void
put_head(struct buf *b, unsigned id, unsigned nargs)
{
	buf_append_byte(b, (uint8_t)id);
	put_varint(b, 1);
	put_varint(b, 1);
	buf_append_byte(b, (uint8_t)nargs);
}

/* Header in front of a body, as sv_encode writes it. */
static void
wrap(struct buf *out, const struct buf *body)
{
	uint8_t h[10] = { 'C', 'S', 'V', 'P', 1, 0, 0, 0, 0, 0 };
	h[8] = (uint8_t)(body->len >> 8);
	h[9] = (uint8_t)body->len;
	buf_append(out, h, sizeof(h));
	buf_append(out, body->data, body->len);
}

static const char *
load_error(const struct buf *prog, char *why, size_t n)
{
	struct sieve_error err;
	struct sieve_program *p = sieve_load(prog->data, prog->len, &err);
	if (p != NULL) {
		sieve_program_free(p);
		return NULL;
	}
	sieve_error_format(&err, why, n);
	return why;
}

static void
check_refused(const struct buf *prog, const char *want)
{
	char why[256];
	const char *got = load_error(prog, why, sizeof(why));
	CHECK(got != NULL);
	if (got != NULL && strstr(got, want) == NULL) {
		fprintf(stderr, "want \"%s\"\n got \"%s\"\n", want, got);
		CHECK(!"loader error");
	}
}

/* One command node: id, line 1, column 1, one string argument. */
static void
put_cmd_str(struct buf *b, unsigned id, const char *s)
{
	put_head(b, id, 1);
	buf_append_byte(b, SV_ARG_STR);
	put_varint(b, strlen(s));
	buf_append(b, s, strlen(s));
}

static void
test_rules_rechecked(void)
{
	struct buf body = BUF_INIT(4096), prog = BUF_INIT(4096);
	/* fileinto with no require: the compiler never writes it */
	put_varint(&body, 1);
	put_cmd_str(&body, SV_C_FILEINTO, "INBOX.x");
	wrap(&prog, &body);
	check_refused(&prog, "fileinto needs require \"fileinto\"");

	/* redirect with a :flags tag */
	buf_reset(&body);
	buf_reset(&prog);
	put_varint(&body, 1);
	buf_append_byte(&body, SV_C_REDIRECT);
	put_varint(&body, 3);
	put_varint(&body, 7);
	buf_append_byte(&body, 2);
	buf_append_byte(&body, SV_ARG_TAG);
	buf_append_byte(&body, SV_TAG_FLAGS);
	buf_append_byte(&body, SV_ARG_STR);
	put_varint(&body, 1);
	buf_append(&body, "a", 1);
	wrap(&prog, &body);
	check_refused(&prog, "line 3, column 7: redirect takes no tag :flags");

	/* an unknown command id, an unknown argument type */
	buf_reset(&body);
	buf_reset(&prog);
	put_varint(&body, 1);
	put_cmd_str(&body, SV_C_MAX, "x");
	wrap(&prog, &body);
	check_refused(&prog, "unknown command or test id");
	prog.data[10 + 1 + 4] = 9;  /* the argument's type byte */
	prog.data[11] = SV_C_REDIRECT;
	check_refused(&prog, "unknown argument type");
	buf_free(&body);
	buf_free(&prog);
}

static void
test_blocks_and_depth(void)
{
	struct buf body = BUF_INIT(1 << 16), prog = BUF_INIT(1 << 16);
	/* if true { keep; } with a block length one too long, then short */
	for (int delta = -1; delta <= 1; delta += 2) {
		buf_reset(&body);
		buf_reset(&prog);
		put_varint(&body, 1);
		put_head(&body, SV_C_IF, 1);
		buf_append_byte(&body, SV_ARG_TEST);
		put_head(&body, SV_X_TRUE, 0);
		put_varint(&body, (uint64_t)(5 + delta));
		put_varint(&body, 1);
		put_head(&body, SV_C_KEEP, 0);
		wrap(&prog, &body);
		check_refused(&prog, delta > 0 ? "block past the end" :
		    "truncated");
	}
	/* not not not ... true, past the depth limit */
	buf_reset(&body);
	buf_reset(&prog);
	put_varint(&body, 1);
	put_head(&body, SV_C_IF, 1);
	for (int i = 0; i < SIEVE_MAX_DEPTH + 2; i++) {
		buf_append_byte(&body, SV_ARG_TEST);
		put_head(&body, SV_X_NOT, 1);
	}
	wrap(&prog, &body);
	check_refused(&prog, "nested too deeply");
	/* a string longer than the bytes left; an overlong varint */
	buf_reset(&body);
	buf_reset(&prog);
	put_varint(&body, 1);
	put_cmd_str(&body, SV_C_REDIRECT, "a@b");
	body.data[body.len - 4] = 100;
	wrap(&prog, &body);
	check_refused(&prog, "string past the end");
	buf_reset(&body);
	buf_reset(&prog);
	buf_append(&body, "\x80\x00", 2);
	wrap(&prog, &body);
	check_refused(&prog, "overlong varint");
	buf_free(&body);
	buf_free(&prog);
}

static void
test_header(void)
{
	struct buf prog = BUF_INIT(4096);
	struct sieve_error err;
	CHECK_EQ(sieve_compile("keep;", 5, &prog, &err), 0);
	char why[256];
	CHECK(load_error(&prog, why, sizeof(why)) == NULL);
	prog.data[4] = 2;
	check_refused(&prog, "unsupported program version 2");
	prog.data[4] = 1;
	prog.data[0] = 'X';
	check_refused(&prog, "not a Sieve program");
	prog.data[0] = 'C';
	buf_append_byte(&prog, 0);
	check_refused(&prog, "body length does not match");
	buf_free(&prog);
}

/* Every proper prefix of a program is refused, and a loaded program
 * encodes back to the very bytes it came from. */
static void
test_prefixes_and_roundtrip(void)
{
	static const char script[] =
	    "require [\"fileinto\", \"imap4flags\", \"variables\", \"relational\"];\n"
	    "if anyof (header :count \"gt\" \"to\" \"5\", size :over 1M) {\n"
	    "  set :lower \"f\" \"${1}\"; fileinto :flags [\"\\\\Seen\", \"x\"] \"Junk\";\n"
	    "} elsif true { keep; } else { discard; stop; }\n";
	struct buf prog = BUF_INIT(1 << 16), again = BUF_INIT(1 << 16);
	struct sieve_error err;
	CHECK_EQ(sieve_compile(script, strlen(script), &prog, &err), 0);
	size_t refused = 0;
	for (size_t n = 0; n < prog.len; n++) {
		struct sieve_program *p = sieve_load(prog.data, n, &err);
		refused += p == NULL;
		sieve_program_free(p);
	}
	CHECK_EQ(refused, prog.len);
	struct sieve_program *p = sieve_load(prog.data, prog.len, &err);
	CHECK(p != NULL);
	if (p != NULL) {
		CHECK_EQ(sv_encode(&p->script, &again), 0);
		CHECK_EQ(again.len, prog.len);
		CHECK(again.len == prog.len &&
		    memcmp(again.data, prog.data, prog.len) == 0);
	}
	sieve_program_free(p);
	buf_free(&prog);
	buf_free(&again);
}

int
main(void)
{
	test_rules_rechecked();
	test_blocks_and_depth();
	test_header();
	test_prefixes_and_roundtrip();
	return check_done("sieve_load");
}
