/* freeze: hold writers for a consistent snapshot (see freeze.h). */
#include "freeze.h"
#include "chan.h"
#include "db.h"
#include "handlers.h"
#include "log.h"
#include "registry.h"
#include "snooze.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_TIMEOUT_S 86400

static struct chan *owner;
static uint64_t deadline_ms;

struct held {
	struct chan *ch;
	struct held *next;
	uint32_t type, reqid, flags;
	int fd;
	size_t len;
	uint8_t payload[];
};
static struct held *head, *tail;
static freeze_runner_fn runner;

void
freeze_set_runner(freeze_runner_fn fn)
{
	runner = fn;
}

static uint64_t
now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

bool
freeze_hold(struct chan *ch, struct ipc_msg *m)
{
	if (ch == owner) {
		/* holding the freezer's own write would wait for its THAW,
		 * which it could not send: refuse instead */
		struct req r = { .ch = ch, .m = m, .type = m->type, .fd = -1,
			.rfd = -1 };
		chan_reply_begin(&r);
		chan_reply_finish(&r, req_fail(&r, IPC_ERR_TEMPORARY,
		    "this channel froze the store"));
		ipc_msg_close_fd(m);
		return true;
	}
	struct held *h = malloc(sizeof(*h) + m->len);
	if (h == NULL)
		log_fatal("freeze: out of memory holding a request");
	h->ch = ch;
	h->next = NULL;
	h->type = m->type;
	h->reqid = m->reqid;
	h->flags = m->flags;
	h->fd = m->fd;
	m->fd = -1;
	h->len = m->len;
	memcpy(h->payload, m->payload, m->len);
	if (tail)
		tail->next = h;
	else
		head = h;
	tail = h;
	ch->held = h;
	chan_pause(ch);
	return true;
}

static void
release(const char *why)
{
	static struct ipc_msg m;
	log_info("freeze released (%s)", why);
	db_frozen = false;
	owner = NULL;
	struct held *h = head;
	head = tail = NULL;
	while (h != NULL) {
		struct held *next = h->next;
		struct chan *ch = h->ch;
		m.type = h->type;
		m.reqid = h->reqid;
		m.flags = h->flags;
		m.fd = h->fd;
		m.len = h->len;
		m.payload = m.raw + IPC_HDR_SIZE;
		memcpy(m.payload, h->payload, h->len);
		ch->held = NULL;
		free(h);
		runner(ch, &m);
		ipc_msg_close_fd(&m);
		chan_resume(ch);
		h = next;
	}
}

int
freeze_timeout_ms(void)
{
	if (!db_frozen)
		return -1;
	uint64_t now = now_ms();
	return now >= deadline_ms ? 0 : (int)(deadline_ms - now);
}

void
freeze_tick(void)
{
	if (db_frozen && now_ms() >= deadline_ms) {
		owner->fz_timed_out = true;
		log_warn("freeze of %s[%llu] timed out", owner->service,
		    (unsigned long long)owner->instance);
		release("timeout");
	}
}

void
freeze_chan_closed(struct chan *ch)
{
	if (ch->held != NULL) {
		struct held **pp = &head, *prev = NULL;
		while (*pp != NULL && *pp != ch->held) {
			prev = *pp;
			pp = &(*pp)->next;
		}
		if (*pp != NULL) {
			struct held *h = *pp;
			*pp = h->next;
			if (tail == h)
				tail = prev;
			if (h->fd >= 0)
				close(h->fd);
			free(h);
		}
		ch->held = NULL;
	}
	if (ch == owner)
		release("the freezing channel closed");
}

int
h_adm_freeze(struct req *r)
{
	uint32_t timeout;
	ipc_get_u32(&r->c, &timeout);
	int rc = req_end_of_fields(r);
	if (rc < 0)
		return rc;
	if (timeout == 0 || timeout > MAX_TIMEOUT_S)
		return req_fail(r, IPC_ERR_MALFORMED, "timeout is 1..%d seconds",
		    MAX_TIMEOUT_S);
	if (db_frozen)
		return req_fail(r, IPC_ERR_EXISTS, "already frozen");
	/* everything acknowledged so far is in the main database files */
	snooze_due_before_commit();   /* the index before the users' commit */
	if (db_checkpoint_all() < 0 || registry_checkpoint() < 0)
		return req_fail(r, IPC_ERR_INTERNAL, "checkpoint failed");
	db_frozen = true;
	owner = r->ch;
	r->ch->fz_timed_out = false;
	deadline_ms = now_ms() + (uint64_t)timeout * 1000;
	log_info("frozen by %s[%llu] for at most %u s", r->ch->service,
	    (unsigned long long)r->ch->instance, timeout);
	return 0;
}

int
h_adm_thaw(struct req *r)
{
	int rc = req_end_of_fields(r);
	if (rc < 0)
		return rc;
	if (db_frozen && owner == r->ch) {
		release("thaw");
		ipc_put_u32(r->rb, 0);
		return 0;
	}
	if (r->ch->fz_timed_out) {
		r->ch->fz_timed_out = false;
		ipc_put_u32(r->rb, 1);
		return 0;
	}
	return req_fail(r, IPC_ERR_NOTFOUND, "no freeze held by this channel");
}
