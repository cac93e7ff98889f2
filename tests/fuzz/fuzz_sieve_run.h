/* The fuzz targets' run of a loaded program: a small fixed message, a
 * small budget, and the result's invariants checked. */
#ifndef CLOISTER_FUZZ_SIEVE_RUN_H
#define CLOISTER_FUZZ_SIEVE_RUN_H

#include <stdlib.h>

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
fuzz_sieve_run(const struct sieve_program *p)
{
	static const struct sieve_message m = { (void *)&table, sieve_test_header, NULL,
		"", "x+y@example.org", 1234, 1612253040, -300, NULL, NULL };
	static const struct sieve_budget budget = { 5000, 1 << 20, 8, 4 };
	struct sieve_result res;
	(void)sieve_run(p, &m, &budget, &res);
	if (res.n == 0 || (res.failed && res.n != 1))
		abort();  /* every run ends with an action, a failed one keeps */
	sieve_result_free(&res);
}

#endif
