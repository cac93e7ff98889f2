/*
 * bench_store: store operations through the worker client library
 * (store/store_client.h), timed one by one: p50, p99 and ops/s.
 *
 *   bench-store --fds A,B,... --tickets HEX,HEX,... [--fill N] [--quick]
 *
 * Run by bench/store/run (which starts a private stored and hands over
 * the channels). The first channel does the timed work; the others (if
 * any) fill the mailbox in parallel, which is also the measure of group
 * commit (one fsync shared by the appends of one event-loop turn).
 */
#include "store_client.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define MAX_CHANS 64

static struct store_conn *chans[MAX_CHANS];
static int nchans;
static _Thread_local char msgbuf[4096];
static const char *envelope = "(\"Mon, 7 Feb 1994 21:52:25 -0800\" \"afternoon meeting\" "
    "((\"Fred Foobar\" NIL \"foobar\" \"Blurdybloop.example\")) "
    "((\"Fred Foobar\" NIL \"foobar\" \"Blurdybloop.example\")) "
    "((\"Fred Foobar\" NIL \"foobar\" \"Blurdybloop.example\")) "
    "((NIL NIL \"imap\" \"cac.washington.example\")) NIL NIL NIL "
    "\"<B27397-0100000@cac.washington.example>\")";
static const char *bodystructure = "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL "
    "\"7BIT\" 3028 92 NIL NIL NIL NIL)";
static const char *subjects[] = { "lunch on friday", "quarterly report",
	"re: afternoon meeting", "invoice 2291", "your order has shipped",
	"weekly digest", "build failed", "holiday plans" };

static double
now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int
cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void
report(const char *name, double *lat, int n, double total_us)
{
	qsort(lat, (size_t)n, sizeof(*lat), cmp_d);
	printf("%-36s n=%-6d p50 %9.1f us  p99 %9.1f us  %9.0f ops/s\n", name, n,
	    lat[n / 2], lat[(int)(n * 0.99)], n / (total_us / 1e6));
	fflush(stdout);
}

static void
die(struct store_conn *sc, const char *what, int rc)
{
	fprintf(stderr, "bench-store: %s: %d %s\n", what, rc,
	    sc ? store_client_errmsg(sc) : "");
	exit(1);
}

static int
make_message(unsigned seq, struct store_msg_meta *m, uint64_t *size)
{
	static _Thread_local char subj[64], msgid[64];
	snprintf(subj, sizeof(subj), "%s %u", subjects[seq % 8], seq);
	snprintf(msgid, sizeof(msgid), "<%u@bench.example>", seq);
	int n = snprintf(msgbuf, sizeof(msgbuf),
	    "From: Fred Foobar <foobar@Blurdybloop.example>\r\n"
	    "To: mooch@owatagu.siam.edu.example\r\nSubject: %s\r\n"
	    "Message-ID: %s\r\n\r\n", subj, msgid);
	for (size_t i = (size_t)n; i < sizeof(msgbuf); i++)
		msgbuf[i] = (char)('a' + (i * 7 + seq) % 26);
	for (size_t i = (size_t)n + 70; i < sizeof(msgbuf); i += 72)
		msgbuf[i] = '\n';
	memset(m, 0, sizeof(*m));
	m->internaldate = 1700000000 + seq;
	m->sentdate = 1700000000 + seq;
	m->envelope = envelope;
	m->bodystructure = bodystructure;
	m->body = bodystructure;
	m->from = "Fred Foobar <foobar@Blurdybloop.example>";
	m->to = "mooch@owatagu.siam.edu.example";
	m->subject = subj;
	m->sort_subject = subj;
	m->sort_from = "foobar";
	m->message_id = msgid;
	m->headers = "from: Fred Foobar <foobar@Blurdybloop.example>\n";
	m->headers_len = strlen(m->headers);
	m->text = msgbuf + n;
	m->text_len = sizeof(msgbuf) - (size_t)n;
	*size = sizeof(msgbuf);
	int fd = memfd_create("bench", 0);
	if (fd < 0 || write(fd, msgbuf, sizeof(msgbuf)) != (ssize_t)sizeof(msgbuf)) {
		perror("memfd");
		exit(1);
	}
	return fd;
}

static int
append_one(struct store_conn *sc, unsigned seq)
{
	struct store_msg_meta m;
	uint64_t size;
	struct store_append_result res;
	int fd = make_message(seq, &m, &size);
	int rc = store_append(sc, 0, "INBOX", fd, size, &m, &res);
	close(fd);
	return rc;
}

struct filler {
	struct store_conn *sc;
	unsigned from, count;
};

