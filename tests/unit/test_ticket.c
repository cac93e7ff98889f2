/* Unit tests for common/ticket: a minted ticket verifies only with the same
 * key, service, instance and before expiry; any flipped byte is refused. */
#include "check.h"
#include "ticket.h"

#include <string.h>

int
main(void)
{
	uint8_t key[TICKET_KEY_LEN], other[TICKET_KEY_LEN];
	memset(key, 7, sizeof(key));
	memset(other, 8, sizeof(other));
	uint8_t t[TICKET_MAX];
	size_t n;
	char user[64];

	CHECK_EQ(ticket_mint(key, "alice", "imapd", 42, 1000, t, sizeof(t), &n), 0);
	CHECK_EQ(ticket_verify(key, t, n, "imapd", 42, 999, user, sizeof(user)),
	    TICKET_OK);
	CHECK(strcmp(user, "alice") == 0);
	CHECK_EQ(ticket_verify(other, t, n, "imapd", 42, 999, user, sizeof(user)),
	    TICKET_BAD_MAC);
	CHECK_EQ(ticket_verify(key, t, n, "imapd", 42, 1000, user, sizeof(user)),
	    TICKET_EXPIRED);
	CHECK_EQ(ticket_verify(key, t, n, "jmapd", 42, 999, user, sizeof(user)),
	    TICKET_WRONG_SERVICE);
	CHECK_EQ(ticket_verify(key, t, n, "imapd", 43, 999, user, sizeof(user)),
	    TICKET_WRONG_INSTANCE);
	/* any flipped bit anywhere is refused */
	int refused = 0;
	for (size_t i = 0; i < n; i++) {
		t[i] ^= 0x01;
		if (ticket_verify(key, t, n, "imapd", 42, 999, user, sizeof(user)) !=
		    TICKET_OK)
			refused++;
		t[i] ^= 0x01;
	}
	CHECK_EQ(refused, (int)n);
	CHECK_EQ(ticket_verify(key, t, n - 1, "imapd", 42, 999, user,
	    sizeof(user)), TICKET_BAD_MAC);
	CHECK_EQ(ticket_verify(key, t, 10, "imapd", 42, 999, user, sizeof(user)),
	    TICKET_MALFORMED);
	/* a user name that does not fit the caller's buffer is refused */
	char tiny[3];
	CHECK(ticket_verify(key, t, n, "imapd", 42, 999, tiny, sizeof(tiny)) !=
	    TICKET_OK);
	CHECK_EQ(ticket_mint(key, "", "imapd", 1, 1, t, sizeof(t), &n), -1);
	CHECK_EQ(ticket_mint(key, "bob", "a-very-long-service", 1, 1, t, sizeof(t),
	    &n), -1);
	return check_done("test_ticket");
}
