/* jmap_blob_copy: Blob/copy (RFC 8620 section 6.3). A user has one
 * account, so a copy is from that account to itself: every blob the user
 * can read is "copied" as itself (the same id), anything else is
 * notCopied with notFound; another fromAccountId is fromAccountNotFound. */
#include "jmap_blob.h"
#include "jmap_getset.h"
#include "jmap_set.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A part is checked by cutting it out: messages larger than this are
 * not read for it (their parts are notFound). */
#define COPY_PART_SOURCE_MAX (64u << 20)

/* Is id a blob the user can read? 1 yes, 0 no, or a store error. */
static int
blob_exists(struct store_conn *sc, const char *id)
{
	uint8_t hash[STORE_BLOBID_LEN];
	uint32_t part = 0;
	int fd = -1;
	uint64_t size = 0;
	if (!jmap_blobid_parse(id, hash, &part))
		return 0;
	int rc = store_blob_get(sc, hash, &fd, &size);
	if (rc == STORE_E_NOTFOUND)
		return 0;
	if (rc < 0)
		return rc;
	uint8_t *msg = NULL;
	if (part != 0 && jmap_blob_read(fd, size, COPY_PART_SOURCE_MAX,
	    &msg) == 0) {
		struct buf out;
		char type[128];
		buf_init(&out, (size_t)size + 16);
		rc = jmap_blob_part(msg, (size_t)size, part, &out, type,
		    sizeof(type)) == 0;
		buf_free(&out);
		free(msg);
	} else {
		rc = part == 0;
	}
	close(fd);
	return rc;
}

json_t *
jmap_blob_copy(struct jmap_call *c, json_t **err)
{
	const char *from = json_string_value(json_object_get(c->args,
	    "fromAccountId"));
	json_t *ids = json_object_get(c->args, "blobIds");
	size_t i;
	json_t *v;
	if (!jmap_check_account(c, err))
		return NULL;
	if (from == NULL || !json_is_array(ids)) {
		*err = jmap_error("invalidArguments", from == NULL ?
		    "fromAccountId" : "blobIds");
		return NULL;
	}
	if (strcmp(from, c->account->account_id) != 0) {
		*err = jmap_error("fromAccountNotFound", NULL);
		return NULL;
	}
	if (json_array_size(ids) > c->account->limits->max_objects_in_set) {
		*err = jmap_error("requestTooLarge", "more blobIds than "
		    "maxObjectsInSet");
		return NULL;
	}
	json_t *copied = json_object(), *not_copied = json_object();
	json_array_foreach(ids, i, v) {
		const char *id = json_string_value(v);
		int rc = id != NULL ? blob_exists(c->account->store, id) : 0;
		if (rc < 0) {
			json_decref(copied);
			json_decref(not_copied);
			*err = jmap_store_error(c, rc);
			return NULL;
		}
		if (id == NULL) {
			*err = jmap_error("invalidArguments", "blobIds");
			json_decref(copied);
			json_decref(not_copied);
			return NULL;
		}
		json_object_set_new(rc ? copied : not_copied, id, rc ?
		    json_string(id) : jmap_set_error("notFound", NULL));
	}
	return json_pack("{ss ss so so}", "fromAccountId", from, "accountId",
	    c->account->account_id,
	    "copied", json_object_size(copied) ? copied : (json_decref(copied),
	    json_null()),
	    "notCopied", json_object_size(not_copied) ? not_copied :
	    (json_decref(not_copied), json_null()));
}
