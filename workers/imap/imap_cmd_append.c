/* imap_cmd_append: APPEND (LITERAL+, MULTIAPPEND RFC 3502, UIDPLUS
 * APPENDUID, BINARY literal8 with NULs to base64: imap_binary.h). Each
 * message goes to the store as a memfd holding its bytes and, after them,
 * the metadata parsed here; OK is sent only once the store has
 * acknowledged the durable commit (docs/design.md rule 5). MULTIAPPEND is
 * all or nothing: a failure removes the messages already added. */
#include "imap_binary.h"
#include "buf.h"
#include "imap_commands.h"
#include "imap_fmt.h"
#include "mime.h"
#include "msgmeta.h"
#include "log.h"

#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

/* A mapping of [off, off + len) of fd. */
struct map {
	void *base;
	size_t maplen;
	const uint8_t *p;
};

static int
map_range(struct map *m, int fd, uint64_t off, uint64_t len)
{
	memset(m, 0, sizeof(*m));
	if (len == 0)
		return 0;
	long page = sysconf(_SC_PAGESIZE);
	uint64_t base = off - off % (uint64_t)page;
	m->maplen = (size_t)(len + (off - base));
	m->base = mmap(NULL, m->maplen, PROT_READ, MAP_SHARED, fd, (off_t)base);
	if (m->base == MAP_FAILED) {
		m->base = NULL;
		return -1;
	}
	m->p = (const uint8_t *)m->base + (off - base);
	return 0;
}

static void
unmap(struct map *m)
{
	if (m->base != NULL)
		munmap(m->base, m->maplen);
	m->base = NULL;
}

/* The message's bytes in a memfd of its own, from offset 0. The spool
 * itself serves when it holds just this one literal. */
