/* stats: the worker side of the statistics channel (see stats.h). */
#include "stats.h"
#include "fds.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

_Static_assert(sizeof(struct stats_record) < 512, "record fits in PIPE_BUF");
_Static_assert(sizeof(struct stats_aggregate) < 512, "aggregate fits in PIPE_BUF");

static struct stats_record pending;
static int pending_dirty;
static int gauges_dirty;

void
stats_add(enum stats_counter c, uint64_t n)
{
	if ((unsigned)c < ST_COUNTER_MAX) {
		pending.counter[c] += n;
		pending_dirty = 1;
	}
}

void
stats_set_gauge(enum stats_gauge g, uint64_t v)
{
	if ((unsigned)g < SG_GAUGE_MAX) {
		pending.gauge[g] = v;
		gauges_dirty = 1;
	}
}

static void
write_record(uint16_t kind)
{
	struct stats_record r = pending;
	r.magic = STATS_MAGIC;
	r.kind = kind;
	r.size = sizeof(r);
	ssize_t n;
	do {
		n = write(CLOISTER_FD_STATS, &r, sizeof(r));
	} while (n < 0 && errno == EINTR);
	/* a full or closed pipe loses statistics, never service */
}

void
stats_flush(void)
{
	if (pending_dirty) {
		write_record(STATS_KIND_DELTA);
		memset(pending.counter, 0, sizeof(pending.counter));
		pending_dirty = 0;
	}
	if (gauges_dirty) {
		write_record(STATS_KIND_GAUGE);
		gauges_dirty = 0;
	}
}

bool
stats_pending(void)
{
	return pending_dirty || gauges_dirty;
}
