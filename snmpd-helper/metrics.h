/*
 * metrics: one snapshot as Prometheus text exposition format 0.0.4
 * (# HELP / # TYPE lines, counters named *_total, label service="NAME").
 * The figures come from the same tables and snapshot as the SNMP view.
 */
#ifndef CLOISTER_SNMPD_METRICS_H
#define CLOISTER_SNMPD_METRICS_H

#include "buf.h"
#include "snap.h"

#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"
/* Upper bound of one rendering: well above 16 services x 21 series. */
#define METRICS_MAX_BYTES (256 * 1024)

/* Append the exposition to out; -1 if it does not fit (out->max). */
int metrics_render(const struct snap *s, struct buf *out);

#endif
