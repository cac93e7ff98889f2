/* libFuzzer target: the Sieve compiler on script bytes, then the loader on
 * the program it wrote (which must take it back) and the interpreter on
 * that program against a small fixed message under a small budget; last,
 * the loader on the same bytes taken as a program. */
#include "sieve.h"
#include "fuzz_sieve_run.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf prog = BUF_INIT(SIEVE_MAX_PROGRAM);
	struct sieve_error err;
	if (sieve_compile((const char *)data, size, &prog, &err) == 0) {
		struct sieve_program *p = sieve_load(prog.data, prog.len, &err);
		if (p == NULL)
			abort();  /* the compiler wrote what its loader refuses */
		fuzz_sieve_run(p);
		sieve_program_free(p);
	}
	buf_free(&prog);
	sieve_program_free(sieve_load(data, size, &err));
	return 0;
}
