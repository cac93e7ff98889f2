/*
 * sv_addr: the addresses of an address header (RFC 5322 address-list,
 * read leniently: display names, comments, groups and angle brackets are
 * skipped) and their parts for :localpart, :domain, :user and :detail
 * (RFC 5233, with "+" as the separator).
 */
#ifndef CLOISTER_SV_ADDR_H
#define CLOISTER_SV_ADDR_H

#include <stdbool.h>
#include <stddef.h>

#define SV_ADDR_MAX 64   /* addresses taken from one header field */

struct sv_span {
	const char *s;
	size_t n;
};

/* Up to max addr-specs of value into out; the number found. */
size_t sv_addr_list(const char *value, size_t n, struct sv_span *out,
    size_t max);
/* The part (SV_TAG_ALL, _LOCALPART, _DOMAIN, _USER, _DETAIL) of one
 * address; false when it has none (:detail without a separator). */
bool sv_addr_part(unsigned tag, struct sv_span addr, struct sv_span *part);

#endif
