/*
 * agentx_guard: Cloister's own check of every byte the AgentX master sends
 * after the helper has confined itself. net-snmp silently drops a PDU it
 * cannot parse and waits (up to 2 GiB) for a PDU whose header announces a
 * huge payload; a master that does either is broken or hostile, and the
 * crash-only answer is to leave: the guard says so, the helper exits, the
 * supervisor restarts it and it reconnects.
 *
 * Each PDU must have: version 1; a type a master may send to a subagent
 * (Get, GetNext, GetBulk, TestSet, CommitSet, UndoSet, CleanupSet, Response,
 * Close); no flag bits but NON_DEFAULT_CONTEXT and NETWORK_BYTE_ORDER; a
 * payload length that is a multiple of 4 and keeps the PDU within
 * AGENTX_GUARD_MAX bytes (net-snmp's own limit); and a payload that
 * net-snmp's agentx_parse() accepts. The header is judged as soon as its 20
 * bytes are in, before any payload is awaited.
 */
#ifndef CLOISTER_SNMPD_AGENTX_GUARD_H
#define CLOISTER_SNMPD_AGENTX_GUARD_H

#include <stddef.h>
#include <stdint.h>

#define AGENTX_HEADER_LEN 20
#define AGENTX_GUARD_MAX 65536

struct agentx_guard {
	uint8_t pdu[AGENTX_GUARD_MAX];
	size_t len;                /* bytes of the current PDU so far */
	size_t need;               /* its full length, once the header is in */
	uint64_t pdus;             /* whole PDUs accepted */
	char why[128];             /* the first violation */
};

void agentx_guard_init(struct agentx_guard *g);
/* 0: all bytes fit the protocol so far; -1: violation (g->why). Once it
 * has failed, it stays failed. */
int agentx_guard_feed(struct agentx_guard *g, const uint8_t *p, size_t n);

#endif
