/*
 * authd_serve: the event loop. One control channel from the supervisor,
 * one channel per worker instance (each with at most one SASL exchange),
 * a queue of delayed failures, and the rate-limit tables.
 */
#include "authd.h"
#include "authd_backoff.h"
#include "authd_limits.h"
#include "authd_request.h"
#include "authd_token.h"
#include "authd_session_token.h"
#include "auth_client.h"
#include "buf.h"
#include "ctlchan.h"
#include "fds.h"
#include "log.h"
#include "stats.h"
#include "worker.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#define EVENTS_PER_WAIT 64
#define RECORDS_PER_WAKEUP 8   /* per channel: no worker starves the rest */
#define LIMIT_SLOTS 65536      /* per table: 2 MiB each, whatever the load */
/* How long an AUTH_START waits for its worker's CTL_CLIENT: the supervisor
 * sends it before the connection, but queues it when authd is slow. */
#define PARK_MS 1000

struct chan {
	int fd;                              /* -1 once closed */
	char service[TICKET_SERVICE_LEN];    /* from CTL_PEER, never a payload */
	char sasl_service[TICKET_SERVICE_LEN];
	uint64_t instance;
	uint8_t addr_key[LIMIT_ADDR_KEY_MAX];
	size_t addr_keylen;
	char addr_text[LIMIT_ADDR_TEXT_MAX];
	bool has_addr;                       /* CTL_CLIENT seen */
	bool local_peer;                     /* and it named a unix socket's
	                                      * peer: the worker may name the
	                                      * client (AUTH_CLIENT_ADDR) */
	struct authd_exchange x;
	bool logged_in;
	/* the login, for a web session token (AUTH_SESSION_MINT) */
	char login_user[TICKET_USER_MAX + 1];
	char login_parent[AUTH_TOKEN_HEX + 1]; /* the app token's hash */
	bool login_by_session;
	bool minted;
	bool deliver;                        /* CTL_PEER_DELIVERY: may ask
	                                      * AUTH_RCPT */
	/* a failure waiting out the delay */
	bool pending;
	uint64_t due_ms;
	uint32_t pending_reqid;
	uint32_t pending_reason;
	struct chan *qnext, *qprev;          /* delay queue, due order */
	/* an AUTH_START waiting for the client address */
	bool parked;
	uint64_t park_due_ms;
	uint32_t park_reqid;
	char park_mech[AUTH_MECH_NAME_MAX + 1];
	uint8_t *park_data;
	size_t park_len;
	bool park_has_data;
	struct chan *pnext, *pprev;          /* park queue, due order */
	struct chan *hnext;                  /* instance hash chain */
	struct chan *dead_next;              /* freed after this wakeup */
};

static struct {
	const struct authd_options *o;
	int ep;
	struct ctlchan ctl;                  /* the supervisor's channel */
	uint8_t key[TICKET_KEY_LEN];
	struct chan **hash;
	size_t hsize;                        /* a power of two */
	size_t nchans;
	struct chan *qhead, *qtail;
	struct chan *phead, *ptail;
	struct chan *dead;
	struct limit_table users, addrs;
	struct backoff_table pairs;          /* (user, address) */
	struct ipc_msg msg;
} A;

static uint64_t
now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- channel table ---- */

static size_t
hslot(uint64_t instance)
{
	return (size_t)((instance * 0x9e3779b97f4a7c15ULL) >> 32) & (A.hsize - 1);
}

static struct chan *
chan_find(uint64_t instance)
{
	for (struct chan *c = A.hash[hslot(instance)]; c != NULL; c = c->hnext)
		if (c->instance == instance)
			return c;
	return NULL;
}

static void
grow_hash(void)
{
	size_t n = A.hsize * 2;
	struct chan **h = calloc(n, sizeof(*h));
	if (h == NULL)
		log_fatal("out of memory");
	struct chan **old = A.hash;
	size_t oldn = A.hsize;
	A.hash = h;
	A.hsize = n;
	for (size_t i = 0; i < oldn; i++)
		for (struct chan *c = old[i], *next; c != NULL; c = next) {
			next = c->hnext;
			c->hnext = A.hash[hslot(c->instance)];
			A.hash[hslot(c->instance)] = c;
		}
	free(old);
}

static void
queue_remove(struct chan *c)
{
	if (!c->pending)
		return;
	if (c->qprev)
		c->qprev->qnext = c->qnext;
	else
		A.qhead = c->qnext;
	if (c->qnext)
		c->qnext->qprev = c->qprev;
	else
		A.qtail = c->qprev;
	c->qnext = c->qprev = NULL;
	c->pending = false;
}

