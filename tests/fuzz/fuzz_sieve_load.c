/* libFuzzer target: the Sieve program loader on raw bytes (a program a
 * hostile worker stored), and the interpreter on what the loader lets
 * through. The seeds are compiled programs, so mutations reach deep into
 * the format past its header. */
#include "fuzz_sieve_run.h"
#include "sieve.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sieve_error err;
	struct sieve_program *p = sieve_load(data, size, &err);
	if (p != NULL)
		fuzz_sieve_run(p);
	sieve_program_free(p);
	return 0;
}
