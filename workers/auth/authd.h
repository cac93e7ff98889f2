/*
 * authd: the SASL server of Cloister (docs/design.md: runs as cloister-auth in
 * the directory holding the password database; runs SASL steps and mints
 * tickets; never touches mail, never opens a socket).
 *
 * authd.c         main: load -> confine -> serve
 * authd_config.c  its options from the cloister config (docs/authd.md)
 * authd_sasl.c    libsasl2 + sasldb2          authd_request.c  wire format
 * authd_serve.c   channels, request table, failure delays, rate limits
 * authd_limits.c  leaky buckets               sasl_rand.c      getrandom
 * authd_wipe.c    free() zeroes every block
 * authd_rcpt.c    is a recipient in sasldb2 (AUTH_RCPT, delivery workers)
 */
#ifndef CLOISTER_AUTHD_H
#define CLOISTER_AUTHD_H

#include <stdbool.h>
#include <stdint.h>

#include "authd_sasl.h"
#include "config.h"

struct authd_options {
	struct authd_sasl_config sasl;
	uint64_t failure_delay_ms;    /* before AUTH_FAILURE is sent */
	uint64_t ticket_lifetime_s;
	uint64_t session_lifetime_s;  /* web session tokens */
	uint64_t max_fail_user;       /* per failure_window_s; 0 = no limit */
	uint64_t max_fail_addr;
	uint64_t failure_window_s;
	uint64_t backoff_ms;          /* per (user, address); 0 = off */
	uint64_t backoff_max_s;
};

/* Read authd's options (strict: an unknown option in its section is an
 * error) or die naming the file and line. */
void authd_options_load(const struct config *c, const struct config_service *s,
    struct authd_options *o);

/* Whether free() wipes (authd_wipe.c; off in sanitizer builds). */
bool authd_wipe_active(void);

/* Serve the control channel and every worker channel; never returns. */
void authd_serve(const struct authd_options *o) __attribute__((noreturn));

#endif
