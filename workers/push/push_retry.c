/* push_retry: bounded retries of push messages (push_retry.h). */
#include "push_retry.h"

#include <stdio.h>
#include <string.h>

static uint64_t
wait_s(unsigned attempts, uint32_t retry_after)
{
	uint64_t w = PUSH_RETRY_FIRST_S;
	for (unsigned i = 1; i < attempts && w < PUSH_RETRY_MAX_S; i++)
		w *= 2;
	if (retry_after > w)
		w = retry_after;
	return w < PUSH_RETRY_MAX_S ? w : PUSH_RETRY_MAX_S;
}

/* The slot for (user, subscription): its own, a free one, or the one
 * due last (dropped). */
static struct push_retry_entry *
slot_for(struct push_retry *q, const char *user, const char *id)
{
	struct push_retry_entry *free_e = NULL, *last = &q->e[0];
	for (unsigned i = 0; i < PUSH_RETRY_SLOTS; i++) {
		struct push_retry_entry *e = &q->e[i];
		if (!e->used) {
			free_e = free_e ? free_e : e;
			continue;
		}
		if (strcmp(e->user, user) == 0 && strcmp(e->msg.id, id) == 0)
			return e;
		if (e->due > last->due || !last->used)
			last = e;
	}
	if (free_e != NULL)
		return free_e;
	push_msg_free(&last->msg);
	last->used = false;
	return last;
}

bool
push_retry_add(struct push_retry *q, const char *user, struct push_msg *m,
    unsigned attempts, uint32_t retry_after, uint64_t now)
{
	if (attempts >= PUSH_RETRY_ATTEMPTS || strlen(user) >= 256 ||
	    m->url == NULL || strlen(m->url) >= sizeof(q->e[0].url)) {
		push_msg_free(m);
		return false;
	}
	struct push_retry_entry *e = slot_for(q, user, m->id);
	uint64_t due = now + wait_s(attempts, retry_after);
	if (e->used) {                      /* a newer message, same wait */
		due = e->due > due ? e->due : due;
		attempts = e->attempts > attempts ? e->attempts : attempts;
		push_msg_free(&e->msg);
	}
	e->msg = *m;
	m->json = NULL;
	snprintf(e->url, sizeof(e->url), "%s", m->url);
	e->msg.url = e->url;
	snprintf(e->user, sizeof(e->user), "%s", user);
	e->attempts = attempts;
	e->due = due;
	e->used = true;
	return true;
}

bool
push_retry_take(struct push_retry *q, uint64_t now, char user[256],
    char url[1024], struct push_msg *m, unsigned *attempts)
{
	struct push_retry_entry *best = NULL;
	for (unsigned i = 0; i < PUSH_RETRY_SLOTS; i++)
		if (q->e[i].used && q->e[i].due <= now &&
		    (best == NULL || q->e[i].due < best->due))
			best = &q->e[i];
	if (best == NULL)
		return false;
	memcpy(user, best->user, 256);
	memcpy(url, best->url, 1024);
	*m = best->msg;
	m->url = url;
	*attempts = best->attempts;
	best->msg.json = NULL;
	best->used = false;
	return true;
}

unsigned
push_retry_count(const struct push_retry *q)
{
	unsigned n = 0;
	for (unsigned i = 0; i < PUSH_RETRY_SLOTS; i++)
		n += q->e[i].used;
	return n;
}

bool
push_retry_waiting(const struct push_retry *q, const char *user,
    const char *id)
{
	for (unsigned i = 0; i < PUSH_RETRY_SLOTS; i++)
		if (q->e[i].used && strcmp(q->e[i].user, user) == 0 &&
		    strcmp(q->e[i].msg.id, id) == 0)
			return true;
	return false;
}
