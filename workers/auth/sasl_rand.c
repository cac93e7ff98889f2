/*
 * sasl_rand: authd's definition of libsasl2's random source.
 *
 * libsasl2 gives each connection a fresh 48-bit pool, seeded lazily by
 * opening /dev/urandom, and falling back to the pid and the time when that
 * fails — which it always does in authd's chroot. SCRAM draws its server
 * nonces and salt key from it. Defining sasl_rand in the executable
 * interposes it: libsasl2 takes the function's address through its GOT, so
 * every utils->rand call of every plugin lands here and reads getrandom(2).
 * authd_sasl_init() checks at start that the interposition holds.
 */
#include "authd_sasl.h"
#include "log.h"

#include <errno.h>
#include <sys/random.h>

#include <sasl/saslutil.h>

static unsigned long rand_calls;

void
sasl_rand(sasl_rand_t *rpool, char *buf, unsigned len)
{
	(void)rpool;
	if (buf == NULL)
		return;
	rand_calls++;
	size_t done = 0;
	while (done < len) {
		ssize_t n = getrandom(buf + done, len - done, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_fatal_errno("getrandom");
		}
		done += (size_t)n;
	}
}

unsigned long
authd_rand_calls(void)
{
	return rand_calls;
}
