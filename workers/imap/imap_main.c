/*
 * cloister-imapd: one IMAP client session per process (docs/design.md).
 *
 * main reads top to bottom like every worker's (common/worker.h): start ->
 * load (options, certificate and key, charsets) -> confine
 * (policy/imapd.policy; the role's fds only) -> ready -> take the one
 * connection the supervisor hands over (CTL_CONN) -> serve it -> exit.
 */
#include "charset.h"
#include "imap_mbox.h"
#include "imap_session.h"
#include "keyd_certs.h"
#include "conn_addr.h"
#include "tls_config.h"
#include "log.h"
#include "worker.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <fcntl.h>
#include <malloc.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* The config is large (every service's options): it lives on the heap
 * only until the options are copied out, so that an idle session does not
 * keep it (memory per connection). */
static struct config *cfg;
static struct imap_options opt;
/* What is kept of the config: per listener, its TLS mode. */
static enum config_tls listener_tls[CONFIG_MAX_LISTENERS];
static char listener_name[CONFIG_MAX_LISTENERS][CONFIG_NAME_MAX];

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

static void
preload_charsets(void)
{
	const char *names[64];
	size_t n = 0;
	char *save = NULL;
	for (char *w = strtok_r(index_charsets, " \t,", &save);
	    w != NULL && n < 63; w = strtok_r(NULL, " \t,", &save))
		names[n++] = w;
	names[n] = NULL;
	if (n > 0 && charset_preload(names) < (int)n)
		log_warn("index-charsets: some charsets are not available");
}

static void
load_options(const struct config_service *svc, const struct worker *w)
{
	char err[CONFIG_ERR_MAX];
	if (config_option_bool(cfg, svc, "loopback-plaintext-auth", true,
	    &loopback_plaintext, err, sizeof(err)) < 0)
		log_fatal("%s", err);
	for (size_t i = 0; i < svc->nlisteners; i++) {
		listener_tls[i] = svc->listeners[i].tls;
		memcpy(listener_name[i], svc->listeners[i].name, CONFIG_NAME_MAX);
	}
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
	opt.idle_timeout_s = (unsigned)size_opt(svc, "idle-timeout", 1800);
	if (opt.idle_timeout_s < 10)
		log_fatal("idle-timeout: at least 10 seconds");
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
	opt.store_shards = w->store_shards;   /* 1..CLOISTER_MAX_SHARDS */
	opt.auth_fd = CLOISTER_FD_AUTH;
	for (size_t i = 0; i < sizeof(opt.store_fd) / sizeof(opt.store_fd[0]); i++)
		opt.store_fd[i] = i < opt.store_shards ?
		    CLOISTER_FD_STORE((int)i) : -1;
}

/* The certificate is needed if any listener speaks TLS; read it now, as
 * root, before the chroot hides it (tls_config.h: with 'set keyd yes' only
 * the chains, and keyd makes every signature). */
static void
load_tls(const struct config_service *svc, bool keyd)
{
	char err[512];
	opt.tls = tls_server_for_service(cfg, svc, keyd, "imapd", err,
	    sizeof(err));
	if (opt.tls == NULL && err[0] != '\0')
		log_fatal("%s", err);
}

/* The listener the client came in on decides TLS and whether plaintext
 * passwords are offered; the socket becomes non-blocking. */
static void
apply_listener(const struct worker_conn *c)
{
	uint32_t li = c->listener;   /* < nlisteners: worker_conn_decode */
	opt.tls_mode = (int)listener_tls[li];
	if (listener_tls[li] != TLS_PLAIN && opt.tls == NULL)
		log_fatal("listener %s: TLS without a certificate",
		    listener_name[li]);
	/* plaintext passwords only where they cannot leave the machine: a
	 * plain listener, both ends on loopback, unless the config says no */
	opt.plaintext_auth = loopback_plaintext &&
	    listener_tls[li] == TLS_PLAIN && conn_addr_loopback(&c->peer) &&
	    conn_addr_loopback(&c->local);
	conn_set_nonblocking(c->fd);
}

int
main(int argc, char **argv)
{
	struct worker w;
	const struct config_service *svc;
	/* big blocks come from mmap and go back to the kernel when freed: the
	 * start-up config, the IPC receive buffers of authd and the store */
	mallopt(M_MMAP_THRESHOLD, 64 * 1024);
	/* start, then load */
	cfg = calloc(1, sizeof(*cfg));
	if (cfg == NULL)
		log_fatal("out of memory");
	worker_start(&w, argc, argv, "cloister-imapd", ROLE_CONNECTION, cfg,
	    &svc);
	/* no openssl.cnf (nothing of ours is configured there) and no error
	 * strings table (tls_err.c names the reasons a server meets; others
	 * are logged as codes for `openssl errstr`): both cost heap in every
	 * session */
	OPENSSL_init_ssl(OPENSSL_INIT_NO_LOAD_CONFIG |
	    OPENSSL_INIT_NO_LOAD_SSL_STRINGS |
	    OPENSSL_INIT_NO_LOAD_CRYPTO_STRINGS, NULL);
	load_options(svc, &w);
	load_tls(svc, w.keyd);
	free(cfg);
	cfg = NULL;
	signal(SIGPIPE, SIG_IGN);
	imap_log_catch_term();
	/* iconv converters for the text APPEND indexes must be loaded now
	 * (they are files). Each costs ~30 KiB in every session, so only those
	 * the config names ("index-charsets"); UTF-8, US-ASCII and Latin-1 need
	 * none, and any other charset is then read as Latin-1 (mail delivered
	 * by lmtpd is indexed there, with its own list). */
	preload_charsets();
	charset_seal();
	/* confine */
	worker_confine(&w, NULL, 0);
	/* what start-up freed goes back to the kernel before the long wait */
	malloc_trim(0);
	worker_ready();
	/* serve the one connection */
	struct worker_conn c;
	worker_take_conn(&w, &c);
	apply_listener(&c);
	imap_session_run(&opt, c.fd, &c.peer, c.peerlen, &c.local, c.locallen);
	worker_exit(0);
}
