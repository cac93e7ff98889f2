/*
 * cloister-imapd: one IMAP client session per process (docs/design.md).
 *
 * main reads top to bottom like the process table: load (config, options,
 * certificate and key) -> confine (policy/imapd.policy: chroot, drop,
 * seccomp; keeps only the fixed fds) -> wait for the one connection the
 * supervisor hands over (CTL_CONN) -> serve it -> exit.
 */
#include "charset.h"
#include "config.h"
#include "fds.h"
#include "imap_mbox.h"
#include "imap_session.h"
#include "ipc.h"
#include "log.h"
#include "policy.h"
#include "stats.h"

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
#include <time.h>
#include <unistd.h>

/* The config is large (every service's options): it lives on the heap
 * only until the options are copied out, so that an idle session does not
 * keep it (memory per connection). */
static struct config *cfg;
static struct imap_options opt;
/* What is kept of the config: per listener, its TLS mode. */
static enum config_tls listener_tls[CONFIG_MAX_LISTENERS];
static char listener_name[CONFIG_MAX_LISTENERS][CONFIG_NAME_MAX];
static size_t nlisteners;
static char policy_path[CONFIG_PATH_MAX];

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
load_options(const struct config_service *svc)
{
	char err[CONFIG_ERR_MAX];
	if (config_option_bool(cfg, svc, "loopback-plaintext-auth", true,
	    &loopback_plaintext, err, sizeof(err)) < 0)
		log_fatal("%s", err);
	nlisteners = svc->nlisteners;
	for (size_t i = 0; i < svc->nlisteners; i++) {
		listener_tls[i] = svc->listeners[i].tls;
		memcpy(listener_name[i], svc->listeners[i].name, CONFIG_NAME_MAX);
	}
	if (buf_strlcpy(policy_path, sizeof(policy_path), svc->policy,
	    strlen(svc->policy)) < 0)
		log_fatal("policy path too long");
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
	opt.store_shards = cfg->store_shards ? cfg->store_shards : 1;
	if (opt.store_shards > CLOISTER_MAX_SHARDS)
		log_fatal("store-shards above %d", CLOISTER_MAX_SHARDS);
	opt.auth_fd = CLOISTER_FD_AUTH;
	for (size_t i = 0; i < sizeof(opt.store_fd) / sizeof(opt.store_fd[0]); i++)
		opt.store_fd[i] = i < opt.store_shards ?
		    CLOISTER_FD_STORE((int)i) : -1;
}

/* The certificate is needed if any listener speaks TLS; read it now, as
 * root, before the chroot hides it. */
static void
load_tls(const struct config_service *svc)
{
	bool need = false;
	for (size_t i = 0; i < svc->nlisteners; i++)
		need = need || svc->listeners[i].tls != TLS_PLAIN;
	if (!need)
		return;
	const char *cert = config_option(cfg, svc, "tls-cert");
	const char *key = config_option(cfg, svc, "tls-key");
	if (cert == NULL || key == NULL)
		log_fatal("a TLS listener needs tls-cert and tls-key");
	char err[512];
	opt.tls = tls_server_new(cert, key, err, sizeof(err));
	if (opt.tls == NULL)
		log_fatal("%s", err);
}

