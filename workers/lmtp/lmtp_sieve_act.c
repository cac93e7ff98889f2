/* lmtp_sieve_act: carrying out the actions of the scripts that ran. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "lmtp_notify.h"
#include "lmtp_outgoing.h"
#include "lmtp_sieve_edits.h"
#include "lmtp_sieve_int.h"
#include "lmtp_vacation.h"
#include "log.h"

#define PLAN_MAX (SIEVE_MAX_ACTIONS * LMTP_SIEVE_SCRIPTS)

/* What the scripts asked for, merged: RFC 5228 section 2.10.3 within a
 * script, and Pigeonhole's order across scripts (each script's actions
 * stand; the implicit keep survives only if no script cancelled it).
 * Each delivery carries the version of the message it delivers: the
 * number of edits (replace, enclose) that ran before it. */
struct plan {
	bool keep;
	const struct sieve_action *keep_act;   /* its flags; NULL: none */
	size_t keep_ver;
	const struct sieve_action *fileinto[PLAN_MAX];
	size_t fileinto_ver[PLAN_MAX];
	size_t nfileinto;
	const struct sieve_action *redirect[PLAN_MAX];
	size_t redirect_ver[PLAN_MAX];
	size_t nredirect;
	const struct sieve_action *edit[LMTP_EDITS_MAX];
	size_t nedit;
	bool edits_dropped;                    /* more than LMTP_EDITS_MAX */
	const struct sieve_action *vacation, *reject;
	const struct sieve_action *notify[LMTP_NOTIFY_MAX];
	size_t nnotify;
};

