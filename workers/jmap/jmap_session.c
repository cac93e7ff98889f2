/*
 * jmap_session: the Session resource (RFC 8620 section 2; the mail
 * capability of RFC 8621 section 1.3) and the limits it advertises.
 */
#include "cloister_config.h"
#include "jmap_internal.h"
#include "sieve_run.h"
#include "jmap_snooze.h"
#include "store_client.h"
#include "sv_table.h"

#include <stdio.h>
#include <string.h>

/* What the store allows, as JMAP states it. */
#define MAIL_MAX_DEPTH 32
#define MAIL_MAX_NAME 255            /* bytes of one Mailbox name */
#define MAIL_MAX_ATTACHMENTS (50u * 1024 * 1024)

void
jmap_limits_default(struct jmap_limits *l)
{
	l->max_size_upload = 50u * 1024 * 1024;
	l->max_concurrent_upload = 4;
	l->max_size_request = 10u * 1024 * 1024;
	l->max_concurrent_requests = 4;
	l->max_calls_in_request = 16;
	l->max_objects_in_get = 500;
	l->max_objects_in_set = 500;
	l->sieve_max_scripts = JMAP_SIEVE_MAX_SCRIPTS;
	l->sieve_max_script_size = JMAP_SIEVE_MAX_SCRIPT_SIZE;
	l->max_delayed_send = JMAP_MAX_DELAYED_SEND;
	l->undo_send_seconds = 0;
}

bool
jmap_capability_known(const char *cap)
{
	return strcmp(cap, JMAP_CAP_CORE) == 0 ||
	    strcmp(cap, JMAP_CAP_MAIL) == 0 ||
	    strcmp(cap, JMAP_CAP_SUBMISSION) == 0 ||
	    strcmp(cap, JMAP_CAP_VACATION) == 0 ||
	    strcmp(cap, JMAP_CAP_SIEVE) == 0 ||
	    strcmp(cap, JMAP_CAP_CYRUS_MAIL) == 0;
}

static uint64_t
fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

void
jmap_session_state(const struct jmap_account *a, char *buf, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;
	const struct jmap_limits *l = a->limits;
	uint64_t v[] = { l->max_size_upload, l->max_concurrent_upload,
	    l->max_size_request, l->max_concurrent_requests,
	    l->max_calls_in_request, l->max_objects_in_get,
	    l->max_objects_in_set, l->sieve_max_scripts,
	    l->sieve_max_script_size };
	h = fnv(h, a->username, strlen(a->username) + 1);
	h = fnv(h, a->account_id, strlen(a->account_id) + 1);
	h = fnv(h, v, sizeof(v));
	snprintf(buf, n, "%016llx", (unsigned long long)h);
}

static json_t *
core_capability(const struct jmap_limits *l)
{
	return json_pack("{sIsIsIsIsIsIsIs[sss]}",
	    "maxSizeUpload", (json_int_t)l->max_size_upload,
	    "maxConcurrentUpload", (json_int_t)l->max_concurrent_upload,
	    "maxSizeRequest", (json_int_t)l->max_size_request,
	    "maxConcurrentRequests", (json_int_t)l->max_concurrent_requests,
	    "maxCallsInRequest", (json_int_t)l->max_calls_in_request,
	    "maxObjectsInGet", (json_int_t)l->max_objects_in_get,
	    "maxObjectsInSet", (json_int_t)l->max_objects_in_set,
	    "collationAlgorithms", "i;ascii-numeric", "i;ascii-casemap",
	    "i;unicode-casemap");
}

/* The account's urn:ietf:params:jmap:mail capability (RFC 8621 1.3.1). */
static json_t *
mail_account_capability(void)
{
	return json_pack("{snsIsIsIs[sssssssss]sb}",
	    "maxMailboxesPerEmail",
	    "maxMailboxDepth", (json_int_t)MAIL_MAX_DEPTH,
	    "maxSizeMailboxName", (json_int_t)MAIL_MAX_NAME,
	    "maxSizeAttachmentsPerEmail", (json_int_t)MAIL_MAX_ATTACHMENTS,
	    "emailQuerySortOptions", "receivedAt", "size", "from", "to",
	    "subject", "sentAt", "hasKeyword", "someInThreadHaveKeyword",
	    "allInThreadHaveKeyword",
	    "mayCreateTopLevelMailbox", 1);
}

/* The account's urn:ietf:params:jmap:sieve capability (RFC 9661 1.2.1):
 * the store's quota, and every extension the compiler takes in a
 * require (sieve/sv_table.c), enotify's one method. */