static void
unpark(struct chan *c)
{
	if (!c->parked)
		return;
	if (c->pprev)
		c->pprev->pnext = c->pnext;
	else
		A.phead = c->pnext;
	if (c->pnext)
		c->pnext->pprev = c->pprev;
	else
		A.ptail = c->pprev;
	c->pnext = c->pprev = NULL;
	c->parked = false;
	if (c->park_data != NULL) {
		explicit_bzero(c->park_data, c->park_len);
		free(c->park_data);
		c->park_data = NULL;
	}
}

static void
chan_close(struct chan *c, const char *why)
{
	if (c->fd < 0)
		return;
	if (why != NULL)
		log_warn("%s/%llu: %s; closing its channel", c->service,
		    (unsigned long long)c->instance, why);
	queue_remove(c);
	unpark(c);
	authd_exchange_end(&c->x);
	close(c->fd);   /* also leaves the epoll set */
	c->fd = -1;
	struct chan **pp = &A.hash[hslot(c->instance)];
	while (*pp != c)
		pp = &(*pp)->hnext;
	*pp = c->hnext;
	A.nchans--;
	/* an event for c may still be in this wakeup's batch */
	c->dead_next = A.dead;
	A.dead = c;
}

static void
reap_dead(void)
{
	while (A.dead != NULL) {
		struct chan *c = A.dead;
		A.dead = c->dead_next;
		explicit_bzero(c, sizeof(*c));
		free(c);
	}
}

/* ---- replies ---- */

static void
reply(struct chan *c, uint32_t type, uint32_t reqid, struct buf *b)
{
	if (c->fd < 0)
		return;
	int r = ipc_send(c->fd, type, reqid, 0, b, -1);
	buf_free_secret(b);
	if (r < 0)
		chan_close(c, errno == EAGAIN ? "does not read its replies" :
		    "send failed");
}

static void
reply_raw(struct chan *c, uint32_t type, uint32_t reqid, const void *p,
    size_t n)
{
	if (c->fd >= 0 && ipc_send_raw(c->fd, type, reqid, 0, p, n, -1) < 0)
		chan_close(c, errno == EAGAIN ? "does not read its replies" :
		    "send failed");
}

/* A record the rule refuses: logged, answered ERROR(code, why), and any
 * exchange in progress ends; the channel stays. */
static void
refuse(struct chan *c, uint32_t reqid, uint32_t code, const char *why)
{
	log_warn("%s/%llu: %s; refused", c->service,
	    (unsigned long long)c->instance, why);
	authd_exchange_end(&c->x);
	struct buf b = BUF_INIT(256);
	ipc_put_u32(&b, code);
	ipc_put_str(&b, why);
	reply(c, IPC_ERROR, reqid, &b);
}

static const char *
fail_text(uint32_t reason)
{
	switch (reason) {
	case AUTH_FAIL_RATE:
		return "too many failed logins, try again later";
	case AUTH_FAIL_MECH:
		return "mechanism not offered";
	case AUTH_FAIL_PROTOCOL:
		return "malformed authentication data";
	case AUTH_FAIL_TEMPORARY:
		return "authentication temporarily unavailable";
	case AUTH_FAIL_DONE:
		return "already authenticated";
	default:
		return "authentication failed";
	}
}

static void
send_failure(struct chan *c, uint32_t reqid, uint32_t reason)
{
	struct buf b = BUF_INIT(512);
	ipc_put_u32(&b, reason);
	ipc_put_str(&b, fail_text(reason));
	reply(c, IPC_AUTH_FAILURE, reqid, &b);
}

/* Every failure but "no such mechanism" and "already logged in" waits
 * out the delay; the channel waits with it, the others do not. */
static void
fail_later(struct chan *c, uint32_t reqid, uint32_t reason)
{
	if (reason == AUTH_FAIL_MECH || reason == AUTH_FAIL_DONE ||
	    A.o->failure_delay_ms == 0) {
		send_failure(c, reqid, reason);
		return;
	}
	c->pending = true;
	c->pending_reqid = reqid;
	c->pending_reason = reason;
	c->due_ms = now_ms() + A.o->failure_delay_ms;
	/* one fixed delay: appending keeps the queue in due order */
	c->qprev = A.qtail;
	c->qnext = NULL;
	if (A.qtail)
		A.qtail->qnext = c;
	else
		A.qhead = c;
	A.qtail = c;
}

