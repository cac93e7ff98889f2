/* sieve: compile, load and report (sieve.h). */
#include "sieve.h"

#include <stdio.h>
#include <stdlib.h>

#include "sv_check.h"
#include "sv_interp.h"
#include "sv_program.h"

void
sieve_error_format(const struct sieve_error *e, char *out, size_t n)
{
	if (e->line == 0)
		snprintf(out, n, "program offset %u: %s", e->col, e->msg);
	else
		snprintf(out, n, "line %u, column %u: %s", e->line, e->col,
		    e->msg);
}

int
sieve_compile(const char *src, size_t len, struct buf *program,
    struct sieve_error *err)
{
	struct sv_script s = { 0 };
	imap_arena_init(&s.arena, SIEVE_MAX_MEMORY);
	int rc = sv_parse(&s, src, len, err);
	if (rc == 0)
		rc = sv_check(&s, true, err);
	if (rc == 0 && sv_encode(&s, program) < 0) {
		sv_error_set(err, 1, 1, "%s", "compiled program too large");
		rc = -1;
	}
	imap_arena_reset(&s.arena);
	return rc;
}

struct sieve_program *
sieve_load(const uint8_t *p, size_t len, struct sieve_error *err)
{
	struct sieve_program *prog = calloc(1, sizeof(*prog));
	if (prog == NULL) {
		sv_error_set(err, 0, 0, "%s", "out of memory");
		return NULL;
	}
	imap_arena_init(&prog->script.arena, SIEVE_MAX_MEMORY);
	if (sv_decode(&prog->script, p, len, err) < 0 ||
	    sv_check(&prog->script, false, err) < 0) {
		sieve_program_free(prog);
		return NULL;
	}
	return prog;
}

void
sieve_program_free(struct sieve_program *prog)
{
	if (prog == NULL)
		return;
	imap_arena_reset(&prog->script.arena);
	free(prog);
}
