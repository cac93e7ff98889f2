/* imap_cmd_mailbox: CREATE, DELETE, RENAME, (UN)SUBSCRIBE, STATUS and
 * QUOTA (RFC 9208) — one store call each. */
#include "imap_commands.h"
#include "imap_mbox.h"
#include "imap_out.h"

#include <string.h>
#include <strings.h>

/* Drop one trailing hierarchy separator ("foo/": RFC 9051 6.3.4). */
static const char *
strip_sep(struct imap_session *s, const char *name)
{
	size_t n = strlen(name);
	if (n > 1 && name[n - 1] == STORE_HIER_SEP)
		return imap_arena_strndup(&s->arena, name, n - 1);
	return name;
}

int
imap_cmd_create(struct imap_session *s, struct imap_cmd *c)
{
	const char *name = imap_mailbox_arg(s, &c->a.create.mailbox);
	if (name == NULL)
		return 0;
	name = strip_sep(s, name);
	if (name == NULL || strcmp(name, "INBOX") == 0) {
		imap_tagged(s, "NO", "ALREADYEXISTS", "INBOX always exists");
		return 0;
	}
	uint64_t id;
	int rc = 0;
	/* RFC 9051 6.3.4: create the superior names the new one needs */
	for (const char *p = strchr(name, STORE_HIER_SEP); p != NULL && rc == 0;
	    p = strchr(p + 1, STORE_HIER_SEP)) {
		const char *parent = imap_arena_strndup(&s->arena, name,
		    (size_t)(p - name));
		if (parent == NULL || strcmp(parent, "INBOX") == 0)
			continue;
		rc = store_mbox_create(s->sc, parent, 0, &id);
		if (rc == STORE_E_EXISTS)
			rc = 0;
	}
	if (rc == 0)
		rc = store_mbox_create(s->sc, name,
		    imap_mbox_use_to_store(c->a.create.special_use), &id);
	if (imap_store_fatal(rc))
		return -1;
	if (rc < 0)
		imap_tagged_store_error(s, rc, "CREATE");
	else
		imap_tagged(s, "OK", NULL, "CREATE completed");
	return 0;
}

struct below {
	const char *name;
	size_t len;
	bool found;
};

static int
below_cb(void *arg, const struct store_mbox_info *mb)
{
	struct below *b = arg;
	b->found = strncmp(mb->name, b->name, b->len) == 0 &&
	    mb->name[b->len] == STORE_HIER_SEP;
	return b->found;
}

/* A name that is only the parent of others (\NonExistent) cannot be
 * deleted: rev2 says why with [HASCHILDREN] (RFC 9051 6.3.5, 7.1). 0 or -1
 * when answered, STORE_E_NOTFOUND when the name has no children. */
static int
delete_has_children(struct imap_session *s, const char *name)
{
	struct below b = { name, strlen(name), false };
	int rc = store_mbox_list(s->sc, 0, below_cb, &b);
	if (imap_store_fatal(rc))
		return -1;
	if (rc < 0 || !b.found)
		return STORE_E_NOTFOUND;
	imap_tagged(s, "NO", "HASCHILDREN",
	    "DELETE: delete the mailboxes below it first");
	return 0;
}

int
imap_cmd_delete(struct imap_session *s, struct imap_cmd *c)
{
	const char *name = imap_mailbox_arg(s, &c->a.mailbox);
	if (name == NULL)
		return 0;
	if (strcmp(name, "INBOX") == 0) {
		imap_tagged(s, "NO", "CANNOT", "INBOX cannot be deleted");
		return 0;
	}
	if (s->view != NULL && strcmp(s->view->name, name) == 0) {
		imap_tagged(s, "NO", "INUSE", "Cannot delete the selected mailbox");
		return 0;
	}
	int rc = store_mbox_delete(s->sc, name);
	if (imap_store_fatal(rc))
		return -1;
	if (rc == STORE_E_NOTFOUND && (s->enabled & IMAP_EN_IMAP4REV2) &&
	    (rc = delete_has_children(s, name)) != STORE_E_NOTFOUND)
		return rc;
	if (rc < 0)
		imap_tagged_store_error(s, rc, "DELETE");
	else
		imap_tagged(s, "OK", NULL, "DELETE completed");
	return 0;
}

int
imap_cmd_rename(struct imap_session *s, struct imap_cmd *c)
{
	const char *from = imap_mailbox_arg(s, &c->a.rename.from);
	if (from == NULL)
		return 0;
	const char *to = imap_mailbox_arg(s, &c->a.rename.to);
	if (to == NULL)
		return 0;
	to = strip_sep(s, to);
	if (to == NULL || strcmp(to, "INBOX") == 0) {
		imap_tagged(s, "NO", "ALREADYEXISTS", "INBOX always exists");
		return 0;
	}
	int rc = store_mbox_rename(s->sc, from, to);
	if (imap_store_fatal(rc))
		return -1;
	if (rc < 0) {
		imap_tagged_store_error(s, rc, "RENAME");
		return 0;
	}
	/* the selected mailbox keeps its id; only the name follows (and its
	 * children's, which we do not hold) */
	if (s->view != NULL && strcmp(s->view->name, from) == 0 &&
	    strcmp(from, "INBOX") != 0 && strlen(to) < sizeof(s->view->name))
		memcpy(s->view->name, to, strlen(to) + 1);
	imap_tagged(s, "OK", NULL, "RENAME completed");
	return 0;
}