static void
fire_due(void)
{
	uint64_t now = now_ms();
	while (A.qhead != NULL && A.qhead->due_ms <= now) {
		struct chan *c = A.qhead;
		uint32_t reqid = c->pending_reqid, reason = c->pending_reason;
		queue_remove(c);
		send_failure(c, reqid, reason);
	}
}

static int
wait_timeout(void)
{
	uint64_t due = UINT64_MAX;
	if (A.qhead != NULL)
		due = A.qhead->due_ms;
	if (A.phead != NULL && A.phead->park_due_ms < due)
		due = A.phead->park_due_ms;
	if (due == UINT64_MAX)
		return -1;
	uint64_t now = now_ms();
	return due <= now ? 0 : (int)(due - now);
}

/* ---- the outcome of a SASL call ---- */

/* The key of (user, the channel's client address). */
#define PAIR_KEY_MAX (1 + LIMIT_ADDR_KEY_MAX + TICKET_USER_MAX)
static size_t
pair_key(const struct chan *c, const char *user, uint8_t k[PAIR_KEY_MAX])
{
	size_t ul = strnlen(user, TICKET_USER_MAX);
	k[0] = (uint8_t)c->addr_keylen;
	memcpy(k + 1, c->addr_key, c->addr_keylen);
	memcpy(k + 1 + c->addr_keylen, user, ul);
	return 1 + c->addr_keylen + ul;
}

/* Whether an attempt for user from this channel's address is refused
 * unchecked. The pair (user, address) waits out its growing delay. The
 * per-user limit, once full, slows only addresses with failures behind
 * them (for anyone, or for this user): an address that has not failed is
 * never refused, so failing on purpose cannot lock a user out. */
static bool
user_gate(void *ctx, const char *user)
{
	struct chan *c = ctx;
	uint64_t now = now_ms();
	uint8_t k[PAIR_KEY_MAX];
	size_t kl = pair_key(c, user, k);
	uint64_t wait = backoff_wait(&A.pairs, k, kl, now);
	bool refuse = wait > 0;
	if (!refuse && limit_blocked(&A.users, user, strlen(user), now)) {
		bool known = c->addr_key[0] != 0;
		refuse = !known ||
		    limit_level(&A.addrs, c->addr_key, c->addr_keylen, now) > 0 ||
		    backoff_failures(&A.pairs, k, kl, now) > 0;
	}
	char ut[LOG_TOKEN_MAX];   /* the name a client sent: one token */
	if (refuse)
		log_info("auth refused: user=%s service=%s instance=%llu"
		    " address=%s reason=rate (%s)",
		    log_token(user, strlen(user), ut, sizeof(ut)), c->service,
		    (unsigned long long)c->instance, c->addr_text, wait > 0 ?
		    "this user from this address: backing off" :
		    "this user, from an address that has failed");
	explicit_bzero(k, sizeof(k));
	return refuse;
}

static void
account_failure(struct chan *c, const struct authd_step *st)
{
	uint64_t now = now_ms();
	const char *user = c->x.attempted;
	switch (st->reason) {
	case AUTH_FAIL_CREDENTIALS:
		if (user[0] != '\0') {
			uint8_t k[PAIR_KEY_MAX];
			size_t kl = pair_key(c, user, k);
			backoff_fail(&A.pairs, k, kl, now);
			limit_fail(&A.users, user, strlen(user), now);
		}
		/* fall through */
	case AUTH_FAIL_PROTOCOL:
	case AUTH_FAIL_RATE:
		limit_fail(&A.addrs, c->addr_key, c->addr_keylen, now);
		break;
	default:
		break;
	}
	char ut[LOG_TOKEN_MAX];   /* the name a client sent: one token */
	log_info("auth failed: user=%s service=%s instance=%llu address=%s"
	    " mech=%s reason=%s (%s)", user[0] ? log_token(user, strlen(user),
	    ut, sizeof(ut)) : "-", c->service,
	    (unsigned long long)c->instance, c->addr_text,
	    c->x.mech[0] ? c->x.mech : "-", auth_fail_name(st->reason),
	    st->detail);
	stats_add(ST_AUTH_FAIL, 1);
	stats_flush();
}

/* The AUTH_SUCCESS fields (user, ticket for c, expiry) into b; -1 (a
 * TEMPORARY failure sent) if the ticket cannot be minted. */
