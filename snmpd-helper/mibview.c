/* mibview: sorted OID list of one snapshot (see mibview.h). */
#include "mibview.h"

#include <string.h>

int
mib_parse_oid(const char *text, uint32_t *arcs, size_t max, size_t *n)
{
	size_t k = 0;
	const char *p = text;
	for (;;) {
		if (*p < '0' || *p > '9' || k >= max)
			return -1;
		uint64_t v = 0;
		const char *start = p;
		while (*p >= '0' && *p <= '9') {
			v = v * 10 + (uint64_t)(*p - '0');
			if (v > UINT32_MAX)
				return -1;
			p++;
		}
		if (p - start > 1 && *start == '0')
			return -1;          /* no leading zeros: one spelling per OID */
		arcs[k++] = (uint32_t)v;
		if (*p == '\0')
			break;
		if (*p != '.')
			return -1;
		p++;
	}
	if (k < 2)
		return -1;
	*n = k;
	return 0;
}

int
mib_oid_cmp(const uint32_t *a, size_t alen, const uint32_t *b, size_t blen)
{
	size_t n = alen < blen ? alen : blen;
	for (size_t i = 0; i < n; i++)
		if (a[i] != b[i])
			return a[i] < b[i] ? -1 : 1;
	return alen < blen ? -1 : alen > blen ? 1 : 0;
}

void
mibview_init(struct mibview *v, const uint32_t *base, size_t baselen)
{
	memset(v, 0, sizeof(*v));
	if (baselen > MIB_BASE_MAX)
		baselen = MIB_BASE_MAX;
	memcpy(v->base, base, baselen * sizeof(base[0]));
	v->baselen = baselen;
}

/* Append base.sub[0..nsub-1]; NULL if the view is full. */
static struct mib_entry *
add(struct mibview *v, const uint32_t *sub, size_t nsub, enum fig_kind kind)
{
	if (v->n >= MIB_VIEW_MAX || v->baselen + nsub > MIB_OID_MAX)
		return NULL;
	struct mib_entry *e = &v->e[v->n++];
	memset(e, 0, sizeof(*e));
	memcpy(e->oid, v->base, v->baselen * sizeof(uint32_t));
	memcpy(e->oid + v->baselen, sub, nsub * sizeof(uint32_t));
	e->len = (uint8_t)(v->baselen + nsub);
	e->kind = kind;
	return e;
}

static void
add_scalars(struct mibview *v, uint32_t group)
{
	for (size_t i = 0; i < fig_nscalars; i++) {
		const struct fig_scalar *f = &fig_scalars[i];
		if (f->group != group)
			continue;
		uint32_t sub[] = { FIG_OBJECTS, f->group, f->item, 0 };
		struct mib_entry *e = add(v, sub, 4, f->kind);
		if (e == NULL)
			return;
		if (f->kind == FIG_STRING) {
			e->str = fig_version();
			e->strlen = strlen(e->str);
		} else {
			e->value = f->value(&v->snap);
		}
	}
}

/* Column-major, rows ascending: the order GETNEXT walks a table in. The
 * snapshot's services are sorted by index, so rows come out sorted. */
static void
add_table(struct mibview *v)
{
	for (size_t c = 0; c < fig_ncolumns; c++) {
		const struct fig_column *col = &fig_columns[c];
		for (size_t r = 0; r < v->snap.nservices; r++) {
			const struct snap_service *s = &v->snap.svc[r];
			uint32_t sub[] = { FIG_OBJECTS, FIG_SERVICE_TABLE,
			    FIG_SERVICE_ENTRY, col->col, snap_row_index(s) };
			struct mib_entry *e = add(v, sub, 5, col->kind);
			if (e == NULL)
				return;
			if (col->kind == FIG_STRING) {
				e->str = s->name;
				e->strlen = strlen(s->name);
			} else {
				e->value = col->value(&s->rec);
			}
		}
	}
}

void
mibview_build(struct mibview *v, const struct snap *s)
{
	v->snap = *s;
	v->n = 0;
	if (!v->snap.valid)
		return;
	add_scalars(v, FIG_GENERAL);
	add_table(v);
	add_scalars(v, FIG_STORE);
}

/* Index of the first entry >= oid (strictly > when after is set). */
static size_t
lower_bound(const struct mibview *v, const uint32_t *oid, size_t len,
    bool after)
{
	size_t lo = 0, hi = v->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = mib_oid_cmp(v->e[mid].oid, v->e[mid].len, oid, len);
		if (c < 0 || (after && c == 0))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

const struct mib_entry *
mibview_get(const struct mibview *v, const uint32_t *oid, size_t len)
{
	size_t i = lower_bound(v, oid, len, false);
	if (i < v->n && mib_oid_cmp(v->e[i].oid, v->e[i].len, oid, len) == 0)
		return &v->e[i];
	return NULL;
}

const struct mib_entry *
mibview_next(const struct mibview *v, const uint32_t *oid, size_t len)
{
	size_t i = lower_bound(v, oid, len, true);
	return i < v->n ? &v->e[i] : NULL;
}

static bool
under(const struct mibview *v, const uint32_t *oid, size_t len,
    const uint32_t *sub, size_t nsub)
{
	if (len <= v->baselen + nsub ||
	    memcmp(oid, v->base, v->baselen * sizeof(uint32_t)) != 0)
		return false;
	return memcmp(oid + v->baselen, sub, nsub * sizeof(uint32_t)) == 0;
}

bool
mibview_is_object(const struct mibview *v, const uint32_t *oid, size_t len)
{
	for (size_t i = 0; i < fig_nscalars; i++) {
		uint32_t sub[] = { FIG_OBJECTS, fig_scalars[i].group,
		    fig_scalars[i].item };
		if (under(v, oid, len, sub, 3))
			return true;
	}
	for (size_t i = 0; i < fig_ncolumns; i++) {
		uint32_t sub[] = { FIG_OBJECTS, FIG_SERVICE_TABLE, FIG_SERVICE_ENTRY,
		    fig_columns[i].col };
		if (under(v, oid, len, sub, 4))
			return true;
	}
	return false;
}
