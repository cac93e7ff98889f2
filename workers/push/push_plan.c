/* push_plan: the messages of one event (push_plan.h). */
#include "push_plan.h"
#include "push_b64.h"

#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
push_account_id(const char *user, char *buf, size_t n)
{
	uint8_t h[SHA256_DIGEST_LENGTH];
	SHA256((const uint8_t *)user, strlen(user), h);
	size_t o = (size_t)snprintf(buf, n, "A");
	for (size_t i = 0; i < 12 && o + 2 < n; i++, o += 2)
		snprintf(buf + o, n - o, "%02x", h[i]);
}

/* The types of the kind that moved, and whether types (null: all) wants
 * any: the StateChange's "changed" entry for the account, or NULL. */
static json_t *
changed_types(json_t *types, unsigned kind, uint64_t state)
{
	static const char *const mail[] = { "Mailbox", "Email", "Thread",
		"EmailDelivery", NULL };
	static const char *const objects[] = { "Identity", "VacationResponse",
		"SieveScript", NULL };
	const char *const *list = kind == PUSH_KIND_MAIL ? mail : objects;
	char s[24];
	size_t i;
	json_t *v, *out = json_object();
	snprintf(s, sizeof(s), "%llu", (unsigned long long)state);
	for (; *list != NULL; list++) {
		bool want = json_is_null(types) || types == NULL;
		json_array_foreach(types, i, v)
			want = want || strcmp(json_string_value(v), *list) == 0;
		if (want)
			json_object_set_new(out, *list, json_string(s));
	}
	if (json_object_size(out) == 0) {
		json_decref(out);
		return NULL;
	}
	return out;
}

static bool
keys_of(json_t *keys, struct push_msg *m)
{
	const char *p = json_string_value(json_object_get(keys, "p256dh"));
	const char *a = json_string_value(json_object_get(keys, "auth"));
	m->has_keys = false;
	if (json_is_null(keys) || keys == NULL)
		return true;
	if (p == NULL || a == NULL ||
	    push_b64url_decode(p, strlen(p), m->p256dh, 65) != 65 ||
	    push_b64url_decode(a, strlen(a), m->auth, 16) != 16)
		return false;
	m->has_keys = true;
	return true;
}

/* The message for one subscription, false when it gets none. */
static bool
plan_one(const char *id, json_t *sub, const char *account, uint64_t state,
    unsigned kind, push_sent_fn sent, void *ctx, struct push_msg *m)
{
	json_t *code = json_object_get(sub, "code");
	json_t *verified = json_object_get(sub, "verificationCode");
	json_t *body;
	memset(m, 0, sizeof(*m));
	m->url = json_string_value(json_object_get(sub, "url"));
	if (m->url == NULL || strlen(id) >= sizeof(m->id) ||
	    !keys_of(json_object_get(sub, "keys"), m))
		return false;
	snprintf(m->id, sizeof(m->id), "%s", id);
	if (!json_is_string(code))
		return false;
	if (!json_equal(code, verified)) {
		if (sent != NULL && sent(ctx, id))
			return false;
		m->verification = true;
		body = json_pack("{sssssO}", "@type", "PushVerification",
		    "pushSubscriptionId", id, "verificationCode", code);
	} else {
		json_t *ch = kind == PUSH_KIND_SUBSCRIPTIONS ? NULL :
		    changed_types(json_object_get(sub, "types"), kind, state);
		if (ch == NULL)
			return false;
		body = json_pack("{sss{so}}", "@type", "StateChange",
		    "changed", account, ch);
	}
	m->json = body ? json_dumps(body, JSON_COMPACT) : NULL;
	json_decref(body);
	return m->json != NULL;
}

size_t
push_plan(json_t *doc, const char *user, uint64_t state, unsigned kind,
    uint64_t now, push_sent_fn sent, void *ctx, struct push_msg *out)
{
	char account[32];
	const char *id;
	json_t *sub;
	size_t n = 0;
	push_account_id(user, account, sizeof(account));
	json_object_foreach(doc, id, sub) {
		json_t *exp = json_object_get(sub, "expires");
		if (n == PUSH_PLAN_MAX)
			break;
		if (!json_is_integer(exp) ||
		    (uint64_t)json_integer_value(exp) <= now)
			continue;
		if (plan_one(id, sub, account, state, kind, sent, ctx, &out[n]))
			n++;
	}
	return n;
}

void
push_msg_free(struct push_msg *m)
{
	free(m->json);
	m->json = NULL;
}