static int
put_ticket(struct chan *c, uint32_t reqid, const char *user, struct buf *b)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	uint64_t expiry = (uint64_t)ts.tv_sec + A.o->ticket_lifetime_s;
	uint8_t t[TICKET_MAX];
	size_t tlen;
	if (ticket_mint(A.key, user, c->service, c->instance, expiry, t,
	    sizeof(t), &tlen) < 0) {
		log_err("cannot mint a ticket for %s", user);
		authd_exchange_end(&c->x);
		send_failure(c, reqid, AUTH_FAIL_TEMPORARY);
		return -1;
	}
	ipc_put_str(b, user);
	ipc_put_bytes(b, t, tlen);
	ipc_put_u64(b, expiry);
	explicit_bzero(t, sizeof(t));
	return 0;
}

static void
succeed(struct chan *c, uint32_t reqid, const struct authd_step *st)
{
	struct buf b = BUF_INIT(IPC_MAX_PAYLOAD);
	if (put_ticket(c, reqid, st->user, &b) < 0)
		return;
	if (st->has_out)
		ipc_put_bytes(&b, st->out, st->outlen);
	c->logged_in = true;
	memcpy(c->login_user, st->user, sizeof(c->login_user));
	if (c->x.attempted[0] != '\0') {
		uint8_t k[PAIR_KEY_MAX];
		backoff_clear(&A.pairs, k, pair_key(c, c->x.attempted, k));
	}
	/* the supervisor stops counting this client as one before login */
	if (ipc_send_logged_in(CLOISTER_FD_CONTROL, c->instance, st->user) < 0)
		log_warn("could not tell cloisterd of the login of instance %llu",
		    (unsigned long long)c->instance);
	log_info("login: user=%s service=%s instance=%llu address=%s mech=%s",
	    st->user, c->service, (unsigned long long)c->instance, c->addr_text,
	    c->x.mech);
	stats_add(ST_AUTH_OK, 1);
	stats_flush();
	authd_exchange_end(&c->x);
	reply(c, IPC_AUTH_SUCCESS, reqid, &b);
}

static void
outcome(struct chan *c, uint32_t reqid, struct authd_step *st)
{
	switch (st->verdict) {
	case AUTHD_CONTINUE: {
		struct buf b = BUF_INIT(IPC_MAX_PAYLOAD);
		ipc_put_bytes(&b, st->out, st->outlen);
		reply(c, IPC_AUTH_CHALLENGE, reqid, &b);
		return;
	}
	case AUTHD_OK:
		succeed(c, reqid, st);
		return;
	case AUTHD_FAIL:
		account_failure(c, st);
		authd_exchange_end(&c->x);
		fail_later(c, reqid, st->reason);
		return;
	}
}

/* ---- handlers ---- */

typedef void (*handler_fn)(struct chan *c, const struct ipc_msg *m,
    struct authd_req *r);

static void run_parked(struct chan *c);

/* ---- the supervisor's records (ctlchan.h checked them) ---- */

static void
h_key(const struct ctl_rec *r)
{
	memcpy(A.key, r->key, sizeof(A.key));
	log_debug("ticket key received");
}

static void
h_peer(const struct ctl_rec *r)
{
	struct chan *old = chan_find(r->instance);
	if (old != NULL)
		chan_close(old, "replaced by a new channel for its instance");
	struct chan *c = calloc(1, sizeof(*c));
	if (c == NULL)
		log_fatal("out of memory");
	c->fd = r->fd;
	memcpy(c->service, r->service, sizeof(c->service));
	/* the SASL service name: "imapd" -> "imap" (digest-uri, logs) */
	memcpy(c->sasl_service, r->service, sizeof(c->sasl_service));
	size_t sl = strlen(c->sasl_service);
	if (sl > 1 && c->sasl_service[sl - 1] == 'd')
		c->sasl_service[sl - 1] = '\0';
	c->instance = r->instance;
	c->deliver = (r->flags & IPC_CTL_PEER_DELIVERY) != 0;
	c->addr_key[0] = 0;                  /* "unknown" until CTL_CLIENT */
	c->addr_keylen = 1;
	memcpy(c->addr_text, "unknown", sizeof("unknown"));
	c->x.gate = user_gate;
	c->x.gate_ctx = c;
	if (fcntl(c->fd, F_SETFL, O_NONBLOCK) < 0)
		log_fatal_errno("fcntl");
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };
	if (epoll_ctl(A.ep, EPOLL_CTL_ADD, c->fd, &ev) < 0)
		log_fatal_errno("epoll_ctl");
	if (A.nchans + 1 > A.hsize)
		grow_hash();
	c->hnext = A.hash[hslot(c->instance)];
	A.hash[hslot(c->instance)] = c;
	A.nchans++;
	log_debug("peer %s/%llu", c->service, (unsigned long long)c->instance);
}