static void *
fill_thread(void *arg)
{
	struct filler *f = arg;
	for (unsigned i = 0; i < f->count; i++) {
		int rc = append_one(f->sc, f->from + i);
		if (rc != STORE_OK)
			die(f->sc, "fill append", rc);
	}
	return NULL;
}

/* Append count messages over k channels at once; messages/s. */
static double
fill(int k, unsigned count, unsigned seq0)
{
	pthread_t t[MAX_CHANS];
	struct filler f[MAX_CHANS];
	double t0 = now_us();
	for (int i = 0; i < k; i++) {
		f[i].sc = chans[i];
		f[i].from = seq0 + i * (count / k);
		f[i].count = count / k;
		pthread_create(&t[i], NULL, fill_thread, &f[i]);
	}
	for (int i = 0; i < k; i++)
		pthread_join(t[i], NULL);
	return (count / k) * k / ((now_us() - t0) / 1e6);
}

static int
count_cb(void *arg, const struct store_msg *m)
{
	(*(unsigned *)arg)++;
	(void)m;
	return 0;
}

static uint64_t inbox_id;

static void
run_suite(const char *label, int rounds_scale, unsigned nmsgs)
{
	struct store_conn *sc = chans[0];
	static double lat[100000];
	char name[128];
	int n, rc;
	double t0;

	printf("-- %s (%u messages in INBOX)\n", label, nmsgs);
	/* warm up: let the fill's writeback settle, caches fill */
	for (int i = 0; i < 2000; i++)
		if ((rc = store_ping(sc)) != STORE_OK)
			die(sc, "ping", rc);
	usleep(500000);
	n = 20000 / rounds_scale;
	t0 = now_us();
	for (int i = 0; i < n; i++) {
		double a = now_us();
		if ((rc = store_ping(sc)) != STORE_OK)
			die(sc, "ping", rc);
		lat[i] = now_us() - a;
	}
	report("no-op round trip (ping)", lat, n, now_us() - t0);

	struct store_mbox_status st;
	n = 5000 / rounds_scale;
	t0 = now_us();
	for (int i = 0; i < n; i++) {
		double a = now_us();
		if ((rc = store_mbox_status(sc, "INBOX", &st)) != STORE_OK)
			die(sc, "status", rc);
		lat[i] = now_us() - a;
	}
	report("status INBOX", lat, n, now_us() - t0);

	uint32_t what = STORE_F_FLAGS | STORE_F_INTERNALDATE | STORE_F_SIZE |
	    STORE_F_ENVELOPE;
	unsigned sizes[] = { 1000, 10000 };
	for (int s = 0; s < 2; s++) {
		if (sizes[s] > nmsgs)
			continue;
		struct store_uids u = { 0 };
		n = (s == 0 ? 300 : 40) / rounds_scale + 1;
		t0 = now_us();
		for (int i = 0; i < n; i++) {
			uint32_t lo = 1 + (uint32_t)((i * 7919u) % (nmsgs - sizes[s] + 1));
			store_uids_clear(&u);
			store_uids_add(&u, lo, lo + sizes[s] - 1);
			unsigned got = 0;
			double a = now_us();
			if ((rc = store_fetch(sc, inbox_id, &u, what, 0, count_cb,
			    &got)) != STORE_OK)
				die(sc, "fetch", rc);
			lat[i] = now_us() - a;
			if (got != sizes[s])
				die(sc, "fetch count", (int)got);
		}
		snprintf(name, sizeof(name), "metadata for %u UIDs (+envelope)", sizes[s]);
		report(name, lat, n, now_us() - t0);
		store_uids_free(&u);
	}

	n = 400 / rounds_scale;
	t0 = now_us();
	for (int i = 0; i < n; i++) {
		double a = now_us();
		if ((rc = append_one(sc, 900000 + (unsigned)i)) != STORE_OK)
			die(sc, "append", rc);
		lat[i] = now_us() - a;
	}
	report("append 4 KB (durable, 1 writer)", lat, n, now_us() - t0);

	struct store_uids u = { 0 };
	store_uids_add(&u, 1, 1000);
	struct store_flags_result fr = { 0 };
	n = 200 / rounds_scale;
	t0 = now_us();
	for (int i = 0; i < n; i++) {
		double a = now_us();
		if ((rc = store_flags(sc, inbox_id, &u, i % 2 ? STORE_FLAGS_REMOVE :
		    STORE_FLAGS_ADD, STORE_FLAG_SEEN, NULL, 0, 0, NULL, NULL,
		    &fr)) != STORE_OK)
			die(sc, "flags", rc);
		lat[i] = now_us() - a;
	}
	report("flag change on 1,000 messages", lat, n, now_us() - t0);
	store_uids_free(&u);
	store_uids_free(&fr.failed);

	struct store_search prog;
	struct store_search_result sr = { 0 };
	store_search_init(&prog);
	store_search_header(&prog, STORE_SF_SUBJECT, "lunch");
	n = 100 / rounds_scale + 1;
	t0 = now_us();
	for (int i = 0; i < n; i++) {
		double a = now_us();
		if ((rc = store_search(sc, inbox_id, &prog, NULL, 0, &sr)) != STORE_OK)
			die(sc, "search", rc);
		lat[i] = now_us() - a;
	}
	snprintf(name, sizeof(name), "header search (SUBJECT, %zu hits)", sr.n);
	report(name, lat, n, now_us() - t0);
	store_search_free(&prog);

	store_search_init(&prog);
	store_search_str(&prog, STORE_S_BODY, "qxfmu");
	n = 100 / rounds_scale + 1;
	t0 = now_us();
	for (int i = 0; i < n; i++) {
		double a = now_us();
		if ((rc = store_search(sc, inbox_id, &prog, NULL, 0, &sr)) != STORE_OK)
			die(sc, "fts search", rc);
		lat[i] = now_us() - a;
	}
	snprintf(name, sizeof(name), "body search (FTS5, %zu hits)", sr.n);
	report(name, lat, n, now_us() - t0);
	store_search_free(&prog);
	store_search_result_free(&sr);
}

