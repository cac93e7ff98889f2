/* Unit tests for stored's refusal matrix: every request type x sender
 * (imapd, jmapd, lmtpd, a service no policy names, root's admin channel)
 * x channel state (no user bound, a user bound, each while frozen) gets
 * the verdict dispatch.c's table gives it (dispatch_verdict, what
 * dispatch() runs on), and that verdict is the one an independent
 * statement of the rules below expects: the sender's policy (its
 * store-op lines, read here on their own) or the admin flag, then the
 * state each kind of request needs, then the freeze. Some promises are
 * also checked on their own: lmtpd never reads, nobody but the admin
 * channel reaches an admin operation, nobody sends STORE_NOTIFY, and
 * before STORE_HELLO only ping, hello and the delivery right get through. */
#include "check.h"
#include "chan.h"
#include "config.h"
#include "db.h"
#include "dispatch.h"
#include "log.h"
#include "policy.h"
#include "rights.h"
#include "user.h"

#include <string.h>

#define NTYPES (RIGHTS_TYPE_SLOTS + 8)

static const uint32_t hello_ops[] = { IPC_STORE_HELLO };
static const uint32_t deliver_ops[] = { IPC_STORE_RCPT_CHECK, IPC_STORE_DELIVER,
	IPC_STORE_RCPT_PROVISION, IPC_STORE_SIEVE_PROGRAM, IPC_STORE_SEEN_CHECK,
	IPC_STORE_DELIVER_TO, IPC_STORE_MBOX_EXISTS, IPC_STORE_OUTBOX_REPORT,
	/* the push right: no ticket either */
	IPC_STORE_PUSH_WATCH, IPC_STORE_PUSH_GET, IPC_STORE_PUSH_PUT };
/* the delivery right or a user session: the handler tells which */
static const uint32_t either_ops[] = { IPC_STORE_OUTBOX_ADD };
static const uint32_t user_ops[] = {
	IPC_STORE_MBOX_LIST, IPC_STORE_MBOX_CREATE, IPC_STORE_MBOX_DELETE,
	IPC_STORE_MBOX_RENAME, IPC_STORE_MBOX_SUBSCRIBE, IPC_STORE_MBOX_STATUS,
	IPC_STORE_MBOX_SET_USE, IPC_STORE_RECENT_CLAIM, IPC_STORE_KEYWORDS,
	IPC_STORE_APPEND, IPC_STORE_FETCH, IPC_STORE_BODY, IPC_STORE_BODIES,
	IPC_STORE_FLAGS,
	IPC_STORE_COPY, IPC_STORE_MOVE, IPC_STORE_EXPUNGE, IPC_STORE_CHANGES,
	IPC_STORE_SEARCH, IPC_STORE_STATE, IPC_STORE_MBOX_CHANGES,
	IPC_STORE_EMAIL_CHANGES, IPC_STORE_BLOB_GET, IPC_STORE_THREAD_GET,
	IPC_STORE_EMAIL_LOCATE, IPC_STORE_EMAIL_LOCATE_MANY, IPC_STORE_QUOTA_GET,
	IPC_STORE_WATCH,
	IPC_STORE_BLOB_UPLOAD, IPC_STORE_BLOB_APPEND,
	IPC_STORE_OBJ_GET, IPC_STORE_OBJ_SET, IPC_STORE_API_SLOT,
	IPC_STORE_THREAD_COUNTS, IPC_STORE_EMAIL_QUERY,
	IPC_STORE_THREAD_CHANGES, IPC_STORE_THREAD_PEERS,
	IPC_STORE_SIEVE_LIST, IPC_STORE_SIEVE_PUT, IPC_STORE_SIEVE_GET,
	IPC_STORE_SIEVE_ACTIVATE, IPC_STORE_SIEVE_DELETE, IPC_STORE_SIEVE_RENAME,
	IPC_STORE_SIEVE_HAVESPACE, IPC_STORE_OUTBOX_LIST, IPC_STORE_OUTBOX_CHANGE,
	IPC_STORE_SNOOZE_SET, IPC_STORE_SNOOZE_GET,
};
static const uint32_t admin_ops[] = {
	IPC_STORE_ADM_USER_CREATE, IPC_STORE_ADM_USER_DELETE,
	IPC_STORE_ADM_USER_LIST, IPC_STORE_ADM_MBOX_CREATE,
	IPC_STORE_ADM_MBOX_DELETE, IPC_STORE_ADM_MBOX_RENAME,
	IPC_STORE_ADM_MBOX_LIST, IPC_STORE_ADM_QUOTA_GET,
	IPC_STORE_ADM_QUOTA_SET, IPC_STORE_ADM_FREEZE, IPC_STORE_ADM_THAW,
	IPC_STORE_ADM_MBOX_DETAIL, IPC_STORE_ADM_IMPORT_MBOX,
	IPC_STORE_ADM_IMPORT_APPEND, IPC_STORE_ADM_MSG_LIST,
	IPC_STORE_ADM_BODY, IPC_STORE_ADM_SIEVE_PUT, IPC_STORE_ADM_SIEVE,
	IPC_STORE_ADM_OUTBOX_ADD, IPC_STORE_ADM_OUTBOX_LIST,
};
/* submitd's, without a ticket (its handlers refuse a bound channel) */
static const uint32_t outbox_ops[] = { IPC_STORE_OUTBOX_CLAIM,
	IPC_STORE_OUTBOX_COMMIT, IPC_STORE_OUTBOX_RESULT };
