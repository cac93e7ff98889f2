/* tls_config: a worker's TLS context from its service block (see
 * tls_config.h). */
#include "tls_config.h"
#include "log.h"

#include "buf.h"

struct tls_server *
tls_server_for_service(const struct config *cfg,
    const struct config_service *svc, bool keyd, const char *who,
    char *err, size_t errlen)
{
	err[0] = '\0';
	bool need = false;
	for (size_t i = 0; i < svc->nlisteners; i++)
		need = need || svc->listeners[i].tls != TLS_PLAIN;
	if (!need)
		return NULL;
	const char *cert = config_option(cfg, svc, "tls-cert");
	const char *key = config_option(cfg, svc, "tls-key");
	if (keyd) {
		/* static: the context keeps pointers into the list */
		static struct keyd_cert_entry certs[KEYD_CERTS_MAX];
		const struct config_service *k = keyd_certs_service(cfg);
		if (key != NULL) {
			(void)buf_snprintf(err, errlen, "service %s: 'set keyd yes' and"
			    " tls-key: with keyd no %s loads a private key;"
			    " remove tls-key", svc->name, who);
			return NULL;
		}
		if (k == NULL) {
			(void)buf_snprintf(err, errlen, "'set keyd yes' but no service has"
			    " role key");
			return NULL;
		}
		int n = keyd_certs_parse(cfg, k, certs, err, errlen);
		if (n < 0)
			return NULL;
		return tls_server_new_keyd(certs, (size_t)n, err, errlen);
	}
	if (cert == NULL || key == NULL) {
		(void)buf_snprintf(err, errlen, "a TLS listener needs 'set keyd yes' (or"
		    " tls-cert and tls-key)");
		return NULL;
	}
	log_warn("tls-key: the private key is in every %s; a keyd service"
	    " keeps it out of them (docs/keyd.md)", who);
	return tls_server_new(cert, key, err, errlen);
}
