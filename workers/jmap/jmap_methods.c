/* jmap_methods: every method the API answers, the capability each needs
 * in `using` and the arguments each takes (RFC 8620 section 5, RFC 8621):
 * a name outside the list is invalidArguments, so a client's typo or an
 * extension this server lacks is reported instead of silently ignored. */
#include "jmap_internal.h"
#include "jmap_submission.h"

#define GET "accountId", "ids", "properties"
#define BODY_FETCH "bodyProperties", "fetchTextBodyValues", \
	"fetchHTMLBodyValues", "fetchAllBodyValues", "maxBodyValueBytes"
#define QUERY "accountId", "filter", "sort", "position", "anchor", \
	"anchorOffset", "limit", "calculateTotal"
#define QUERY_CHANGES "accountId", "filter", "sort", "sinceQueryState", \
	"maxChanges", "upToId", "calculateTotal"
#define SET "accountId", "ifInState", "create", "update", "destroy"

static const char *const get_args[] = { GET, NULL };
static const char *const changes_args[] = {
	"accountId", "sinceState", "maxChanges", NULL };
static const char *const set_args[] = { SET, NULL };
static const char *const mailbox_query_args[] = {
	QUERY, "sortAsTree", "filterAsTree", NULL };
static const char *const mailbox_qchanges_args[] = {
	QUERY_CHANGES, "sortAsTree", "filterAsTree", NULL };
static const char *const mailbox_set_args[] = {
	SET, "onDestroyRemoveEmails", NULL };
static const char *const email_get_args[] = { GET, BODY_FETCH, NULL };
static const char *const email_query_args[] = {
	QUERY, "collapseThreads", NULL };
static const char *const email_qchanges_args[] = {
	QUERY_CHANGES, "collapseThreads", NULL };
static const char *const email_import_args[] = {
	"accountId", "ifInState", "emails", NULL };
static const char *const email_parse_args[] = {
	"accountId", "blobIds", "properties", BODY_FETCH, NULL };
static const char *const email_copy_args[] = {
	"fromAccountId", "ifFromInState", "accountId", "ifInState", "create",
	"onSuccessDestroyOriginal", "destroyFromIfInState", NULL };
static const char *const blob_copy_args[] = {
	"fromAccountId", "accountId", "blobIds", NULL };
static const char *const sieve_set_args[] = {
	SET, "onSuccessActivateScript", "onSuccessDeactivateScript", NULL };
static const char *const sieve_query_args[] = { QUERY, NULL };
static const char *const sieve_validate_args[] = {
	"accountId", "blobId", NULL };
static const char *const pushsub_get_args[] = { "ids", "properties", NULL };
static const char *const pushsub_set_args[] = {
	"create", "update", "destroy", NULL };
static const char *const submission_query_args[] = { QUERY, NULL };
static const char *const submission_qchanges_args[] = { QUERY_CHANGES, NULL };
static const char *const submission_set_args[] = {
	SET, "onSuccessUpdateEmail", "onSuccessDestroyEmail", NULL };
static const char *const snippet_args[] = {
	"accountId", "filter", "emailIds", NULL };

const struct jmap_method jmap_methods[] = {
	{ "Core/echo", JMAP_CAP_CORE, jmap_core_echo, NULL },
	{ "Mailbox/get", JMAP_CAP_MAIL, jmap_mailbox_get, get_args },
	{ "Mailbox/changes", JMAP_CAP_MAIL, jmap_mailbox_changes,
	  changes_args },
	{ "Mailbox/query", JMAP_CAP_MAIL, jmap_mailbox_query,
	  mailbox_query_args },
	{ "Mailbox/set", JMAP_CAP_MAIL, jmap_mailbox_set, mailbox_set_args },
	{ "Email/get", JMAP_CAP_MAIL, jmap_email_get, email_get_args },
	{ "Email/changes", JMAP_CAP_MAIL, jmap_email_changes, changes_args },
	{ "Email/query", JMAP_CAP_MAIL, jmap_email_query, email_query_args },
	{ "Email/set", JMAP_CAP_MAIL, jmap_email_set, set_args },
	{ "Email/import", JMAP_CAP_MAIL, jmap_email_import,
	  email_import_args },
	{ "Email/parse", JMAP_CAP_MAIL, jmap_email_parse, email_parse_args },
	{ "Email/copy", JMAP_CAP_MAIL, jmap_email_copy, email_copy_args },
	{ "Blob/copy", JMAP_CAP_CORE, jmap_blob_copy, blob_copy_args },
	{ "Thread/get", JMAP_CAP_MAIL, jmap_thread_get, get_args },
	{ "Thread/changes", JMAP_CAP_MAIL, jmap_thread_changes, changes_args },
	{ "Mailbox/queryChanges", JMAP_CAP_MAIL, jmap_mailbox_query_changes,
	  mailbox_qchanges_args },
	{ "Email/queryChanges", JMAP_CAP_MAIL, jmap_email_query_changes,
	  email_qchanges_args },
	{ "SearchSnippet/get", JMAP_CAP_MAIL, jmap_snippet_get, snippet_args },
	{ "Identity/get", JMAP_CAP_SUBMISSION, jmap_identity_get, get_args },
	{ "Identity/changes", JMAP_CAP_SUBMISSION, jmap_identity_changes,
	  changes_args },
	{ "Identity/set", JMAP_CAP_SUBMISSION, jmap_identity_set, set_args },
	{ "EmailSubmission/get", JMAP_CAP_SUBMISSION, jmap_submission_get,
	  get_args },
	{ "EmailSubmission/changes", JMAP_CAP_SUBMISSION,
	  jmap_submission_changes, changes_args },
	{ "EmailSubmission/query", JMAP_CAP_SUBMISSION, jmap_submission_query,
	  submission_query_args },
	{ "EmailSubmission/queryChanges", JMAP_CAP_SUBMISSION,
	  jmap_submission_query_changes, submission_qchanges_args },
	{ "EmailSubmission/set", JMAP_CAP_SUBMISSION, jmap_submission_set,
	  submission_set_args },
	{ "VacationResponse/get", JMAP_CAP_VACATION, jmap_vacation_get,
	  get_args },
	{ "VacationResponse/set", JMAP_CAP_VACATION, jmap_vacation_set,
	  set_args },
	{ "SieveScript/get", JMAP_CAP_SIEVE, jmap_sieve_get, get_args },
	{ "SieveScript/set", JMAP_CAP_SIEVE, jmap_sieve_set, sieve_set_args },
	{ "SieveScript/query", JMAP_CAP_SIEVE, jmap_sieve_query,
	  sieve_query_args },
	{ "SieveScript/validate", JMAP_CAP_SIEVE, jmap_sieve_validate,
	  sieve_validate_args },
	{ "PushSubscription/get", JMAP_CAP_CORE, jmap_pushsub_get,
	  pushsub_get_args },
	{ "PushSubscription/set", JMAP_CAP_CORE, jmap_pushsub_set,
	  pushsub_set_args },
	{ NULL, NULL, NULL, NULL },
};
