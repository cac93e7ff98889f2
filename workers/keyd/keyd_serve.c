/*
 * keyd_serve: the loop. The supervisor's control channel (CTL_PEER: one
 * channel per connection worker instance) and the worker channels, each
 * allowed one KEY_SIGN in its life (one connection, one handshake).
 */
#include "keyd.h"
#include "buf.h"
#include "ctlchan.h"
#include "fds.h"
#include "log.h"
#include "worker.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#define EVENTS_PER_WAIT 64
#define RECORDS_PER_WAKEUP 4

struct chan {
	int fd;
	char service[TICKET_SERVICE_LEN];   /* from CTL_PEER, never a payload */
	uint64_t instance;
	bool used;                          /* its one KEY_SIGN came */
	bool push;                          /* CTL_PEER_PUSH: pushd's */
	bool submit;                        /* CTL_PEER_SUBMIT: submitd's */
	struct chan *dead_next;
};

static struct {
	const struct keyd_keys *keys;
	const struct keyd_vapid *vapid;
	struct keyd_scram *scram;
	int ep;
	struct ctlchan ctl;
	struct ipc_msg msg;
	struct chan *dead;
} K;

static void
chan_close(struct chan *c)
{
	if (c->fd < 0)
		return;
	close(c->fd);
	c->fd = -1;
	c->dead_next = K.dead;   /* an event for c may still be in this batch */
	K.dead = c;
}

static void
reply(struct chan *c, uint32_t type, uint32_t reqid, struct buf *b)
{
	if (c->fd >= 0 && ipc_send(c->fd, type, reqid, 0, b, -1) < 0) {
		log_warn("%s/%llu: %s; closing its channel", c->service,
		    (unsigned long long)c->instance, errno == EAGAIN ?
		    "does not read its replies" : "send failed");
		chan_close(c);
	}
	buf_free(b);
}

/* Logged and answered ERROR(code, why); the channel stays (docs/ipc.md,
 * "Control records and unexpected requests"). */
static void
refuse(struct chan *c, uint32_t reqid, uint32_t code, const char *why)
{
	log_warn("%s/%llu: %s; refused", c->service,
	    (unsigned long long)c->instance, why);
	struct buf b = BUF_INIT(512);
	ipc_put_u32(&b, code);
	ipc_put_str(&b, why);
	reply(c, IPC_ERROR, reqid, &b);
}

/* KEY_SIGN: str name, u32 scheme, bytes input. 0, or the error code with
 * why. */
static uint32_t
h_sign(struct chan *c, const struct ipc_msg *m, char *why, size_t whylen)
{
	struct buf_cur cur;
	const char *name;
	const uint8_t *in;
	size_t nlen, len;
	uint32_t code;
	ipc_msg_cursor(m, &cur);
	if (m->fd >= 0 || ipc_get_strp(&cur, &name, &nlen, KEY_NAME_MAX) < 0 ||
	    ipc_get_u32(&cur, &code) < 0 ||
	    ipc_get_bytes(&cur, &in, &len, KEY_INPUT_MAX) < 0 ||
	    ipc_get_end(&cur) < 0) {
		buf_snprintf(why, whylen, "malformed key_sign");
		return IPC_ERR_MALFORMED;
	}
	if (c->push || c->submit) {   /* neither has a TLS handshake */
		buf_snprintf(why, whylen, "key_sign from %s", c->service);
		return IPC_ERR_DENIED;
	}
	/* one connection, one handshake, one signature: whatever the first
	 * request's fate, there is no second */
	if (c->used) {
		buf_snprintf(why, whylen, "a second key_sign from one instance");
		return IPC_ERR_DENIED;
	}
	c->used = true;
	const struct keyd_key *k = keyd_keys_find(K.keys, name, nlen);
	const struct keyd_scheme *s = keyd_scheme_find(code);
	if (k == NULL) {
		buf_snprintf(why, whylen, "key_sign for an unknown certificate");
		return IPC_ERR_DENIED;
	}
	if (s == NULL || s->key != k->type) {
		buf_snprintf(why, whylen, "key_sign under scheme 0x%04x for the %s"
		    " key of %s", code, k->type == KEYD_KEY_EC ? "ECDSA" : "RSA",
		    k->name);
		return IPC_ERR_DENIED;
	}
	int kind = keyd_shape_check(s, in, len, why, whylen);
	if (kind == 0)
		return IPC_ERR_DENIED;
	uint8_t sig[KEY_SIG_MAX];
	size_t siglen;
	if (keyd_sign(k, s, in, len, sig, &siglen) < 0) {
		buf_snprintf(why, whylen, "signing with %s failed", k->name);
		return IPC_ERR_INTERNAL;
	}
	log_debug("%s/%llu: signed a %s with %s (scheme 0x%04x)", c->service,
	    (unsigned long long)c->instance, kind == KEYD_IN_TLS13_CV ?
	    "TLS 1.3 CertificateVerify" : "TLS 1.2 ServerKeyExchange", k->name,
	    code);
	struct buf b = BUF_INIT(KEY_SIG_MAX + 16);
	ipc_put_bytes(&b, sig, siglen);
	reply(c, IPC_KEY_SIGNATURE, m->reqid, &b);
	return 0;
}