static void
h_client(const struct ctl_rec *r)
{
	struct chan *c = chan_find(r->instance);
	if (c == NULL) {
		log_debug("client address for unknown instance %llu",
		    (unsigned long long)r->instance);
		return;
	}
	size_t n = limit_addr_key((const struct sockaddr *)&r->addr, r->addrlen,
	    c->addr_key, c->addr_text, sizeof(c->addr_text));
	if (n == 0) {
		c->addr_key[0] = 0;
		n = 1;
		memcpy(c->addr_text, "unknown", sizeof("unknown"));
	}
	c->addr_keylen = n;
	c->has_addr = true;
	c->local_peer = r->addrlen >= sizeof(sa_family_t) &&
	    r->addr.ss_family == AF_UNIX;
	if (c->parked)
		run_parked(c);
}

/* An MTA's worker (mta-authd) names the SMTP client it authenticates for,
 * as the MTA reported it: the limits and logs then use that address. Only
 * on a channel whose own client is a local process (the MTA, on a unix
 * socket: its address says nothing); a worker with a TCP client keeps the
 * supervisor's address whatever it claims. */
static void
h_client_addr(struct chan *c, const struct ipc_msg *m, struct authd_req *r)
{
	struct sockaddr_storage ss;
	if (!c->has_addr || !c->local_peer) {
		refuse(c, m->reqid, IPC_ERR_UNEXPECTED, "unexpected"
		    " auth_client_addr: the client is not a local process");
		return;
	}
	memset(&ss, 0, sizeof(ss));
	memcpy(&ss, r->data, r->len);
	const struct sockaddr *sa = (const struct sockaddr *)&ss;
	uint8_t key[LIMIT_ADDR_KEY_MAX];
	char text[LIMIT_ADDR_TEXT_MAX];
	size_t n = (r->len >= sizeof(sa_family_t) && (sa->sa_family ==
	    AF_INET || sa->sa_family == AF_INET6)) ? limit_addr_key(sa, r->len,
	    key, text, sizeof(text)) : 0;
	if (n == 0) {
		refuse(c, m->reqid, IPC_ERR_MALFORMED,
		    "malformed auth_client_addr: not an IP address");
		return;
	}
	authd_exchange_end(&c->x);
	memcpy(c->addr_key, key, n);
	c->addr_keylen = n;
	memcpy(c->addr_text, text, sizeof(c->addr_text));
	reply_raw(c, IPC_AUTH_CLIENT_ADDR, m->reqid, NULL, 0);
}

/* ---- the workers' requests ---- */

static void
h_mechs(struct chan *c, const struct ipc_msg *m, struct authd_req *r)
{
	(void)r;
	const struct authd_mech_info *list;
	size_t n = authd_sasl_mechs(&list);
	struct buf b = BUF_INIT(IPC_MAX_PAYLOAD);
	ipc_put_u32(&b, (uint32_t)n);
	for (size_t i = 0; i < n; i++) {
		ipc_put_str(&b, list[i].name);
		ipc_put_u32(&b, list[i].flags);
	}
	reply(c, IPC_AUTH_MECHS, m->reqid, &b);
}

/* A web session ends with its user: `cloisterctl user del` takes the
 * user's session tokens with the password (one password-database
 * lookup, only for a token that is in the table and unexpired). */
static void
session_user_alive(struct authd_step *st)
{
	char user[TICKET_USER_MAX + 1];
	enum authd_rcpt_result r = authd_rcpt_lookup(st->user, strlen(st->user),
	    user, sizeof(user));
	if (r == AUTHD_RCPT_FOUND && strcmp(user, st->user) == 0)
		return;
	if (r == AUTHD_RCPT_TEMPORARY)
		authd_step_fail(st, AUTH_FAIL_TEMPORARY,
		    "password database unreadable");
	else
		authd_step_fail(st, AUTH_FAIL_CREDENTIALS,
		    "the session's user is gone");
}

