/*
 * store-client-check: drives every call of the worker client library
 * (store/store_client.h) against a live stored and checks the answers.
 * Run by tests/integration/test_store_client.py, which starts stored and
 * hands over the channels:
 *
 *   store-client-check IMAP_FD IMAP_TICKET_HEX LMTP_FD ADMIN_FD JMAP_FD JMAP_TICKET_HEX
 *
 * The jmapd channel watches INBOX and makes the JMAP calls.
 */
#include "check.h"
#include "store_client.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static size_t
unhex(const char *h, uint8_t *out, size_t max)
{
	size_t n = strlen(h) / 2;
	for (size_t i = 0; i < n && i < max; i++)
		sscanf(h + 2 * i, "%2hhx", &out[i]);
	return n < max ? n : max;
}

static int
memfd_with(const char *body)
{
	int fd = memfd_create("msg", 0);
	if (fd < 0 || write(fd, body, strlen(body)) != (ssize_t)strlen(body))
		exit(2);
	return fd;
}

struct names {
	char seen[16][64];
	uint32_t attrs[16];
	int n;
};

static int
list_cb(void *arg, const struct store_mbox_info *mb)
{
	struct names *nm = arg;
	if (nm->n < 16) {
		snprintf(nm->seen[nm->n], sizeof(nm->seen[0]), "%s", mb->name);
		nm->attrs[nm->n++] = mb->st.attrs;
	}
	return 0;
}

static int
find(const struct names *nm, const char *name)
{
	for (int i = 0; i < nm->n; i++)
		if (strcmp(nm->seen[i], name) == 0)
			return i;
	return -1;
}

struct fetched {
	uint32_t uids[16];
	uint32_t flags[16];
	char env[64];
	int n;
};

static int
fetch_cb(void *arg, const struct store_msg *m)
{
	struct fetched *f = arg;
	if (f->n < 16) {
		f->uids[f->n] = m->uid;
		f->flags[f->n] = m->flags;
		if (f->n == 0 && m->envelope.n < sizeof(f->env)) {
			memcpy(f->env, m->envelope.p, m->envelope.n);
			f->env[m->envelope.n] = '\0';
		}
		f->n++;
	}
	return 0;
}

/* Takes the first entry, then asks the client library to stop. */
static int
first_only_cb(void *arg, const struct store_msg *m)
{
	struct fetched *f = arg;
	f->uids[f->n++] = m->uid;
	return 1;
}

static int
loc_cb(void *arg, const struct store_email_loc *l)
{
	(*(int *)arg)++;
	(void)l;
	return 0;
}

