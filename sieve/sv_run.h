/*
 * sv_run: the state of one run of a program, shared by the files of the
 * interpreter: sv_interp.c (commands and actions), sv_eval.c (tests),
 * sv_runvars.c (variables, expansion, flags).
 */
#ifndef CLOISTER_SV_RUN_H
#define CLOISTER_SV_RUN_H

#include "sieve_run.h"
#include "sv_addr.h"
#include "sv_ast.h"
#include "sv_match.h"

#define SV_RUN_MAX_VARS 128
#define SV_RUN_MAX_VALUES 256   /* values one test compares */
#define SV_RUN_MAX_VALUE (1u << 16)

struct sv_var {
	const char *name;
	struct sv_span val;
	bool global;  /* declared by global: shared with included scripts */
};

#define SV_RUN_MAX_INCLUDE_DEPTH 4
#define SV_RUN_MAX_INCLUDES 16

struct run {
	const struct sieve_message *m;
	struct sieve_result *res;
	uint64_t exts;
	uint32_t steps_left;
	uint32_t regexes_left;
	uint32_t redirects_left;
	bool stopped, failed, implicit_keep;
	bool returning;         /* return: the current script ends */
	unsigned include_depth, nincluded;
	const struct sieve_program *included[SV_RUN_MAX_INCLUDES];
	struct sv_var vars[SV_RUN_MAX_VARS];
	unsigned nvars;
	struct sv_span match[SV_MATCH_VARS];
	unsigned nmatch;
	struct sv_span flags;   /* imap4flags' internal variable */
	size_t part;            /* foreverypart's current part, 0 outside */
	bool breaking;          /* a break is leaving loops */
	const struct sv_arg *break_name;  /* up to this one; NULL: one */
};

/* A run-time error: the run stops and falls back to the implicit keep. */
int sv_run_fail(struct run *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* One step (or more, for long work); -1 past the budget. */
int sv_run_step(struct run *r, size_t cost);
/* The string with its variable references replaced (RFC 5229). */
int sv_run_expand(struct run *r, const struct sv_str *in, struct sv_span *out);
/* An arena copy of n bytes, NUL-terminated. */
const char *sv_run_dup(struct run *r, const char *s, size_t n);

/* Variables: lookup (NULL when unset), assignment. */
const struct sv_span *sv_run_var_get(struct run *r, const char *name,
    size_t n);
int sv_run_var_set(struct run *r, const char *name, size_t n,
    struct sv_span val);
int sv_run_set(struct run *r, const struct sv_node *n);
int sv_run_extracttext(struct run *r, const struct sv_node *n);
/* setflag, addflag, removeflag on a variable or the internal one. */
int sv_run_flags(struct run *r, const struct sv_node *n);
/* The flags of :flags, or of the internal variable, split into list. */
int sv_run_flag_list(struct run *r, const struct sv_node *n,
    const char **list, size_t *count);
void sv_run_set_match(struct run *r, const struct sv_caps *caps);

/* MIME parts (sv_runmime.c): the i-th field name of part; whether p is
 * root or below it; foreverypart's loop; the values :type, :subtype,
 * :contenttype or :param take from a Content-Type-like field. */
int sv_run_field(struct run *r, size_t part, const char *name, size_t i,
    const char **value, size_t *len);
bool sv_run_part_within(struct run *r, size_t p, size_t root);
int sv_run_foreverypart(struct run *r, const struct sv_node *n,
    int (*block)(struct run *, const struct sv_node *));
size_t sv_run_mime_values(struct run *r, const struct sv_node *t,
    struct sv_span v, struct sv_span *out, size_t max);

/* include, global and return (sv_include.c). */
int sv_run_include(struct run *r, const struct sv_node *n,
    int (*block)(struct run *, const struct sv_node *));
int sv_run_global(struct run *r, const struct sv_node *n);

/* A test: 1 true, 0 false, -1 run-time error. */
int sv_eval(struct run *r, const struct sv_node *t);

#endif
