/* libFuzzer target: a recipient address (the RCPT path as lmtpd keeps it,
 * at most LMTP_PATH_MAX bytes, any bytes but NUL) looked up in a table of
 * per-domain scripts: the last '@', the case folding into a bounded key
 * and the binary search. A hit must be the script of the domain after
 * the last '@', compared without regard to case. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lmtp_sieve.h"

static int progs[4];   /* stand-ins: the lookup returns, never reads them */

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	static struct lmtp_sieve_named v[4] = {   /* sorted */
		{ "a.example", NULL }, { "example.org", NULL },
		{ "xn--bcher-kva.example", NULL }, { "z", NULL },
	};
	for (size_t i = 0; i < 4; i++)
		v[i].prog = (struct sieve_program *)(void *)&progs[i];
	struct lmtp_sieve_domains ds = { v, 4 };
	char addr[LMTP_PATH_MAX + 1];
	size_t n = size < LMTP_PATH_MAX ? size : LMTP_PATH_MAX;
	memcpy(addr, data, n);
	addr[n] = '\0';
	const struct sieve_program *p = lmtp_sieve_domain_find(&ds, addr);
	if (p != NULL) {
		size_t k = (size_t)((const int *)(const void *)p - progs);
		const char *at = strrchr(addr, '@');
		if (k >= 4 || at == NULL || strcasecmp(at + 1, v[k].name) != 0)
			abort();
	}
	return 0;
}
