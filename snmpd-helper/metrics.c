/* metrics: Prometheus text exposition of a snapshot (see metrics.h). */
#include "metrics.h"
#include "figures.h"

#include <inttypes.h>
#include <string.h>

static const char *
type_name(enum fig_kind k)
{
	return k == FIG_COUNTER ? "counter" : "gauge";
}

static void
header(struct buf *out, const char *name, const char *help, enum fig_kind k)
{
	(void)buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name,
	    type_name(k));
}

/* Gauge32 latches in SNMP; the metric carries the full value. */
static void
render_columns(const struct snap *s, struct buf *out)
{
	const char *prev = NULL;
	for (size_t c = 0; c < fig_ncolumns; c++) {
		const struct fig_column *col = &fig_columns[c];
		if (col->metric == NULL)
			continue;
		if (prev == NULL || strcmp(prev, col->metric) != 0)
			header(out, col->metric, col->help, col->kind);
		prev = col->metric;
		for (size_t r = 0; r < s->nservices; r++) {
			const struct snap_service *sv = &s->svc[r];
			(void)buf_printf(out, "%s{service=\"%s\"%s%s} %" PRIu64 "\n",
			    col->metric, sv->name, col->label ? "," : "",
			    col->label ? col->label : "", col->value(&sv->rec));
		}
	}
}

static void
render_scalars(const struct snap *s, struct buf *out)
{
	for (size_t i = 0; i < fig_nscalars; i++) {
		const struct fig_scalar *f = &fig_scalars[i];
		if (f->metric == NULL)
			continue;
		header(out, f->metric, f->help, f->kind);
		if (f->kind == FIG_STRING)
			(void)buf_printf(out, "%s{version=\"%s\"} 1\n", f->metric,
			    fig_version());
		else
			(void)buf_printf(out, "%s %" PRIu64 "\n", f->metric,
			    f->value(s));
	}
}

int
metrics_render(const struct snap *s, struct buf *out)
{
	header(out, "cloister_up",
	    "1 once the helper has statistics from cloisterd.", FIG_GAUGE);
	(void)buf_printf(out, "cloister_up %d\n", s->valid ? 1 : 0);
	header(out, "cloister_stats_dropped_records_total",
	    "Statistics records the helper refused.", FIG_COUNTER);
	(void)buf_printf(out, "cloister_stats_dropped_records_total %" PRIu64 "\n",
	    s->dropped);
	if (s->valid) {
		render_scalars(s, out);
		render_columns(s, out);
	}
	return out->failed ? -1 : 0;
}
