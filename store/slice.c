/* slice: the budget of one step of a reply made over several turns (see
 * slice.h; chan.c runs the steps). */
#include "slice.h"

#include <stdarg.h>
#include <stdio.h>

void
slice_begin(struct slice *k, const struct buf *out, size_t unsent)
{
	clock_gettime(CLOCK_MONOTONIC, &k->t0);     /* vDSO: no syscall */
	k->out_base = out->len - unsent;
}

bool
slice_over(const struct slice *k, const struct buf *out)
{
	if (out->len - k->out_base >= SLICE_OUT_CAP)
		return true;
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	int64_t ns = (int64_t)(now.tv_sec - k->t0.tv_sec) * 1000000000 +
	    (now.tv_nsec - k->t0.tv_nsec);
	return ns >= SLICE_NS;
}

int
slice_fail(struct slice *k, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(k->err, sizeof(k->err), fmt, ap);
	va_end(ap);
	return -code;
}