/* The one connection, from the supervisor. Returns the client fd. */
static int
wait_connection(struct sockaddr_storage *peer, socklen_t *peerlen,
    struct sockaddr_storage *local, socklen_t *locallen)
{
	/* ~100 KiB, needed once: from mmap (M_MMAP_THRESHOLD), gone after */
	struct ipc_msg *mp = malloc(sizeof(*mp));
	if (mp == NULL)
		log_fatal("out of memory");
	enum ipc_recv_result r;
	do {
		r = ipc_recv(CLOISTER_FD_CONTROL, mp);
	} while (r == IPC_RECV_AGAIN);
	struct ipc_msg *m = mp;
	if (r == IPC_RECV_EOF)
		_exit(0);   /* the supervisor retired this spare */
	if (r != IPC_RECV_OK || m->type != IPC_CTL_CONN || m->fd < 0)
		log_fatal("unexpected control record (%d, type %u)", r, m->type);
	struct buf_cur c;
	uint32_t li;
	const uint8_t *pa, *la;
	size_t pl, ll;
	ipc_msg_cursor(m, &c);
	if (ipc_get_u32(&c, &li) < 0 ||
	    ipc_get_bytes(&c, &pa, &pl, sizeof(*peer)) < 0 ||
	    ipc_get_bytes(&c, &la, &ll, sizeof(*local)) < 0 ||
	    ipc_get_end(&c) < 0 || li >= nlisteners)
		log_fatal("malformed CTL_CONN");
	memset(peer, 0, sizeof(*peer));
	memset(local, 0, sizeof(*local));
	memcpy(peer, pa, pl);
	memcpy(local, la, ll);
	*peerlen = (socklen_t)pl;
	*locallen = (socklen_t)ll;
	opt.tls_mode = (int)listener_tls[li];
	if (listener_tls[li] != TLS_PLAIN && opt.tls == NULL)
		log_fatal("listener %s: TLS without a certificate",
		    listener_name[li]);
	/* plaintext passwords only where they cannot leave the machine: a
	 * plain listener, both ends on loopback, unless the config says no */
	opt.plaintext_auth = false;
	if (loopback_plaintext && listener_tls[li] == TLS_PLAIN) {
		bool lp = false, ll_ok = false;
		const struct sockaddr_storage *a[2] = { peer, local };
		for (int i = 0; i < 2; i++) {
			bool lb = false;
			if (a[i]->ss_family == AF_INET)
				lb = (ntohl(((const struct sockaddr_in *)a[i])->
				    sin_addr.s_addr) >> 24) == 127;
			else if (a[i]->ss_family == AF_INET6)
				lb = IN6_IS_ADDR_LOOPBACK(&((const struct
				    sockaddr_in6 *)a[i])->sin6_addr);
			if (i == 0)
				lp = lb;
			else
				ll_ok = lb;
		}
		opt.plaintext_auth = lp && ll_ok;
	}
	int fd = m->fd;
	free(mp);
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		log_fatal_errno("client socket");
	return fd;
}

int
main(int argc, char **argv)
{
	struct worker_args wa;
	const struct config_service *svc;
	/* big blocks come from mmap and go back to the kernel when freed: the
	 * start-up config, the IPC receive buffers of authd and the store */
	mallopt(M_MMAP_THRESHOLD, 64 * 1024);
	/* load */
	cfg = calloc(1, sizeof(*cfg));
	if (cfg == NULL)
		log_fatal("out of memory");
	config_worker_start(argc, argv, "cloister-imapd", &wa, cfg, &svc);
	/* no openssl.cnf (nothing of ours is configured there) and no error
	 * strings table (codes are logged; `openssl errstr` decodes them):
	 * both cost heap in every session */
	OPENSSL_init_ssl(OPENSSL_INIT_NO_LOAD_CONFIG |
	    OPENSSL_INIT_NO_LOAD_SSL_STRINGS |
	    OPENSSL_INIT_NO_LOAD_CRYPTO_STRINGS, NULL);
	load_options(svc);
	load_tls(svc);
	free(cfg);
	cfg = NULL;
	signal(SIGPIPE, SIG_IGN);
	/* strftime (log lines) calls tzset, which reads /etc/localtime the
	 * first time: do it now, while files can be opened */
	tzset();
	/* iconv converters for the text APPEND indexes must be loaded now
	 * (they are files). Each costs ~30 KiB in every session, so only those
	 * the config names ("index-charsets"); UTF-8, US-ASCII and Latin-1 need
	 * none, and any other charset is then read as Latin-1 (mail delivered
	 * by lmtpd is indexed there, with its own list). */
	preload_charsets();
	charset_seal();
	/* confine: only the fixed fds survive */
	int keep[4 + CLOISTER_MAX_SHARDS];
	size_t nkeep = 0;
	keep[nkeep++] = CLOISTER_FD_STATS;
	keep[nkeep++] = CLOISTER_FD_CONTROL;
	keep[nkeep++] = CLOISTER_FD_AUTH;
	for (unsigned i = 0; i < opt.store_shards; i++)
		keep[nkeep++] = CLOISTER_FD_STORE(i);
	policy_confine(policy_path, &wa, keep, nkeep);
	/* what start-up freed goes back to the kernel before the long wait */
	malloc_trim(0);
	ipc_send_ready(CLOISTER_FD_CONTROL);
	/* serve */
	struct sockaddr_storage peer, local;
	socklen_t peerlen, locallen;
	int fd = wait_connection(&peer, &peerlen, &local, &locallen);
	imap_session_run(&opt, fd, &peer, peerlen, &local, locallen);
	/* no exit handlers: library cleanup (OpenSSL's among them) would
	 * only ask for syscalls the policy has no reason to allow */
	_exit(0);
}
