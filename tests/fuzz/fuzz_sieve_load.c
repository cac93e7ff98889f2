/* libFuzzer target: the Sieve program loader on raw bytes (a program a
 * hostile worker stored). The seeds are compiled programs, so mutations
 * reach deep into the format past its header. */
#include "sieve.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sieve_error err;
	sieve_program_free(sieve_load(data, size, &err));
	return 0;
}
