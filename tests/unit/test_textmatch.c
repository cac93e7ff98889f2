/* Unit tests for store/textmatch: the substring search SEARCH BODY, TEXT
 * and header keys run inside stored. Correct against a naive model on
 * random inputs, and linear: the work (bytes compared or skipped) is
 * counted and bounded on needles built to make a naive scan quadratic. */
#include "check.h"
#include "textmatch.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static int
lc(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static bool
naive(const uint8_t *h, size_t hn, const uint8_t *nd, size_t nn)
{
	if (nn == 0)
		return true;
	for (size_t i = 0; i + nn <= hn; i++) {
		size_t j = 0;
		while (j < nn && lc(h[i + j]) == lc(nd[j]))
			j++;
		if (j == nn)
			return true;
	}
	return false;
}

static void
test_against_model(void)
{
	static const char alpha[] = "aAbB.";
	uint8_t h[64], nd[8];
	srand(11);
	for (int round = 0; round < 200000; round++) {
		size_t hn = (size_t)(rand() % 40), nn = (size_t)(rand() % 7);
		for (size_t i = 0; i < hn; i++)
			h[i] = (uint8_t)alpha[rand() % 5];
		for (size_t i = 0; i < nn; i++)
			nd[i] = (uint8_t)alpha[rand() % 5];
		struct textmatch tm;
		CHECK_EQ(textmatch_init(&tm, nd, nn), 0);
		bool got = textmatch_find(&tm, hn ? h : NULL, hn);
		if (got != naive(h, hn, nd, nn)) {
			CHECK(got == naive(h, hn, nd, nn));
			fprintf(stderr, "  h=%.*s nd=%.*s\n", (int)hn, h, (int)nn, nd);
			textmatch_free(&tm);
			return;
		}
		textmatch_free(&tm);
	}
}

static void
test_known(void)
{
	struct textmatch tm;
	CHECK_EQ(textmatch_init(&tm, (const uint8_t *)"sdfGHjk", 7), 0);
	CHECK(textmatch_find(&tm, (const uint8_t *)"aSDFghjkl", 9));
	CHECK(!textmatch_find(&tm, (const uint8_t *)"asdfghjl", 8));
	CHECK(!textmatch_find(&tm, NULL, 0));
	textmatch_free(&tm);
	CHECK_EQ(textmatch_init(&tm, NULL, 0), 0);
	CHECK(textmatch_find(&tm, NULL, 0));
	textmatch_free(&tm);
	/* bytes above 0x7f are compared as they are */
	CHECK_EQ(textmatch_init(&tm, (const uint8_t *)"\xc3\xa9t\xc3\xa9", 5), 0);
	CHECK(textmatch_find(&tm, (const uint8_t *)"L'\xc3\xa9t\xc3\xa9 !", 9));
	CHECK(!textmatch_find(&tm, (const uint8_t *)"L'\xc3\x89T\xc3\x89", 7));
	textmatch_free(&tm);
}

/* The needles that make a naive scan cost text x needle: the work must
 * stay within a small multiple of the text length. */
static void
test_adversarial_work_is_linear(void)
{
	const size_t hn = 1 << 20, nn = 1024;
	uint8_t *h = malloc(hn), *nd = malloc(nn);
	CHECK(h != NULL && nd != NULL);
	if (h == NULL || nd == NULL)
		return;
	struct {
		const char *what;
		char fill_h, alt_h, fill_n, last_n;
	} cases[] = {
		{ "aaaa against aaa...b", 'a', 'a', 'a', 'b' },
		{ "AaAa against aaa...b", 'a', 'A', 'a', 'b' },
		{ "aaaa against AAA...B", 'a', 'a', 'A', 'B' },
	};
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		for (size_t i = 0; i < hn; i++)
			h[i] = (uint8_t)(i % 2 ? cases[k].alt_h : cases[k].fill_h);
		memset(nd, cases[k].fill_n, nn - 1);
		nd[nn - 1] = (uint8_t)cases[k].last_n;
		struct textmatch tm;
		CHECK_EQ(textmatch_init(&tm, nd, nn), 0);
		CHECK(!textmatch_find(&tm, h, hn));
		/* naive: about hn * nn = 10^9; KMP: at most 2 hn compares,
		 * plus memchr over each byte once per case */
		if (tm.work > 4 * (uint64_t)hn + nn) {
			fprintf(stderr, "  %s: work %llu for %zu bytes\n",
			    cases[k].what, (unsigned long long)tm.work, hn);
			CHECK(tm.work <= 4 * (uint64_t)hn + nn);
		}
		textmatch_free(&tm);
	}
	/* a periodic needle with its match at the very end */
	for (size_t i = 0; i < hn; i++)
		h[i] = (uint8_t)("ab"[i % 2]);
	memcpy(h + hn - 4, "abac", 4);
	struct textmatch tm;
	CHECK_EQ(textmatch_init(&tm, (const uint8_t *)"ABABAC", 6), 0);
	CHECK(textmatch_find(&tm, h, hn));
	CHECK(tm.work <= 4 * (uint64_t)hn);
	textmatch_free(&tm);
	/* a sparse text: the first byte is rare, memchr does the walking */
	memset(h, 'x', hn);
	CHECK_EQ(textmatch_init(&tm, (const uint8_t *)"needle", 6), 0);
	CHECK(!textmatch_find(&tm, h, hn));
	CHECK(tm.work <= 2 * (uint64_t)hn + 2);
	textmatch_free(&tm);
	free(h);
	free(nd);
}

int
main(void)
{
	test_known();
	test_against_model();
	test_adversarial_work_is_linear();
	return check_done("textmatch");
}
