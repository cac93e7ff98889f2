/*
 * ticket: the proof authd gives a worker that it authenticated a user, and
 * that stored checks on every connection (docs/design.md rule 3).
 *
 *   ticket = 0x01 | expiry u64 | instance u64 | service[16] | ulen u8 |
 *            user[ulen] | HMAC-SHA256(key, everything before)[32]
 *
 * The key is 32 random bytes the supervisor makes at start and gives to
 * authd and stored only (CTL_KEY). A ticket names the service and the worker
 * instance it was minted for: stored compares both with what the supervisor
 * told it about the channel the ticket arrived on, so a ticket stolen by
 * another worker is useless. Lives in its own library (lib_ticket, openssl):
 * the supervisor never links it.
 */
#ifndef CLOISTER_TICKET_H
#define CLOISTER_TICKET_H

#include <stddef.h>
#include <stdint.h>

#define TICKET_KEY_LEN 32
#define TICKET_USER_MAX 255
#define TICKET_SERVICE_LEN 16
#define TICKET_MAX (1 + 8 + 8 + TICKET_SERVICE_LEN + 1 + TICKET_USER_MAX + 32)

enum ticket_result {
	TICKET_OK = 0,
	TICKET_MALFORMED,
	TICKET_BAD_MAC,         /* forged, or minted with another key */
	TICKET_EXPIRED,
	TICKET_WRONG_SERVICE,
	TICKET_WRONG_INSTANCE,
};

/* Mint a ticket into out (TICKET_MAX bytes suffice). -1 if user or service
 * do not fit or hold a NUL. */
int ticket_mint(const uint8_t key[TICKET_KEY_LEN], const char *user,
    const char *service, uint64_t instance, uint64_t expiry, uint8_t *out,
    size_t outsize, size_t *outlen);

/* Check a ticket presented on the channel of (service, instance) at time
 * now; on TICKET_OK the user is copied into user (NUL-terminated). The MAC
 * is checked in constant time before any field is trusted. */
enum ticket_result ticket_verify(const uint8_t key[TICKET_KEY_LEN],
    const uint8_t *t, size_t len, const char *service, uint64_t instance,
    uint64_t now, char *user, size_t usersize);

const char *ticket_result_name(enum ticket_result r);

#endif