int
imap_cmd_subscribe(struct imap_session *s, struct imap_cmd *c)
{
	const char *name = imap_mailbox_arg(s, &c->a.mailbox);
	if (name == NULL)
		return 0;
	bool on = c->id == IMAP_CMD_SUBSCRIBE;
	int rc = store_mbox_subscribe(s->sc, strip_sep(s, name), on);
	if (imap_store_fatal(rc))
		return -1;
	if (rc < 0)
		imap_tagged_store_error(s, rc, imap_cmd_name(c->id));
	else
		imap_tagged(s, "OK", NULL, "%s completed", imap_cmd_name(c->id));
	return 0;
}

void
imap_status_items(struct imap_session *s, struct buf *b, uint32_t items,
    const struct store_mbox_status *st)
{
	const struct {
		uint32_t bit;
		const char *name;
		uint64_t v;
	} t[] = {
		{ STA_MESSAGES, "MESSAGES", st->messages },
		{ STA_UIDNEXT, "UIDNEXT", st->uidnext },
		{ STA_UIDVALIDITY, "UIDVALIDITY", st->uidvalidity },
		{ STA_UNSEEN, "UNSEEN", st->unseen },
		{ STA_DELETED, "DELETED", st->deleted },
		{ STA_SIZE, "SIZE", st->size },
		{ STA_RECENT, "RECENT", st->recent },
		{ STA_HIGHESTMODSEQ, "HIGHESTMODSEQ", st->highestmodseq },
		{ STA_APPENDLIMIT, "APPENDLIMIT", s->opt->lim.max_literal },
	};
	buf_append_byte(b, '(');
	bool first = true;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (!(items & t[i].bit))
			continue;
		buf_printf(b, "%s%s %llu", first ? "" : " ", t[i].name,
		    (unsigned long long)t[i].v);
		first = false;
	}
	buf_append_byte(b, ')');
}

int
imap_cmd_status(struct imap_session *s, struct imap_cmd *c)
{
	const char *name = imap_mailbox_arg(s, &c->a.status.mailbox);
	if (name == NULL)
		return 0;
	struct store_mbox_status st;
	int rc = store_mbox_status(s->sc, name, &st);
	if (imap_store_fatal(rc))
		return -1;
	if (rc < 0) {
		imap_tagged_store_error(s, rc, "STATUS");
		return 0;
	}
	if (st.attrs & (STORE_MBOX_NOSELECT | STORE_MBOX_NONEXISTENT)) {
		imap_tagged(s, "NO", "NONEXISTENT", "STATUS: no such mailbox");
		return 0;
	}
	struct buf *b = imap_out_buf(s);
	buf_append_str(b, "* STATUS ");
	imap_out_mailbox(b, name, imap_utf8(s));
	buf_append_byte(b, ' ');
	imap_status_items(s, b, c->a.status.items, &st);
	buf_append_str(b, "\r\n");
	imap_tagged(s, "OK", NULL, "STATUS completed");
	return 0;
}

/* One quota root, "", for all of the user's mailboxes (RFC 9208). */
static int
quota_out(struct imap_session *s)
{
	struct store_quota q;
	int rc = store_quota_get(s->sc, &q);
	if (rc < 0)
		return rc;
	struct buf *b = imap_out_buf(s);
	buf_append_str(b, "* QUOTA \"\" (");
	bool first = true;
	if (q.storage_limit != 0) {
		buf_printf(b, "STORAGE %llu %llu",
		    (unsigned long long)((q.storage_used + 1023) / 1024),
		    (unsigned long long)(q.storage_limit / 1024));
		first = false;
	}
	if (q.messages_limit != 0)
		buf_printf(b, "%sMESSAGE %llu %llu", first ? "" : " ",
		    (unsigned long long)q.messages_used,
		    (unsigned long long)q.messages_limit);
	buf_append_str(b, ")\r\n");
	return 0;
}

int
imap_cmd_getquota(struct imap_session *s, struct imap_cmd *c)
{
	int rc;
	if (c->id == IMAP_CMD_GETQUOTAROOT) {
		const char *name = imap_mailbox_arg(s, &c->a.mailbox);
		if (name == NULL)
			return 0;
		struct store_mbox_status st;
		rc = store_mbox_status(s->sc, name, &st);
		if (imap_store_fatal(rc))
			return -1;
		if (rc < 0) {
			imap_tagged_store_error(s, rc, "GETQUOTAROOT");
			return 0;
		}
		struct buf *b = imap_out_buf(s);
		buf_append_str(b, "* QUOTAROOT ");
		imap_out_mailbox(b, name, imap_utf8(s));
		buf_append_str(b, " \"\"\r\n");
	} else if (c->a.mailbox.len != 0) {
		imap_tagged(s, "NO", "NONEXISTENT", "No such quota root");
		return 0;
	}
	rc = quota_out(s);
	if (imap_store_fatal(rc))
		return -1;
	if (rc < 0)
		imap_tagged_store_error(s, rc, imap_cmd_name(c->id));
	else
		imap_tagged(s, "OK", NULL, "%s completed", imap_cmd_name(c->id));
	return 0;
}

int
imap_cmd_setquota(struct imap_session *s, struct imap_cmd *c)
{
	(void)c;
	imap_tagged(s, "NO", "NOPERM", "Quotas are set by the administrator");
	return 0;
}
