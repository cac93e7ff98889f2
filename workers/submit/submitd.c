/*
 * cloister-submitd: sends the outbox through the relay (docs/submitd.md).
 * main reads top to bottom like every worker's (common/worker.h): start ->
 * load options -> confine (policy/submitd.policy: no socket, no connect)
 * -> the store channels, one per shard -> ready -> serve: claim each due
 * entry, ask the supervisor for a relay connection, one SMTP transaction,
 * report the result; then sleep on a timerfd armed for the next due entry,
 * the store's wake-up (STORE_NOTIFY) or the control channel's end.
 *
 * Options (service block, "set NAME VALUE"; docs/submitd.md):
 *   hostname       the EHLO name (default: the host's name)
 *   max-attempts   tries before an entry fails (default 10)
 *   retry-base     seconds before the first retry, doubled each time (60)
 *   retry-max      the longest wait between tries, seconds (3600)
 *   smtp-timeout   seconds to wait for each relay reply (300)
 *   relay-tls      none | starttls (required, the certificate verified)
 *   relay-tls-ca   PEM file of the CAs (default: the system's store)
 *   relay-tls-name the name the certificate must carry (default: the
 *                  relay's address)
 *   dsn-notify     RCPT NOTIFY= when the relay offers DSN (FAILURE,DELAY);
 *                  "off": no DSN parameters
 *   relay          HOST:PORT, read by cloisterd (it connects)
 *   relay-auth-user  AUTH SCRAM-SHA-256 as this user; the password is
 *                  keyd's (relay-auth-secret-file, read by keyd only)
 *   uncertain-delivery unknown | resend: an entry whose final dot may have
 *                  reached the relay without its reply being recorded is
 *                  final "unknown" (default: never sent twice) or sent
 *                  again (at least once, as Postfix and Cyrus do)
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "relay_ask.h"
#include "shard.h"
#include "smtp_client.h"
#include "smtp_dsn.h"
#include "smtp_scram.h"
#include "store_client.h"
#include "worker.h"

#define BATCH 16            /* entries per shard per pass: fair to others */
#define IDLE_RECHECK_S 60   /* a missed wake-up costs at most this */
#define RELAY_WAIT_MS 30000 /* the supervisor's answer (it times out first) */
#define RATE_RETRIES 100    /* asks over the supervisor's rate, 100 ms apart */

struct opts {
	struct smtp_opts smtp;
	uint64_t max_attempts, retry_base, retry_max;
	bool resend;                 /* uncertain-delivery resend: no mark */
};

/* The TLS context for STARTTLS, made while files can be read. */
static void
load_tls(const struct config *c, const struct config_service *s,
    struct opts *o)
{
	static char relay_host[64];
	const char *mode = config_option(c, s, "relay-tls");
	if (mode == NULL || strcmp(mode, "none") == 0)
		return;
	if (strcmp(mode, "starttls") != 0)
		log_fatal("relay-tls: none or starttls");
	const char *name = config_option(c, s, "relay-tls-name");
	const char *relay = config_option(c, s, "relay");
	if (name == NULL && relay != NULL) {
		/* the address of "A.B.C.D:PORT" or "[V6]:PORT" */
		const char *colon = strrchr(relay, ':');
		size_t n = colon != NULL ? (size_t)(colon - relay) : 0;
		if (n > 2 && relay[0] == '[' && relay[n - 1] == ']') {
			relay++;
			n -= 2;
		}
		if (n > 0 && buf_strlcpy(relay_host, sizeof(relay_host), relay, n) >= 0)
			name = relay_host;
	}
	o->smtp.tls = smtp_tls_context(config_option(c, s, "relay-tls-ca"), name);
	if (o->smtp.tls == NULL)
		log_fatal("relay-tls: no TLS context");
}

/* Relay AUTH: only the user name; the password stays in keyd, which
 * reads relay-auth-secret-file (cloisterd checked the pair and that AUTH
 * goes over TLS or to loopback). */
