/*
 * keyd_certs: the certificates of a keyd service block, read by keyd (chain
 * and key) and by every connection worker with 'set keyd yes' (the chain
 * only; it never opens a key file). docs/configuration.md:
 *
 *   service keyd {
 *     role key
 *     set cert1 default /etc/cloister/tls/server.crt /etc/cloister/tls/server.key
 *     set cert2 mail.example.org /etc/cloister/tls/mail.crt /etc/cloister/tls/mail.key
 *   }
 *
 * certN (N = 1..KEYD_CERTS_MAX): NAME CHAIN KEY. NAME is "default" (the
 * certificate for a client that sends no SNI or one no other name matches)
 * or a host name, matched against SNI without regard to case. One "default"
 * is required.
 */
#ifndef CLOISTER_KEYD_CERTS_H
#define CLOISTER_KEYD_CERTS_H

#include "config.h"

#include <stddef.h>

#define KEYD_CERTS_MAX 16
#define KEYD_CERT_NAME_MAX 256

struct keyd_cert_entry {
	char name[KEYD_CERT_NAME_MAX];
	char chain[CONFIG_PATH_MAX];
	char key[CONFIG_PATH_MAX];
};

/* The service with role key, or NULL. */
const struct config_service *keyd_certs_service(const struct config *c);

/* Read the certN options of s into out[KEYD_CERTS_MAX]; the count, or -1
 * with "file:line: message" in err. */
int keyd_certs_parse(const struct config *c, const struct config_service *s,
    struct keyd_cert_entry *out, char *err, size_t errlen);

#endif
