/* A message for the Sieve tests and fuzz target: header fields from a
 * table (ctx points to a struct sieve_test_fields). */
#ifndef CLOISTER_SIEVE_TEST_MSG_H
#define CLOISTER_SIEVE_TEST_MSG_H

#include <string.h>
#include <strings.h>

struct sieve_test_fields {
	const char *const (*f)[2];
	size_t n;
};

static int
sieve_test_header(void *ctx, const char *name, size_t i, const char **v,
    size_t *len)
{
	const struct sieve_test_fields *t = ctx;
	for (size_t k = 0; k < t->n; k++)
		if (strcasecmp(t->f[k][0], name) == 0 && i-- == 0) {
			*v = t->f[k][1];
			*len = strlen(*v);
			return 0;
		}
	return -1;
}

#endif
