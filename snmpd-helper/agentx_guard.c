/* agentx_guard: framing and parse check of the master's bytes (see
 * agentx_guard.h). */
#include "agentx_guard.h"
#include "buf.h"

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>

#include <string.h>

/* From net-snmp's agent/mibgroup/agentx/protocol.h, which Debian does not
 * install; the function is exported by libnetsnmpagent. */
int agentx_parse(netsnmp_session *, netsnmp_pdu *, u_char *, size_t);
#define AGENTX_VERSION_1 (192 | 0x1)

enum {
	AX_CLOSE = 2, AX_GET = 5, AX_GETNEXT = 6, AX_GETBULK = 7,
	AX_TESTSET = 8, AX_COMMITSET = 9, AX_UNDOSET = 10, AX_CLEANUPSET = 11,
	AX_RESPONSE = 18,
};
#define AX_FLAG_NON_DEFAULT_CONTEXT 0x08
#define AX_FLAG_NETWORK_BYTE_ORDER 0x10

static const char *const from_master[] = {
	[AX_CLOSE] = "Close", [AX_GET] = "Get", [AX_GETNEXT] = "GetNext",
	[AX_GETBULK] = "GetBulk", [AX_TESTSET] = "TestSet",
	[AX_COMMITSET] = "CommitSet", [AX_UNDOSET] = "UndoSet",
	[AX_CLEANUPSET] = "CleanupSet", [AX_RESPONSE] = "Response",
};
#define NTYPES (sizeof(from_master) / sizeof(from_master[0]))

void
agentx_guard_init(struct agentx_guard *g)
{
	g->len = 0;
	g->need = 0;
	g->pdus = 0;
	g->why[0] = '\0';
}

static int
fail(struct agentx_guard *g, const char *what, unsigned v)
{
	if (g->why[0] == '\0')
		(void)buf_snprintf(g->why, sizeof(g->why), "%s (%u)", what, v);
	return -1;
}

static uint32_t
get32(const uint8_t *p, int network_order)
{
	if (network_order)
		return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
		    (uint32_t)p[2] << 8 | p[3];
	return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[1] << 8 | p[0];
}

static int
check_header(struct agentx_guard *g)
{
	const uint8_t *h = g->pdu;
	if (h[0] != 1)
		return fail(g, "AgentX version", h[0]);
	if (h[1] >= NTYPES || from_master[h[1]] == NULL)
		return fail(g, "PDU type a master does not send", h[1]);
	if (h[2] & ~(AX_FLAG_NON_DEFAULT_CONTEXT | AX_FLAG_NETWORK_BYTE_ORDER))
		return fail(g, "flags", h[2]);
	uint32_t payload = get32(h + 16, h[2] & AX_FLAG_NETWORK_BYTE_ORDER);
	if (payload % 4 != 0)
		return fail(g, "payload length not a multiple of 4", payload);
	if (payload > AGENTX_GUARD_MAX - AGENTX_HEADER_LEN)
		return fail(g, "payload length", payload);
	g->need = AGENTX_HEADER_LEN + payload;
	return 0;
}

static int
check_pdu(struct agentx_guard *g)
{
	netsnmp_session sess;
	memset(&sess, 0, sizeof(sess));
	sess.version = AGENTX_VERSION_1;
	netsnmp_pdu *pdu = snmp_pdu_create(0);
	if (pdu == NULL)
		return fail(g, "out of memory", 0);
	int rc = agentx_parse(&sess, pdu, g->pdu, g->need);
	snmp_free_pdu(pdu);
	if (rc != SNMP_ERR_NOERROR)
		return fail(g, "unparsable PDU of type", g->pdu[1]);
	g->pdus++;
	g->len = 0;
	g->need = 0;
	return 0;
}

int
agentx_guard_feed(struct agentx_guard *g, const uint8_t *p, size_t n)
{
	if (g->why[0] != '\0')
		return -1;
	while (n > 0) {
		size_t want = g->need ? g->need : AGENTX_HEADER_LEN;
		size_t take = want - g->len < n ? want - g->len : n;
		memcpy(g->pdu + g->len, p, take);
		g->len += take;
		p += take;
		n -= take;
		if (g->len < want)
			break;
		if (g->need == 0 && check_header(g) < 0)
			return -1;
		if (g->len == g->need && check_pdu(g) < 0)
			return -1;
	}
	return 0;
}
