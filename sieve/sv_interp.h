/*
 * sv_interp: what a loaded program is, for the interpreter.
 */
#ifndef CLOISTER_SV_INTERP_H
#define CLOISTER_SV_INTERP_H

#include "sv_ast.h"

struct sieve_program {
	struct sv_script script;
};

#endif
