/*
 * cloisterctl — the administrator's command for a Cloister installation.
 * Manual: docs/cloisterctl.md. Root only: it writes authd's password
 * database and talks to the store through the supervisor's root-only admin
 * sockets.
 */
#include "ctl.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef CTL_DEFAULT_CONFIG
#define CTL_DEFAULT_CONFIG "/usr/local/etc/cloister/cloister.conf"
#endif

typedef int (*ctl_cmd_fn)(struct ctl_env *e, int argc, char **argv);

static const struct {
	const char *group, *verb;
	ctl_cmd_fn fn;
	bool sasl;                 /* needs libsasl2 (sasldb2, the realm) */
	const char *args, *help;
} commands[] = {
	{ "user", "add", ctl_user_add, true, "USER",
	  "create the user: password (stdin) and store with its default mailboxes" },
	{ "user", "passwd", ctl_user_passwd, true, "USER",
	  "set a new password (stdin)" },
	{ "user", "del", ctl_user_del, true, "USER",
	  "remove the password and the user's store (all mail)" },
	{ "user", "list", ctl_user_list, true, "",
	  "list users: NAME STATE STORAGE-USED -LIMIT MESSAGES-USED -LIMIT" },
	{ "mailbox", "create", ctl_mailbox_create, true,
	  "USER NAME [--special-use \\Sent ...]", "create a mailbox" },
	{ "mailbox", "delete", ctl_mailbox_delete, true, "USER NAME",
	  "delete a mailbox and its messages" },
	{ "mailbox", "rename", ctl_mailbox_rename, true, "USER OLD NEW",
	  "rename a mailbox with its children" },
	{ "mailbox", "list", ctl_mailbox_list, true, "USER",
	  "list mailboxes: NAME ATTRIBUTES MESSAGES BYTES" },
	{ "mailbox", "detail-delivery", ctl_mailbox_detail, true,
	  "USER NAME on|off [--force]",
	  "may USER+NAME@domain mail land in NAME (else INBOX)" },
	{ "quota", "get", ctl_quota_get, true, "USER",
	  "show usage and limits" },
	{ "quota", "set", ctl_quota_set, true,
	  "USER [--storage N] [--messages N]", "set limits (N, NK, NM, NG or none)" },
	{ "sieve", "list", ctl_sieve_list, true, "USER",
	  "list Sieve scripts: NAME active|- BYTES" },
	{ "sieve", "get", ctl_sieve_get, true, "USER NAME",
	  "print a script's source" },
	{ "sieve", "put", ctl_sieve_put, true, "USER NAME FILE",
	  "compile FILE (- = stdin) and store it as NAME, replacing one" },
	{ "sieve", "activate", ctl_sieve_activate, true, "USER NAME",
	  "make NAME the script run at delivery" },
	{ "sieve", "deactivate", ctl_sieve_deactivate, true, "USER",
	  "no script runs at delivery" },
	{ "sieve", "delete", ctl_sieve_delete, true, "USER NAME",
	  "delete a script (not the active one)" },
	{ "sieve", "check", ctl_sieve_check, false, "FILE",
	  "compile FILE only: errors as line L, column C: message" },
	{ "sieve", "import", ctl_sieve_import, true, "USER DIR [--active NAME]",
	  "every NAME.sieve or NAME.script of a Dovecot or Cyrus user" },
	{ "outbox", "list", ctl_outbox_list, false, "",
	  "mail waiting to be sent or failed: ID USER STATE ATTEMPTS NEXT-TRY SIZE <FROM> RCPTS REPLY" },
	{ "token", "add", ctl_token_add, true, "USER [LABEL]",
	  "mint an app-specific JMAP token (printed once; LABEL default)" },
	{ "token", "list", ctl_token_list, true, "USER",
	  "list tokens: LABEL CREATED HASH-PREFIX" },
	{ "token", "revoke", ctl_token_revoke, true, "USER LABEL",
	  "revoke a token at once" },
	{ "import", NULL, ctl_import, false,
	  "USER SOURCE [--folder NAME] [--force-new-uidvalidity] [--no-progress]",
	  "copy mail in, UIDs kept (SOURCE: maildir:DIR, mbox:FILE, a path)" },
	{ "export", NULL, ctl_export, false, "USER DIR",
	  "write the user's mail as a Dovecot Maildir (uidlist, keywords)" },
	{ "freeze", NULL, ctl_freeze, false, "--timeout S -- COMMAND [ARG...]",
	  "hold every store shard's writes while COMMAND runs (backups)" },
	{ "status", NULL, ctl_status, false, "",
	  "services: state, pids, uptime, restarts, sessions; held services" },
	{ "who", NULL, ctl_who, false, "",
	  "live sessions: SERVICE PID USER CLIENT SINCE" },
	{ "kick", NULL, ctl_kick, false, "USER",
	  "end every session of USER" },
	{ "reload", NULL, ctl_reload, false, "",
	  "check the config and reload it (as SIGHUP), with the result" },
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void
usage(FILE *f)
{
	fprintf(f, "usage: cloisterctl [-c CONFIG] [--no-store] COMMAND ...\n\n");
	for (size_t i = 0; i < NCOMMANDS; i++) {
		char head[128];
		snprintf(head, sizeof(head), "%s%s%s %s", commands[i].group,
		    commands[i].verb ? " " : "", commands[i].verb ?
		    commands[i].verb : "", commands[i].args);
		fprintf(f, "  %-52s %s\n", head, commands[i].help);
	}
	fprintf(f, "\n  -c CONFIG    the cloisterd config (default $CLOISTER_CONFIG"
	    " or %s)\n  --no-store   passwords only: leave the store alone\n"
	    "  --help       this text\n\nUSER is NAME or NAME@DOMAIN; the"
	    " password is read from standard input (one line).\n"
	    "Exit status: 0 done, 1 refused, 64 usage, 69 store or cloisterd"
	    " unreachable,"
	    " 70 store protocol,\n74 password database unwritable, 75 freeze"
	    " released early\n(reload: cloisterd stopping), 77 not root, 78"
	    " config.\n"
	    "freeze exits with COMMAND's status otherwise. Manual:"
	    " docs/cloisterctl.md\n", CTL_DEFAULT_CONFIG);
}

int
main(int argc, char **argv)
{
	const char *config = getenv("CLOISTER_CONFIG");
	static struct ctl_env e;
	int i = 1;
	log_open("cloisterctl", true);
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return CTL_OK;
		} else if (strcmp(argv[i], "-c") == 0 && i + 1 < argc) {
			config = argv[++i];
		} else if (strcmp(argv[i], "--no-store") == 0) {
			e.no_store = true;
		} else {
			fprintf(stderr, "cloisterctl: unknown option %s\n", argv[i]);
			usage(stderr);
			return CTL_USAGE;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return CTL_USAGE;
	}
	const char *group = argv[i++];
	const char *verb = i < argc ? argv[i] : NULL;
	size_t k;
	for (k = 0; k < NCOMMANDS; k++)
		if (strcmp(commands[k].group, group) == 0 &&
		    (commands[k].verb == NULL ||
		    (verb != NULL && strcmp(commands[k].verb, verb) == 0)))
			break;
	if (k == NCOMMANDS) {
		fprintf(stderr, "cloisterctl: unknown command '%s%s%s'\n", group,
		    verb ? " " : "", verb ? verb : "");
		usage(stderr);
		return CTL_USAGE;
	}
	if (commands[k].verb != NULL)
		i++;
	if (i < argc && strcmp(argv[i], "--help") == 0) {
		printf("usage: cloisterctl %s%s%s %s\n  %s\n", commands[k].group,
		    commands[k].verb ? " " : "", commands[k].verb ?
		    commands[k].verb : "", commands[k].args, commands[k].help);
		return CTL_OK;
	}
	if (geteuid() != 0)
		return ctl_fail(CTL_NOPERM, "run as root (it writes the password"
		    " database and uses the store's root-only admin sockets)");
	umask(077);   /* nothing it creates is readable by others, even briefly */
	int rc = ctl_env_load(&e, config ? config : CTL_DEFAULT_CONFIG);
	if (rc == CTL_OK && commands[k].sasl)
		rc = ctl_sasldb_init(&e);
	if (rc != CTL_OK)
		return rc;
	return commands[k].fn(&e, argc - i, argv + i);
}
