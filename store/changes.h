/*
 * changes: "changes since a state" answers (store/jmap.c): the ids that
 * were created, updated or destroyed after a modseq, sent sorted by the
 * modseq of their change and cut between modseq values only.
 */
#ifndef CLOISTER_STORE_CHANGES_H
#define CLOISTER_STORE_CHANGES_H

#include <stddef.h>
#include <stdint.h>

struct req;

enum { CH_CREATED = 1, CH_UPDATED = 2, CH_DESTROYED = 3 };

struct change {
	uint64_t id, modseq;
	uint32_t kind;
};

struct changes {
	struct change *v;
	size_t n, cap;
};

/* Append one (-1: out of memory). */
int ch_add(struct changes *c, uint64_t id, uint64_t modseq, uint32_t kind);
/* Send changes sorted by modseq, at most max (0 = all) but whole modseq
 * groups only; trailer: new state, more. */
int send_changes(struct req *r, struct changes *c, uint32_t max);
/* The request's u64 since, u32 max; the user's database open; CONFLICT
 * for a state the user has not reached. */
int since_args(struct req *r, uint64_t *since, uint32_t *max);

#endif
