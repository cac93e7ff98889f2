/*
 * request: one request being served, and what its handler uses to build
 * the reply, fail, check its fields and reach its user's database. Below
 * the handlers and above the user's database: the channel layer (chan.c,
 * dispatch.c) fills a struct req, runs the handler, and sends the reply.
 */
#ifndef CLOISTER_STORE_REQUEST_H
#define CLOISTER_STORE_REQUEST_H

#include <stdbool.h>
#include <stdint.h>

#include "buf.h"
#include "ipc.h"

struct chan;
struct user;
struct udb;
struct slice;

/* What a request needs (the flags of the table in dispatch.c). */
enum opflag {
	OP_ANY = 1u << 0,      /* any state (ping) */
	OP_HELLO = 1u << 1,    /* only before a user is bound */
	OP_TICKET = 1u << 2,   /* needs the ticket's user; scoped to it */
	OP_DELIVER = 1u << 3,  /* the delivery right: no ticket, no reading */
	OP_ADMIN = 1u << 4,    /* only on a channel flagged CTL_PEER_ADMIN */
	OP_WRITE = 1u << 5,    /* changes data: savepoint, held by a freeze */
	OP_FD = 1u << 6,       /* exactly one fd attached */
};

struct req {
	struct chan *ch;
	const struct ipc_msg *m;
	uint32_t type;
	unsigned opflags;
	struct buf_cur c;            /* the payload */
	int fd;                      /* attached fd or -1 (closed after) */
	struct user *u;              /* the user the request is scoped to */
	struct udb *d;               /* u's database (req_db) */
	bool writing;                /* a savepoint is open on d */
	struct buf *rb;              /* the reply payload */
	uint32_t rtype;              /* IPC_OK unless the handler says */
	bool stream;
	int rfd;                     /* fd to attach to the reply */
	struct ipc_fd_batch rfds;       /* or a batch of them (IPC_F_FDS) */
	struct slice *slice;         /* the reply goes on in slices */
	char err[256];
};

/* Reply building (used by handlers). */
void req_reply_stream(struct req *r);         /* the reply is streamed */
void req_item(struct req *r);                 /* next stream entry */
void req_end(struct req *r);                  /* stream trailer follows */
/* A streamed reply made in slices (slice.h): the first step runs now;
 * if it leaves more to do, the rest run in later turns. k belongs to the
 * channel from here on (freed when done). 0 or a negative IPC error. */
int req_first_slice(struct req *r, struct slice *k);
int req_fail(struct req *r, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* ipc_get_end on the request: MALFORMED if anything is short or left. */
int req_end_of_fields(struct req *r);
/* r->u = the user named by the len bytes at name, who must be of this
 * shard: NOTFOUND (no such user, an empty or overlong name) or DENIED
 * (another shard's) otherwise. */
int req_named_user(struct req *r, const char *name, size_t len);
/* The fields u32 n (1..STORE_LOCATE_MAX), n x u64 email id into ids
 * (room for STORE_LOCATE_MAX); 0 or LIMIT (then the reply is made). */
int req_get_emailids(struct req *r, uint64_t *ids, uint32_t *n);
/* The database of r->u; for write requests, opens the savepoint. */
int req_db(struct req *r);

#endif
