/* audit_drift: record a drift or a warning about one process. */
#include "audit_drift.h"

#include <stdarg.h>
#include <stdio.h>

void
drift(struct drift_list *d, const struct audit_proc *ap, const char *service,
    const char *fmt, ...)
{
	char msg[512];
	va_list va;
	va_start(va, fmt);
	vsnprintf(msg, sizeof(msg), fmt, va);
	va_end(va);
	json_array_append_new(d->array, json_string(msg));
	d->count++;
	fprintf(stderr, "DRIFT %s[%d]: %s\n", service, (int)ap->pid, msg);
}

void
drift_warn(const struct audit_proc *ap, const char *service, const char *fmt,
    ...)
{
	char msg[512];
	va_list va;
	va_start(va, fmt);
	vsnprintf(msg, sizeof(msg), fmt, va);
	va_end(va);
	fprintf(stderr, "WARNING %s[%d]: %s\n", service, (int)ap->pid, msg);
}
