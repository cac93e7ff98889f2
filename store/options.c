/* options: stored options read by the handlers (see options.h). */
#include "options.h"
#include "buf.h"
#include "config.h"

#include <string.h>

#define DEFAULT_AUTOCREATE \
	"INBOX Drafts=drafts Sent=sent Junk=junk Trash=trash Archive=archive"

static char autocreate[CONFIG_VALUE_MAX] = DEFAULT_AUTOCREATE;
static bool autocreate_users = true;
uint64_t options_sieve_max_scripts = QUOTA_SIEVE_SCRIPTS_DEFAULT;
uint64_t options_sieve_max_script_size = QUOTA_SIEVE_SCRIPT_SIZE_DEFAULT;
unsigned options_commit_wait_ms = OPTIONS_COMMIT_WAIT_DEFAULT;

const char *
options_autocreate(void)
{
	return autocreate;
}

int
options_set_autocreate(const char *spec)
{
	return buf_strlcpy(autocreate, sizeof(autocreate), spec, strlen(spec));
}

bool
options_autocreate_users(void)
{
	return autocreate_users;
}

void
options_set_autocreate_users(bool on)
{
	autocreate_users = on;
}
