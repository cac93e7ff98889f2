/* mta_session: one MTA connection, relayed to authd (see mta_session.h).
 * Passwords pass through here on their way to authd: every buffer that
 * held one is wiped. */
#include "mta_session.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "auth_user.h"
#include "buf.h"
#include "base64.h"
#include "log.h"
#include "mta_proto.h"
#include "stats.h"

/* How long one reply may take to leave (the MTA stopped reading). */
#define MTA_SEND_TIMEOUT_MS 10000

enum stage { ST_VERSION, ST_CPID, ST_READY };

struct sess {
	int fd;
	struct auth_client *ac;
	const struct mta_opts *o;
	enum stage stage;
	uint32_t cur;                 /* the id waiting for the MTA's CONT */
	bool final_sent;              /* that CONT carried the server's final
	                               * data: an empty answer gets the OK */
	char user[TICKET_USER_MAX + 1];   /* kept for that OK */
	char mech[AUTH_MECH_NAME_MAX + 1];
	char rip[MTA_ADDR_MAX + 1];
	char service[MTA_SERVICE_MAX + 1];
	bool logged_in;
	bool done;                    /* end the session cleanly */
	struct mta_reader rd;
};

static int
send_all(struct sess *s, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t k = send(s->fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (k > 0) {
			p += k;
			n -= (size_t)k;
			continue;
		}
		if (k < 0 && errno != EAGAIN && errno != EINTR)
			return -1;
		struct pollfd pf = { s->fd, POLLOUT, 0 };
		if (poll(&pf, 1, MTA_SEND_TIMEOUT_MS) <= 0)
			return -1;
	}
	return 0;
}

static int
send_buf(struct sess *s, struct buf *b)
{
	int r = b->len > 0 ? send_all(s, (const char *)b->data, b->len) : 0;
	buf_free(b);
	return r;
}

static int
send_handshake(struct sess *s)
{
	const struct auth_mech *m;
	size_t n;
	if (auth_client_mechs(s->ac, &m, &n) < 0)
		return -1;
	uint8_t cookie[16];
	if (getrandom(cookie, sizeof(cookie), 0) != (ssize_t)sizeof(cookie))
		return -1;
	struct buf b = BUF_INIT(4096);
	buf_append_str(&b, "VERSION\t1\t2\n");
	for (size_t i = 0; i < n; i++)
		buf_printf(&b, "MECH\t%s%s\n", m[i].name,
		    (m[i].flags & AUTH_MECH_PLAINTEXT) ? "\tplaintext" : "");
	buf_printf(&b, "SPID\t%ld\nCUID\t%lu\nCOOKIE\t", (long)getpid(),
	    s->o->cuid);
	for (size_t i = 0; i < sizeof(cookie); i++)
		buf_printf(&b, "%02x", cookie[i]);
	buf_append_str(&b, "\nDONE\n");
	return send_buf(s, &b);
}

/* FAIL <id> [reason=...] [temp]: the exchange is over. */
static int
send_fail(struct sess *s, uint32_t id, const char *reason, bool temp)
{
	struct buf b = BUF_INIT(512);
	buf_printf(&b, "FAIL\t%u", id);
	if (reason != NULL)
		buf_printf(&b, "\treason=%s", reason);
	if (temp)
		buf_append_str(&b, "\ttemp");
	buf_append_byte(&b, '\n');
	if (s->cur == id) {
		s->cur = 0;
		s->final_sent = false;
	}
	return send_buf(s, &b);
}

static int
send_cont(struct sess *s, uint32_t id, const uint8_t *p, size_t n)
{
	struct buf b = BUF_INIT(MTA_LINE_MAX);
	buf_printf(&b, "CONT\t%u\t", id);
	if (base64_encode(p, n, &b) < 0 || buf_append_byte(&b, '\n') < 0) {
		buf_free(&b);
		return -1;
	}
	s->cur = id;
	return send_buf(s, &b);
}

static int
send_ok(struct sess *s, uint32_t id)
{
	struct buf b = BUF_INIT(512);
	buf_printf(&b, "OK\t%u\tuser=%s\n", id, s->user);
	s->cur = 0;
	s->logged_in = true;
	stats_add(ST_AUTH_OK, 1);
	log_info("login: user=%s mech=%s rip=%s service=%s", s->user, s->mech,
	    s->rip[0] ? s->rip : "unknown", s->service);
	return send_buf(s, &b);
}

