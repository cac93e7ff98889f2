/* libFuzzer target: a delivered message as lmtpd's Sieve reads it
 * (lmtp_sieve_msg: decoded fields, body transforms, MIME parts) under a
 * script that touches every callback, then the vacation rules and the
 * vacation and notify messages built from it. */
#include <stdlib.h>
#include <string.h>

#include "lmtp_notify.h"
#include "lmtp_sieve_msg.h"
#include "lmtp_vacation.h"
#include "sieve.h"
#include "sieve_run.h"

static const char script[] =
    "require [\"fileinto\", \"body\", \"foreverypart\", \"mime\", "
    "\"extracttext\", \"variables\", \"regex\", \"vacation\", "
    "\"envelope\", \"date\", \"relational\", \"comparator-i;ascii-numeric\"];\n"
    "if header :contains \"subject\" \"x\" { fileinto \"a\"; }\n"
    "if address :domain \"from\" \"example.net\" { fileinto \"b\"; }\n"
    "if body :text :contains \"y\" { fileinto \"c\"; }\n"
    "if body :content \"text\" :contains \"z\" { fileinto \"d\"; }\n"
    "if body :raw :regex \"[0-9]+\" { fileinto \"e\"; }\n"
    "if date :value \"gt\" \"date\" \"year\" \"2000\" { fileinto \"f\"; }\n"
    "foreverypart { if header :mime :anychild :contenttype \"Content-Type\" "
    "\"text/html\" { extracttext :first 100 \"t\"; } }\n"
    "if header :regex \"received\" \"^from (.*)\" { set \"r\" \"${1}\"; }\n"
    "vacation :addresses \"me@example.org\" \"away\";\n";

static struct sieve_program *prog;

static void
load(void)
{
	struct buf b = BUF_INIT(SIEVE_MAX_PROGRAM);
	struct sieve_error err;
	if (sieve_compile(script, sizeof(script) - 1, &b, &err) < 0 ||
	    (prog = sieve_load(b.data, b.len, &err)) == NULL)
		abort();
	buf_free(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (prog == NULL)
		load();
	struct mime_msg m;
	struct mime_limits lim = { 16, 200 };
	if (mime_parse(&m, data, size, &lim) < 0)
		return 0;
	struct lmtp_smsg s;
	lmtp_smsg_init(&s, &m);
	s.sm.envelope_from = "bob@example.net";
	s.sm.envelope_to = "me@example.org";
	struct sieve_budget budget = { 20000, 1 << 20, 8, 4 };
	struct sieve_result res;
	(void)sieve_run(prog, &s.sm, &budget, &res);
	if (res.n == 0)
		abort();
	struct lmtp_self self = { "me+x@example.org", "me@example.org", NULL,
		0 };
	(void)lmtp_vacation_refusal(&s, "bob@example.net", &self);
	struct buf out = BUF_INIT(4 << 20);
	for (size_t i = 0; i < res.n; i++)
		if (res.actions[i].type == SIEVE_ACT_VACATION)
			(void)lmtp_vacation_compose(&out, &res.actions[i], &s,
			    "bob@example.net", "me@example.org", "mx", 0);
	buf_reset(&out);
	(void)lmtp_notify_compose(&out, "me@example.org", "n@example.org",
	    NULL, &s, "mx", 0);
	buf_free(&out);
	sieve_result_free(&res);
	lmtp_smsg_free(&s);
	mime_free(&m);
	return 0;
}
