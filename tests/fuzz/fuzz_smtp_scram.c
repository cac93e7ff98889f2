/* libFuzzer target: submitd's reader of the relay's SCRAM-SHA-256
 * messages (workers/submit/smtp_scram.h). The first byte picks
 * server-first or server-final; what server-first keeps must stay within
 * its bounds. */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "smtp_scram.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct smtp_scram s;
	char out[512], why[128];
	static const uint8_t expect[KEY_SCRAM_LEN];
	if (size == 0)
		return 0;
	const char *in = (const char *)data + 1;
	size_t n = size - 1;
	if (data[0] & 1) {
		(void)smtp_scram_server_final_ok(in, n, expect);
		return 0;
	}
	assert(smtp_scram_first(&s, "user", "rOprNGfwEbeRWgbNEkqO", out,
	    sizeof(out)) == 0);
	if (smtp_scram_server_first(&s, in, n, why, sizeof(why)) == 0) {
		assert(s.iter >= KEY_SCRAM_ITER_MIN && s.iter <= KEY_SCRAM_ITER_MAX);
		assert(s.salt_len > 0 && s.salt_len <= KEY_SCRAM_SALT_MAX);
		assert(strncmp(s.nonce, "rOprNGfwEbeRWgbNEkqO", 20) == 0);
		assert(strlen(s.nonce) > 20 && s.am_len < sizeof(s.am));
		assert(strlen(s.am) == s.am_len);
		assert(smtp_scram_final(&s, expect, out, sizeof(out)) == 0);
	}
	return 0;
}