/* KEY_VAPID_SIGN: str aud, u64 exp; pushd's channel only. 0, or the
 * error code with why. */
static uint32_t
h_vapid(struct chan *c, const struct ipc_msg *m, char *why, size_t whylen)
{
	struct buf_cur cur;
	const char *aud;
	size_t n;
	uint64_t exp;
	ipc_msg_cursor(m, &cur);
	if (m->fd >= 0 || ipc_get_strp(&cur, &aud, &n, KEY_VAPID_AUD_MAX) < 0 ||
	    ipc_get_u64(&cur, &exp) < 0 || ipc_get_end(&cur) < 0) {
		buf_snprintf(why, whylen, "malformed key_vapid_sign");
		return IPC_ERR_MALFORMED;
	}
	if (!c->push) {
		buf_snprintf(why, whylen, "key_vapid_sign from %s", c->service);
		return IPC_ERR_DENIED;
	}
	struct buf b = BUF_INIT(KEY_VAPID_MAX + 16);
	struct buf v = BUF_INIT(KEY_VAPID_MAX + 64);
	uint32_t code = keyd_vapid_sign(K.vapid, aud, n, exp,
	    (uint64_t)time(NULL), &v, why, whylen);
	if (code == 0 && (buf_append_byte(&v, 0) < 0 ||
	    ipc_put_str(&b, (const char *)v.data) < 0)) {
		buf_snprintf(why, whylen, "token too long");
		code = IPC_ERR_INTERNAL;
	}
	buf_free(&v);
	if (code != 0) {
		buf_free(&b);
		return code;
	}
	reply(c, IPC_KEY_VAPID, m->reqid, &b);
	return 0;
}

/* KEY_SCRAM_PROOF: bytes salt, u32 iterations, bytes AuthMessage;
 * submitd's channel only. 0, or the error code with why. */
static uint32_t
h_scram(struct chan *c, const struct ipc_msg *m, char *why, size_t whylen)
{
	struct buf_cur cur;
	const uint8_t *salt, *am;
	size_t saltlen, amlen;
	uint32_t iter;
	ipc_msg_cursor(m, &cur);
	if (m->fd >= 0 || ipc_get_bytes(&cur, &salt, &saltlen,
	    KEY_SCRAM_SALT_MAX) < 0 || ipc_get_u32(&cur, &iter) < 0 ||
	    ipc_get_bytes(&cur, &am, &amlen, KEY_SCRAM_AUTHMSG_MAX) < 0 ||
	    ipc_get_end(&cur) < 0) {
		buf_snprintf(why, whylen, "malformed key_scram_proof");
		return IPC_ERR_MALFORMED;
	}
	if (!c->submit) {
		buf_snprintf(why, whylen, "key_scram_proof from %s", c->service);
		return IPC_ERR_DENIED;
	}
	uint8_t proof[KEY_SCRAM_LEN], sig[KEY_SCRAM_LEN];
	uint32_t code = keyd_scram_answer(K.scram, salt, saltlen, iter,
	    (const char *)am, amlen, proof, sig, (int64_t)time(NULL), why, whylen);
	if (code != 0)
		return code;
	struct buf b = BUF_INIT(2 * KEY_SCRAM_LEN + 16);
	ipc_put_bytes(&b, proof, sizeof(proof));
	ipc_put_bytes(&b, sig, sizeof(sig));
	log_debug("%s/%llu: SCRAM proof (%llu derivation(s) so far)", c->service,
	    (unsigned long long)c->instance,
	    (unsigned long long)K.scram->derived);
	reply(c, IPC_KEY_SCRAM, m->reqid, &b);
	return 0;
}

