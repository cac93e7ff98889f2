/* snap: validate aggregate records and publish whole periods (see snap.h). */
#include "snap.h"
#include "buf.h"

#include <stdio.h>
#include <string.h>

void
snap_reader_init(struct snap_reader *r)
{
	memset(r, 0, sizeof(*r));
}

uint32_t
snap_row_index(const struct snap_service *s)
{
	return (uint32_t)s->rec.service_index + 1;
}

static bool
valid_name(const char *name)
{
	size_t n = strnlen(name, STATS_NAME_MAX);
	if (n == 0 || n == STATS_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return false;
	}
	/* NUL-padded: nothing may follow the terminator */
	for (size_t i = n; i < STATS_NAME_MAX; i++)
		if (name[i] != '\0')
			return false;
	return true;
}

static enum snap_result
drop(struct snap_reader *r, const char *why, unsigned v)
{
	r->dropped++;
	(void)buf_snprintf(r->why, sizeof(r->why), "%s (%u)", why, v);
	return SNAP_DROPPED;
}

static uint64_t
sat_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static void
publish(struct snap_reader *r, const struct stats_aggregate *global,
    struct snap *out)
{
	memset(out, 0, sizeof(*out));
	out->valid = true;
	out->uptime_s = global->uptime_s;
	out->generation = global->generation;
	for (size_t i = 0; i < SNAP_MAX_SERVICES; i++) {
		if (!r->seen[i])
			continue;
		const struct stats_aggregate *a = &r->pending[i];
		bool dup = false;
		for (size_t j = 0; j < out->nservices; j++)
			if (strncmp(out->svc[j].name, a->name, STATS_NAME_MAX) == 0)
				dup = true;
		if (dup) {
			/* two indexes, one name: the series would collide */
			(void)drop(r, "duplicate service name", (unsigned)i);
			continue;
		}
		struct snap_service *s = &out->svc[out->nservices++];
		s->rec = *a;
		memcpy(s->name, a->name, STATS_NAME_MAX);
		out->store_users = sat_add(out->store_users, a->gauge[SG_USERS]);
		out->store_messages = sat_add(out->store_messages,
		    a->gauge[SG_MESSAGES]);
		out->store_deliveries = sat_add(out->store_deliveries,
		    a->counter[ST_DELIVERIES]);
		out->store_operations = sat_add(out->store_operations,
		    a->counter[ST_STORE_OPS]);
		out->store_appends = sat_add(out->store_appends,
		    a->counter[ST_STORE_APPENDS]);
	}
	out->dropped = r->dropped;
	memset(r->seen, 0, sizeof(r->seen));
}

enum snap_result
snap_feed(struct snap_reader *r, const void *rec, size_t n, struct snap *out)
{
	struct stats_aggregate a;
	if (n != sizeof(a))
		return drop(r, "short or long record", (unsigned)n);
	memcpy(&a, rec, sizeof(a));
	if (a.magic != STATS_MAGIC)
		return drop(r, "bad magic", a.magic);
	if (a.size != sizeof(a))
		return drop(r, "bad size field", a.size);
	if (a.service_index == STATS_GLOBAL) {
		publish(r, &a, out);
		return SNAP_PUBLISHED;
	}
	if (a.service_index >= SNAP_MAX_SERVICES)
		return drop(r, "service index out of range", a.service_index);
	if (!valid_name(a.name))
		return drop(r, "bad service name at index", a.service_index);
	r->pending[a.service_index] = a;
	r->seen[a.service_index] = true;
	return SNAP_PENDING;
}
