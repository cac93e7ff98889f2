/*
 * slice: replies produced over several event-loop turns.
 *
 * stored is one thread serving every user of its shard. A FETCH of a large
 * mailbox or a SEARCH that scans much text would hold everyone else for as
 * long as it runs, and its reply would sit whole in memory until a slow
 * reader took it. Such a request runs in slices instead: a slice stops
 * after SLICE_NS of work, or once its channel holds SLICE_OUT_CAP bytes
 * not yet sent. What it made goes out as IPC_F_MORE records at the end of
 * the turn; the next slice runs in a later turn, after every other channel
 * had its chance, and only when the channel's reader has taken the bytes
 * (EPOLLOUT): a slow reader slows only itself, and stored keeps at most
 * about SLICE_OUT_CAP (plus one entry) per channel.
 *
 * Slices after the first run after the turn's commit, outside any write
 * transaction: they see committed data only.
 */
#ifndef CLOISTER_STORE_SLICE_H
#define CLOISTER_STORE_SLICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "buf.h"

struct user;

#define SLICE_NS (2 * 1000 * 1000)            /* 2 ms of work a turn */
#define SLICE_OUT_CAP (1024u * 1024)          /* unsent bytes a channel holds */

struct slice {
	/* One slice: append entries to out. 1: more to do; 0: done, the
	 * trailer is written; < 0: -code, with err set. */
	int (*step)(struct slice *k, struct buf *out);
	void (*free)(struct slice *k);
	struct user *u;               /* the request's user (a reference) */
	char err[256];
	/* set by the runner around each step */
	struct timespec t0;
	size_t out_base;              /* out->len not yet sent at the start */
};

/* Start of a step (the runner calls it; the first step's caller too). */
void slice_begin(struct slice *k, const struct buf *out, size_t unsent);
/* Has this step had its share: time, or bytes waiting for the reader? */
bool slice_over(const struct slice *k, const struct buf *out);
int slice_fail(struct slice *k, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