static void
serve_chan(struct chan *c)
{
	char why[192];
	for (int i = 0; i < RECORDS_PER_WAKEUP && c->fd >= 0; i++) {
		enum ipc_recv_result rr = ipc_recv(c->fd, &K.msg);
		if (rr == IPC_RECV_AGAIN)
			return;
		if (rr == IPC_RECV_EOF) {
			chan_close(c);
			return;
		}
		if (rr == IPC_RECV_ERR || rr == IPC_RECV_VERSION) {
			log_warn("%s/%llu: %s; closing its channel", c->service,
			    (unsigned long long)c->instance,
			    ipc_recv_strerror(rr, &K.msg, why, sizeof(why)));
			chan_close(c);
			return;
		}
		uint32_t code = IPC_ERR_MALFORMED;
		if (rr == IPC_RECV_BAD)
			buf_snprintf(why, sizeof(why), "malformed record");
		else if (K.msg.type == IPC_KEY_SIGN)
			code = h_sign(c, &K.msg, why, sizeof(why));
		else if (K.msg.type == IPC_KEY_VAPID_SIGN)
			code = h_vapid(c, &K.msg, why, sizeof(why));
		else if (K.msg.type == IPC_KEY_SCRAM_PROOF)
			code = h_scram(c, &K.msg, why, sizeof(why));
		else {
			const char *n = ipc_type_name(K.msg.type);
			buf_snprintf(why, sizeof(why), "unexpected %s from %s",
			    n ? n : "unknown type", c->service);
			code = IPC_ERR_UNEXPECTED;
		}
		if (code != 0)
			refuse(c, K.msg.reqid, code, why);
		ipc_msg_close_fd(&K.msg);
	}
}

static void
h_peer(const struct ctl_rec *r)
{
	struct chan *c = calloc(1, sizeof(*c));
	if (c == NULL)
		log_fatal("out of memory");
	c->fd = r->fd;
	memcpy(c->service, r->service, sizeof(c->service));
	c->instance = r->instance;
	c->push = (r->flags & IPC_CTL_PEER_PUSH) != 0;
	c->submit = (r->flags & IPC_CTL_PEER_SUBMIT) != 0;
	if (fcntl(c->fd, F_SETFL, O_NONBLOCK) < 0)
		log_fatal_errno("fcntl");
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };
	if (epoll_ctl(K.ep, EPOLL_CTL_ADD, c->fd, &ev) < 0)
		log_fatal_errno("epoll_ctl");
}

static void
drain_control(void)
{
	for (;;) {
		struct ctl_rec r;
		switch (ctlchan_read(&K.ctl, &r)) {
		case CTLCHAN_AGAIN:
			return;
		case CTLCHAN_CLOSED:
			worker_exit(0);
		case CTLCHAN_RECORD:
			break;
		}
		h_peer(&r);   /* the only record a keyless reader returns */
		ctlchan_wipe(&r);
	}
}

void
keyd_serve(const struct keyd_keys *ks, const struct keyd_vapid *v,
    struct keyd_scram *sc)
{
	K.keys = ks;
	K.vapid = v;
	K.scram = sc;
	K.msg.fd = -1;
	K.ep = epoll_create1(EPOLL_CLOEXEC);
	if (K.ep < 0)
		log_fatal_errno("epoll_create1");
	if (fcntl(CLOISTER_FD_CONTROL, F_SETFL, O_NONBLOCK) < 0)
		log_fatal_errno("control channel");
	ctlchan_init_keyless(&K.ctl, CLOISTER_FD_CONTROL);
	/* the flags keyd takes */
	K.ctl.peer_flags = IPC_CTL_PEER_PUSH | IPC_CTL_PEER_SUBMIT;
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
	if (epoll_ctl(K.ep, EPOLL_CTL_ADD, CLOISTER_FD_CONTROL, &ev) < 0)
		log_fatal_errno("epoll_ctl");
	log_info("serving");
	for (;;) {
		struct epoll_event evs[EVENTS_PER_WAIT];
		int n = epoll_wait(K.ep, evs, EVENTS_PER_WAIT, -1);
		if (n < 0 && errno != EINTR)
			log_fatal_errno("epoll_wait");
		drain_control();
		for (int i = 0; i < n; i++) {
			struct chan *c = evs[i].data.ptr;
			if (c != NULL && c->fd >= 0)
				serve_chan(c);
		}
		while (K.dead != NULL) {
			struct chan *c = K.dead;
			K.dead = c->dead_next;
			free(c);
		}
	}
}