static int
user_cb(void *arg, const struct store_user_info *u)
{
	if (strcmp(u->name, "carol") == 0)
		(*(int *)arg)++;
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc != 7) {
		fprintf(stderr, "usage: store-client-check IMAP_FD TICKET LMTP_FD "
		    "ADMIN_FD WATCH_FD TICKET\n");
		return 2;
	}
	struct store_conn *sc = store_client_open(atoi(argv[1]));
	struct store_conn *lm = store_client_open(atoi(argv[3]));
	struct store_conn *adm = store_client_open(atoi(argv[4]));
	struct store_conn *wt = store_client_open(atoi(argv[5]));
	uint8_t t[512];
	char user[STORE_USER_MAX + 1];
	size_t tn;

	CHECK_EQ(store_ping(sc), STORE_OK);
	/* before hello: refused, with the store's words */
	struct store_mbox_status st;
	CHECK_EQ(store_mbox_status(sc, "INBOX", &st), STORE_E_UNEXPECTED);
	CHECK(strstr(store_client_errmsg(sc), "unexpected store_mbox_status") != NULL);
	tn = unhex(argv[2], t, sizeof(t));
	t[5] ^= 1;
	CHECK_EQ(store_hello(sc, t, tn, user, sizeof(user)), STORE_E_DENIED);
	t[5] ^= 1;
	CHECK_EQ(store_hello(sc, t, tn, user, sizeof(user)), STORE_OK);
	CHECK(strcmp(user, "carol") == 0);
	tn = unhex(argv[6], t, sizeof(t));
	CHECK_EQ(store_hello(wt, t, tn, user, sizeof(user)), STORE_OK);

	/* mailboxes */
	uint64_t id;
	CHECK_EQ(store_mbox_create(sc, "Projects/cloister", 0, &id), STORE_OK);
	CHECK_EQ(store_mbox_create(sc, "Projects/cloister", 0, &id), STORE_E_EXISTS);
	CHECK_EQ(store_mbox_subscribe(sc, "Projects/cloister", true), STORE_OK);
	CHECK_EQ(store_mbox_set_use(sc, "Projects/cloister", STORE_USE_FLAGGED), STORE_OK);
	struct names nm = { .n = 0 };
	CHECK_EQ(store_mbox_list(sc, STORE_LIST_STATUS | STORE_LIST_SUBSCRIBED,
	    list_cb, &nm), STORE_OK);
	int p = find(&nm, "Projects"), c = find(&nm, "Projects/cloister");
	CHECK(p >= 0 && c >= 0 && c > p);
	if (p >= 0 && c >= 0) {
		CHECK(nm.attrs[p] & STORE_MBOX_NONEXISTENT);
		CHECK(nm.attrs[p] & STORE_MBOX_HASCHILDREN);
		CHECK(nm.attrs[c] & STORE_MBOX_SUBSCRIBED);
		CHECK(nm.attrs[c] & STORE_USE_FLAGGED);
	}
	CHECK_EQ(store_mbox_rename(sc, "Projects", "Work"), STORE_E_NOTFOUND);
	CHECK_EQ(store_mbox_rename(sc, "Projects/cloister", "Work/cloister"), STORE_OK);
	CHECK_EQ(store_mbox_status(sc, "Work/cloister", &st), STORE_OK);
	CHECK_EQ(st.id, id);
	CHECK_EQ(store_mbox_status_id(sc, id, &st), STORE_OK);

	/* watch INBOX on the other channel, then deliver and append */
	struct store_mbox_status inbox;
	CHECK_EQ(store_mbox_status(sc, "inbox", &inbox), STORE_OK);
	CHECK_EQ(store_watch(wt, inbox.id, true), STORE_OK);
	struct store_msg_meta meta = { .internaldate = 1700000000, .subject = "hello",
		.envelope = "(\"env\")", .message_id = "<a@x>", .text = "pizza party",
		.text_len = 11 };
	CHECK_EQ(store_rcpt_check(lm, "carol", 100), STORE_OK);
	CHECK_EQ(store_rcpt_check(lm, "nobody", 100), STORE_E_NOTFOUND);
	int fd = memfd_with("Subject: hello\r\n\r\npizza party\r\n");
	CHECK_EQ(store_deliver(lm, "carol", NULL, fd, 31, &meta), STORE_OK);
	close(fd);
	/* the delivery right learns a status, nothing of where it went */
	CHECK_EQ(store_mbox_status(sc, "inbox", &inbox), STORE_OK);
	CHECK_EQ(inbox.messages, 1);
	struct store_append_result ar;
	const char *kws[] = { "$Important" };
	meta.flags = STORE_FLAG_FLAGGED;
	meta.keywords = kws;
	meta.nkeywords = 1;
	meta.message_id = "<b@x>";
	meta.in_reply_to = "<a@x>";
	meta.references = "<a@x>";
	fd = memfd_with("Subject: re: hello\r\n\r\nsee you\r\n");
	struct store_append_result ar2;
	CHECK_EQ(store_append(sc, 0, "INBOX", fd, 31, &meta, &ar2), STORE_OK);
	close(fd);
	CHECK_EQ(ar2.uid, 2);
	/* the watcher hears about it (the deliverer and appender differ) */
	struct pollfd pfd = { .fd = store_client_fd(wt), .events = POLLIN };
	CHECK_EQ(poll(&pfd, 1, 5000), 1);
	CHECK_EQ(store_client_read_notify(wt), STORE_OK);
	struct store_notify n;
	int got = 0;
	while (store_client_next_notify(wt, &n) == 1) {
		got++;
		CHECK_EQ(n.mailbox_id, inbox.id);
	}
	CHECK(got >= 1);
	/* a notification that arrives during a call is queued, not lost */
	fd = memfd_with("third");
	/* +detail reaches a mailbox the administrator opted in; this one is
	 * \Flagged, a special use: only when forced */
	CHECK_EQ(store_adm_mbox_detail(adm, "carol", "Work/cloister", true, false),
	    STORE_E_DENIED);
	CHECK_EQ(store_adm_mbox_detail(adm, "carol", "Work/cloister", true, true),
	    STORE_OK);
	CHECK_EQ(store_deliver(lm, "carol", "Work/cloister", fd, 5, &meta), STORE_OK);
	close(fd);
	CHECK_EQ(store_mbox_status_id(sc, id, &st), STORE_OK);
	CHECK_EQ(st.messages, 1);
	usleep(100000);
	CHECK_EQ(store_ping(wt), STORE_OK);
	while (store_client_next_notify(wt, &n) == 1)    /* watching INBOX only */
		CHECK(n.mailbox_id != id);
	fd = memfd_with("fourth");
	CHECK_EQ(store_deliver(lm, "carol", NULL, fd, 6, &meta), STORE_OK);
	close(fd);
	usleep(100000);
	CHECK_EQ(store_ping(wt), STORE_OK);
	CHECK_EQ(store_client_next_notify(wt, &n), 1);
	CHECK_EQ(n.messages, 3);

	/* metadata, bodies, keywords */
	struct fetched f = { .n = 0 };
	struct store_uids all = { 0 };
	store_uids_add(&all, 1, STORE_UID_MAX);
	CHECK_EQ(store_fetch(sc, inbox.id, &all, STORE_F_FLAGS | STORE_F_ENVELOPE,
	    0, fetch_cb, &f), STORE_OK);
	CHECK_EQ(f.n, 3);
	CHECK(strcmp(f.env, "(\"env\")") == 0);
	CHECK_EQ(f.flags[1], STORE_FLAG_FLAGGED);
	/* a callback that says stop is not called again, the rest of the
	 * stream is still read (the next call gets its own answer), and no
	 * callback at all is allowed */
	struct fetched first = { .n = 0 };
	CHECK_EQ(store_fetch(sc, inbox.id, &all, STORE_F_FLAGS, 0,
	    first_only_cb, &first), STORE_OK);
	CHECK_EQ(first.n, 1);
	CHECK_EQ(first.uids[0], f.uids[0]);
	CHECK_EQ(store_fetch(sc, inbox.id, &all, STORE_F_FLAGS, 0, NULL, NULL),
	    STORE_OK);
	CHECK_EQ(store_ping(sc), STORE_OK);
	int bfd;
	uint64_t bsize;
	CHECK_EQ(store_body(sc, inbox.id, 1, &bfd, &bsize), STORE_OK);
	char body[64] = { 0 };
	CHECK_EQ(pread(bfd, body, sizeof(body) - 1, 0), 31);
	CHECK(strncmp(body, "Subject: hello", 14) == 0);
	close(bfd);
	CHECK_EQ(store_body(sc, inbox.id, 99, &bfd, &bsize), STORE_E_NOTFOUND);
	const char *const *names;
	size_t nk;
	CHECK_EQ(store_keywords(sc, &names, &nk), STORE_OK);
	CHECK_EQ(nk, 1);
	CHECK(strcmp(store_keyword_name(sc, 0), "$Important") == 0);

	/* flags with UNCHANGEDSINCE, copy, move, expunge, changes */
	struct store_uids one = { 0 }, two = { 0 };
	store_uids_add(&one, 1, 1);
	store_uids_add(&two, 1, 2);
	struct store_flags_result fr = { 0 };
	CHECK_EQ(store_flags(sc, inbox.id, &one, STORE_FLAGS_ADD, STORE_FLAG_SEEN,
	    NULL, 0, 0, NULL, NULL, &fr), STORE_OK);
	uint64_t after_seen = fr.highestmodseq;
	CHECK_EQ(store_flags(sc, inbox.id, &two, STORE_FLAGS_ADD, STORE_FLAG_DELETED,
	    NULL, 0, after_seen - 1, NULL, NULL, &fr), STORE_OK);
	CHECK(store_uids_has(&fr.failed, 1) && !store_uids_has(&fr.failed, 2));
	struct store_copy_result cr = { 0 };
	CHECK_EQ(store_copy(sc, inbox.id, &two, id, &cr), STORE_OK);
	CHECK_EQ(store_uids_count(&cr.src), 2);
	CHECK(store_uids_has(&cr.dst, 2) && store_uids_has(&cr.dst, 3));
	CHECK_EQ(store_move(sc, id, &one, inbox.id, &cr), STORE_OK);
	CHECK(store_uids_has(&cr.dst, 4));
	struct store_uids gone = { 0 };
	uint64_t hms;
	CHECK_EQ(store_expunge(sc, inbox.id, NULL, &gone, &hms), STORE_OK);
	CHECK(store_uids_has(&gone, 2) && store_uids_count(&gone) == 1);
	struct store_changes_result ch = { 0 };
	f.n = 0;
	CHECK_EQ(store_changes(sc, inbox.id, after_seen, STORE_F_FLAGS, fetch_cb, &f,
	    &ch), STORE_OK);
	CHECK(store_uids_has(&ch.vanished, 2));
	CHECK(f.n >= 1);

	/* search and sort */
	struct store_search prog;
	struct store_search_result sr = { 0 };
	store_search_init(&prog);
	store_search_str(&prog, STORE_S_BODY, "pizza");
	store_search_u32(&prog, STORE_S_FLAGS_SET, STORE_FLAG_SEEN);
	store_search_op(&prog, STORE_S_AND);
	CHECK_EQ(store_search(sc, inbox.id, &prog, NULL, 0, &sr), STORE_OK);
	CHECK_EQ(sr.n, 1);
	CHECK(sr.n == 1 && sr.uids[0] == 1);
	store_search_free(&prog);
	store_search_init(&prog);
	store_search_op(&prog, STORE_S_ALL);
	uint32_t sort[] = { STORE_SORT_UID | STORE_SORT_REVERSE };
	CHECK_EQ(store_search(sc, inbox.id, &prog, sort, 1, &sr), STORE_OK);
	CHECK(sr.n >= 2 && sr.uids[0] > sr.uids[1]);
	store_search_free(&prog);
	store_search_result_free(&sr);

	/* JMAP */
	uint64_t state;
	CHECK_EQ(store_state(wt, &state), STORE_OK);
	/* imapd's policy has no JMAP requests */
	struct store_id_changes none = { 0 };
	CHECK_EQ(store_email_changes(sc, 0, 0, &none), STORE_E_UNEXPECTED);
	struct store_id_changes idc = { 0 };
	CHECK_EQ(store_email_changes(wt, 0, 0, &idc), STORE_OK);
	CHECK(idc.ncreated >= 3 && idc.newstate == state && !idc.more);
	CHECK_EQ(store_mbox_changes(wt, 0, 2, &idc), STORE_OK);
	CHECK(idc.more);
	store_id_changes_free(&idc);
	int nloc = 0;
	CHECK_EQ(store_thread_get(wt, ar2.threadid, loc_cb, &nloc), STORE_OK);
	CHECK(nloc >= 2);   /* the reply joined the delivered message */
	nloc = 0;
	CHECK_EQ(store_email_locate(wt, ar2.emailid, loc_cb, &nloc), STORE_OK);
	CHECK(nloc >= 1);
	CHECK_EQ(store_blob_get(wt, ar2.blobid, &bfd, &bsize), STORE_OK);
	CHECK_EQ(bsize, 31);
	close(bfd);

	/* quota, then the admin channel */
	struct store_quota q;
	CHECK_EQ(store_quota_get(sc, &q), STORE_OK);
	/* a new user has the default quota (stored option quota-storage) */
	CHECK(q.messages_used >= 3 && q.storage_limit == 10ull << 30);
	CHECK_EQ(store_adm_quota_set(adm, "carol", q.storage_used + 3, 0), STORE_OK);
	fd = memfd_with("too big for what is left");
	CHECK_EQ(store_append(sc, inbox.id, NULL, fd, 24, &meta, &ar), STORE_E_QUOTA);
	CHECK_EQ(store_deliver(lm, "carol", NULL, fd, 24, &meta), STORE_E_QUOTA);
	close(fd);
	CHECK_EQ(store_adm_quota_get(adm, "carol", &q), STORE_OK);
	CHECK_EQ(q.storage_limit, q.storage_used + 3);
	int found = 0;
	CHECK_EQ(store_adm_user_list(adm, user_cb, &found), STORE_OK);
	CHECK_EQ(found, 1);
	CHECK_EQ(store_adm_mbox_create(adm, "carol", "Receipts", STORE_USE_ARCHIVE),
	    STORE_OK);
	CHECK_EQ(store_adm_mbox_rename(adm, "carol", "Receipts", "Old/Receipts"),
	    STORE_OK);
	nm.n = 0;
	CHECK_EQ(store_adm_mbox_list(adm, "carol", 0, list_cb, &nm), STORE_OK);
	CHECK(find(&nm, "Old/Receipts") >= 0);
	CHECK_EQ(store_adm_mbox_delete(adm, "carol", "Old/Receipts"), STORE_OK);
	CHECK_EQ(store_adm_user_create(adm, "dave"), STORE_OK);
	CHECK_EQ(store_adm_user_create(adm, "dave"), STORE_E_EXISTS);
	CHECK_EQ(store_adm_user_delete(adm, "dave"), STORE_OK);
	CHECK_EQ(store_adm_user_delete(adm, "dave"), STORE_E_NOTFOUND);
	CHECK_EQ(store_adm_freeze(adm, 30), STORE_OK);
	CHECK_EQ(store_mbox_status(sc, "INBOX", &st), STORE_OK);   /* reads go on */
	CHECK_EQ(store_adm_thaw(adm), STORE_OK);
	CHECK_EQ(store_adm_thaw(adm), STORE_E_NOTFOUND);
	/* the admin channel is not a user's */
	CHECK_EQ(store_mbox_status(adm, "INBOX", &st), STORE_E_UNEXPECTED);
	CHECK_EQ(store_adm_user_list(sc, user_cb, &found), STORE_E_UNEXPECTED);

	store_uids_free(&all);
	store_uids_free(&one);
	store_uids_free(&two);
	store_uids_free(&gone);
	store_uids_free(&fr.failed);
	store_uids_free(&cr.src);
	store_uids_free(&cr.dst);
	store_uids_free(&ch.vanished);
	store_client_close(sc);
	store_client_close(lm);
	store_client_close(adm);
	store_client_close(wt);
	return check_done("store_client");
}
