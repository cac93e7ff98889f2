/* libFuzzer target: the Email property `snoozed` of an Email/set patch
 * (workers/jmap/jmap_snooze.c) made into the store's snooze, with no
 * store. Input: a JSON object whose "current" is the value the email has
 * now (an object or null) and whose other keys are the patch's
 * ("snoozed", "snoozed/until", "snoozed/setKeywords/$seen", ...). */
#include <stdint.h>
#include <string.h>

#include "jmap_snooze.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *in = json_loadb((const char *)data, size, 0, NULL);
	if (!json_is_object(in)) {
		json_decref(in);
		return 0;
	}
	struct jmap_snooze_change sn = { NULL, NULL };
	const char *k;
	json_t *v;
	bool ok = true;
	json_object_foreach(in, k, v)
		if (ok && jmap_snooze_key(k))
			ok = jmap_snooze_read(&sn, k, v);
	json_t *cur = json_object_get(in, "current");
	struct jmap_call c;
	memset(&c, 0, sizeof(c));
	struct store_snooze s;
	if (ok && jmap_snooze_named(&sn)) {
		const char *bad = jmap_snooze_value(&c, cur ? cur : json_null(),
		    &sn, &s);
		/* what goes to the store is bounded and terminated */
		if (bad == NULL && (strlen(s.add) > STORE_SNOOZE_FLAGS_MAX ||
		    strlen(s.rm) > STORE_SNOOZE_FLAGS_MAX ||
		    s.until > STORE_SNOOZE_UNTIL_MAX + 1))
			__builtin_trap();
	}
	jmap_snooze_change_free(&sn);
	json_decref(in);
	return 0;
}
