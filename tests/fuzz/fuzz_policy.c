/* libFuzzer target: the policy parser (a reviewed file, but the parser
 * must still never crash or overrun on any text). */
#include "policy.h"

static struct policy p;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[POLICY_ERR_MAX];
	(void)policy_parse("fuzz", (const char *)data, size, 0, &p, err,
	    sizeof(err));
	return 0;
}