static void
load_auth(const struct config *c, const struct config_service *s,
    struct opts *o)
{
	const char *user = config_option(c, s, "relay-auth-user");
	const char *relay = config_option(c, s, "relay");
	o->smtp.keyd_fd = -1;
	if (user == NULL)
		return;
	if (!smtp_scram_user_ok(user))
		log_fatal("relay-auth-user: printable ASCII without ',' or '='");
	memcpy(o->smtp.auth_user, user, strlen(user) + 1);
	o->smtp.keyd_fd = CLOISTER_FD_KEYD;
	o->smtp.auth_clear_ok = relay != NULL &&
	    (strncmp(relay, "127.", 4) == 0 || strncmp(relay, "[::1]:", 6) == 0);
	log_info("relay AUTH SCRAM-SHA-256 as %s%s", user, o->smtp.tls != NULL ?
	    " after STARTTLS" : " in clear (the relay is on loopback)");
}

static void
load_options(const struct config *c, const struct config_service *s,
    struct opts *o)
{
	const char *h = config_option(c, s, "hostname");
	if (h != NULL) {
		if (buf_strlcpy(o->smtp.helo, sizeof(o->smtp.helo), h,
		    strlen(h)) < 0)
			log_fatal("hostname too long");
	} else if (gethostname(o->smtp.helo, sizeof(o->smtp.helo) - 1) < 0) {
		memcpy(o->smtp.helo, "localhost", 10);
	}
	for (char *p = o->smtp.helo; *p; p++)
		if (*p <= 0x20 || *p >= 0x7f)
			log_fatal("hostname: bad character");
	o->max_attempts = config_option_range(c, s, "max-attempts", 10, 1, 1000);
	o->retry_base = config_option_range(c, s, "retry-base", 60, 1, 86400);
	o->retry_max = config_option_range(c, s, "retry-max", 3600, 1, 7 * 86400);
	o->smtp.timeout_ms = (int)config_option_range(c, s, "smtp-timeout", 300, 1, 3600) *
	    1000;
	const char *notify = config_option(c, s, "dsn-notify");
	if (notify == NULL)
		notify = "FAILURE,DELAY";
	if (strcmp(notify, "off") == 0)
		notify = "";
	else if (!smtp_dsn_notify_ok(notify))
		log_fatal("dsn-notify: off, NEVER, or SUCCESS, FAILURE, DELAY"
		    " joined by commas");
	if (buf_strlcpy(o->smtp.dsn_notify, sizeof(o->smtp.dsn_notify), notify,
	    strlen(notify)) < 0)
		log_fatal("dsn-notify too long");
	const char *u = config_option(c, s, "uncertain-delivery");
	if (u != NULL && strcmp(u, "resend") != 0 && strcmp(u, "unknown") != 0)
		log_fatal("uncertain-delivery: unknown or resend");
	o->resend = u != NULL && strcmp(u, "resend") == 0;
	load_tls(c, s, o);
	load_auth(c, s, o);
}

/* What the store checked, checked again: nothing that could end the
 * command line or the path. */
static bool
entry_ok(const struct store_outbox_entry *e)
{
	for (size_t i = 0; i <= e->nrcpts; i++) {
		const char *a = i < e->nrcpts ? e->rcpts[i] : e->mail_from;
		if (i < e->nrcpts && a[0] == '\0')
			return false;
		for (; *a; a++)
			if ((unsigned char)*a <= 0x20 || *a == 0x7f || *a == '<' ||
			    *a == '>')
				return false;
	}
	return e->nrcpts > 0;
}

static uint64_t
backoff(const struct opts *o, uint32_t attempts)
{
	uint64_t d = o->retry_base;
	for (uint32_t i = 0; i < attempts && d < o->retry_max; i++)
		d *= 2;
	return d < o->retry_max ? d : o->retry_max;
}

