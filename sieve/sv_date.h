/*
 * sv_date: the date and currentdate tests (RFC 5260): an RFC 5322
 * date-time read from a header field (for Received, the part after its
 * last ';'), moved to a zone, and the date parts of section 4.2 written
 * as the RFC spells them.
 */
#ifndef CLOISTER_SV_DATE_H
#define CLOISTER_SV_DATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct sv_date {
	int64_t t;     /* seconds since the epoch, UTC */
	int zone;      /* minutes east of UTC the date is shown in */
};

/* Reads an RFC 5322 date-time (day of week optional, obsolete zones
 * named); false when value holds none. zone is the one written. */
bool sv_date_parse(const char *value, size_t n, struct sv_date *d);
/* "+0130" (checked by the compiler) as minutes east. */
int sv_zone_minutes(const char *zone);
/* The date part (sv_rules.h's names, by index) of d into out. */
size_t sv_date_part_text(const struct sv_date *d, int part, char *out,
    size_t n);

#endif
