/* key: the ticket key from CTL_KEY (see key.h). */
#include "key.h"

#include <stdbool.h>
#include <string.h>

static uint8_t ticket_key[TICKET_KEY_LEN];
static bool have_key;

void
key_set(const uint8_t key[TICKET_KEY_LEN])
{
	memcpy(ticket_key, key, TICKET_KEY_LEN);
	have_key = true;
}

const uint8_t *
key_get(void)
{
	return have_key ? ticket_key : NULL;
}