static int
failed(struct sess *s, uint32_t id, const struct auth_reply *r)
{
	const char *why = auth_fail_name(r->reason);
	stats_add(ST_AUTH_FAIL, 1);
	log_info("auth failed: mech=%s rip=%s service=%s reason=%s", s->mech,
	    s->rip[0] ? s->rip : "unknown", s->service, why);
	switch (r->reason) {
	case AUTH_FAIL_RATE:
	case AUTH_FAIL_TEMPORARY:
	case AUTH_FAIL_DONE:
		return send_fail(s, id, "Try again later", true);
	case AUTH_FAIL_MECH:
		return send_fail(s, id, "Unsupported authentication mechanism",
		    false);
	case AUTH_FAIL_PROTOCOL:
		return send_fail(s, id, "Invalid authentication data", false);
	default:
		return send_fail(s, id, NULL, false);
	}
}

/* What authd said about exchange id. -1: authd failed (end the session). */
static int
outcome(struct sess *s, uint32_t id, enum auth_status st,
    struct auth_reply *r)
{
	switch (st) {
	case AUTH_ST_CHALLENGE:
		return send_cont(s, id, r->data, r->data_len);
	case AUTH_ST_FAILURE:
		return failed(s, id, r);
	case AUTH_ST_SUCCESS:
		if (!auth_user_ok(r->user, strlen(r->user)))
			return log_err("authd named a bad user"), -1;
		memcpy(s->user, r->user, sizeof(s->user));
		if (!r->has_data)
			return send_ok(s, id);
		/* SCRAM's server-final: the client checks it, then answers
		 * with an empty CONT, which gets the OK */
		s->final_sent = true;
		return send_cont(s, id, r->data, r->data_len);
	default:
		log_err("authd failed during an exchange");
		return -1;
	}
}

/* Tell authd which SMTP client this exchange is for (rip=, as the MTA
 * reports it), so that its limits count per client and not one "local"
 * bucket for every SMTP AUTH. No usable rip: authd keeps what it had. */
static int
declare_client(struct sess *s, const char *rip)
{
	struct sockaddr_in in4 = { .sin_family = AF_INET };
	struct sockaddr_in6 in6 = { .sin6_family = AF_INET6 };
	if (inet_pton(AF_INET, rip, &in4.sin_addr) == 1)
		return auth_client_address(s->ac, (struct sockaddr *)&in4,
		    sizeof(in4));
	if (inet_pton(AF_INET6, rip, &in6.sin6_addr) == 1)
		return auth_client_address(s->ac, (struct sockaddr *)&in6,
		    sizeof(in6));
	return 0;
}

static int
decode(const struct mta_req *q, uint8_t *dst, size_t *n)
{
	return base64_decode(q->data, q->data_len, dst, AUTH_DATA_MAX, n);
}

static int
on_auth(struct sess *s, const struct mta_req *q)
{
	if (s->cur == q->id)
		return log_warn("MTA reused id %u in flight", q->id), -1;
	if (s->final_sent) {
		/* authd has already served this process's one login: the
		 * abandoned exchange ends the session (the MTA reconnects) */
		s->done = true;
		return send_fail(s, s->cur, "Aborted", false);
	}
	if (s->cur != 0 && send_fail(s, s->cur, "Aborted", false) < 0)
		return -1;
	memcpy(s->mech, q->mech, sizeof(s->mech));
	memcpy(s->rip, q->rip, sizeof(s->rip));
	memcpy(s->service, q->service, sizeof(s->service));
	const struct auth_mech *m = auth_client_find_mech(s->ac, q->mech);
	if (m == NULL)
		return send_fail(s, q->id, "Unsupported authentication mechanism",
		    false);
	if ((m->flags & AUTH_MECH_PLAINTEXT) && s->o->secured_only &&
	    !q->secured && !mta_addr_loopback(q->rip)) {
		log_info("auth refused: mech=%s rip=%s service=%s reason=not"
		    " secured", q->mech, q->rip[0] ? q->rip : "unknown",
		    q->service);
		return send_fail(s, q->id, "Plaintext authentication disallowed"
		    " on non-secure (SSL/TLS) connections", false);
	}
	if (declare_client(s, q->rip) < 0)
		return log_err("authd refused the client address"), -1;
	uint8_t *ir = calloc(1, AUTH_DATA_MAX);
	struct auth_reply *r = calloc(1, sizeof(*r));
	int ret = -1;
	size_t n = 0;
	if (ir == NULL || r == NULL)
		goto out;
	if (q->has_data && decode(q, ir, &n) < 0) {
		ret = send_fail(s, q->id, "Invalid base64 data", false);
		goto out;
	}
	ret = outcome(s, q->id, auth_client_start(s->ac, q->mech,
	    q->has_data ? ir : NULL, n, r), r);
out:
	if (ir != NULL)
		explicit_bzero(ir, AUTH_DATA_MAX);
	if (r != NULL)
		auth_reply_wipe(r);
	free(ir);
	free(r);
	return ret;
}

