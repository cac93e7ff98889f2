/* libFuzzer target: the Dovecot Maildir files cloisterctl import reads
 * (ctl/import_maildir_parse.h): one input through every parser. */
#include "import_maildir_parse.h"

#include <stdlib.h>
#include <string.h>

static uint32_t seen;

static void
record(void *arg, uint32_t uid, const char *base, size_t n)
{
	(void)arg;
	if (n > 0)
		seen += uid + (unsigned char)base[n - 1];
}

static void
sub(void *arg, const char *name, size_t len)
{
	(void)arg;
	seen += (uint32_t)strlen(name) + (uint32_t)len;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char kw[MD_KEYWORDS][MD_KEYWORD_MAX + 1];
	const char *p = (const char *)data;
	struct md_uidlist u = { .record = record };
	(void)md_uidlist_parse(p, size, &u);
	md_keywords_parse(p, size, kw);
	md_subscriptions_parse(p, size, sub, NULL);
	/* a file name is a C string */
	char *name = malloc(size + 1);
	if (name != NULL) {
		memcpy(name, data, size);
		name[size] = '\0';
		uint32_t flags, mask;
		md_info_flags(name, &flags, &mask);
		seen += flags + mask + md_special_use(name);
		free(name);
	}
	return 0;
}
