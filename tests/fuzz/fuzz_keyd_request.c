/* libFuzzer target: what keyd checks before it signs (workers/keyd/
 * keyd_shape.c): the first byte picks a TLS SignatureScheme, the rest is
 * the to-be-signed input of a KEY_SIGN, and the whole input is also the
 * audience of a KEY_VAPID_SIGN. An accepted audience must be an https
 * origin with nothing a JSON string escapes (keyd puts it in the claims
 * as is). */
#include "ipc_types.h"
#include "keyd_shape.h"

#include <stdlib.h>
#include <string.h>

static const uint32_t schemes[] = { 0x0403, 0x0503, 0x0603, 0x0804,
	0x0805, 0x0806, 0x0401, 0x0501, 0x0601 };

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char why[256];
	if (size == 0 || size > 2 * KEY_INPUT_MAX)
		return 0;
	const struct keyd_scheme *s = keyd_scheme_find(
	    schemes[data[0] % (sizeof(schemes) / sizeof(schemes[0]))]);
	uint8_t *in = malloc(size);   /* exact: ASan sees overreads */
	memcpy(in, data + 1, size - 1);
	int kind = keyd_shape_check(s, in, size - 1, why, sizeof(why));
	if (kind != 0 && kind != KEYD_IN_TLS13_CV && kind != KEYD_IN_TLS12_SKE)
		abort();
	memcpy(in, data, size);
	if (keyd_vapid_aud_ok((const char *)in, size)) {
		if (size > KEY_VAPID_AUD_MAX || memcmp(in, "https://", 8) != 0)
			abort();
		for (size_t i = 0; i < size; i++)
			if (in[i] <= 0x20 || in[i] >= 0x7f || in[i] == '"' ||
			    in[i] == '\\' || (in[i] == '/' && i >= 8))
				abort();
	}
	free(in);
	return 0;
}