static json_t *
sieve_account_capability(const struct jmap_limits *l)
{
	struct sieve_budget b = SIEVE_BUDGET_DEFAULT;
	json_t *ext = json_array();
	for (size_t i = 0; ext != NULL && i < SV_EXT_COUNT; i++)
		if (sv_ext_names[i][0] != '\0')
			json_array_append_new(ext, json_string(sv_ext_names[i]));
	json_t *n = l->sieve_max_scripts ? json_integer(
	    (json_int_t)l->sieve_max_scripts) : json_null();
	return json_pack("{sIsIsosIsos[s]snss}",
	    "maxSizeScriptName", (json_int_t)STORE_SIEVE_NAME_MAX,
	    "maxSizeScript", (json_int_t)(l->sieve_max_script_size &&
	    l->sieve_max_script_size < SIEVE_MAX_SCRIPT ?
	    l->sieve_max_script_size : SIEVE_MAX_SCRIPT),
	    "maxNumberScripts", n,
	    "maxNumberRedirects", (json_int_t)b.redirects,
	    "sieveExtensions", ext,
	    "notificationMethods", "mailto",
	    "externalLists",
	    "implementation", "Cloister " CLOISTER_VERSION);
}

static json_t *
urls(const char *base)
{
	char api[512], down[512], up[512], ev[512];
	snprintf(api, sizeof(api), "%s/jmap/api/", base);
	snprintf(down, sizeof(down), "%s/jmap/download/{accountId}/{blobId}/"
	    "{name}?type={type}", base);
	snprintf(up, sizeof(up), "%s/jmap/upload/{accountId}/", base);
	snprintf(ev, sizeof(ev), "%s/jmap/eventsource/?types={types}"
	    "&closeafter={closeafter}&ping={ping}", base);
	return json_pack("{ssssssss}", "apiUrl", api, "downloadUrl", down,
	    "uploadUrl", up, "eventSourceUrl", ev);
}

/* maxDelayedSend, and FUTURERELEASE (RFC 4865) with the longest hold in
 * seconds: HOLDFOR and HOLDUNTIL are taken up to it. */
static json_t *
submission_account_capability(const struct jmap_limits *l)
{
	char max[24];
	snprintf(max, sizeof(max), "%llu", (unsigned long long)l->max_delayed_send);
	if (l->max_delayed_send == 0)
		return json_pack("{sIs{}}", "maxDelayedSend", (json_int_t)0,
		    "submissionExtensions");
	return json_pack("{sIs{s[s]}}", "maxDelayedSend",
	    (json_int_t)l->max_delayed_send, "submissionExtensions",
	    "FUTURERELEASE", max);
}

json_t *
jmap_session_resource(const struct jmap_account *a, const char *base)
{
	char state[32];
	jmap_session_state(a, state, sizeof(state));
	json_t *s = json_pack("{s{sososososo}s{s{sssbsbs{sosososo}}}"
	    "s{ssssssss}ssss}",
	    "capabilities",
	    JMAP_CAP_CORE, core_capability(a->limits),
	    JMAP_CAP_MAIL, json_object(),
	    JMAP_CAP_SUBMISSION, json_object(),
	    JMAP_CAP_VACATION, json_object(),
	    JMAP_CAP_SIEVE, json_object(),
	    "accounts", a->account_id,
	    "name", a->username, "isPersonal", 1, "isReadOnly", 0,
	    "accountCapabilities", JMAP_CAP_MAIL, mail_account_capability(),
	    JMAP_CAP_VACATION, json_object(),
	    JMAP_CAP_SIEVE, sieve_account_capability(a->limits),
	    JMAP_CAP_SUBMISSION, submission_account_capability(a->limits),
	    "primaryAccounts", JMAP_CAP_MAIL, a->account_id,
	    JMAP_CAP_SUBMISSION, a->account_id,
	    JMAP_CAP_VACATION, a->account_id,
	    JMAP_CAP_SIEVE, a->account_id,
	    "username", a->username, "state", state);
	/* Cyrus's vendor capability: the Email property snoozed */
	json_t *acct = json_object_get(json_object_get(s, "accounts"),
	    a->account_id);
	if (s != NULL && (json_object_set_new(json_object_get(s, "capabilities"),
	    JMAP_CAP_CYRUS_MAIL, json_object()) != 0 || json_object_set_new(
	    json_object_get(acct, "accountCapabilities"), JMAP_CAP_CYRUS_MAIL,
	    json_object()) != 0)) {
		json_decref(s);
		s = NULL;
	}
	json_t *u = urls(base);
	if (s == NULL || u == NULL || json_object_update(s, u) != 0) {
		json_decref(s);
		s = NULL;
	}
	json_decref(u);
	return s;
}