/* Run an AUTH_START now that the channel's client address is known. */
static void
start_now(struct chan *c, uint32_t reqid, const char *mech,
    const uint8_t *data, size_t len, bool has_data)
{
	authd_exchange_end(&c->x);
	buf_snprintf(c->x.mech, sizeof(c->x.mech), "%s", mech);
	if (limit_blocked(&A.addrs, c->addr_key, c->addr_keylen, now_ms())) {
		/* refused before SASL runs; not counted again (it would only
		 * keep the address's other users out longer) */
		fail_later(c, reqid, AUTH_FAIL_RATE);
		log_info("auth refused: service=%s instance=%llu address=%s"
		    " mech=%s reason=rate (address)", c->service,
		    (unsigned long long)c->instance, c->addr_text, mech);
		stats_add(ST_AUTH_FAIL, 1);
		stats_flush();
		return;
	}
	struct authd_step st;
	if (authd_token_mech(mech)) {
		authd_token_check(AUTHD_TOKENS_PATH, data, len, has_data, &st);
		if (st.verdict == AUTHD_OK)
			auth_token_hash((const char *)data, len, c->login_parent);
	} else if (authd_session_mech(mech)) {
		authd_session_check(AUTHD_TOKENS_PATH, data, len, has_data,
		    now_ms() / 1000, &st);
		if (st.verdict == AUTHD_OK)
			session_user_alive(&st);
		c->login_by_session = st.verdict == AUTHD_OK;
	} else
		authd_exchange_start(&c->x, c->sasl_service, mech, data, len,
		    has_data, &st);
	outcome(c, reqid, &st);
}

static void
h_start(struct chan *c, const struct ipc_msg *m, struct authd_req *r)
{
	struct authd_step st = { .verdict = AUTHD_FAIL };
	authd_exchange_end(&c->x);
	buf_snprintf(c->x.mech, sizeof(c->x.mech), "%s", r->mech);
	if (c->logged_in) {
		st.reason = AUTH_FAIL_DONE;
		memcpy(st.detail, "instance already logged in",
		    sizeof("instance already logged in"));
		outcome(c, m->reqid, &st);
	} else if (!authd_sasl_offers(r->mech) && !authd_token_mech(r->mech) &&
	    !authd_session_mech(r->mech)) {
		st.reason = AUTH_FAIL_MECH;
		memcpy(st.detail, "not offered", sizeof("not offered"));
		outcome(c, m->reqid, &st);
	} else if (!c->has_addr) {
		/* the per-address limit needs the address: wait for it */
		c->park_data = malloc(r->len ? r->len : 1);
		if (c->park_data == NULL)
			log_fatal("out of memory");
		if (r->len)
			memcpy(c->park_data, r->data, r->len);
		c->park_len = r->len;
		c->park_has_data = r->has_data;
		c->park_reqid = m->reqid;
		memcpy(c->park_mech, r->mech, sizeof(c->park_mech));
		c->park_due_ms = now_ms() + PARK_MS;
		c->parked = true;
		c->pprev = A.ptail;
		c->pnext = NULL;
		if (A.ptail)
			A.ptail->pnext = c;
		else
			A.phead = c;
		A.ptail = c;
	} else {
		start_now(c, m->reqid, r->mech, r->data, r->len, r->has_data);
	}
}

/* Run a parked AUTH_START (its address came, or never will). */
static void
run_parked(struct chan *c)
{
	uint32_t reqid = c->park_reqid;
	char mech[sizeof(c->park_mech)];
	memcpy(mech, c->park_mech, sizeof(mech));
	uint8_t *data = c->park_data;
	size_t len = c->park_len;
	bool has = c->park_has_data;
	c->park_data = NULL;            /* ours now: unpark must not free it */
	unpark(c);
	start_now(c, reqid, mech, data, len, has);
	explicit_bzero(data, len);
	free(data);
}

static void
fire_parked(void)
{
	uint64_t now = now_ms();
	while (A.phead != NULL && A.phead->park_due_ms <= now) {
		struct chan *c = A.phead;
		log_warn("%s/%llu: no client address from the supervisor after"
		    " %d ms; rate-limited as 'unknown'", c->service,
		    (unsigned long long)c->instance, PARK_MS);
		c->has_addr = true;      /* the "unknown" key set at CTL_PEER */
		run_parked(c);
	}
}

static void
h_ping(struct chan *c, const struct ipc_msg *m, struct authd_req *r)
{
	reply_raw(c, IPC_PONG, m->reqid, r->data, r->len);
}

static void
h_step(struct chan *c, const struct ipc_msg *m, struct authd_req *r)
{
	if (!authd_exchange_active(&c->x)) {
		refuse(c, m->reqid, IPC_ERR_UNEXPECTED,
		    "unexpected auth_step: no exchange in progress");
		return;
	}
	struct authd_step st;
	authd_exchange_step(&c->x, r->data, r->len, &st);
	outcome(c, m->reqid, &st);
}

/* Does this recipient exist? Asked by a delivery worker (the supervisor
 * said so in CTL_PEER) for a user the store does not know yet: the ticket
 * lets stored create that user's store and nothing more (lmtpd's policy
 * has no store_hello). No login, no CTL_LOGGED_IN, no failure delay: no
 * secret is checked, and no other kind of worker may ask. */
