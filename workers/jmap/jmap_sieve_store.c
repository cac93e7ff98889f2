/* jmap_sieve_store: the user's Sieve scripts as JMAP sees them: the
 * store's list with the ids of jmapd's map, blob ids, reading an upload
 * and compiling it (jmap_sieve.h). */
#include "jmap_sieve.h"
#include "jmap_userobj.h"

#include <openssl/sha.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Tries of a map change another session's save raced with. */
#define MAP_TRIES 4

static int
add_script(void *arg, const struct store_sieve_info *s)
{
	struct jmap_sieve_list *l = arg;
	if (!jmap_grow(&l->v, &l->cap, l->n, sizeof(*l->v)))
		return STORE_E_INTERNAL;
	struct jmap_sieve_script *x = &l->v[l->n];
	memset(x, 0, sizeof(*x));
	if (buf_strlcpy(x->name, sizeof(x->name), s->name,
	    strlen(s->name)) < 0)
		return STORE_OK;   /* longer than the store allows: not one */
	x->active = s->active;
	x->size = s->size;
	l->n++;
	return STORE_OK;
}

static json_t *
map_ids(json_t *doc)
{
	json_t *ids = json_object_get(doc, "ids");
	if (!json_is_object(ids)) {
		ids = json_object();
		json_object_set_new(doc, "ids", ids);
	}
	return ids;
}

/* A new id from the map's counter. */
static void
next_id(json_t *doc, char id[JMAP_ID_MAX])
{
	json_int_t next = json_integer_value(json_object_get(doc, "next"));
	if (next < 1)
		next = 1;
	jmap_id_fmt(id, 'S', (uint64_t)next);
	json_object_set_new(doc, "next", json_integer(next + 1));
}

/* Give every listed script its id from doc; true if doc changed. */
static bool
assign_ids(json_t *doc, struct jmap_sieve_list *l)
{
	json_t *ids = map_ids(doc), *v;
	bool changed = false;
	const char *k;
	void *tmp;
	json_object_foreach_safe(ids, tmp, k, v) {
		if (jmap_sieve_by_name(l, k) == NULL) {
			json_object_del(ids, k);
			changed = true;
		}
	}
	for (size_t i = 0; i < l->n; i++) {
		const char *id = json_string_value(json_object_get(ids,
		    l->v[i].name));
		if (id == NULL || strlen(id) >= JMAP_ID_MAX) {
			next_id(doc, l->v[i].id);
			json_object_set_new(ids, l->v[i].name,
			    json_string(l->v[i].id));
			changed = true;
		} else {
			memcpy(l->v[i].id, id, strlen(id) + 1);
		}
	}
	return changed;
}

/* The listing as the document last saw it ("seen": a hash of every
 * name, active flag and size): a change made by another protocol
 * (ManageSieve, cloisterctl) differs, and saving the document then moves
 * the user's state, which the store's own script calls do not. True if
 * doc changed. */
static bool
note_listing(json_t *doc, const struct jmap_sieve_list *l)
{
	uint64_t h = 0xcbf29ce484222325ull;
	char hex[17];
	for (size_t i = 0; i < l->n; i++) {
		const struct jmap_sieve_script *x = &l->v[i];
		uint8_t rec[sizeof(x->name) + 9];
		size_t n = strlen(x->name) + 1;
		memcpy(rec, x->name, n);
		rec[n++] = x->active;
		for (int b = 0; b < 8; b++)
			rec[n++] = (uint8_t)(x->size >> (8 * b));
		for (size_t k = 0; k < n; k++)
			h = (h ^ rec[k]) * 0x100000001b3ull;
	}
	snprintf(hex, sizeof(hex), "%016" PRIx64, h);
	const char *seen = json_string_value(json_object_get(doc, "seen"));
	/* no document and no script: nothing to note, nothing to save */
	if ((seen != NULL && strcmp(seen, hex) == 0) || (seen == NULL &&
	    l->n == 0))
		return false;
	json_object_set_new(doc, "seen", json_string(hex));
	return true;
}

/* The store's listing into l (emptied first). */
static int
list_store(struct store_conn *sc, struct jmap_sieve_list *l)
{
	l->n = 0;
	return store_sieve_list(sc, add_script, l);
}

int
jmap_sieve_list_load(struct jmap_call *c, struct jmap_sieve_list *l)
{
	int rc = STORE_E_CONFLICT;
	memset(l, 0, sizeof(*l));
	for (int t = 0; t < MAP_TRIES && rc == STORE_E_CONFLICT; t++) {
		struct jmap_userobj o = { 0 };
		rc = list_store(c->account->store, l);
		if (rc == STORE_OK)
			rc = jmap_userobj_load(c, JMAP_SIEVE_KEY, &o);
		/* both run: each may change the document */
		if (rc == STORE_OK && (int)assign_ids(o.doc, l) +
		    (int)note_listing(o.doc, l) > 0)
			rc = jmap_userobj_save(c, JMAP_SIEVE_KEY, &o);
		jmap_userobj_free(&o);
	}
	return rc;
}

void
jmap_sieve_list_free(struct jmap_sieve_list *l)
{
	free(l->v);
	memset(l, 0, sizeof(*l));
}

const struct jmap_sieve_script *
jmap_sieve_by_id(const struct jmap_call *c, const struct jmap_sieve_list *l,
    const char *id)
{
	if (id != NULL && id[0] == '#' && c != NULL && c->created_ids != NULL)
		id = json_string_value(json_object_get(c->created_ids, id + 1));
	for (size_t i = 0; id != NULL && i < l->n; i++)
		if (strcmp(l->v[i].id, id) == 0)
			return &l->v[i];
	return NULL;
}