static void
note(const struct lmtp_sieve *s, const char *event, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
note(const struct lmtp_sieve *s, const char *event, const char *fmt, ...)
{
	char line[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	const struct lmtp_delivery *d = s->d;
	lmtp_log_rcpt(event, d->t->client, d->t->sender, d->r->addr,
	    "user=%s %s", d->r->user, line);
}

static bool
same_mailbox(const char *a, const char *b)
{
	/* INBOX is INBOX in any case (RFC 3501 5.1); the rest as given */
	if (strcasecmp(a, "INBOX") == 0)
		return strcasecmp(b, "INBOX") == 0;
	return strcmp(a, b) == 0;
}

static void
plan_add(struct plan *p, const struct sieve_action *a)
{
	switch (a->type) {
	case SIEVE_ACT_KEEP:
		if (!a->implicit && p->keep_act == NULL) {
			p->keep_act = a;
			p->keep_ver = p->nedit;
		}
		if (!a->implicit)
			p->keep = true;
		break;
	case SIEVE_ACT_FILEINTO:
		if (strcasecmp(a->arg, "INBOX") == 0) {
			p->keep = true;
			if (p->keep_act == NULL) {
				p->keep_act = a;
				p->keep_ver = p->nedit;
			}
			break;
		}
		for (size_t i = 0; i < p->nfileinto; i++)
			if (same_mailbox(p->fileinto[i]->arg, a->arg))
				return;
		p->fileinto_ver[p->nfileinto] = p->nedit;
		p->fileinto[p->nfileinto++] = a;
		break;
	case SIEVE_ACT_REDIRECT:
		for (size_t i = 0; i < p->nredirect; i++)
			if (strcasecmp(p->redirect[i]->arg, a->arg) == 0)
				return;
		p->redirect_ver[p->nredirect] = p->nedit;
		p->redirect[p->nredirect++] = a;
		break;
	case SIEVE_ACT_REJECT:
	case SIEVE_ACT_EREJECT:
		if (p->reject == NULL)
			p->reject = a;
		break;
	case SIEVE_ACT_VACATION:
		if (p->vacation == NULL)
			p->vacation = a;
		break;
	case SIEVE_ACT_NOTIFY:
		if (p->nnotify < LMTP_NOTIFY_MAX)
			p->notify[p->nnotify++] = a;
		break;
	case SIEVE_ACT_REPLACE:
	case SIEVE_ACT_ENCLOSE:
		if (p->nedit < LMTP_EDITS_MAX)
			p->edit[p->nedit++] = a;
		else
			p->edits_dropped = true;
		break;
	case SIEVE_ACT_DISCARD:
		break;
	}
}

static void
plan_make(struct plan *p, const struct lmtp_runs *runs)
{
	bool implicit = true;
	const struct sieve_action *last_implicit = NULL;
	memset(p, 0, sizeof(*p));
	for (size_t r = 0; r < runs->n; r++) {
		const struct sieve_result *res = &runs->res[r];
		bool has = false;
		for (size_t i = 0; i < res->n; i++) {
			plan_add(p, &res->actions[i]);
			if (res->actions[i].implicit) {
				has = true;
				last_implicit = &res->actions[i];
			}
		}
		implicit &= has;
	}
	if ((implicit || runs->failed) && !p->keep) {
		p->keep = true;
		p->keep_act = last_implicit;
	}
	/* the implicit keep (and a keep a refused action falls back to)
	 * files the message as the edits left it */
	if (p->keep_act == NULL || p->keep_act->implicit)
		p->keep_ver = p->nedit;
}

/* A reject's reason as one line of printable ASCII. */
static void
set_reason(struct lmtp_sieve *s, const char *text)
{
	size_t o = 0;
	for (const char *p = text; *p && o + 1 < sizeof(s->reason); p++) {
		unsigned char c = (unsigned char)*p;
		s->reason[o++] = c < 0x20 || c >= 0x7f ? ' ' : (char)c;
	}
	s->reason[o] = '\0';
	if (o == 0)
		memcpy(s->reason, "Rejected", 9);
}

/* A store delivery that carried the records refused the message as
 * one delivered already (STORE_SEEN_IF_NEW): nothing more is done. Any
 * answer to such a delivery settles the check. */
static bool
refused_as_duplicate(struct lmtp_sieve *s, int rc, size_t nseen)
{
	if (nseen == 0 || !s->dup_unchecked)
		return false;
	if (rc == STORE_E_EXISTS) {
		s->duplicate = true;
		s->seen_done = true;
		return true;
	}
	if (rc == STORE_OK)
		s->dup_unchecked = false;
	return false;
}

static int
keep_version(struct lmtp_sieve *s, const struct lmtp_version *v,
    const char *const *flags, size_t nflags)
{
	const struct lmtp_delivery *d = s->d;
	/* the +detail choice is STORE_DELIVER's alone */
	size_t nseen = s->seen_done || d->r->detail[0] ? 0 : s->nseen;
	int rc = STORE_E_LIMIT;
	if (nflags > 0 || nseen > 0)
		rc = store_deliver_to(d->sc, d->r->user, "INBOX", false, flags,
		    nflags, s->seen, nseen, v->memfd, v->size, v->meta);
	if (refused_as_duplicate(s, rc, nseen))
		return STORE_OK;
	if (rc == STORE_OK && nseen > 0)
		s->seen_done = true;
	if (rc != STORE_OK && rc != STORE_E_IO && rc != STORE_E_PROTO &&
	    rc != STORE_E_QUOTA && rc != STORE_E_NOSPACE) {
		/* the plain delivery carries no records: the check first
		 * if the refused one did not make it (a bad :flags) */
		if (lmtp_sieve_check_duplicate(s))
			return STORE_OK;
		rc = store_deliver(d->sc, d->r->user, d->r->detail[0] ?
		    d->r->detail : NULL, v->memfd, v->size, v->meta);
	}
	return rc;
}

int
lmtp_sieve_keep(struct lmtp_sieve *s, const char *const *flags,
    size_t nflags)
{
	struct lmtp_version v;
	lmtp_version_original(&v, s->d);
	return keep_version(s, &v, flags, nflags);
}

/* A store error that ends the delivery (lost store, full disk, quota)
 * rather than falling back to INBOX. */
static bool
fatal_rc(int rc)
{
	return rc == STORE_E_IO || rc == STORE_E_PROTO || rc == STORE_E_QUOTA ||
	    rc == STORE_E_NOSPACE;
}

/* A CR or LF that is not part of a CRLF (BDAT with accept-bare-lf keeps
 * them): relays read such line ends differently (SMTP smuggling), so a
 * message holding one is not sent on. */
static bool
bare_line_end(const uint8_t *m, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((m[i] == '\r' && (i + 1 == n || m[i + 1] != '\n')) ||
		    (m[i] == '\n' && (i == 0 || m[i - 1] != '\r')))
			return true;
	return false;
}

static int
do_redirects(struct lmtp_sieve *s, struct plan *p,
    const struct lmtp_edits *ed)
{
	const struct lmtp_delivery *d = s->d;
	for (size_t i = 0; i < p->nredirect; i++) {
		const struct sieve_action *a = p->redirect[i];
		const struct lmtp_version *v = &ed->v[p->redirect_ver[i]];
		bool allowed = false;
		int rc = STORE_OK;
		if (lmtp_loop_marked(&s->msg, s->c.hostname)) {
			note(s, "sieve-redirect", "to=%s refused: it came through"
			    " a redirect here (kept)", a->arg);
		} else if (bare_line_end(v->msg, v->len)) {
			note(s, "sieve-redirect", "to=%s refused: a bare CR or LF"
			    " in the message (kept)", a->arg);
		} else if ((rc = lmtp_redirect_allowance(d->sc, d->r->user,
		    s->c.redirects_per_day, d->now, &allowed)) == STORE_OK &&
		    !allowed) {
			note(s, "sieve-redirect", "to=%s refused: %u redirects"
			    " today (kept)", a->arg, s->c.redirects_per_day);
		} else if (rc == STORE_OK) {
			char mark[300];
			int n = snprintf(mark, sizeof(mark), "%s: %s\r\n",
			    LMTP_LOOP_FIELD, s->c.hostname);
			struct iovec iov[3] = { { mark, (size_t)n },
				{ (void *)(uintptr_t)d->trace, d->trace_len },
				{ (void *)(uintptr_t)v->msg, v->len } };
			/* the envelope sender the store lets the delivery
			 * right use (store/outbox_auto.h): the user's own
			 * address, or <> when the user's name is not one */
			rc = lmtp_outbox_queue(d->sc, d->r->user, &s->outfd,
			    strchr(d->r->user, '@') != NULL ? d->r->user : "",
			    a->arg, iov, 3);
			if (rc == STORE_OK) {
				note(s, "sieve-redirect", "to=%s queued%s", a->arg,
				    a->copy ? " copy" : "");
				continue;
			}
			note(s, "sieve-redirect", "to=%s not queued: %d (kept)",
			    a->arg, rc);
		}
		if (rc == STORE_E_IO || rc == STORE_E_PROTO)
			return rc;
		p->keep = true;   /* a redirect not sent is never mail lost */
	}
	return STORE_OK;
}

static int
do_fileinto(struct lmtp_sieve *s, struct plan *p,
    const struct lmtp_edits *ed)
{
	const struct lmtp_delivery *d = s->d;
	/* the one store delivery of the message: it carries the records */
	size_t nseen = p->nfileinto == 1 && !p->keep && p->nredirect == 0 ?
	    s->nseen : 0;
	for (size_t i = 0; i < p->nfileinto; i++) {
		const struct sieve_action *a = p->fileinto[i];
		const struct lmtp_version *v = &ed->v[p->fileinto_ver[i]];
		int rc = store_deliver_to(d->sc, d->r->user, a->arg, a->create,
		    a->flags, a->nflags, s->seen, nseen, v->memfd, v->size,
		    v->meta);
		if (refused_as_duplicate(s, rc, nseen))
			return STORE_OK;
		if (rc == STORE_OK && nseen > 0)
			s->seen_done = true;
		if (rc == STORE_OK) {
			note(s, "sieve-fileinto", "mailbox=%s flags=%zu", a->arg,
			    a->nflags);
			continue;
		}
		if (fatal_rc(rc))
			return rc;
		note(s, "sieve-fileinto", "mailbox=%s refused: %d (kept in INBOX)",
		    a->arg, rc);
		p->keep = true;
	}
	return STORE_OK;
}

/* The user's own address: the user name, with the domain of the RCPT
 * address when the name has none. */
static void
own_address(const struct lmtp_delivery *d, char *out, size_t size)
{
	const char *at = strrchr(d->r->addr, '@');
	snprintf(out, size, "%s%s", d->r->user,
	    at != NULL && strchr(d->r->user, '@') == NULL ? at : "");
}

/* vacation: the rules of RFC 5230 4.5, then once per sender and period */
static void
do_vacation(struct lmtp_sieve *s, const struct sieve_action *a)
{
	const struct lmtp_delivery *d = s->d;
	char user_addr[LMTP_PATH_MAX + 1];
	own_address(d, user_addr, sizeof(user_addr));
	struct lmtp_self self = { d->r->addr, user_addr, a->addresses,
		a->naddresses };
	const char *why = lmtp_vacation_refusal(&s->msg, d->t->sender, &self);
	if (why != NULL) {
		note(s, "sieve-vacation", "not sent: %s", why);
		return;
	}
	uint8_t key[32];
	bool seen = false;
	lmtp_vacation_key(a, d->t->sender, key);
	/* RFC 6131 section 2: the server may hold a shorter period up */
	uint64_t period = a->seconds > s->c.vacation_min ? a->seconds :
	    s->c.vacation_min;
	int rc = store_seen_check(d->sc, d->r->user, STORE_SEEN_VACATION, key,
	    period > 0 ? period : 1, true, &seen);
	if (rc != STORE_OK || seen) {
		note(s, "sieve-vacation", "not sent: %s", rc != STORE_OK ?
		    "store error" : "answered this sender already");
		return;
	}
	struct buf out = BUF_INIT(2u << 20);
	if (lmtp_vacation_compose(&out, a, &s->msg, d->t->sender, d->r->addr,
	    s->c.hostname, d->now) == 0) {
		struct iovec iov = { out.data, out.len };
		rc = lmtp_outbox_queue(d->sc, d->r->user, &s->outfd, "",
		    d->t->sender, &iov, 1);
		note(s, "sieve-vacation", "to=%s %s", d->t->sender,
		    rc == STORE_OK ? "queued" : "not queued");
	}
	buf_free(&out);
}

static void
do_notify(struct lmtp_sieve *s, const struct sieve_action *a)
{
	const struct lmtp_delivery *d = s->d;
	char to[LMTP_PATH_MAX + 1];
	if (lmtp_auto_submitted(&s->msg)) {
		note(s, "sieve-notify", "not sent: Auto-Submitted");
		return;
	}
	if (lmtp_mailto_address(a->arg, to, sizeof(to)) < 0) {
		note(s, "sieve-notify", "not sent: not a mailto address");
		return;
	}
	const char *from = a->from != NULL && a->from[0] != '\0' &&
	    strpbrk(a->from, "<>\r\n\" ") == NULL ? a->from : d->r->addr;
	struct buf out = BUF_INIT(1u << 16);
	if (lmtp_notify_compose(&out, from, to, a->message, &s->msg,
	    s->c.hostname, d->now) == 0) {
		struct iovec iov = { out.data, out.len };
		int rc = lmtp_outbox_queue(d->sc, d->r->user, &s->outfd, "", to,
		    &iov, 1);
		note(s, "sieve-notify", "to=%s %s", to,
		    rc == STORE_OK ? "queued" : "not queued");
	}
	buf_free(&out);
}

/* The versions of the message the edits make; one that fails leaves
 * every delivery the original (logged). */
static void
build_edits(struct lmtp_sieve *s, const struct plan *p, struct lmtp_edits *ed)
{
	const char *why = NULL;
	char own[LMTP_PATH_MAX + 1];
	own_address(s->d, own, sizeof(own));
	struct lmtp_edit_env env = { s->d->r->addr, own, s->c.hostname,
		s->d->now };
	if (p->edits_dropped)
		note(s, "sieve-edit", "more than %d edits: the later ones not"
		    " made", LMTP_EDITS_MAX);
	if (lmtp_edits_build(ed, s->d, (const struct sieve_action *const *)
	    p->edit, p->nedit, &env, &why) < 0)
		note(s, "sieve-edit", "not made: %s (the original delivered)",
		    why);
	else if (p->nedit > 0)
		note(s, "sieve-edit", "edits=%zu size=%llu", p->nedit,
		    (unsigned long long)ed->v[p->nedit].size);
}

int
lmtp_sieve_act(struct lmtp_sieve *s, const struct lmtp_runs *runs,
    bool *rejected)
{
	static struct plan p;
	plan_make(&p, runs);
	/* the duplicate check rides on the one store delivery that comes
	 * first; any other plan asks before anything is done */
	bool single = p.reject == NULL && p.nredirect == 0 &&
	    p.nfileinto + (p.keep ? 1 : 0) == 1;
	if (!single && lmtp_sieve_check_duplicate(s))
		return STORE_OK;
	if (p.reject != NULL && !p.keep && p.nfileinto == 0) {
		set_reason(s, p.reject->arg ? p.reject->arg : "");
		note(s, "sieve-reject", "reason=%s", s->reason);
		*rejected = true;
		return STORE_OK;
	}
	if (p.reject != NULL)
		note(s, "sieve-reject", "ignored: another script filed the"
		    " message");
	static struct lmtp_edits ed;
	build_edits(s, &p, &ed);
	/* filed first: a delivery the store refuses (quota, a full disk)
	 * is tried again by the MTA, and must not have sent anything yet */
	int rc = do_fileinto(s, &p, &ed);
	if (rc == STORE_OK && !s->duplicate)
		rc = do_redirects(s, &p, &ed);
	if (rc == STORE_OK && p.keep && !s->duplicate) {
		const struct sieve_action *k = p.keep_act;
		rc = keep_version(s, &ed.v[p.keep_ver], k ? k->flags : NULL,
		    k ? k->nflags : 0);
	}
	lmtp_edits_free(&ed);
	if (rc != STORE_OK || s->duplicate)
		return rc;
	if (!p.keep && p.nfileinto == 0)
		note(s, "sieve-discard", "%s", "not filed (discard or redirect)");
	if (p.vacation != NULL)
		do_vacation(s, p.vacation);
	for (size_t i = 0; i < p.nnotify; i++)
		do_notify(s, p.notify[i]);
	return STORE_OK;
}