int
main(int argc, char **argv)
{
	char *fds = NULL, *tickets = NULL;
	unsigned big = 0;
	bool quick = false;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--fds") == 0 && i + 1 < argc)
			fds = argv[++i];
		else if (strcmp(argv[i], "--tickets") == 0 && i + 1 < argc)
			tickets = argv[++i];
		else if (strcmp(argv[i], "--fill") == 0 && i + 1 < argc)
			big = (unsigned)strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--quick") == 0)
			quick = true;
		else {
			fprintf(stderr, "usage: bench-store --fds A,B --tickets H,H "
			    "[--fill N] [--quick]\n");
			return 2;
		}
	}
	if (fds == NULL || tickets == NULL)
		return 2;
	for (char *f = strtok(fds, ","); f && nchans < MAX_CHANS; f = strtok(NULL, ","))
		chans[nchans++] = store_client_open(atoi(f));
	int k = 0;
	for (char *t = strtok(tickets, ","); t && k < nchans; t = strtok(NULL, ","), k++) {
		uint8_t tk[512];
		size_t n = strlen(t) / 2;
		for (size_t i = 0; i < n && i < sizeof(tk); i++)
			sscanf(t + 2 * i, "%2hhx", &tk[i]);
		char user[256];
		int rc = store_hello(chans[k], tk, n, user, sizeof(user));
		if (rc != STORE_OK)
			die(chans[k], "hello", rc);
	}
	struct store_mbox_status st;
	if (store_mbox_status(chans[0], "INBOX", &st) != STORE_OK)
		die(chans[0], "status", -1);
	inbox_id = st.id;

	/* group commit: the same appends from 1 writer and from k at once */
	unsigned gc = quick ? 200 : 1000;
	double one = fill(1, gc / 4, 1);
	double many = fill(nchans, gc, 1 + gc / 4);
	printf("-- group commit: 4 KB appends, 1 writer %.0f msg/s, %d writers %.0f msg/s"
	    " (x%.1f)\n", one, nchans, many, many / one);
	unsigned have = gc / 4 + (gc / (unsigned)nchans) * (unsigned)nchans;
	if (have < 10000) {
		fill(nchans, ((10000 - have) / (unsigned)nchans + 1) * (unsigned)nchans,
		    100000);
		store_mbox_status(chans[0], "INBOX", &st);
		have = st.messages;
	}
	run_suite("small mailbox", quick ? 4 : 1, have);
	if (big > have) {
		double t0 = now_us();
		unsigned add = ((big - have) / (unsigned)nchans + 1) * (unsigned)nchans;
		double rate = fill(nchans, add, 200000);
		store_mbox_status(chans[0], "INBOX", &st);
		printf("-- filled to %u messages in %.1f s (%.0f msg/s, %d writers)\n",
		    st.messages, (now_us() - t0) / 1e6, rate, nchans);
		run_suite("large mailbox", quick ? 4 : 1, st.messages);
	}
	for (int i = 0; i < nchans; i++)
		store_client_close(chans[i]);
	return 0;
}
