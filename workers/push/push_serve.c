/* push_serve: plan and deliver on the store's events (push_serve.h). */
#include "push_serve.h"
#include "log.h"
#include "worker.h"

#include <errno.h>
#include <jansson.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PUSH_TTL 86400          /* seconds a push service keeps a message */
#define IDLE_WAIT_MS 60000
#define DELETE_TRIES 3          /* compare-and-set lost to jmapd */

static bool
verification_sent(void *ctx, const char *id)
{
	const struct push_serve *sv = ctx;
	for (unsigned i = 0; i < PUSH_VERIFIED_MEMORY; i++)
		if (strcmp(sv->sent_ids[i], id) == 0)
			return true;
	return false;
}

static void
remember_verification(struct push_serve *sv, const char *id)
{
	char *slot = sv->sent_ids[sv->nsent];
	size_t n = strnlen(id, sizeof(sv->sent_ids[0]) - 1);
	memcpy(slot, id, n);
	slot[n] = '\0';
	sv->nsent = (sv->nsent + 1) % PUSH_VERIFIED_MEMORY;
}

/* The push service says subscription id is gone: drop it from the
 * user's document on whichever shard holds it. */
static void
delete_subscription(struct push_serve *sv, const char *user, const char *id)
{
	static struct buf doc = BUF_INIT(IPC_MAX_PAYLOAD);
	for (unsigned s = 0; s < sv->nshards; s++)
		for (int t = 0; t < DELETE_TRIES; t++) {
			uint64_t version;
			if (push_store_get(&sv->shard[s], user, &doc, &version) < 0)
				worker_exit(1);
			json_t *j = doc.len > 0 ? json_loadb((const char *)doc.data,
			    doc.len, 0, NULL) : NULL;
			if (j == NULL || json_object_del(j, id) < 0) {
				json_decref(j);
				break;   /* not here */
			}
			char *out = json_dumps(j, JSON_COMPACT);
			json_decref(j);
			int rc = out == NULL ? -1 : push_store_put(&sv->shard[s], user,
			    version, out, strlen(out));
			free(out);
			if (rc < 0)
				worker_exit(1);
			if (rc == 0) {
				log_info("push %s: subscription %s gone, deleted", user,
				    id);
				return;
			}
		}
}

/* One attempt (number attempts) of m to user; m is consumed. */
static void
deliver(struct push_serve *sv, const char *user, struct push_msg *m,
    unsigned attempts)
{
	char err[256] = "";
	uint32_t retry_after = 0;
	if (attempts == 1 && push_retry_waiting(&sv->retry, user, m->id)) {
		/* its service is failing: wait with the older message */
		push_retry_add(&sv->retry, user, m, 1, 0, (uint64_t)time(NULL));
		return;
	}
	struct push_target t = { m->url, m->has_keys ? m->p256dh : NULL,
		m->auth };
	enum push_outcome o = push_deliver(&sv->sender, &t, m->json, PUSH_TTL,
	    &retry_after, err, sizeof(err));
	const char *what = m->verification ? "verification" : "state change";
	switch (o) {
	case PUSH_SENT:
		log_info("push %s: %s sent to %s", user, what, m->id);
		break;
	case PUSH_GONE:
		delete_subscription(sv, user, m->id);
		break;
	case PUSH_RETRY:
		log_info("push %s: %s to %s: attempt %u: %s", user, what, m->id,
		    attempts, err);
		if (!push_retry_add(&sv->retry, user, m, attempts, retry_after,
		    (uint64_t)time(NULL)))
			log_warn("push %s: %s to %s: given up after %u attempts",
			    user, what, m->id, attempts);
		return;
	case PUSH_FAILED:
		log_warn("push %s: %s to %s failed: %s", user, what, m->id, err);
		break;
	}
	push_msg_free(m);
}

static void
handle_event(struct push_serve *sv, struct push_store *ps,
    const struct push_event *ev)
{
	static struct buf doc = BUF_INIT(IPC_MAX_PAYLOAD);
	static struct push_msg msgs[PUSH_PLAN_MAX];
	uint64_t version;
	if (push_store_get(ps, ev->user, &doc, &version) < 0)
		worker_exit(1);
	if (doc.len == 0)
		return;
	json_t *j = json_loadb((const char *)doc.data, doc.len, 0, NULL);
	if (j == NULL) {
		log_warn("push %s: unreadable subscriptions", ev->user);
		return;
	}
	size_t n = push_plan(j, ev->user, ev->state, ev->kind,
	    (uint64_t)time(NULL), verification_sent, sv, msgs);
	for (size_t i = 0; i < n; i++) {
		if (msgs[i].verification)
			remember_verification(sv, msgs[i].id);
		deliver(sv, ev->user, &msgs[i], 1);
	}
	json_decref(j);   /* after: the messages' urls point into it */
}

static void
run_retries(struct push_serve *sv)
{
	static char user[256], url[1024];
	struct push_msg m;
	unsigned attempts;
	/* bounded: each message taken is either sent or due later */
	for (unsigned k = 0; k < PUSH_RETRY_SLOTS && push_retry_take(&sv->retry,
	    (uint64_t)time(NULL), user, url, &m, &attempts); k++)
		deliver(sv, user, &m, attempts + 1);
}

void
push_serve_once(struct push_serve *sv)
{
	struct pollfd p[1 + CLOISTER_MAX_SHARDS];
	p[0] = (struct pollfd){ .fd = CLOISTER_FD_CONTROL, .events = POLLIN };
	for (unsigned i = 0; i < sv->nshards; i++)
		p[1 + i] = (struct pollfd){ .fd = sv->shard[i].fd,
		    .events = POLLIN };
	/* the retry queue keeps no next-due time: look every second */
	int wait = push_retry_count(&sv->retry) > 0 ? 1000 : IDLE_WAIT_MS;
	if (poll(p, 1 + sv->nshards, wait) < 0 && errno != EINTR)
		log_fatal_errno("poll");
	if (p[0].revents != 0)
		worker_exit(0);        /* only its end is ever readable */
	for (unsigned i = 0; i < sv->nshards; i++)
		if (p[1 + i].revents != 0 && push_store_read(&sv->shard[i]) < 0)
			worker_exit(1);   /* the shard restarted: crash-only */
	struct push_event ev;
	for (unsigned i = 0; i < sv->nshards; i++)
		while (push_store_next(&sv->shard[i], &ev) == 1)
			handle_event(sv, &sv->shard[i], &ev);
	run_retries(sv);
}
