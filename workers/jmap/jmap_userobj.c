/* jmap_userobj: JSON documents stored per user (see jmap_userobj.h). */
#include "jmap_userobj.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
jmap_userobj_load(struct jmap_call *c, const char *key,
    struct jmap_userobj *o)
{
	struct buf b = BUF_INIT(STORE_OBJ_MAX);
	o->doc = NULL;
	int rc = store_obj_get(c->account->store, key, &b, &o->modseq);
	if (rc == STORE_OK) {
		o->doc = b.len ? json_loadb((const char *)b.data, b.len, 0,
		    NULL) : NULL;
		if (!json_is_object(o->doc)) {
			json_decref(o->doc);
			o->doc = json_object();
		}
	}
	buf_free(&b);
	return rc;
}

int
jmap_userobj_save(struct jmap_call *c, const char *key,
    struct jmap_userobj *o)
{
	char *s = json_dumps(o->doc, JSON_COMPACT);
	if (s == NULL)
		return STORE_E_INTERNAL;
	size_t n = strlen(s);
	int rc = n > STORE_OBJ_MAX ? STORE_E_LIMIT :
	    store_obj_set(c->account->store, key, o->modseq, s, n, &o->modseq);
	free(s);
	return rc;
}

void
jmap_userobj_free(struct jmap_userobj *o)
{
	json_decref(o->doc);
	o->doc = NULL;
}

void
jmap_user_address(const struct jmap_account *a, char *buf, size_t n)
{
	if (strchr(a->username, '@') != NULL)
		snprintf(buf, n, "%s", a->username);
	else
		snprintf(buf, n, "%s@%s", a->username,
		    a->domain ? a->domain : "localhost");
}