static int
message_fd(struct imap_session *s, const struct imap_append_msg *msg,
    const uint8_t *bytes, size_t len, bool *owned)
{
	const struct imap_ext_literal *e = msg->data.ext;
	int spool = imap_reader_spool_fd(&s->rd);
	*owned = true;
	if (e != NULL && e->spool_off == 0 && len == msg->data.len &&
	    imap_reader_next_ext(&s->rd) == 1) {
		*owned = false;
		return spool;
	}
	int fd = memfd_create("imap-append", MFD_CLOEXEC);
	if (fd < 0)
		return -1;
	if (buf_write_all(fd, bytes, len) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Append one message; res filled on success. */
static int
append_one(struct imap_session *s, uint64_t mbox_id, const char *name,
    const struct imap_append_msg *msg, struct store_append_result *res)
{
	struct map mp = { 0 };
	const uint8_t *bytes = (const uint8_t *)msg->data.s;
	if (msg->data.ext != NULL) {
		if (map_range(&mp, imap_reader_spool_fd(&s->rd),
		    msg->data.ext->spool_off, msg->data.ext->size) < 0)
			return STORE_E_INTERNAL;
		bytes = mp.p;
	}
	size_t len = msg->data.len;
	/* the same metadata lmtpd sends for a delivery (workers/shared) */
	struct mime_msg mime;
	static struct msgmeta mm;
	if (mime_parse(&mime, bytes ? bytes : (const uint8_t *)"", len,
	    NULL) < 0) {
		unmap(&mp);
		return STORE_E_INTERNAL;
	}
	/* NUL bytes (a literal8) go to base64 first: imap_binary.h */
	struct buf conv = BUF_INIT(2 * len + 4096);
	int rc = imap_binary_to_base64(&mime, &conv);
	if (rc == 1) {
		mime_free(&mime);
		bytes = conv.data;
		len = conv.len;
		if (mime_parse(&mime, bytes, len, NULL) < 0)
			rc = -1;
	}
	if (rc >= 0) {
		rc = msgmeta_build(&mm, &mime, NULL);
		mime_free(&mime);
	}
	if (rc < 0) {
		buf_free(&conv);
		unmap(&mp);
		return STORE_E_INTERNAL;
	}
	struct store_msg_meta *meta = &mm.meta;
	meta->internaldate = msg->has_date ? (uint64_t)msg->date :
	    (uint64_t)time(NULL);
	meta->tzoff = msg->has_date ? msg->tz_minutes : 0;
	meta->flags = imap_fmt_flags_to_store(msg->flags.sys);
	meta->keywords = msg->flags.kw;
	meta->nkeywords = msg->flags.nkw;
	bool owned;
	int fd = message_fd(s, msg, bytes, len, &owned);
	unmap(&mp);
	buf_free(&conv);
	if (fd < 0) {
		msgmeta_free(&mm);
		return STORE_E_INTERNAL;
	}
	rc = store_append(s->sc, mbox_id, mbox_id ? NULL : name, fd, len,
	    meta, res);
	msgmeta_free(&mm);
	if (owned)
		close(fd);
	return rc;
}

/* MULTIAPPEND rollback: flag \Deleted and expunge what was added. */
static void
rollback(struct imap_session *s, uint64_t mbox_id, const struct store_uids *u)
{
	if (u->n == 0)
		return;
	struct store_flags_result fr = { 0 };
	if (store_flags(s->sc, mbox_id, u, STORE_FLAGS_ADD, STORE_FLAG_DELETED,
	    NULL, 0, 0, NULL, NULL, &fr) == 0)
		(void)store_expunge(s->sc, mbox_id, u, NULL, NULL);
	store_uids_free(&fr.failed);
}

int
imap_cmd_append(struct imap_session *s, struct imap_cmd *c)
{
	struct imap_append_args *a = &c->a.append;
	const char *name = imap_mailbox_arg(s, &a->mailbox);
	if (name == NULL)
		return 0;
	for (size_t i = 0; i < a->nmsgs; i++) {
		if (a->msgs[i].data.len == 0) {
			imap_tagged(s, "NO", NULL, "Empty message");
			return 0;
		}
		if (a->msgs[i].data.len > s->opt->lim.max_literal) {
			imap_tagged(s, "NO", "TOOBIG", "Message too large");
			return 0;
		}
	}
	struct store_mbox_status st;
	int rc = store_mbox_status(s->sc, name, &st);
	if (rc == 0 && (st.attrs & (STORE_MBOX_NOSELECT | STORE_MBOX_NONEXISTENT)))
		rc = STORE_E_NOTFOUND;
	if (rc < 0) {
		if (imap_store_fatal(rc))
			return -1;
		if (rc == STORE_E_NOTFOUND)
			imap_tagged(s, "NO", "TRYCREATE", "No such mailbox");
		else
			imap_tagged_store_error(s, rc, "APPEND");
		return 0;
	}
	struct store_uids added = { 0 };
	struct store_append_result res = { 0 };
	for (size_t i = 0; i < a->nmsgs; i++) {
		rc = append_one(s, st.id, name, &a->msgs[i], &res);
		if (rc < 0)
			break;
		store_uids_add(&added, res.uid, res.uid);
	}
	if (rc < 0) {
		if (imap_store_fatal(rc)) {
			store_uids_free(&added);
			return -1;
		}
		rollback(s, st.id, &added);
		store_uids_free(&added);
		if (rc == STORE_E_LIMIT)
			imap_tagged(s, "NO", "TOOBIG", "Message too large");
		else
			imap_tagged_store_error(s, rc, "APPEND");
		return 0;
	}
	/* appended to the selected mailbox: EXISTS before the OK */
	if (s->view != NULL && s->view->id == st.id) {
		s->view->stale = true;
		rc = imap_view_sync(s, true);
		if (imap_store_fatal(rc)) {
			store_uids_free(&added);
			return -1;
		}
	}
	char code[64];
	struct buf *b = imap_out_buf(s);
	if (buf_snprintf(code, sizeof(code), "APPENDUID %u ", res.uidvalidity) < 0)
		code[0] = '\0';
	buf_printf(b, "%s OK [%s", c->tag, code);
	imap_fmt_uids(b, &added);
	buf_append_str(b, "] APPEND completed\r\n");
	store_uids_free(&added);
	return 0;
}
