/*
 * cloister-pushd: Web Push to phones (docs/pushd.md). main reads top to
 * bottom like every worker's (common/worker.h): start -> load options,
 * the VAPID key, the CA store and the resolvers (no file opens after) ->
 * confine (policy/pushd.policy: TCP connect out, nothing else of the
 * network) -> watch every shard with the push right -> ready -> serve:
 * for each STORE_PUSH_EVENT read the user's subscriptions, plan
 * (push_plan.h) and deliver (push_deliver.h); a gone subscription is
 * deleted, a message to retry waits in push_retry.h's queue.
 *
 * Options (service block, "set NAME VALUE"; docs/pushd.md):
 *   keyd            yes: VAPID tokens from cloister-keyd, which holds the
 *                   key (its vapid-key and vapid-subject); the default no:
 *   vapid-key       PEM file of the P-256 VAPID private key
 *   vapid-subject   the operator's contact, mailto: or https:
 *   push-ca         PEM file of the CAs (default the system's bundle)
 *   resolv-conf     the resolvers' file (default /etc/resolv.conf)
 *   push-timeout    seconds per attempt (default 10)
 *   push-test-port  one port besides 443 (tests only; default none)
 *   push-allow-loopback  yes: loopback push services (tests only)
 *   dns-port        the resolvers' port (default 53; tests only)
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "policy.h"
#include "push_deliver.h"
#include "push_keyd.h"
#include "push_send.h"
#include "push_serve.h"
#include "worker.h"

#define DEFAULT_CA "/etc/ssl/certs/ca-certificates.crt"
#define RESOLV_MAX 8192

static EVP_PKEY *
load_vapid(const char *path)
{
	if (path == NULL)
		log_fatal("'set vapid-key FILE' is required");
	FILE *f = fopen(path, "re");
	if (f == NULL)
		log_fatal_errno("vapid-key %s", path);
	EVP_PKEY *k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (k == NULL || EVP_PKEY_get_bits(k) != 256 ||
	    !EVP_PKEY_is_a(k, "EC"))
		log_fatal("vapid-key %s: not a P-256 private key", path);
	return k;
}

static size_t
load_resolvers(const char *path, struct push_dns_addr *out)
{
	static char text[RESOLV_MAX];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, text, sizeof(text));
	if (fd >= 0)
		close(fd);
	if (n < 0) {
		log_warn("%s: %s: only addresses in URLs can be reached", path,
		    strerror(errno));
		return 0;
	}
	return push_dns_servers(text, (size_t)n, out);
}

static void
load_vapid_options(const struct config *c, const struct config_service *s,
    struct push_sender *snd)
{
	snd->vapid = load_vapid(config_option(c, s, "vapid-key"));
	snd->subject = config_option(c, s, "vapid-subject");
	if (snd->subject == NULL || (strncmp(snd->subject, "mailto:", 7) != 0 &&
	    strncmp(snd->subject, "https://", 8) != 0))
		log_fatal("'set vapid-subject mailto:ADDRESS' is required");
	for (const char *p = snd->subject; *p; p++)
		if ((unsigned char)*p <= 0x20 || *p == '"' || *p == '\\' ||
		    *p == 0x7f)
			log_fatal("vapid-subject: bad character");
}

static void
load_options(const struct config *c, const struct config_service *s,
    struct push_sender *snd)
{
	static struct push_dns_addr dns[PUSH_DNS_MAX_SERVERS];
	char err[CONFIG_ERR_MAX];
	bool loop = false, keyd = false;
	if (config_option_bool(c, s, "keyd", false, &keyd, err,
	    sizeof(err)) < 0)
		log_fatal("%s", err);
	if (keyd && config_option(c, s, "vapid-key") != NULL)
		log_fatal("vapid-key: with 'set keyd yes' it belongs in keyd's"
		    " block");
	if (keyd) {
		snd->vapid_fn = push_keyd_vapid;   /* keyd has the subject too */
		snd->subject = "";
	} else
		load_vapid_options(c, s, snd);
	const char *ca = config_option(c, s, "push-ca");
	if ((snd->tls = push_tls_ctx(ca != NULL ? ca : DEFAULT_CA)) == NULL)
		log_fatal("push-ca %s: cannot load", ca != NULL ? ca : DEFAULT_CA);
	if (config_option_bool(c, s, "push-allow-loopback", false, &loop, err,
	    sizeof(err)) < 0)
		log_fatal("%s", err);
	snd->allow_loopback = loop;
	snd->extra_port = (uint16_t)config_option_range(c, s, "push-test-port", 0, 0, 65535);
	snd->timeout_ms = (int)config_option_range(c, s, "push-timeout", 10, 1, 120) * 1000;
	snd->dns_port = (uint16_t)config_option_range(c, s, "dns-port", 53, 1, 65535);
	const char *rc = config_option(c, s, "resolv-conf");
	snd->dns = dns;
	snd->ndns = load_resolvers(rc != NULL ? rc : "/etc/resolv.conf", dns);
}

int
main(int argc, char **argv)
{
	static struct config cfg;
	static struct push_serve sv;
	const struct config_service *svc;
	struct worker w;
	worker_start(&w, argc, argv, "cloister-pushd", ROLE_PUSH, &cfg, &svc);
	load_options(&cfg, svc, &sv.sender);
	/* seeded now, while /dev/urandom can be opened: jansson's hash seed
	 * and OpenSSL's generator */
	json_object_seed(0);
	uint8_t warm[16];
	if (RAND_bytes(warm, sizeof(warm)) != 1)
		log_fatal("no random bytes");
	policy_extra_connect_port = sv.sender.extra_port;
	worker_confine(&w, NULL, 0);
	sv.nshards = w.store_shards;
	for (unsigned i = 0; i < w.store_shards; i++)
		if (push_store_open(&sv.shard[i], CLOISTER_FD_STORE((int)i)) < 0)
			worker_exit(1);
	worker_ready();
	log_info("watching %u shard(s), %zu resolver(s)", sv.nshards,
	    sv.sender.ndns);
	for (;;)
		push_serve_once(&sv);
}