static void
h_rcpt(struct chan *c, const struct ipc_msg *m, struct authd_req *r)
{
	if (!c->deliver) {
		refuse(c, m->reqid, IPC_ERR_UNEXPECTED, "unexpected auth_rcpt:"
		    " not a delivery worker");
		return;
	}
	char user[TICKET_USER_MAX + 1];
	switch (authd_rcpt_lookup((const char *)r->data, r->len, user,
	    sizeof(user))) {
	case AUTHD_RCPT_NONE:
		send_failure(c, m->reqid, AUTH_FAIL_CREDENTIALS);
		return;
	case AUTHD_RCPT_TEMPORARY:
		send_failure(c, m->reqid, AUTH_FAIL_TEMPORARY);
		return;
	case AUTHD_RCPT_FOUND:
		break;
	}
	struct buf b = BUF_INIT(IPC_MAX_PAYLOAD);
	if (put_ticket(c, m->reqid, user, &b) < 0)
		return;
	log_info("recipient: user=%s service=%s instance=%llu", user,
	    c->service, (unsigned long long)c->instance);
	reply(c, IPC_AUTH_SUCCESS, m->reqid, &b);
}

/* AUTH_SESSION_MINT: a web session token for the user this channel has
 * just logged in, once, and never from a login by such a token. */
static void
h_session_mint(struct chan *c, const struct ipc_msg *m, struct authd_req *r)
{
	(void)r;
	if (!c->logged_in || c->login_by_session || c->minted) {
		refuse(c, m->reqid, IPC_ERR_UNEXPECTED,
		    "no login to mint a session token for");
		return;
	}
	char tok[AUTH_SESSION_LEN + 1];
	uint64_t now = now_ms() / 1000;
	if (authd_session_mint(c->login_user, c->login_parent, now,
	    A.o->session_lifetime_s, tok) < 0) {
		refuse(c, m->reqid, IPC_ERR_INTERNAL, "no randomness");
		return;
	}
	c->minted = true;
	struct buf b = BUF_INIT(IPC_MAX_PAYLOAD);
	ipc_put_str(&b, tok);
	ipc_put_u64(&b, A.o->session_lifetime_s);
	explicit_bzero(tok, sizeof(tok));
	log_info("session token: user=%s service=%s instance=%llu",
	    c->login_user, c->service, (unsigned long long)c->instance);
	reply(c, IPC_AUTH_SESSION_TOKEN, m->reqid, &b);
}

/* What a worker may send. Anything else, a record in the wrong state or
 * one that does not decode is refused with an ERROR record and the channel
 * stays (docs/ipc.md, "Control records and unexpected requests"). */
static const struct handler {
	uint32_t type;
	handler_fn fn;
} handlers[] = {
	{ IPC_PING, h_ping },
	{ IPC_AUTH_MECHS, h_mechs },
	{ IPC_AUTH_START, h_start },
	{ IPC_AUTH_STEP, h_step },
	{ IPC_AUTH_RCPT, h_rcpt },
	{ IPC_AUTH_CLIENT_ADDR, h_client_addr },
	{ IPC_AUTH_SESSION_MINT, h_session_mint },
};

static const char *
type_name(uint32_t type)
{
	const char *n = ipc_type_name(type);
	return n ? n : "unknown type";
}

/* Decode and run one worker request; 0, or the IPC error code it is
 * refused with (why says why). */
static uint32_t
dispatch(struct chan *c, char *why, size_t whylen)
{
	struct ipc_msg *m = &A.msg;
	const struct handler *h = NULL;
	for (size_t i = 0; i < sizeof(handlers) / sizeof(handlers[0]); i++)
		if (handlers[i].type == m->type)
			h = &handlers[i];
	if (h == NULL) {
		buf_snprintf(why, whylen, "unexpected %s from %s",
		    type_name(m->type), c->service);
		return IPC_ERR_UNEXPECTED;
	}
	if (c->pending || c->parked) {
		buf_snprintf(why, whylen, "%s while a reply is pending",
		    type_name(m->type));
		return IPC_ERR_UNEXPECTED;
	}
	struct authd_req r;
	if (authd_request_decode(m, &r) != AUTHD_DECODED) {
		buf_snprintf(why, whylen, "malformed %s", type_name(m->type));
		return IPC_ERR_MALFORMED;
	}
	h->fn(c, m, &r);
	authd_req_wipe(&r);
	return 0;
}

/* ---- reading ---- */

static void
wipe_msg(void)
{
	ipc_msg_close_fd(&A.msg);
	explicit_bzero(A.msg.raw, IPC_HDR_SIZE + A.msg.len);
}

