/* imap_cmd_any: CAPABILITY, NOOP/CHECK, LOGOUT, ID, ENABLE, NAMESPACE. */
#include "cloister_config.h"
#include "config.h"
#include "imap_commands.h"
#include "imap_out.h"

#include <string.h>

int
imap_cmd_capability(struct imap_session *s, struct imap_cmd *c)
{
	(void)c;
	struct buf *b = imap_out_buf(s);
	buf_append_str(b, "* CAPABILITY ");
	imap_capabilities(s, b);
	buf_append_str(b, "\r\n");
	imap_tagged(s, "OK", NULL, "CAPABILITY completed");
	return 0;
}

int
imap_cmd_noop(struct imap_session *s, struct imap_cmd *c)
{
	/* the polling point of clients that do not IDLE: report changes */
	if (s->state == IMAP_ST_SELECTED && s->view != NULL) {
		int rc = imap_view_sync(s, true);
		if (imap_store_fatal(rc))
			return -1;
	}
	imap_tagged(s, "OK", NULL, "%s completed", imap_cmd_name(c->id));
	return 0;
}

int
imap_cmd_logout(struct imap_session *s, struct imap_cmd *c)
{
	(void)c;
	imap_untagged(s, "BYE Logging out");
	imap_tagged(s, "OK", NULL, "LOGOUT completed");
	s->state = IMAP_ST_LOGOUT;
	return 0;
}

int
imap_cmd_id(struct imap_session *s, struct imap_cmd *c)
{
	(void)c;   /* the client's fields are not used (RFC 2971 5) */
	imap_untagged(s, "ID (\"name\" \"Cloister\" \"version\" \"%s\")",
	    CLOISTER_VERSION);
	imap_tagged(s, "OK", NULL, "ID completed");
	return 0;
}

int
imap_cmd_enable(struct imap_session *s, struct imap_cmd *c)
{
	static const struct {
		const char *name;
		unsigned bits;
	} ext[] = {
		{ "CONDSTORE", IMAP_EN_CONDSTORE },
		{ "QRESYNC", IMAP_EN_QRESYNC | IMAP_EN_CONDSTORE },
		{ "IMAP4REV2", IMAP_EN_IMAP4REV2 },
	};
	struct buf *b = imap_out_buf(s);
	buf_append_str(b, "* ENABLED");
	unsigned before = s->enabled;
	for (size_t i = 0; i < c->a.enable.n; i++) {
		for (size_t k = 0; k < sizeof(ext) / sizeof(ext[0]); k++) {
			if (strcmp(c->a.enable.v[i], ext[k].name) != 0)
				continue;
			/* RFC 5161: list only what this command newly enabled */
			if ((ext[k].bits & ~s->enabled) != 0)
				buf_printf(b, " %s", k == 2 ? "IMAP4rev2" :
				    ext[k].name);
			s->enabled |= ext[k].bits;
		}
	}
	buf_append_str(b, "\r\n");
	/* CONDSTORE enabled while selected: tell the modseq now (RFC 7162) */
	if (!(before & IMAP_EN_CONDSTORE) && (s->enabled & IMAP_EN_CONDSTORE) &&
	    s->view != NULL)
		imap_untagged(s, "OK [HIGHESTMODSEQ %llu] Highest",
		    (unsigned long long)s->view->modseq);
	imap_tagged(s, "OK", NULL, "ENABLE completed");
	return 0;
}

int
imap_cmd_namespace(struct imap_session *s, struct imap_cmd *c)
{
	(void)c;
	imap_untagged(s, "NAMESPACE ((\"\" \"/\")) NIL NIL");
	imap_tagged(s, "OK", NULL, "NAMESPACE completed");
	return 0;
}
