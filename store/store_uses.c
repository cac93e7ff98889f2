/* store_uses: see store_uses.h. */
#include "store_uses.h"
#include "store_proto.h"

const struct store_use_name store_use_names[] = {
	{ "\\Archive", STORE_USE_ARCHIVE }, { "\\Drafts", STORE_USE_DRAFTS },
	{ "\\Junk", STORE_USE_JUNK }, { "\\Sent", STORE_USE_SENT },
	{ "\\Trash", STORE_USE_TRASH }, { "\\All", STORE_USE_ALL },
	{ "\\Flagged", STORE_USE_FLAGGED },
	{ "\\Important", STORE_USE_IMPORTANT },
	{ "\\Snoozed", STORE_USE_SNOOZED },
};
const size_t store_use_nnames =
    sizeof(store_use_names) / sizeof(store_use_names[0]);
