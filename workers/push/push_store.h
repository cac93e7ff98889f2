/*
 * push_store: cloister-pushd's side of the push right (store/push_sub.c,
 * docs/store-protocol.md): one channel per shard, STORE_PUSH_WATCH on it,
 * the user's subscription document read (STORE_PUSH_GET) and replaced
 * by compare-and-set (STORE_PUSH_PUT). STORE_PUSH_EVENT records arrive
 * unsolicited, also between a request and its reply: they are queued
 * here (bounded; the newest event of a user replaces an older one).
 */
#ifndef CLOISTER_PUSH_STORE_H
#define CLOISTER_PUSH_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "ipc.h"

#define PUSH_STORE_QUEUE 128
#define PUSH_STORE_USER_MAX 255

struct push_event {
	char user[PUSH_STORE_USER_MAX + 1];
	uint64_t state;
	unsigned kind;                   /* PUSH_KIND_* bits */
};

struct push_store {
	int fd;
	uint32_t reqid;
	struct push_event q[PUSH_STORE_QUEUE];
	size_t nq;
	unsigned long dropped;           /* events lost to a full queue */
	struct buf req;
	struct ipc_msg msg;              /* last: large */
};

/* Start watching on fd (a store channel): 0, or -1 (logged). */
int push_store_open(struct push_store *ps, int fd);
/* Read what is waiting without blocking and queue the events: 0, or -1
 * when the store went away or broke the protocol. */
int push_store_read(struct push_store *ps);
/* Dequeue one event: 1, or 0 when none waits. */
int push_store_next(struct push_store *ps, struct push_event *ev);
/* The user's document into out (empty when there is none) and its
 * version: 0, or -1. */
int push_store_get(struct push_store *ps, const char *user, struct buf *out,
    uint64_t *version);
/* Replace it if it is still at version expect: 0, 1 (changed meanwhile:
 * read it again), or -1. */
int push_store_put(struct push_store *ps, const char *user, uint64_t expect,
    const void *doc, size_t n);

#endif
