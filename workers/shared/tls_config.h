/*
 * tls_config: the TLS server context a network worker (imapd, jmapd)
 * builds from its service block, before confining. With 'set keyd yes'
 * only the certificate chains of keyd's block are read and every signature
 * is keyd's (docs/keyd.md); without it the old tls-cert/tls-key still
 * work, with a warning, since the key is then in every worker.
 */
#ifndef CLOISTER_TLS_CONFIG_H
#define CLOISTER_TLS_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "tls.h"

/* The context for svc, or NULL: with err[0] == '\0' when no listener of
 * svc speaks TLS, else with the reason in err. who names the worker in
 * messages ("imapd"). */
struct tls_server *tls_server_for_service(const struct config *cfg,
    const struct config_service *svc, bool keyd, const char *who,
    char *err, size_t errlen);

#endif