static int
relay_connection(void)
{
	for (int i = 0; i < RATE_RETRIES; i++) {
		int fd = relay_ask(CLOISTER_FD_CONTROL, RELAY_WAIT_MS);
		if (fd >= 0 || errno != EAGAIN)
			return fd;
		poll(NULL, 0, 100);
	}
	errno = EAGAIN;
	return -1;
}

/* A new relay session: 0, or -1 with the outcome set. */
static int
open_session(const struct opts *o, struct smtp_outcome *out)
{
	int fd = relay_connection();
	if (fd < 0) {
		out->verdict = SMTP_TEMPFAIL;
		snprintf(out->text, sizeof(out->text), "relay: %s", strerror(errno));
		return -1;
	}
	return smtp_session_open(fd, &o->smtp, out);
}

struct committing {
	struct store_conn *sc;
	uint64_t id;
	bool refused;        /* the mark failed: the dot was not written */
};

/* Before the final dot: the store marks the entry committing, durably, so
 * that no crash from here on sends it again. */
static int
commit_entry(void *arg)
{
	struct committing *k = arg;
	if (store_outbox_commit(k->sc, k->id) == 0)
		return 0;
	k->refused = true;
	log_err("outbox %llu: not marked committing, not sent: %s",
	    (unsigned long long)k->id, store_client_errmsg(k->sc));
	return -1;
}

/* Send one claimed entry and report it (a lost store channel is replaced:
 * shard.h). */
static void
send_entry(struct shard *sh, const struct opts *o,
    const struct store_outbox_entry *e)
{
	struct committing k = { sh->sc, e->id, false };
	/* resend: no mark, so a crash or a lost reply after the dot is
	 * retried like any other temporary failure */
	const struct smtp_commit commit = { o->resend ? NULL : commit_entry, &k };
	static struct smtp_outcome out;
	static const char *rcpt[STORE_OUTBOX_RCPTS_MAX];
	memset(&out, 0, sizeof(out));
	out.verdict = SMTP_TEMPFAIL;
	if (!entry_ok(e)) {
		out.verdict = SMTP_PERMFAIL;
		snprintf(out.text, sizeof(out.text), "invalid envelope address");
	} else {
		/* a kept connection the relay has closed meanwhile: once more on
		 * a new one (nothing was sent on it) */
		for (int tries = 0; tries < 2; tries++) {
			if (!smtp_session_live() && open_session(o, &out) < 0)
				break;
			smtp_session_send(e, &commit, &out);
			if (!out.stale)
				break;
		}
	}
	uint32_t outcome = STORE_OUTBOX_SENT;
	uint64_t retry_at = 0;
	if (out.verdict == SMTP_PERMFAIL)
		outcome = STORE_OUTBOX_FAILED;
	else if (out.verdict == SMTP_UNKNOWN)
		outcome = STORE_OUTBOX_UNKNOWN;
	else if (k.refused) {
		/* never at the relay: due again now. stored may have written the
		 * mark and died before its answer: then this result, held for
		 * the new stored, makes it pending again rather than unknown */
		outcome = STORE_OUTBOX_RETRY;
		retry_at = (uint64_t)time(NULL);
	} else if (out.verdict == SMTP_TEMPFAIL && e->attempts + 1 >= o->max_attempts)
		outcome = STORE_OUTBOX_FAILED;
	else if (out.verdict == SMTP_TEMPFAIL) {
		outcome = STORE_OUTBOX_RETRY;
		retry_at = (uint64_t)time(NULL) + backoff(o, e->attempts);
	}
	log_info("outbox %llu: %s after %u attempt(s): %s",
	    (unsigned long long)e->id, outcome == STORE_OUTBOX_SENT ? "sent" :
	    outcome == STORE_OUTBOX_RETRY ? "deferred" :
	    outcome == STORE_OUTBOX_UNKNOWN ? "may or may not have been sent" :
	    "failed",
	    e->attempts + 1, out.text);
	for (size_t i = 0; i < e->nrcpts; i++)
		rcpt[i] = out.rcpt[i];
	const struct shard_result res = { e->id, outcome, retry_at, out.text,
	    rcpt, e->nrcpts };
	shard_report(sh, &res, out.committed || k.refused);
}

