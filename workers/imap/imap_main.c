/*
 * cloister-imapd: one IMAP client session per process (docs/design.md).
 *
 * main reads top to bottom like every worker's (common/worker.h): start ->
 * load (options, certificate and key, charsets) -> confine
 * (policy/imapd.policy; the role's fds only) -> ready -> take the one
 * connection the supervisor hands over (CTL_CONN) -> serve it -> exit.
 */
#include "imap_mbox.h"
#include "imap_session.h"
#include "keyd_certs.h"
#include "conn_addr.h"
#include "tls_worker.h"
#include "log.h"
#include "worker.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* tls_worker's config, while the options are copied out of it. */
static struct config *cfg;
static struct imap_options opt;

static uint64_t
size_opt(const struct config_service *svc, const char *key, uint64_t dflt)
{
	uint64_t v;
	char err[CONFIG_ERR_MAX];
	if (config_option_size(cfg, svc, key, dflt, &v, err, sizeof(err)) < 0)
		log_fatal("%s", err);
	return v;
}

/* "INBOX Drafts=drafts Sent=sent ..." (the store's autocreate syntax) */
static void
parse_autocreate(const char *list)
{
	char tmp[CONFIG_VALUE_MAX];
	if (buf_strlcpy(tmp, sizeof(tmp), list, strlen(list)) < 0)
		log_fatal("autocreate: list too long");
	char *save = NULL;
	for (char *w = strtok_r(tmp, " \t", &save); w != NULL;
	    w = strtok_r(NULL, " \t", &save)) {
		if (opt.nautocreate >= IMAP_AUTOCREATE_MAX)
			log_fatal("autocreate: more than %d mailboxes",
			    IMAP_AUTOCREATE_MAX);
		char *eq = strchr(w, '=');
		uint32_t use = 0;
		if (eq != NULL) {
			*eq = '\0';
			use = imap_mbox_use_by_name(eq + 1);
			if (use == 0)
				log_fatal("autocreate: unknown special use '%s'",
				    eq + 1);
		}
		if (buf_strlcpy(opt.autocreate[opt.nautocreate].name,
		    sizeof(opt.autocreate[0].name), w, strlen(w)) < 0 || !*w)
			log_fatal("autocreate: bad mailbox name");
		opt.autocreate[opt.nautocreate++].use = use;
	}
}

static bool loopback_plaintext;
static char index_charsets[CONFIG_VALUE_MAX];

/* The index-charsets list as names for tls_worker_confine; an empty list
 * when the config names none. names has room for 64. */
static void
charset_names(const char *names[64])
{
	size_t n = 0;
	char *save = NULL;
	for (char *w = strtok_r(index_charsets, " \t,", &save);
	    w != NULL && n < 63; w = strtok_r(NULL, " \t,", &save))
		names[n++] = w;
	names[n] = NULL;
}

static void
load_options(const struct config_service *svc, const struct worker *w)
{
	char err[CONFIG_ERR_MAX];
	if (config_option_bool(cfg, svc, "loopback-plaintext-auth", true,
	    &loopback_plaintext, err, sizeof(err)) < 0)
		log_fatal("%s", err);
	struct imap_limits lim = IMAP_DEFAULT_LIMITS;
	lim.max_literal = size_opt(svc, "max-literal", lim.max_literal);
	lim.max_line = (size_t)size_opt(svc, "max-line", lim.max_line);
	lim.max_command = (size_t)size_opt(svc, "max-command", lim.max_command);
	lim.max_spool = size_opt(svc, "max-append", lim.max_literal * 4);
	if (lim.max_line < 1024 || lim.max_command < lim.max_line ||
	    lim.max_literal < 1024 || lim.max_spool < lim.max_literal)
		log_fatal("imapd limits: max-line >= 1K, max-command >= max-line,"
		    " max-literal >= 1K, max-append >= max-literal");
	opt.lim = lim;
	opt.max_pipeline = (unsigned)size_opt(svc, "max-pipeline", 64);
	if (opt.max_pipeline == 0)
		opt.max_pipeline = 1;
	opt.prelogin_timeout_s = svc->prelogin_timeout ? svc->prelogin_timeout : 60;
	opt.idle_timeout_s = (unsigned)config_option_range(cfg, svc,
	    "idle-timeout", 1800, 10, UINT_MAX);
	const char *ac = config_option(cfg, svc, "autocreate");
	parse_autocreate(ac != NULL ? ac : "INBOX Drafts=drafts Sent=sent "
	    "Junk=junk Trash=trash Archive=archive");
	const char *cs = config_option(cfg, svc, "index-charsets");
	if (cs != NULL && buf_strlcpy(index_charsets, sizeof(index_charsets), cs,
	    strlen(cs)) < 0)
		log_fatal("index-charsets: list too long");
	const char *name = config_option(cfg, svc, "server-name");
	if (buf_strlcpy(opt.server_name, sizeof(opt.server_name),
	    name ? name : "Cloister", strlen(name ? name : "Cloister")) < 0)
		log_fatal("server-name too long");
	worker_login_fds_init(&opt.login, w->store_shards);
}

int
main(int argc, char **argv)
{
	struct tls_worker tw;
	/* start, then load */
	tls_worker_start(&tw, argc, argv, "cloister-imapd");
	cfg = tw.cfg;
	load_options(tw.svc, &tw.w);
	opt.tls = tls_worker_load_tls(&tw, "imapd");
	cfg = NULL;
	imap_log_catch_term();
	/* iconv converters for the text APPEND indexes: each costs ~30 KiB in
	 * every session, so only those the config names ("index-charsets");
	 * UTF-8, US-ASCII, Latin-1 and the single-byte tables need none, and
	 * any other charset is then read as Latin-1 (mail delivered by lmtpd
	 * is indexed there, with its own list). */
	const char *charsets[64];
	charset_names(charsets);
	/* confine */
	tls_worker_confine(&tw, charsets);
	/* serve the one connection */
	struct worker_conn c;
	tls_worker_take_conn(&tw, &c);
	/* the listener decides TLS and whether passwords may cross in clear */
	opt.tls_mode = (int)tls_worker_listener(&tw, &c, opt.tls,
	    loopback_plaintext, &opt.plaintext_auth);
	imap_session_run(&opt, c.fd, &c.peer, c.peerlen, &c.local, c.locallen);
	worker_exit(0);
}
