/* delivery: the limits of the delivery right (see delivery.h). */
#include "delivery.h"
#include "request.h"
#include "db.h"
#include "ipc.h"
#include "log.h"
#include "mailbox.h"
#include "meta.h"
#include "user.h"

#include <string.h>
#include <strings.h>
#include <time.h>

/* Keywords a filter sets on arrival (spam and phishing verdicts, RFC 9051
 * and the IANA keyword registry). Any other keyword would spend one of the
 * user's STORE_MAX_KEYWORDS slots and plant state the user never chose. */
static const char *const delivery_keywords[] = {
	"$Junk", "$NotJunk", "$Phishing",
};

enum { DETAIL_OFF = 0, DETAIL_ON = 1, DETAIL_FORCED = 2 };

bool
delivery_takes_detail(const struct mbox *mb)
{
	/* a mailbox that got a special use after its opt-in is out again */
	return mb->detail == DETAIL_FORCED || (mb->detail == DETAIL_ON &&
	    (mb->use & STORE_USE_MASK) == 0);
}

int
delivery_mailbox(struct req *r, const char *detail, size_t dlen,
    struct mbox *mb)
{
	char norm[STORE_MBOX_NAME_MAX + 1];
	int rc = 1;
	if (dlen > 0 && mailbox_norm(detail, dlen, norm) == 0)
		rc = mailbox_by_name(r->d, norm, mb);
	if (rc == 0 && !delivery_takes_detail(mb))
		rc = 1;
	if (rc == 1)
		rc = mailbox_by_name(r->d, "INBOX", mb);
	if (rc == 1)
		return req_fail(r, IPC_ERR_INTERNAL, "no INBOX");
	return rc;
}

static bool
allowed_keyword(const struct meta_bytes *k)
{
	for (size_t i = 0; i < sizeof(delivery_keywords) /
	    sizeof(delivery_keywords[0]); i++)
		if (strlen(delivery_keywords[i]) == k->n &&
		    strncasecmp(delivery_keywords[i], (const char *)k->p,
		    k->n) == 0)
			return true;
	return false;
}

void
delivery_filter_meta(struct meta *m, const struct delivery_set *set)
{
	uint32_t n = 0;
	if (set != NULL) {
		m->flags = set->flags;
		for (n = 0; n < set->nkw; n++)
			m->kw[n] = set->kw[n];
	} else {
		m->flags &= DELIVERY_FLAGS;
		for (uint32_t i = 0; i < m->nkw; i++)
			if (allowed_keyword(&m->kw[i]))
				m->kw[n++] = m->kw[i];
	}
	m->nkw = n;
	m->internaldate = (uint64_t)time(NULL);
	m->tzoff = 0;
}

int
delivery_set_detail(struct req *r, const char *name, size_t len,
    uint32_t on, uint32_t force)
{
	struct mbox mb;
	if (on > 1 || force > 1)
		return req_fail(r, IPC_ERR_MALFORMED, "on and force are 0 or 1");
	int rc = mailbox_ref(r, 0, name, len, &mb);
	if (rc < 0)
		return rc;
	bool special = (mb.use & STORE_USE_MASK) != 0;
	if (on && special && !force)
		return req_fail(r, IPC_ERR_DENIED, "%s is a special-use mailbox:"
		    " +detail mail would land among the user's own (force it"
		    " if that is meant)", mb.name);
	int64_t v = !on ? DETAIL_OFF : special ? DETAIL_FORCED : DETAIL_ON;
	sqlite3_stmt *st = db_stmt(r->d, ST_MBOX_SET_DETAIL,
	    "UPDATE mailboxes SET detail=? WHERE id=?");
	if (st == NULL)
		return db_fail(r->d, "prepare");
	sqlite3_bind_int64(st, 1, v);
	sqlite3_bind_int64(st, 2, mb.id);
	if (db_exec(st) < 0)
		return db_fail(r->d, "set detail");
	log_info("admin: %s: +detail delivery to %s %s", r->u->name, mb.name,
	    v == DETAIL_OFF ? "off" : v == DETAIL_ON ? "on" : "on (forced)");
	return 0;
}

static const struct {
	const char *name;
	uint32_t bit;
} system_flags[] = {
	{ "\\Seen", STORE_FLAG_SEEN }, { "\\Answered", STORE_FLAG_ANSWERED },
	{ "\\Flagged", STORE_FLAG_FLAGGED }, { "\\Deleted", STORE_FLAG_DELETED },
	{ "\\Draft", STORE_FLAG_DRAFT },
};

/* An IMAP atom (RFC 9051 atom-char): printable ASCII but
 * ( ) { SP % * " \ ] -- byte by byte, nothing decoded. */
static bool
keyword_atom(const char *p, size_t n)
{
	if (n == 0 || n > STORE_KEYWORD_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (p[i] <= 0x20 || p[i] >= 0x7f || strchr("(){%*\"\\]", p[i]))
			return false;
	return true;
}

int
delivery_parse_flags(struct req *r, uint32_t n, struct delivery_set *set)
{
	set->flags = 0;
	set->nkw = 0;
	if (n > DELIVERY_SET_MAX)
		return req_fail(r, IPC_ERR_MALFORMED, "%u flags, more than %u", n,
		    DELIVERY_SET_MAX);
	for (uint32_t i = 0; i < n; i++) {
		const char *f;
		size_t len;
		if (ipc_get_strp(&r->c, &f, &len, STORE_KEYWORD_MAX) < 0)
			return req_fail(r, IPC_ERR_MALFORMED, "malformed flag");
		size_t k = 0;
		while (k < sizeof(system_flags) / sizeof(system_flags[0]) &&
		    !(strlen(system_flags[k].name) == len &&
		    strncasecmp(system_flags[k].name, f, len) == 0))
			k++;
		if (k < sizeof(system_flags) / sizeof(system_flags[0]))
			set->flags |= system_flags[k].bit;
		else if (keyword_atom(f, len) && set->nkw < STORE_MAX_KEYWORDS)
			set->kw[set->nkw++] = (struct meta_bytes){
				(const uint8_t *)f, len };
		else
			return req_fail(r, IPC_ERR_MALFORMED, "not a flag: %.*s",
			    (int)(len > 64 ? 64 : len), f);
	}
	return 0;
}