/* One pass over a shard: up to BATCH due entries sent. The number sent;
 * *soonest lowered to its next due time. */
static int
pass(struct shard *sh, const struct opts *o, uint64_t *soonest)
{
	static struct store_outbox_entry e;
	for (int n = 0; n < BATCH; n++) {
		uint64_t due = 0;
		int rc = store_outbox_claim(sh->sc, &e, &due);
		if (rc == STORE_E_NOTFOUND || rc == STORE_E_TEMPORARY) {
			if (rc == STORE_E_TEMPORARY)
				due = (uint64_t)time(NULL) + 1;
			if (due != 0 && due < *soonest)
				*soonest = due;
			return n;
		}
		if (rc < 0) {
			shard_failed(sh, rc, "outbox claim");
			return n + 1;     /* a fresh channel: claim again */
		}
		send_entry(sh, o, &e);
		close(e.fd);
	}
	return BATCH;
}

/* Sleep until the timer (armed for soonest), a store wake-up or the
 * control channel's end. */
static void
sleep_until(int tfd, struct shard *sh, unsigned nshards, uint64_t soonest)
{
	struct itimerspec its = { .it_value = { .tv_sec = (time_t)soonest } };
	if (timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, NULL) < 0)
		log_fatal_errno("timerfd_settime");
	struct pollfd p[2 + CLOISTER_MAX_SHARDS];
	p[0] = (struct pollfd){ .fd = tfd, .events = POLLIN };
	p[1] = (struct pollfd){ .fd = CLOISTER_FD_CONTROL, .events = POLLIN };
	for (unsigned i = 0; i < nshards; i++)
		p[2 + i] = (struct pollfd){ .fd = store_client_fd(sh[i].sc),
		    .events = POLLIN };
	if (poll(p, 2 + nshards, IDLE_RECHECK_S * 1000) < 0 && errno != EINTR)
		log_fatal_errno("poll");
	if (p[1].revents != 0)
		worker_exit(0);        /* only its end is ever readable idle */
	uint64_t ticks;
	if ((p[0].revents & POLLIN) && read(tfd, &ticks, sizeof(ticks)) < 0 &&
	    errno != EAGAIN)
		log_fatal_errno("timerfd");
	struct store_notify n;
	for (unsigned i = 0; i < nshards; i++)
		if (p[2 + i].revents != 0) {
			int rc = store_client_read_notify(sh[i].sc);
			if (rc < 0) {
				shard_failed(&sh[i], rc, "wake-up");
				continue;
			}
			while (store_client_next_notify(sh[i].sc, &n) == 1)
				;      /* a wake-up: the next pass claims */
		}
}

int
main(int argc, char **argv)
{
	static struct config cfg;
	const struct config_service *svc;
	struct worker w;
	static struct opts o;
	worker_start(&w, argc, argv, "cloister-submitd", ROLE_SUBMIT, &cfg, &svc);
	load_options(&cfg, svc, &o);
	int tfd = timerfd_create(CLOCK_REALTIME, TFD_CLOEXEC);
	if (tfd < 0)
		log_fatal_errno("timerfd_create");
	worker_confine(&w, &tfd, 1);
	static struct shard sh[CLOISTER_MAX_SHARDS];
	for (unsigned i = 0; i < w.store_shards; i++)
		shard_open(&sh[i], i);
	worker_ready();
	for (;;) {
		uint64_t soonest = UINT64_MAX;
		int sent = 0;
		for (unsigned i = 0; i < w.store_shards; i++)
			sent += pass(&sh[i], &o, &soonest);
		if (sent > 0)
			continue;
		smtp_session_close();   /* nothing due: no idle connection kept */
		/* nothing pending anywhere: the timer stays off (0) */
		sleep_until(tfd, sh, w.store_shards,
		    soonest == UINT64_MAX ? 0 : soonest);
	}
}