/* libsasl2's sasldb lookup and SCRAM keep passwords and keys in stack
 * buffers (8 KiB and more) that nothing clears: after each request, zero
 * the stack those frames used. noinline so the array is not folded into
 * the caller's frame. */
__attribute__((noinline)) static void
scrub_stack(void)
{
	volatile uint8_t pad[64 * 1024];
	explicit_bzero((void *)pad, sizeof(pad));
}

/* The control channel: everything waiting, before any worker request, so
 * that a CTL_CLIENT sent before the worker got its connection is known
 * when that worker's first request is read. */
static void
drain_control(void)
{
	for (;;) {
		struct ctl_rec r;
		switch (ctlchan_read(&A.ctl, &r)) {
		case CTLCHAN_AGAIN:
			return;
		case CTLCHAN_CLOSED:
			worker_exit(0);
		case CTLCHAN_RECORD:
			break;
		}
		if (r.kind == CTL_REC_KEY)
			h_key(&r);
		else if (r.kind == CTL_REC_PEER)
			h_peer(&r);
		else
			h_client(&r);
		ctlchan_wipe(&r);
	}
}

static void
serve_chan(struct chan *c)
{
	char why[128];
	for (int i = 0; i < RECORDS_PER_WAKEUP && c->fd >= 0; i++) {
		enum ipc_recv_result rr = ipc_recv(c->fd, &A.msg);
		if (rr == IPC_RECV_AGAIN)
			return;
		if (rr == IPC_RECV_EOF) {
			log_debug("%s/%llu went away", c->service,
			    (unsigned long long)c->instance);
			chan_close(c, NULL);
			return;
		}
		if (rr == IPC_RECV_ERR || rr == IPC_RECV_VERSION) {
			/* nothing of a peer of another protocol can be trusted
			 * to parse, not even an error reply */
			chan_close(c,
			    ipc_recv_strerror(rr, &A.msg, why, sizeof(why)));
			return;
		}
		uint32_t code = IPC_ERR_MALFORMED;
		if (rr == IPC_RECV_BAD)
			buf_snprintf(why, sizeof(why), "malformed record");
		else
			code = dispatch(c, why, sizeof(why));
		if (code != 0)
			refuse(c, A.msg.reqid, code, why);
		wipe_msg();
		scrub_stack();
	}
}

void
authd_serve(const struct authd_options *o)
{
	A.o = o;
	A.hsize = 64;
	A.hash = calloc(A.hsize, sizeof(*A.hash));
	uint8_t k[96];
	if (getrandom(k, sizeof(k), 0) != (ssize_t)sizeof(k))
		log_fatal_errno("getrandom");
	if (A.hash == NULL ||
	    limit_init(&A.users, LIMIT_SLOTS, o->max_fail_user,
	    o->failure_window_s * 1000, k) < 0 ||
	    limit_init(&A.addrs, LIMIT_SLOTS, o->max_fail_addr,
	    o->failure_window_s * 1000, k + 32) < 0 ||
	    backoff_init(&A.pairs, LIMIT_SLOTS, o->backoff_ms,
	    o->backoff_max_s * 1000, o->failure_window_s * 1000, k + 64) < 0)
		log_fatal("out of memory");
	explicit_bzero(k, sizeof(k));
	A.msg.fd = -1;
	A.ep = epoll_create1(EPOLL_CLOEXEC);
	if (A.ep < 0)
		log_fatal_errno("epoll_create1");
	if (fcntl(CLOISTER_FD_CONTROL, F_SETFL, O_NONBLOCK) < 0)
		log_fatal_errno("control channel");
	/* admin is the store's flag; delivery (AUTH_RCPT) is authd's */
	ctlchan_init(&A.ctl, CLOISTER_FD_CONTROL, IPC_CTL_PEER_DELIVERY, true);
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
	if (epoll_ctl(A.ep, EPOLL_CTL_ADD, CLOISTER_FD_CONTROL, &ev) < 0)
		log_fatal_errno("epoll_ctl");
	log_info("serving");
	for (;;) {
		struct epoll_event evs[EVENTS_PER_WAIT];
		int n = epoll_wait(A.ep, evs, EVENTS_PER_WAIT, wait_timeout());
		if (n < 0 && errno != EINTR)
			log_fatal_errno("epoll_wait");
		drain_control();
		for (int i = 0; i < n; i++) {
			struct chan *c = evs[i].data.ptr;
			if (c != NULL && c->fd >= 0)
				serve_chan(c);
		}
		fire_parked();
		fire_due();
		reap_dead();
		scrub_stack();
	}
}
