/* Unit test of stored's early replies (dispatch.c): a read served while
 * no write of the turn is open saw committed data only and is answered at
 * once, before the turn's commit; a read served after a write of the same
 * turn, and a write itself, are answered only at the end of the turn,
 * once the commit made them durable. A turn's events are served reads
 * first (stored_serve_events), the peers answered early are counted
 * until they send again (chan_early_waiting), and a second look within
 * the turn reads no channel whose reply waits for the commit. A real
 * shard in a temporary directory, channels driven by hand. */
#include "check.h"
#include "chan.h"
#include "config.h"
#include "db.h"
#include "dispatch.h"
#include "ipc.h"
#include "log.h"
#include "msgfile.h"
#include "outbox.h"
#include "registry.h"
#include "snooze.h"
#include "stored.h"
#include "ticket.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef POLICY_SRC_DIR
#error POLICY_SRC_DIR
#endif

enum { CH_IMAPD, CH_LMTPD, CH_ADMIN, NCH };
static struct chan *chans[NCH];
static int peer[NCH];
static char spool[] = "/tmp/cloister-early-reply-XXXXXX";

/* The peer sends one request; stored reads and serves it (not the turn's
 * end). */
static void
serve(int ch, uint32_t type, const struct buf *payload)
{
	if (ipc_send(peer[ch], type, 7, 0, payload, -1) < 0)
		abort();
	chan_read(chans[ch]);
}

/* Whether a reply is waiting at the peer's end (read, and its type). */
static bool
replied(int ch, uint32_t *type)
{
	uint8_t tmp[IPC_HDR_SIZE + IPC_MAX_PAYLOAD];
	ssize_t n = recv(peer[ch], tmp, sizeof(tmp), MSG_DONTWAIT);
	if (n < IPC_HDR_SIZE)
		return false;
	*type = (uint32_t)tmp[0] << 24 | (uint32_t)tmp[1] << 16 |
	    (uint32_t)tmp[2] << 8 | tmp[3];     /* big-endian, common/ipc.c */
	return true;
}

/* Queued, not yet read: imapd's creation of mailbox box (a write) and
 * lmtpd's rcpt check (a read). */
static void
queue_pair(const char *box, const struct buf *rcpt)
{
	struct buf create = BUF_INIT(64);
	ipc_put_str(&create, box);
	ipc_put_u32(&create, 0);
	if (ipc_send(peer[CH_IMAPD], IPC_STORE_MBOX_CREATE, 8, 0, &create,
	    -1) < 0 || ipc_send(peer[CH_LMTPD], IPC_STORE_RCPT_CHECK, 8, 0,
	    rcpt, -1) < 0)
		abort();
	buf_free(&create);
}

static void
setup(void)
{
	static struct config cfg;
	char err[CONFIG_ERR_MAX], text[1024];
	if (mkdtemp(spool) == NULL || chdir(spool) < 0 || mkdir("data", 0700) < 0)
		abort();
	snprintf(text, sizeof(text),
	    "policy-dir %s\n"
	    "service imapd {\n role connection\n binary /bin/true\n"
	    " policy imapd.policy\n listen l unix %s/i.sock plain\n}\n"
	    "service lmtpd {\n role connection\n binary /bin/true\n"
	    " policy lmtpd.policy\n listen l unix %s/l.sock plain\n}\n",
	    POLICY_SRC_DIR, spool, spool);
	if (config_parse("t.conf", text, strlen(text), &cfg, err,
	    sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		abort();
	}
	log_open("test_store_early_reply", true);
	dispatch_init(&cfg);
	msgfile_init();
	registry_open(0, 1);
	outbox_open(registry_db(), msgfile_root());
	db_init(8);
	int ep = epoll_create1(EPOLL_CLOEXEC);
	snooze_due_init(ep);
	chan_init(ep);
	int ctl[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, ctl) < 0)
		abort();
	uint8_t key[TICKET_KEY_LEN] = { 9 };
	struct buf b = BUF_INIT(256);
	ipc_put_u32(&b, IPC_VERSION);
	ipc_put_bytes(&b, key, sizeof(key));
	ipc_send(ctl[0], IPC_CTL_KEY, 0, 0, &b, -1);
	chan_control_read(ctl[1]);
	static const char *const svc[NCH] = { "imapd", "lmtpd", "admin" };
	for (int i = 0; i < NCH; i++) {
		int sv[2];
		if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) < 0)
			abort();
		peer[i] = sv[0];
		chans[i] = chan_add(sv[1], svc[i], (uint64_t)i + 1, i == CH_ADMIN);
	}
	/* alice, and the imapd channel bound to her */
	uint32_t t;
	buf_reset(&b);
	ipc_put_str(&b, "alice");
	serve(CH_ADMIN, IPC_STORE_ADM_USER_CREATE, &b);
	stored_turn_end();
	CHECK(replied(CH_ADMIN, &t) && t == IPC_OK);
	uint8_t tk[TICKET_MAX];
	size_t tl;
	ticket_mint(key, "alice", "imapd", 1, UINT64_MAX / 2, tk, sizeof(tk),
	    &tl);
	buf_reset(&b);
	ipc_put_bytes(&b, tk, tl);
	serve(CH_IMAPD, IPC_STORE_HELLO, &b);
	stored_turn_end();
	CHECK(replied(CH_IMAPD, &t) && t == IPC_OK);
	buf_free(&b);
}

