/* ctl_outbox: cloisterctl outbox list, the outbox of every shard (what
 * Postfix's mailq shows for its queue; docs/submitd.md). */
#include "ctl.h"

#include <stdio.h>
#include <time.h>

static const char *const state_names[] = { "pending", "sending", "sent",
	"failed", "canceled", "unknown", "committing" };

/* Bytes a relay (through submitd) chose: nothing reaches the terminal
 * that could move its cursor or change its colours. */
static void
print_safe(const char *s)
{
	for (; *s; s++)
		putchar((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s);
}

static int
print_entry(void *arg, const struct store_outbox_info *o)
{
	(void)arg;
	char when[32] = "-";
	time_t t = (time_t)o->next_try;
	struct tm tm;
	if (o->state == 0 && gmtime_r(&t, &tm) != NULL)
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	printf("%llu ", (unsigned long long)o->id);
	print_safe(o->user);
	printf(" %s %u %s %llu <", o->state < 7 ? state_names[o->state] : "?",
	    o->attempts, when, (unsigned long long)o->size);
	print_safe(o->mail_from);
	printf("> %u ", o->nrcpts);
	print_safe(o->reply[0] ? o->reply : "-");
	putchar('\n');
	return 0;
}

int
ctl_outbox_list(struct ctl_env *e, int argc, char **argv)
{
	(void)argv;
	if (argc != 0)
		return ctl_fail(CTL_USAGE, "usage: outbox list");
	int rc = CTL_OK;
	for (unsigned s = 0; rc == CTL_OK && s < e->cfg.store_shards; s++) {
		struct store_conn *sc = ctl_store_connect(e, s);
		if (sc == NULL)
			return CTL_UNAVAILABLE;
		rc = ctl_store_error(sc, store_adm_outbox_list(sc, print_entry, NULL),
		    "outbox list");
		store_client_close(sc);
	}
	return rc;
}
