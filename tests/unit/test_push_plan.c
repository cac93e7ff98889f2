/* test_push_plan: which subscriptions get what for an event: verification
 * once to the unverified, StateChange only to the verified, live ones
 * whose types moved, nothing to the expired; the account id jmapd uses. */
#include "check.h"
#include "push_plan.h"

#include <string.h>

static const char doc_text[] =
    "{\"Pnew\":{\"url\":\"https://p.example/1\",\"keys\":null,"
    "\"code\":\"c1\",\"verificationCode\":null,\"expires\":2000,"
    "\"types\":null},"
    "\"Pmail\":{\"url\":\"https://p.example/2\",\"keys\":{\"p256dh\":"
    "\"BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7V"
    "d8pZGH6SRpkNtoIAiw4\",\"auth\":\"BTBZMqHH6r4Tts7J_aSIgg\"},"
    "\"code\":\"c2\",\"verificationCode\":\"c2\",\"expires\":2000,"
    "\"types\":[\"Email\"]},"
    "\"Pall\":{\"url\":\"https://p.example/3\",\"keys\":null,"
    "\"code\":\"c3\",\"verificationCode\":\"c3\",\"expires\":2000,"
    "\"types\":null},"
    "\"Pold\":{\"url\":\"https://p.example/4\",\"keys\":null,"
    "\"code\":\"c4\",\"verificationCode\":\"c4\",\"expires\":999,"
    "\"types\":null},"
    "\"Pid\":{\"url\":\"https://p.example/5\",\"keys\":null,"
    "\"code\":\"c5\",\"verificationCode\":\"c5\",\"expires\":2000,"
    "\"types\":[\"Identity\"]},"
    "\"Pforged\":{\"url\":\"https://p.example/6\",\"keys\":null,"
    "\"code\":\"c6\",\"verificationCode\":\"c7\",\"expires\":2000,"
    "\"types\":null}}";

static bool
sent_pnew(void *ctx, const char *id)
{
	(void)ctx;
	return strcmp(id, "Pnew") == 0;
}

static const struct push_msg *
find(const struct push_msg *m, size_t n, const char *id)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(m[i].id, id) == 0)
			return &m[i];
	return NULL;
}

int
main(void)
{
	struct push_msg m[PUSH_PLAN_MAX];
	char acct[32];
	json_t *doc = json_loads(doc_text, 0, NULL);
	CHECK(doc != NULL);
	push_account_id("alice", acct, sizeof(acct));
	CHECK_EQ(strlen(acct), 25);
	CHECK(acct[0] == 'A');
	size_t n = push_plan(doc, "alice", 42, PUSH_KIND_MAIL, 1000, NULL,
	    NULL, m);
	CHECK_EQ(n, 4);                  /* Pnew, Pmail, Pall, Pforged */
	const struct push_msg *v = find(m, n, "Pnew");
	CHECK(v != NULL && v->verification && !v->has_keys);
	CHECK(v && strcmp(v->json, "{\"@type\":\"PushVerification\","
	    "\"pushSubscriptionId\":\"Pnew\",\"verificationCode\":\"c1\"}") == 0);
	const struct push_msg *e = find(m, n, "Pmail");
	CHECK(e != NULL && !e->verification && e->has_keys &&
	    e->p256dh[0] == 0x04);
	char want[160];
	snprintf(want, sizeof(want), "{\"@type\":\"StateChange\",\"changed\":"
	    "{\"%s\":{\"Email\":\"42\"}}}", acct);
	CHECK(e && strcmp(e->json, want) == 0);
	const struct push_msg *a = find(m, n, "Pall");
	CHECK(a && strstr(a->json, "\"Mailbox\":\"42\"") && strstr(a->json,
	    "\"Thread\":\"42\"") && !strstr(a->json, "Identity"));
	/* a code the client made up is not a verification: it gets the
	 * verification again, never a StateChange */
	const struct push_msg *f = find(m, n, "Pforged");
	CHECK(f && f->verification);
	CHECK(find(m, n, "Pold") == NULL && find(m, n, "Pid") == NULL);
	for (size_t i = 0; i < n; i++)
		push_msg_free(&m[i]);
	/* a verification already sent is not sent again; objects moved */
	n = push_plan(doc, "alice", 43, PUSH_KIND_OBJECTS, 1000, sent_pnew,
	    NULL, m);
	CHECK(find(m, n, "Pnew") == NULL);
	CHECK(find(m, n, "Pmail") == NULL);   /* Email only */
	CHECK(find(m, n, "Pid") != NULL && strstr(find(m, n, "Pid")->json,
	    "\"Identity\":\"43\""));
	for (size_t i = 0; i < n; i++)
		push_msg_free(&m[i]);
	/* the subscriptions changed (a client verified one): verifications
	 * only, no StateChange for a change of no JMAP type */
	n = push_plan(doc, "alice", 45, PUSH_KIND_SUBSCRIPTIONS, 1000, NULL,
	    NULL, m);
	CHECK_EQ(n, 2);
	CHECK(find(m, n, "Pnew") && find(m, n, "Pforged"));
	for (size_t i = 0; i < n; i++)
		push_msg_free(&m[i]);
	/* after expiry: nothing at all */
	CHECK_EQ(push_plan(doc, "alice", 44, PUSH_KIND_MAIL, 5000, NULL, NULL,
	    m), 0);
	json_decref(doc);
	return check_done("push_plan");
}