int
main(void)
{
	setup();
	uint32_t t = 0;
	struct buf rcpt = BUF_INIT(64), create = BUF_INIT(64);
	ipc_put_str(&rcpt, "alice");
	ipc_put_u64(&rcpt, 1000);

	/* a read in a turn with no write: answered before the turn ends */
	serve(CH_LMTPD, IPC_STORE_RCPT_CHECK, &rcpt);
	CHECK(replied(CH_LMTPD, &t) && t == IPC_OK);
	stored_turn_end();
	CHECK(!replied(CH_LMTPD, &t));

	/* a write, then a read of the same user in the same turn: neither
	 * is answered before the commit */
	ipc_put_str(&create, "Box");
	ipc_put_u32(&create, 0);
	serve(CH_IMAPD, IPC_STORE_MBOX_CREATE, &create);
	CHECK(!replied(CH_IMAPD, &t));
	serve(CH_LMTPD, IPC_STORE_RCPT_CHECK, &rcpt);
	CHECK(!replied(CH_LMTPD, &t));
	stored_turn_end();
	CHECK(replied(CH_IMAPD, &t) && t == IPC_OK);
	CHECK(replied(CH_LMTPD, &t) && t == IPC_OK);

	/* one epoll_wait's events, the write's channel first: the read is
	 * still served first, and answered at once */
	queue_pair("Box2", &rcpt);
	struct epoll_event evs[2] = {
		{ .events = EPOLLIN, .data.ptr = chans[CH_IMAPD] },
		{ .events = EPOLLIN, .data.ptr = chans[CH_LMTPD] },
	};
	CHECK_EQ(stored_serve_events(evs, 2, false), 2);
	CHECK(replied(CH_LMTPD, &t) && t == IPC_OK);
	CHECK(!replied(CH_IMAPD, &t));
	CHECK_EQ(chan_early_waiting(), 1);
	/* a second look: the lmtpd peer is heard from again; the imapd
	 * channel, whose reply waits for the commit, is not read even with
	 * a request queued behind it */
	queue_pair("Box3", &rcpt);
	CHECK_EQ(stored_serve_events(evs, 2, true), 1);
	CHECK_EQ(chan_early_waiting(), 0);
	CHECK(!replied(CH_LMTPD, &t));      /* after the open write: held */
	stored_turn_end();
	CHECK(replied(CH_IMAPD, &t) && t == IPC_OK);
	CHECK(!replied(CH_IMAPD, &t));      /* one reply: Box3 not read yet */
	CHECK(replied(CH_LMTPD, &t) && t == IPC_OK);
	chan_read(chans[CH_IMAPD]);         /* Box3, in a turn of its own */
	stored_turn_end();
	CHECK(replied(CH_IMAPD, &t) && t == IPC_OK);

	/* an error answer to a read is early too (nothing to make durable) */
	buf_reset(&rcpt);
	ipc_put_str(&rcpt, "nobody");
	ipc_put_u64(&rcpt, 1000);
	serve(CH_LMTPD, IPC_STORE_RCPT_CHECK, &rcpt);
	CHECK(replied(CH_LMTPD, &t) && t == IPC_ERROR);
	stored_turn_end();

	buf_free(&rcpt);
	buf_free(&create);
	db_commit_all();
	char cmd[sizeof(spool) + 16];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", spool);
	if (system(cmd) != 0)
		fprintf(stderr, "cleanup failed\n");
	return check_done("store_early_reply");
}
