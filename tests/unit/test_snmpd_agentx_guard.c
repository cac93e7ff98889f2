/* Unit tests for snmpd-helper/agentx_guard: well-formed master PDUs pass
 * in any split; each kind of bad header or payload is refused, headers
 * before their payload arrives; a refusal sticks. */
#include "check.h"
#include "agentx_guard.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static struct agentx_guard g;

struct pdu {
	uint8_t b[256];
	size_t n;
};

static void
put32(uint8_t *p, uint32_t v, bool net)
{
	for (int i = 0; i < 4; i++)
		p[net ? i : 3 - i] = (uint8_t)(v >> (8 * (3 - i)));
}

static struct pdu
make(uint8_t type, uint8_t flags, const uint8_t *payload, size_t plen)
{
	struct pdu p;
	memset(&p, 0, sizeof(p));
	bool net = flags & 0x10;
	p.b[0] = 1;
	p.b[1] = type;
	p.b[2] = flags;
	put32(p.b + 4, 7, net);          /* session */
	put32(p.b + 8, 1, net);          /* transaction */
	put32(p.b + 12, 42, net);        /* packet */
	put32(p.b + 16, (uint32_t)plen, net);
	if (plen > 0)
		memcpy(p.b + 20, payload, plen);
	p.n = 20 + plen;
	return p;
}

/* Get 1.3.6.1.4.1.99999.1.1 .. end-of-range null OID */
static const uint8_t get_payload[] = {
	4, 4, 0, 0,   0, 0, 0, 1,   0, 1, 0x86, 0x9f,   0, 0, 0, 1,   0, 0, 0, 1,
	0, 0, 0, 0,
};

static int
feed_all(const struct pdu *p)
{
	return agentx_guard_feed(&g, p->b, p->n);
}

static void
test_good(void)
{
	struct pdu get = make(6, 0x10, get_payload, sizeof(get_payload));
	agentx_guard_init(&g);
	CHECK_EQ(feed_all(&get), 0);
	CHECK_EQ(g.pdus, 1);

	/* byte by byte, twice in a row */
	agentx_guard_init(&g);
	for (int k = 0; k < 2; k++)
		for (size_t i = 0; i < get.n; i++)
			CHECK_EQ(agentx_guard_feed(&g, get.b + i, 1), 0);
	CHECK_EQ(g.pdus, 2);

	/* a Response in little-endian order, and a Close, in one read */
	uint8_t resp[8] = { 0 };
	struct pdu r = make(18, 0x00, resp, sizeof(resp));
	uint8_t why[4] = { 1, 0, 0, 0 };
	struct pdu c = make(2, 0x10, why, sizeof(why));
	uint8_t both[512];
	memcpy(both, r.b, r.n);
	memcpy(both + r.n, c.b, c.n);
	agentx_guard_init(&g);
	CHECK_EQ(agentx_guard_feed(&g, both, r.n + c.n), 0);
	CHECK_EQ(g.pdus, 2);
	CHECK_EQ(g.len, 0);
}

static void
bad(struct pdu p, size_t feed_len, const char *what)
{
	agentx_guard_init(&g);
	int rc = agentx_guard_feed(&g, p.b, feed_len ? feed_len : p.n);
	CHECK_EQ(rc, -1);
	if (rc != -1)
		fprintf(stderr, "  accepted: %s\n", what);
	CHECK(strstr(g.why, what) != NULL);
	/* it stays refused, whatever comes next */
	struct pdu get = make(6, 0x10, get_payload, sizeof(get_payload));
	CHECK_EQ(feed_all(&get), -1);
}

static void
test_bad(void)
{
	struct pdu p = make(6, 0x10, get_payload, sizeof(get_payload));
	p.b[0] = 2;
	bad(p, 0, "version");
	bad(make(1, 0x10, get_payload, 8), 0, "type");          /* Open */
	bad(make(13, 0x10, NULL, 0), 0, "type");                /* Ping */
	bad(make(0, 0x10, NULL, 0), 0, "type");
	bad(make(200, 0x10, NULL, 0), 0, "type");
	bad(make(6, 0x11, get_payload, sizeof(get_payload)), 0, "flags");
	bad(make(6, 0x10, get_payload, 3), 0, "multiple of 4");
	/* a huge announced payload is refused with the header alone */
	p = make(18, 0x10, NULL, 0);
	put32(p.b + 16, 0x7fff0000u, true);
	bad(p, 20, "payload length");
	p = make(18, 0x00, NULL, 0);
	put32(p.b + 16, AGENTX_GUARD_MAX, false);
	bad(p, 20, "payload length");
	/* an OID that claims more sub-identifiers than the payload holds */
	bad(make(5, 0x10, get_payload, 8), 0, "unparsable");
	/* a Response whose varbind is cut short */
	uint8_t resp[16] = { 0, 0, 0, 0, 0, 0, 0, 0,  0, 4, 0, 0,  9, 0, 0, 0 };
	bad(make(18, 0x10, resp, sizeof(resp)), 0, "unparsable");
	/* text where a PDU should be */
	struct pdu t;
	memset(&t, 0, sizeof(t));
	memcpy(t.b, "HTTP/1.1 200 OK\r\nX: y\r\n\r\n", 25);
	t.n = 25;
	bad(t, 0, "version");
}

int
main(void)
{
	test_good();
	test_bad();
	return check_done("snmpd_agentx_guard");
}