const struct jmap_sieve_script *
jmap_sieve_by_name(const struct jmap_sieve_list *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i].name, name) == 0)
			return &l->v[i];
	return NULL;
}

const struct jmap_sieve_script *
jmap_sieve_active(const struct jmap_sieve_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].active)
			return &l->v[i];
	return NULL;
}

int
jmap_sieve_map_set(struct jmap_call *c, const char *name, const char *id,
    const char *old_name, char new_id[JMAP_ID_MAX])
{
	struct jmap_sieve_list now = { 0 };
	int rc = STORE_E_CONFLICT;
	for (int t = 0; t < MAP_TRIES && rc == STORE_E_CONFLICT; t++) {
		struct jmap_userobj o = { 0 };
		rc = jmap_userobj_load(c, JMAP_SIEVE_KEY, &o);
		if (rc != STORE_OK) {
			jmap_userobj_free(&o);
			break;
		}
		json_t *ids = map_ids(o.doc);
		if (old_name != NULL)
			json_object_del(ids, old_name);
		const char *have = name ? json_string_value(json_object_get(
		    ids, name)) : NULL;
		if (name != NULL && id != NULL)
			json_object_set_new(ids, name, json_string(id));
		else if (name != NULL && have != NULL &&
		    strlen(have) < JMAP_ID_MAX)
			memcpy(new_id, have, strlen(have) + 1);
		else if (name != NULL) {
			next_id(o.doc, new_id);
			json_object_set_new(ids, name, json_string(new_id));
		}
		/* a save even when nothing else changed: the state moves; the
		 * listing it follows is the one this change made */
		json_object_set_new(o.doc, "rev", json_integer(json_integer_value(
		    json_object_get(o.doc, "rev")) + 1));
		rc = list_store(c->account->store, &now);
		if (rc == STORE_OK) {
			(void)note_listing(o.doc, &now);
			rc = jmap_userobj_save(c, JMAP_SIEVE_KEY, &o);
		}
		jmap_userobj_free(&o);
	}
	jmap_sieve_list_free(&now);
	return rc;
}

void
jmap_sieve_blobid(const void *src, size_t len, char out[JMAP_BLOBID_MAX])
{
	uint8_t md[SHA256_DIGEST_LENGTH];
	SHA256(src, len, md);
	jmap_blobid_fmt(out, md, 0);
}

int
jmap_sieve_source_by_blob(struct store_conn *sc,
    const uint8_t id[STORE_BLOBID_LEN], struct buf *out)
{
	struct jmap_sieve_list l = { 0 };
	uint8_t md[SHA256_DIGEST_LENGTH];
	int rc = store_sieve_list(sc, add_script, &l);
	/* at most sieve-max-scripts scripts of at most 1 MiB each */
	for (size_t i = 0; rc == STORE_OK && i < l.n; i++) {
		out->len = 0;
		rc = store_sieve_get(sc, l.v[i].name, out);
		if (rc == STORE_OK) {
			SHA256(out->data, out->len, md);
			if (memcmp(md, id, sizeof(md)) == 0)
				break;
		} else if (rc == STORE_E_NOTFOUND) {
			rc = STORE_OK;   /* gone since the listing */
		}
		out->len = 0;
		if (rc == STORE_OK && i + 1 == l.n)
			rc = STORE_E_NOTFOUND;
	}
	if (rc == STORE_OK && l.n == 0)
		rc = STORE_E_NOTFOUND;
	jmap_sieve_list_free(&l);
	return rc;
}

int
jmap_sieve_blob_read(struct jmap_call *c, const char *blobid, uint64_t max,
    struct buf *out, int *rc)
{
	uint8_t id[STORE_BLOBID_LEN], *bytes = NULL;
	uint32_t part;
	uint64_t size = 0;
	int fd = -1;
	if (blobid == NULL || !jmap_blobid_parse(blobid, id, &part) ||
	    part != 0)
		return -1;
	*rc = store_blob_get(c->account->store, id, &fd, &size);
	if (*rc == STORE_E_NOTFOUND)
		return -1;
	if (*rc != STORE_OK)
		return -3;
	int r = size > max ? -2 : jmap_blob_read(fd, size, max, &bytes);
	close(fd);
	if (r == 0 && buf_append(out, bytes, (size_t)size) < 0)
		r = -2;
	free(bytes);
	return r < 0 ? -2 : 0;
}

uint64_t
jmap_sieve_max_size(const struct jmap_call *c)
{
	uint64_t m = c->account->limits->sieve_max_script_size;
	return m == 0 || m > SIEVE_SRC_MAX ? SIEVE_SRC_MAX : m;
}

json_t *
jmap_sieve_compile(const struct buf *src, struct buf *prog)
{
	struct sieve_error e;
	char msg[sizeof(e.msg) + 64];
	if (sieve_compile((const char *)src->data, src->len, prog, &e) == 0)
		return NULL;
	sieve_error_format(&e, msg, sizeof(msg));
	json_t *err = jmap_error("invalidSieve", msg);
	return err;
}

bool
jmap_sieve_name_ok(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n > STORE_SIEVE_NAME_MAX)
		return false;
	/* RFC 5804 section 1.6: no control characters, C1 and the line
	 * and paragraph separators (U+2028, U+2029) included */
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		if (*p < 0x20 || *p == 0x7f || *p == '/' ||
		    (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) ||
		    (p[0] == 0xe2 && p[1] == 0x80 && (p[2] == 0xa8 ||
		    p[2] == 0xa9)))
			return false;
	return true;
}
