/* check: the unit tests' tiny harness. A failed CHECK prints file:line and
 * the expression, counts, and the test goes on; check_done() sets the exit
 * status meson reads (0 pass, 1 fail, 77 skip). */
#ifndef CLOISTER_CHECK_H
#define CLOISTER_CHECK_H

#include <stdio.h>
#include <stdlib.h>

static int check_failures;
static int check_count;

#define CHECK(expr)                                                        \
	do {                                                               \
		check_count++;                                             \
		if (!(expr)) {                                             \
			check_failures++;                                  \
			fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__,      \
			    __LINE__, #expr);                              \
		}                                                          \
	} while (0)

#define CHECK_EQ(a, b)                                                     \
	do {                                                               \
		long long _a = (long long)(a), _b = (long long)(b);        \
		check_count++;                                             \
		if (_a != _b) {                                            \
			check_failures++;                                  \
			fprintf(stderr, "FAIL %s:%d: %s == %s (%lld != %lld)\n", \
			    __FILE__, __LINE__, #a, #b, _a, _b);           \
		}                                                          \
	} while (0)

static inline int
check_done(const char *name)
{
	printf("%s: %d checks, %d failed\n", name, check_count, check_failures);
	return check_failures ? 1 : 0;
}

#endif
