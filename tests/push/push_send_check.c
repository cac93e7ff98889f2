/* cloister-push-send-check: one push_deliver() from the command line, for
 * tests/integration/test_push_send.py (a loopback receiver with its own
 * CA): the path pushd takes for each message, without the store.
 *
 *   cloister-push-send-check URL P256DH AUTH VAPID-KEY.pem CA.pem PORT JSON
 *       [RESOLVER-IPV4 RESOLVER-PORT]
 *
 * P256DH and AUTH are base64url ("-" for none); PORT is the one port
 * besides 443 allowed; the resolver answers DNS over TCP for names. Prints "sent", "gone", "retry N" or "failed: why"
 * and exits 0, 2, 3 or 1. */
#include "push_b64.h"
#include "push_deliver.h"
#include "push_send.h"

#include <arpa/inet.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
main(int argc, char **argv)
{
	uint8_t p256dh[65], auth[16];
	char err[256] = "";
	uint32_t retry = 0;
	if (argc != 8 && argc != 10) {
		fprintf(stderr, "usage: %s URL P256DH AUTH VAPID-KEY CA PORT "
		    "JSON\n", argv[0]);
		return 1;
	}
	bool keys = strcmp(argv[2], "-") != 0;
	if (keys && (push_b64url_decode(argv[2], strlen(argv[2]), p256dh,
	    sizeof(p256dh)) != 65 || push_b64url_decode(argv[3],
	    strlen(argv[3]), auth, sizeof(auth)) != 16)) {
		fprintf(stderr, "bad keys\n");
		return 1;
	}
	FILE *f = fopen(argv[4], "r");
	EVP_PKEY *vapid = f ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;
	if (f != NULL)
		fclose(f);
	struct push_sender s = { push_tls_ctx(argv[5]), vapid,
		"mailto:postmaster@example.org", true,
		(uint16_t)atoi(argv[6]), 5000 };
	if (s.tls == NULL || vapid == NULL) {
		fprintf(stderr, "cannot load the CA or the VAPID key\n");
		return 1;
	}
	struct push_dns_addr dns = { .family = AF_INET };
	if (argc == 10 && inet_pton(AF_INET, argv[8], dns.a) == 1) {
		s.dns = &dns;
		s.ndns = 1;
		s.dns_port = (uint16_t)atoi(argv[9]);
	}
	struct push_target t = { argv[1], keys ? p256dh : NULL, auth };
	switch (push_deliver(&s, &t, argv[7], 60, &retry, err, sizeof(err))) {
	case PUSH_SENT:
		printf("sent\n");
		return 0;
	case PUSH_GONE:
		printf("gone\n");
		return 2;
	case PUSH_RETRY:
		printf("retry %u %s\n", retry, err);
		return 3;
	default:
		printf("failed: %s\n", err);
		return 1;
	}
}
