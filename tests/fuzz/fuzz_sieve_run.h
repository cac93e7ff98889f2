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

/* Parts below the message, depth-first: 1 and 3 under 0, 2 under 1. */
static size_t
fuzz_part_parent(void *ctx, size_t part)
{
	(void)ctx;
	return part == 2 ? 1 : 0;
}

static int
fuzz_part_header(void *ctx, size_t part, const char *name, size_t i,
    const char **v, size_t *len)
{
	static const char *const types[] = { NULL,
		"multipart/alternative; boundary=\"b\"", "text/plain",
		"application/pdf; name=\"a.pdf\"; x=" };
	if (part == 0)
		return sieve_test_header(ctx, name, i, v, len);
	if (part > 3 || i != 0 || strcasecmp(name, "Content-Type") != 0)
		return -1;
	*v = types[part];
	*len = strlen(*v);
	return 0;
}

/* include finds the program being run: recursion up to the limits. */
static const struct sieve_program *fuzz_self;

static const struct sieve_program *
fuzz_include(void *ctx, const char *name, bool global)
{
	(void)ctx;
	return global || name[0] == 'x' ? NULL : fuzz_self;
}

static void
fuzz_sieve_run(const struct sieve_program *p)
{
	static const struct sieve_message m = { (void *)&table, sieve_test_header, NULL,
		"", "x+y@example.org", 1234, 1612253040, -300, NULL, NULL, 4,
		fuzz_part_parent, fuzz_part_header, NULL, fuzz_include, true };
	static const struct sieve_budget budget = { 5000, 1 << 20, 8, 4 };
	struct sieve_result res;
	fuzz_self = p;
	(void)sieve_run(p, &m, &budget, &res);
	if (res.n == 0 || (res.failed && res.n != 1))
		abort();  /* every run ends with an action, a failed one keeps */
	sieve_result_free(&res);
}

#endif
