/* libFuzzer target: the push sender's DNS answer parser (workers/push/
 * push_dns.c) on answers to a fixed query, the id taken from the input
 * itself so that the parse goes past the header. Every address it
 * returns is of the family of the type asked, and never more than
 * asked for. */
#include "push_dns.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct push_dns_addr out[2];
	if (size > PUSH_DNS_MSG_MAX)
		return 0;
	uint8_t *copy = malloc(size ? size : 1);  /* exact: ASan sees overreads */
	memcpy(copy, data, size);
	uint16_t id = size >= 2 ? (uint16_t)(copy[0] << 8 | copy[1]) : 0;
	for (uint16_t type = 1; type <= 28; type += 27) {
		int n = push_dns_answer(copy, size, id, type, "push.example.net",
		    out, 2);
		if (n > 2)
			abort();
		for (int i = 0; i < n; i++)
			if (out[i].family != (type == 1 ? AF_INET : AF_INET6))
				abort();
	}
	free(copy);
	return 0;
}
