/*
 * snap: the statistics snapshot cloister-snmpd serves, built from the
 * supervisor's fixed-size struct stats_aggregate records (common/stats.h).
 *
 * The supervisor writes one record per service, then one with service_index
 * STATS_GLOBAL, about once a second. A record is accepted only if it is
 * exactly sizeof(struct stats_aggregate) bytes with the right magic and size
 * field, an index below SNAP_MAX_SERVICES (or STATS_GLOBAL) and a service
 * name of [A-Za-z0-9_-], NUL-terminated; anything else is dropped and
 * counted. The GLOBAL record closes a period: the services seen since the
 * previous one become the published snapshot, so SNMP and /metrics always
 * show one consistent period.
 */
#ifndef CLOISTER_SNMPD_SNAP_H
#define CLOISTER_SNMPD_SNAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stats.h"

#define SNAP_MAX_SERVICES 16

struct snap_service {
	char name[STATS_NAME_MAX];       /* validated, NUL-terminated */
	struct stats_aggregate rec;      /* the record as received */
};

struct snap {
	bool valid;                      /* at least one period completed */
	size_t nservices;                /* sorted by rec.service_index */
	struct snap_service svc[SNAP_MAX_SERVICES];
	uint64_t uptime_s;               /* from the GLOBAL record */
	uint32_t generation;
	/* store group: sums over the services (stored reports users and
	 * messages as gauges, lmtpd deliveries, stored operations) */
	uint64_t store_users;
	uint64_t store_messages;
	uint64_t store_deliveries;
	uint64_t store_operations;
	uint64_t store_appends;
	uint64_t dropped;                /* records refused so far */
};

struct snap_reader {
	bool seen[SNAP_MAX_SERVICES];
	struct stats_aggregate pending[SNAP_MAX_SERVICES];
	uint64_t dropped;
	char why[96];                    /* why the last record was dropped */
};

enum snap_result {
	SNAP_DROPPED = -1,
	SNAP_PENDING = 0,
	SNAP_PUBLISHED = 1,
};

void snap_reader_init(struct snap_reader *r);
/* Feed n bytes read from the pipe as one record. On SNAP_PUBLISHED *out
 * holds the new period; on SNAP_DROPPED r->why says why. */
enum snap_result snap_feed(struct snap_reader *r, const void *rec, size_t n,
    struct snap *out);

/* The row index SNMP uses for a service: service_index + 1. */
uint32_t snap_row_index(const struct snap_service *s);

#endif
