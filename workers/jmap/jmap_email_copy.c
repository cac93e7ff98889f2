/* jmap_email_copy: Email/copy (RFC 8621 section 4.7, the /copy method of
 * RFC 8620 section 5.4).
 *
 * /copy moves records between two accounts. The server has one account
 * per user and shares none, so a fromAccountId that is not the user's
 * account is fromAccountNotFound, and the user's own account on both
 * sides is invalidArguments: RFC 8620 section 5.4 says of accountId
 * "The id of the account to copy records to. This MUST be different to
 * the "fromAccountId"." Copying an email inside the account is
 * Email/set's mailboxIds (or Email/import of its blobId). No call can
 * succeed, so onSuccessDestroyOriginal never leads to an Email/set. */
#include "jmap_internal.h"
#include "jmap_getset.h"

#include <string.h>

/* The arguments' types (RFC 8620 section 5.4); false if one is wrong. */
static bool
copy_args_typed(json_t *args)
{
	json_t *create = json_object_get(args, "create");
	json_t *destroy = json_object_get(args, "onSuccessDestroyOriginal");
	static const char *const states[] = { "ifFromInState", "ifInState",
	    "destroyFromIfInState" };
	if (!json_is_object(create) ||
	    (destroy != NULL && !json_is_boolean(destroy)))
		return false;
	for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++) {
		json_t *s = json_object_get(args, states[i]);
		if (s != NULL && !json_is_null(s) && !json_is_string(s))
			return false;
	}
	return true;
}

json_t *
jmap_email_copy(struct jmap_call *c, json_t **err)
{
	const char *from = json_string_value(json_object_get(c->args,
	    "fromAccountId"));
	if (!jmap_check_account(c, err))
		return NULL;
	if (from == NULL || !copy_args_typed(c->args)) {
		*err = jmap_error("invalidArguments", "fromAccountId, create, "
		    "onSuccessDestroyOriginal, if*InState");
		return NULL;
	}
	if (strcmp(from, c->account->account_id) != 0) {
		*err = jmap_error("fromAccountNotFound", NULL);
		return NULL;
	}
	*err = jmap_error("invalidArguments", "accountId must differ from "
	    "fromAccountId (RFC 8620 section 5.4): to copy an email within "
	    "the account, use Email/set mailboxIds");
	return NULL;
}
