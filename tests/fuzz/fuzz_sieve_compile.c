/* libFuzzer target: the Sieve compiler on script bytes, then the loader on
 * the program it wrote (which must take it back) and the interpreter on
 * that program against a small fixed message under a small budget; last,
 * the loader on the same bytes taken as a program. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sieve.h"
#include "sieve_run.h"
#include "../unit/sieve_test_msg.h"

static const char *const fields[][2] = {
	{ "From", "\"A, B\" <a+b@example.com>, c@d (x)" },
	{ "To", "group: e@f, <g@h>;" },
	{ "Subject", "[list] Hello *world* ?" },
	{ "X-Score", "0012" },
	{ "Received", "from x by y; Tue, 2 Feb 2021 3:04 -0500" },
	{ "Date", "2 Feb 21 23:59:60 EST (comment)" },
};

static const struct sieve_test_fields table = { fields,
	sizeof(fields) / sizeof(fields[0]) };

static void
run(const struct sieve_program *p)
{
	static const struct sieve_message m = { (void *)&table, sieve_test_header, NULL,
		"", "x+y@example.org", 1234 };
	static const struct sieve_budget budget = { 5000, 1 << 20, 8, 4 };
	struct sieve_result res;
	(void)sieve_run(p, &m, &budget, &res);
	if (res.n == 0 || (res.failed && res.n != 1))
		abort();  /* every run ends with an action, a failed one keeps */
	sieve_result_free(&res);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf prog = BUF_INIT(SIEVE_MAX_PROGRAM);
	struct sieve_error err;
	if (sieve_compile((const char *)data, size, &prog, &err) == 0) {
		struct sieve_program *p = sieve_load(prog.data, prog.len, &err);
		if (p == NULL)
			abort();  /* the compiler wrote what its loader refuses */
		run(p);
		sieve_program_free(p);
	}
	buf_free(&prog);
	sieve_program_free(sieve_load(data, size, &err));
	return 0;
}
