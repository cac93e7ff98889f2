/* store_uses: the special uses (STORE_USE_*, store_proto.h) by their
 * RFC 6154 attribute names ("\Drafts"), for what reads or prints them
 * (cloisterctl's mailbox commands, the IMAP import's LIST reader). */
#ifndef CLOISTER_STORE_USES_H
#define CLOISTER_STORE_USES_H

#include <stddef.h>
#include <stdint.h>

struct store_use_name {
	const char *attr;     /* with its backslash */
	uint32_t bit;         /* STORE_USE_* */
};

/* In the order listings show them; store_use_nnames of them. */
extern const struct store_use_name store_use_names[];
extern const size_t store_use_nnames;

#endif
