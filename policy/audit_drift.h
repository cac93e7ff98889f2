/* audit_drift: the one way cloister-audit records a difference between a
 * live process and its policy (text on stderr, a string in the JSON). */
#ifndef CLOISTER_AUDIT_DRIFT_H
#define CLOISTER_AUDIT_DRIFT_H

#include "audit_proc.h"

#include <jansson.h>

struct drift_list {
	json_t *array;    /* of strings */
	int count;
};

/* "DRIFT service[pid]: message" */
void drift(struct drift_list *d, const struct audit_proc *ap,
    const char *service, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* "WARNING service[pid]: message": reported, not counted */
void drift_warn(const struct audit_proc *ap, const char *service,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
