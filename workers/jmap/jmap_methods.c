/* jmap_methods: every method the API answers and the capability each
 * needs in `using`. */
#include "jmap_internal.h"

const struct jmap_method jmap_methods[] = {
	{ "Core/echo", JMAP_CAP_CORE, jmap_core_echo },
	{ NULL, NULL, NULL },
};
