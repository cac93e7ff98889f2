/* jmap_methods: every method the API answers and the capability each
 * needs in `using`. */
#include "jmap_internal.h"

const struct jmap_method jmap_methods[] = {
	{ "Core/echo", JMAP_CAP_CORE, jmap_core_echo },
	{ "Mailbox/get", JMAP_CAP_MAIL, jmap_mailbox_get },
	{ "Mailbox/changes", JMAP_CAP_MAIL, jmap_mailbox_changes },
	{ "Mailbox/query", JMAP_CAP_MAIL, jmap_mailbox_query },
	{ "Mailbox/set", JMAP_CAP_MAIL, jmap_mailbox_set },
	{ "Email/get", JMAP_CAP_MAIL, jmap_email_get },
	{ "Email/changes", JMAP_CAP_MAIL, jmap_email_changes },
	{ "Email/query", JMAP_CAP_MAIL, jmap_email_query },
	{ "Email/set", JMAP_CAP_MAIL, jmap_email_set },
	{ "Email/import", JMAP_CAP_MAIL, jmap_email_import },
	{ "Email/parse", JMAP_CAP_MAIL, jmap_email_parse },
	{ "Email/copy", JMAP_CAP_MAIL, jmap_email_copy },
	{ "Blob/copy", JMAP_CAP_CORE, jmap_blob_copy },
	{ "Thread/get", JMAP_CAP_MAIL, jmap_thread_get },
	{ "Thread/changes", JMAP_CAP_MAIL, jmap_thread_changes },
	{ "Mailbox/queryChanges", JMAP_CAP_MAIL, jmap_mailbox_query_changes },
	{ "Email/queryChanges", JMAP_CAP_MAIL, jmap_email_query_changes },
	{ "SearchSnippet/get", JMAP_CAP_MAIL, jmap_snippet_get },
	{ "Identity/get", JMAP_CAP_SUBMISSION, jmap_identity_get },
	{ "Identity/changes", JMAP_CAP_SUBMISSION, jmap_identity_changes },
	{ "Identity/set", JMAP_CAP_SUBMISSION, jmap_identity_set },
	{ "VacationResponse/get", JMAP_CAP_VACATION, jmap_vacation_get },
	{ "VacationResponse/set", JMAP_CAP_VACATION, jmap_vacation_set },
	{ NULL, NULL, NULL },
};
