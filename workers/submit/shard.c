/* shard: a store shard's channel, replaced after its stored restarts (see
 * shard.h). */
#include "shard.h"
#include "buf.h"
#include "log.h"
#include "relay_ask.h"
#include "worker.h"

#include <errno.h>
#include <poll.h>
#include <string.h>

#define ASK_WAIT_MS 30000     /* the supervisor's answer */
#define ASK_TRIES 600         /* 100 ms apart: a stored a minute restarting */

void
shard_open(struct shard *sh, unsigned index)
{
	memset(sh, 0, sizeof(*sh));
	sh->index = index;
	if ((sh->sc = store_client_open(CLOISTER_FD_STORE((int)index))) == NULL)
		log_fatal("out of memory");
}

/* The held result on the fresh channel: 0, or -1 if that one is lost too. */
static int
report_held(struct shard *sh)
{
	struct held_result *h = &sh->held;
	static const char *rcpt[STORE_OUTBOX_RCPTS_MAX];
	if (!h->set)
		return 0;
	for (size_t i = 0; i < h->nrcpts; i++)
		rcpt[i] = h->rcpt[i];
	int rc = store_outbox_result(sh->sc, h->id, h->outcome, h->retry_at,
	    h->reply, rcpt, h->nrcpts);
	if (rc == STORE_E_IO || rc == STORE_E_PROTO)
		return -1;
	if (rc < 0)
		log_err("outbox %llu: the result held over the store's restart"
		    " refused: %s", (unsigned long long)h->id,
		    store_client_errmsg(sh->sc));
	else
		log_info("outbox %llu: the result held over the store's restart"
		    " reported", (unsigned long long)h->id);
	h->set = false;
	return 0;
}

static void
reconnect(struct shard *sh)
{
	for (int i = 0; i < ASK_TRIES; i++) {
		store_client_close(sh->sc);
		sh->sc = NULL;
		int fd = store_ask(CLOISTER_FD_CONTROL, sh->index, ASK_WAIT_MS);
		if (fd < 0 && errno == EAGAIN) {
			poll(NULL, 0, 100);
			continue;
		}
		if (fd < 0) {
			log_err("store shard %u: no fresh channel: %s", sh->index,
			    strerror(errno));
			worker_exit(1);
		}
		if ((sh->sc = store_client_open(fd)) == NULL)
			log_fatal("out of memory");
		log_info("store shard %u: a fresh channel", sh->index);
		if (report_held(sh) == 0)
			return;
	}
	log_err("store shard %u: not back within %d s", sh->index, ASK_TRIES / 10);
	worker_exit(1);
}

void
shard_failed(struct shard *sh, int rc, const char *what)
{
	log_err("store shard %u: %s: %s", sh->index, what,
	    store_client_errmsg(sh->sc));
	if (rc != STORE_E_IO && rc != STORE_E_PROTO)
		worker_exit(1);
	reconnect(sh);
}

/* Keep r for the next channel. */
static void
hold(struct held_result *h, const struct shard_result *r)
{
	*h = (struct held_result){ .set = true, .id = r->id,
	    .outcome = r->outcome, .retry_at = r->retry_at };
	(void)buf_strlcpy(h->reply, sizeof(h->reply), r->reply,
	    strnlen(r->reply, STORE_OUTBOX_REPLY_MAX));
	h->nrcpts = r->nrcpts <= STORE_OUTBOX_RCPTS_MAX ? r->nrcpts : 0;
	for (size_t i = 0; i < h->nrcpts; i++)
		(void)buf_strlcpy(h->rcpt[i], sizeof(h->rcpt[i]), r->rcpt[i],
		    strnlen(r->rcpt[i], STORE_OUTBOX_RCPT_REPLY_MAX));
	log_info("outbox %llu: result held for the restarted store",
	    (unsigned long long)r->id);
}

void
shard_report(struct shard *sh, const struct shard_result *r, bool committed)
{
	int rc = store_outbox_result(sh->sc, r->id, r->outcome, r->retry_at,
	    r->reply, r->rcpt, r->nrcpts);
	if (rc == 0)
		return;
	if (committed && (rc == STORE_E_IO || rc == STORE_E_PROTO))
		hold(&sh->held, r);
	shard_failed(sh, rc, "outbox result");
}
