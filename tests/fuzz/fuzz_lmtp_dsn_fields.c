/* libFuzzer target: the delivery-status fields lmtpd reads of a DSN, and
 * the disposition fields of an MDN, anyone may send a user
 * (workers/lmtp/lmtp_dsn_fields.h). Whatever it
 * keeps must stay within the documented bounds: an envelope id of at most
 * DSN_ENVID_MAX bytes, at most DSN_RCPTS_MAX recipients, each a bounded
 * address with no blank or angle bracket and a known Action. */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "lmtp_dsn_fields.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dsn_fields d;
	dsn_fields_parse(data, size, &d);
	assert(strlen(d.envid) <= DSN_ENVID_MAX);
	assert(d.n <= DSN_RCPTS_MAX);
	for (unsigned i = 0; i < d.n; i++) {
		size_t n = strlen(d.rcpt[i].addr);
		assert(n > 0 && n <= STORE_OUTBOX_ADDR_MAX);
		assert(strcspn(d.rcpt[i].addr, " \t<>") == n);
		assert(d.rcpt[i].action >= STORE_REPORT_FAILED &&
		    d.rcpt[i].action <= STORE_REPORT_EXPANDED);
	}
	(void)dsn_envid_outbox(d.envid);
	static struct mdn_fields m;
	mdn_fields_parse(data, size, &m);
	size_t n = strlen(m.msgid);
	assert(n <= STORE_OUTBOX_MSGID_MAX && strcspn(m.msgid, " \t<>") == n);
	assert(strlen(m.rcpt.addr) <= STORE_OUTBOX_ADDR_MAX);
	assert(m.rcpt.action == 0 || m.rcpt.action == STORE_REPORT_DISPLAYED ||
	    m.rcpt.action == STORE_REPORT_OTHER);
	assert(m.rcpt.action == 0 || m.rcpt.addr[0] != '\0');
	return 0;
}
