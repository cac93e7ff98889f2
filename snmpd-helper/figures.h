/*
 * figures: the one table of what cloister-snmpd publishes. Each row names a
 * figure once for both faces of the helper: its CLOISTER-MIB object (column
 * of cloisterServiceTable or scalar under cloisterGeneral/cloisterStore) and
 * its Prometheus metric. mibview.c and metrics.c walk these tables; the MIB
 * file and docs/snmp.md are tested against them.
 */
#ifndef CLOISTER_SNMPD_FIGURES_H
#define CLOISTER_SNMPD_FIGURES_H

#include <stddef.h>
#include <stdint.h>

#include "stats.h"

struct snap;

enum fig_kind {
	FIG_GAUGE,        /* MIB Gauge32 (latches at 2^32-1), metric gauge */
	FIG_COUNTER,      /* MIB Counter64, metric counter (_total) */
	FIG_UNSIGNED,     /* MIB Unsigned32, metric gauge */
	FIG_STRING,       /* MIB DisplayString, metric info label */
};

/* A column of cloisterServiceTable (cloisterServiceEntry.col.index). */
struct fig_column {
	uint32_t col;
	const char *mib_name;
	enum fig_kind kind;
	const char *metric;        /* NULL: MIB only (the name column) */
	const char *label;         /* extra label pair, e.g. result="ok" */
	const char *help;
	uint64_t (*value)(const struct stats_aggregate *a);
};

/* A scalar: cloisterObjects.group.item.0 */
struct fig_scalar {
	uint32_t group;            /* 1 cloisterGeneral, 3 cloisterStore */
	uint32_t item;
	const char *mib_name;
	enum fig_kind kind;
	const char *metric;        /* NULL: MIB only (store sums: Prometheus
	                              computes them with sum()) */
	const char *help;
	uint64_t (*value)(const struct snap *s);
};

/* Sub-identifiers under the enterprise base (see CLOISTER-MIB.txt). */
#define FIG_OBJECTS 1          /* cloisterObjects */
#define FIG_GENERAL 1          /* cloisterObjects.1 */
#define FIG_SERVICE_TABLE 2    /* cloisterObjects.2 */
#define FIG_SERVICE_ENTRY 1    /* cloisterServiceTable.1 */
#define FIG_STORE 3            /* cloisterObjects.3 */
#define FIG_NAME_COL 2         /* cloisterServiceName */

extern const struct fig_column fig_columns[];
extern const size_t fig_ncolumns;
extern const struct fig_scalar fig_scalars[];
extern const size_t fig_nscalars;

/* The version string the helper reports (cloisterVersion, cloister_info). */
const char *fig_version(void);

#endif