static int
on_cont(struct sess *s, const struct mta_req *q)
{
	if (s->cur == 0 || q->id != s->cur)
		return log_warn("MTA continued unknown id %u", q->id), -1;
	if (s->final_sent)
		return q->data_len == 0 ? send_ok(s, q->id) :
		    send_fail(s, q->id, "Invalid authentication data", false);
	uint8_t *d = calloc(1, AUTH_DATA_MAX);
	struct auth_reply *r = calloc(1, sizeof(*r));
	int ret = -1;
	size_t n = 0;
	if (d == NULL || r == NULL)
		goto out;
	if (decode(q, d, &n) < 0) {
		/* authd's exchange stays unfinished: the next AUTH_START
		 * replaces it */
		ret = send_fail(s, q->id, "Invalid base64 data", false);
		goto out;
	}
	ret = outcome(s, q->id, auth_client_step(s->ac, d, n, r), r);
out:
	if (d != NULL)
		explicit_bzero(d, AUTH_DATA_MAX);
	if (r != NULL)
		auth_reply_wipe(r);
	free(d);
	free(r);
	return ret;
}

/* One line. -1 ends the session. */
static int
on_line(struct sess *s, char *line, size_t len)
{
	struct mta_req q;
	const char *why;
	if (mta_parse(line, len, &q, &why) < 0)
		return log_warn("MTA protocol violation: %s", why), -1;
	switch (s->stage) {
	case ST_VERSION:
		if (q.cmd != MTA_CMD_VERSION || q.major != 1)
			return log_warn("MTA did not start with VERSION 1"), -1;
		s->stage = ST_CPID;
		return 0;
	case ST_CPID:
		if (q.cmd != MTA_CMD_CPID)
			return log_warn("MTA sent no CPID"), -1;
		s->stage = ST_READY;
		return 0;
	default:
		break;
	}
	if (q.cmd == MTA_CMD_AUTH)
		return on_auth(s, &q);
	if (q.cmd == MTA_CMD_CONT)
		return on_cont(s, &q);
	return log_warn("MTA repeated its handshake"), -1;
}

/* Read until a whole line is held. 1 line, 0 the MTA left, -1 violation,
 * timeout or error. */
static int
next_line(struct sess *s, char **line, size_t *len)
{
	for (;;) {
		int r = mta_reader_line(&s->rd, line, len);
		if (r != 0)
			return r < 0 ? (log_warn("MTA line too long or"
			    " holds NUL"), -1) : 1;
		struct pollfd pf = { s->fd, POLLIN, 0 };
		int k = poll(&pf, 1, s->o->idle_ms);
		if (k == 0)
			return log_info("MTA idle: closing"), 0;
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -1;
		size_t room;
		char *p = mta_reader_space(&s->rd, &room);
		ssize_t n = read(s->fd, p, room);
		if (n == 0)
			return 0;
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n < 0)
			return -1;
		mta_reader_added(&s->rd, (size_t)n);
	}
}

int
mta_serve(int fd, struct auth_client *ac, const struct mta_opts *o)
{
	struct sess *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return -1;
	s->fd = fd;
	s->ac = ac;
	s->o = o;
	mta_reader_init(&s->rd);
	int ret = send_handshake(s);
	while (ret == 0 && !s->logged_in && !s->done) {
		char *line;
		size_t len;
		int r = next_line(s, &line, &len);
		if (r <= 0) {
			ret = r;
			break;
		}
		ret = on_line(s, line, len);
	}
	mta_reader_wipe(&s->rd);
	explicit_bzero(s, sizeof(*s));
	free(s);
	return ret;
}