/* what a freeze holds: requests that change data */
static const uint32_t write_ops[] = {
	IPC_STORE_DELIVER, IPC_STORE_MBOX_CREATE, IPC_STORE_MBOX_DELETE,
	IPC_STORE_MBOX_RENAME, IPC_STORE_MBOX_SUBSCRIBE, IPC_STORE_MBOX_SET_USE,
	IPC_STORE_APPEND, IPC_STORE_FLAGS, IPC_STORE_COPY, IPC_STORE_MOVE,
	IPC_STORE_EXPUNGE, IPC_STORE_OBJ_SET, IPC_STORE_ADM_USER_CREATE, IPC_STORE_ADM_USER_DELETE,
	IPC_STORE_ADM_MBOX_CREATE, IPC_STORE_ADM_MBOX_DELETE,
	IPC_STORE_ADM_MBOX_RENAME, IPC_STORE_ADM_QUOTA_SET,
	IPC_STORE_ADM_MBOX_DETAIL, IPC_STORE_ADM_IMPORT_MBOX,
	IPC_STORE_ADM_IMPORT_APPEND, IPC_STORE_BLOB_UPLOAD, IPC_STORE_BLOB_APPEND,
	IPC_STORE_SIEVE_PUT, IPC_STORE_SIEVE_ACTIVATE, IPC_STORE_SIEVE_DELETE,
	IPC_STORE_SIEVE_RENAME, IPC_STORE_SEEN_CHECK, IPC_STORE_DELIVER_TO,
	IPC_STORE_ADM_SIEVE_PUT, IPC_STORE_ADM_SIEVE, IPC_STORE_OUTBOX_ADD,
	IPC_STORE_OUTBOX_REPORT, IPC_STORE_ADM_OUTBOX_ADD, IPC_STORE_OUTBOX_CLAIM,
	IPC_STORE_OUTBOX_COMMIT, IPC_STORE_OUTBOX_RESULT, IPC_STORE_PUSH_PUT,
	IPC_STORE_OUTBOX_CHANGE,
	IPC_STORE_SNOOZE_SET,
};

#define IN(list, t) in(list, sizeof(list) / sizeof(list[0]), t)

static bool
in(const uint32_t *list, size_t n, uint32_t t)
{
	for (size_t i = 0; i < n; i++)
		if (list[i] == t)
			return true;
	return false;
}

struct sender {
	const char *name;
	bool admin;
	struct policy pol;      /* its store-op lines (none for the others) */
};

static struct sender senders[] = {
	{ .name = "imapd" }, { .name = "jmapd" }, { .name = "lmtpd" },
	{ .name = "submitd" }, { .name = "nopolicy" }, { .name = "admin", .admin = true },
};
#define NSENDERS (sizeof(senders) / sizeof(senders[0]))

/* The rules, stated apart from dispatch.c. */
static enum verdict
expected(const struct sender *s, uint32_t t, bool bound, bool frozen)
{
	bool known = t == IPC_PING || IN(hello_ops, t) || IN(deliver_ops, t) ||
	    IN(user_ops, t) || IN(admin_ops, t) || IN(either_ops, t) ||
	    IN(outbox_ops, t);
	bool may = s->admin ? t == IPC_PING || IN(admin_ops, t) :
	    !IN(admin_ops, t) && policy_allows_store_op(&s->pol, t);
	if (!known || !may)
		return V_REFUSE_TYPE;
	if ((IN(hello_ops, t) || IN(deliver_ops, t)) && bound)
		return V_REFUSE_STATE;
	if (IN(user_ops, t) && !bound)
		return V_REFUSE_STATE;
	if (frozen && IN(write_ops, t))
		return V_HOLD;
	return V_SERVE;
}

