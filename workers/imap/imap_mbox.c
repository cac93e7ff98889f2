/* imap_mbox: special-use and LIST attribute tables (see imap_mbox.h). */
#include "imap_mbox.h"
#include "imap_args.h"
#include "store_client.h"

#include <strings.h>

static const struct {
	uint32_t imap;        /* IMAP_SU_* */
	uint32_t store;       /* STORE_USE_* */
	const char *attr;     /* RFC 6154 attribute */
	const char *name;     /* autocreate / JMAP role name */
} uses[] = {
	{ IMAP_SU_ALL, STORE_USE_ALL, "\\All", "all" },
	{ IMAP_SU_ARCHIVE, STORE_USE_ARCHIVE, "\\Archive", "archive" },
	{ IMAP_SU_DRAFTS, STORE_USE_DRAFTS, "\\Drafts", "drafts" },
	{ IMAP_SU_FLAGGED, STORE_USE_FLAGGED, "\\Flagged", "flagged" },
	{ IMAP_SU_JUNK, STORE_USE_JUNK, "\\Junk", "junk" },
	{ IMAP_SU_SENT, STORE_USE_SENT, "\\Sent", "sent" },
	{ IMAP_SU_TRASH, STORE_USE_TRASH, "\\Trash", "trash" },
	{ IMAP_SU_IMPORTANT, STORE_USE_IMPORTANT, "\\Important", "important" },
	{ IMAP_SU_SNOOZED, STORE_USE_SNOOZED, "\\Snoozed", "snoozed" },
};

uint32_t
imap_mbox_use_to_store(uint32_t su)
{
	uint32_t r = 0;
	for (size_t i = 0; i < sizeof(uses) / sizeof(uses[0]); i++)
		if (su & uses[i].imap)
			r |= uses[i].store;
	return r;
}

void
imap_mbox_use_out(struct buf *b, uint32_t attrs, bool *first)
{
	for (size_t i = 0; i < sizeof(uses) / sizeof(uses[0]); i++) {
		if (!(attrs & uses[i].store))
			continue;
		if (!*first)
			buf_append_byte(b, ' ');
		*first = false;
		buf_append_str(b, uses[i].attr);
	}
}

uint32_t
imap_mbox_use_by_name(const char *name)
{
	for (size_t i = 0; i < sizeof(uses) / sizeof(uses[0]); i++)
		if (strcasecmp(name, uses[i].name) == 0)
			return uses[i].store;
	return 0;
}
