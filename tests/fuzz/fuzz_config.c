/* libFuzzer target: the configuration parser. */
#include "config.h"

static struct config c;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[CONFIG_ERR_MAX];
	(void)config_parse("fuzz", (const char *)data, size, &c, err, sizeof(err));
	return 0;
}
