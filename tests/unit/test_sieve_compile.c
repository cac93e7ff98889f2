/* Unit tests for sieve/: scripts the compiler must accept (RFC examples),
 * scripts it must refuse with the line and column of the fault, and the
 * loader taking back every program the compiler wrote. */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "sieve.h"

/* Compiles, then loads what was compiled; 0 when both succeed. */
static int
compile_and_load(const char *src, char *why, size_t whylen)
{
	struct buf prog = BUF_INIT(SIEVE_MAX_PROGRAM);
	struct sieve_error err;
	int rc = sieve_compile(src, strlen(src), &prog, &err);
	if (rc == 0) {
		struct sieve_program *p = sieve_load(prog.data, prog.len, &err);
		rc = p ? 0 : -1;
		sieve_program_free(p);
	}
	if (rc < 0)
		sieve_error_format(&err, why, whylen);
	buf_free(&prog);
	return rc;
}

static void
accept(const char *src)
{
	char why[256] = "";
	int rc = compile_and_load(src, why, sizeof(why));
	if (rc != 0)
		fprintf(stderr, "refused: %s\n--- script:\n%s\n", why, src);
	CHECK_EQ(rc, 0);
}

/* Refused with exactly this "line L, column C: message" prefix. */
static void
refuse(const char *src, const char *want)
{
	char why[256] = "";
	int rc = compile_and_load(src, why, sizeof(why));
	CHECK_EQ(rc, -1);
	if (strncmp(why, want, strlen(want)) != 0) {
		fprintf(stderr, "want \"%s\"\n got \"%s\"\n", want, why);
		CHECK(!"error message");
	}
}

#include "sieve_scripts.h"

int
main(void)
{
	for (size_t i = 0; i < sizeof(valid) / sizeof(valid[0]); i++)
		accept(valid[i]);
	for (size_t i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++)
		refuse(invalid[i].src, invalid[i].err);
	return check_done("sieve_compile");
}
