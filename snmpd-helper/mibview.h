/*
 * mibview: the CLOISTER-MIB objects of one snapshot as a list of
 * (OID, value) sorted by OID, so that GET is an exact search and GETNEXT
 * the first entry after the requested OID. Built from the figures tables
 * whenever a period is published; knows nothing of net-snmp.
 *
 *   base.1.1.N.0            cloisterGeneral scalars
 *   base.1.2.1.COL.ROW      cloisterServiceTable (ROW = service_index + 1)
 *   base.1.3.N.0            cloisterStore scalars
 */
#ifndef CLOISTER_SNMPD_MIBVIEW_H
#define CLOISTER_SNMPD_MIBVIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "figures.h"
#include "snap.h"

#define MIB_BASE_MAX 32        /* arcs in the configured enterprise OID */
#define MIB_OID_MAX (MIB_BASE_MAX + 6)
#define MIB_VIEW_MAX (8 + 8 + 32 * SNAP_MAX_SERVICES)

struct mib_entry {
	uint32_t oid[MIB_OID_MAX];
	uint8_t len;
	enum fig_kind kind;
	uint64_t value;            /* numbers */
	const char *str;           /* FIG_STRING: borrowed from the view's snap */
	size_t strlen;
};

struct mibview {
	uint32_t base[MIB_BASE_MAX];
	size_t baselen;
	struct snap snap;          /* owns the strings the entries point to */
	struct mib_entry e[MIB_VIEW_MAX];
	size_t n;
};

/* Parse "1.3.6.1.4.1.99999" (decimal arcs, 32-bit each, no leading dot,
 * at least two arcs). 0 or -1. */
int mib_parse_oid(const char *text, uint32_t *arcs, size_t max, size_t *n);
int mib_oid_cmp(const uint32_t *a, size_t alen, const uint32_t *b, size_t blen);

void mibview_init(struct mibview *v, const uint32_t *base, size_t baselen);
/* Rebuild the entries from a snapshot (copied into the view). */
void mibview_build(struct mibview *v, const struct snap *s);
const struct mib_entry *mibview_get(const struct mibview *v,
    const uint32_t *oid, size_t len);
const struct mib_entry *mibview_next(const struct mibview *v,
    const uint32_t *oid, size_t len);
/* Does oid name an instance of an object the MIB defines (a scalar or a
 * column), present or not? GET answers noSuchInstance then, else
 * noSuchObject. */
bool mibview_is_object(const struct mibview *v, const uint32_t *oid,
    size_t len);

#endif