static struct config cfg;

static void
setup(void)
{
	char err[CONFIG_ERR_MAX], text[1024];
	snprintf(text, sizeof(text), "policy-dir %s\n"
	    "service imapd {\n role connection\n binary /bin/true\n"
	    " policy imapd.policy\n listen l unix /nonexistent/i.sock plain\n}\n"
	    "service jmapd {\n role connection\n binary /bin/true\n"
	    " policy jmapd.policy\n listen l unix /nonexistent/j.sock plain\n}\n"
	    "service lmtpd {\n role connection\n binary /bin/true\n"
	    " policy lmtpd.policy\n listen l unix /nonexistent/l.sock plain\n}\n"
	    "service submitd {\n role submit\n binary /bin/true\n"
	    " policy submitd.policy\n}\n",
	    POLICY_SRC_DIR);
	if (config_parse("test.conf", text, strlen(text), &cfg, err,
	    sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		exit(1);
	}
	dispatch_init(&cfg);
	for (size_t i = 0; i < 4; i++) {
		char path[512];
		snprintf(path, sizeof(path), "%s/%s.policy", POLICY_SRC_DIR,
		    senders[i].name);
		CHECK(policy_load(path, POLICY_DEFAULT_FLAGS, &senders[i].pol, err,
		    sizeof(err)) == 0);
	}
}

static void
test_matrix(void)
{
	static struct user u;
	unsigned served[NSENDERS] = { 0 };
	for (size_t k = 0; k < NSENDERS; k++) {
		const struct sender *s = &senders[k];
		struct chan ch;
		memset(&ch, 0, sizeof(ch));
		ch.admin = s->admin;
		ch.svc = s->admin ? 0 : rights_service(s->name);
		CHECK(s->admin || strcmp(s->name, "nopolicy") == 0 || ch.svc != 0);
		for (int st = 0; st < 4; st++) {
			bool bound = st & 1, frozen = st & 2;
			ch.user = bound ? &u : NULL;
			db_frozen = frozen;
			for (uint32_t t = 0; t < NTYPES; t++) {
				const char *why;
				enum verdict v = dispatch_verdict(&ch, t, &why);
				enum verdict want = expected(s, t, bound, frozen);
				if (v != want)
					fprintf(stderr, "%s %s%s type %u: %d, want %d\n",
					    s->name, bound ? "bound" : "unbound",
					    frozen ? " frozen" : "", t, v, want);
				CHECK_EQ(v, want);
				CHECK(v != V_REFUSE_STATE || why[0] != '\0');
				served[k] += v == V_SERVE || v == V_HOLD;
				/* the promises, on their own */
				if (v == V_SERVE || v == V_HOLD) {
					CHECK(t != IPC_STORE_NOTIFY);
					CHECK(IN(admin_ops, t) == s->admin ||
					    t == IPC_PING);
					if (strcmp(s->name, "lmtpd") == 0)
						CHECK(t == IPC_PING ||
						    IN(deliver_ops, t) ||
						    IN(either_ops, t));
					if (!bound)
						CHECK(t == IPC_PING ||
						    IN(hello_ops, t) ||
						    IN(deliver_ops, t) ||
						    IN(either_ops, t) ||
						    IN(admin_ops, t) ||
						    IN(outbox_ops, t) ||
						    IN(either_ops, t));
					if (strcmp(s->name, "submitd") == 0)
						CHECK(t == IPC_PING ||
						    IN(outbox_ops, t));
				}
			}
			CHECK_EQ(dispatch_verdict(&ch, 0xffffffffu, &(const char *){ 0 }),
			    V_REFUSE_TYPE);
		}
	}
	db_frozen = false;
	/* each real sender gets something through; a service no policy
	 * names, nothing */
	CHECK(served[0] > 0 && served[1] > 0 && served[2] > 0 && served[3] > 0 &&
	    served[5] > 0);
	CHECK_EQ(served[4], 0);
}

int
main(void)
{
	log_open("test_store_dispatch", true);
	setup();
	test_matrix();
	return check_done("store_dispatch");
}
