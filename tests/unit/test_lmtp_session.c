/* Unit tests for workers/lmtp/lmtp_session: the LMTP protocol against a
 * fake backend, over a socketpair, one session per test in a thread. */
#include "check.h"
#include "lmtp.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fds.h"

/* ---- the fake store ---- */

#define MAXD 16
static struct {
	char user[LMTP_USER_MAX + 1];
	char detail[LMTP_DETAIL_MAX + 1];
	char sender[LMTP_PATH_MAX + 1];
	char *msg;
	size_t len;
} delivered[MAXD];
static int ndelivered;
static int ntxn_end;

static enum lmtp_result
by_name(const char *user, bool at_delivery)
{
	if (strcmp(user, "alice") == 0 || strcmp(user, "bob") == 0)
		return LMTP_R_OK;
	if (strcmp(user, "full") == 0)
		return LMTP_R_QUOTA;
	if (strcmp(user, "temp") == 0)
		return LMTP_R_TEMP;
	if (strcmp(user, "gone") == 0)
		return LMTP_R_GONE;
	/* fine at RCPT, refused at delivery */
	if (strcmp(user, "dquota") == 0)
		return at_delivery ? LMTP_R_QUOTA : LMTP_R_OK;
	if (strcmp(user, "dtemp") == 0)
		return at_delivery ? LMTP_R_TEMP : LMTP_R_OK;
	/* the store's disk is full, at RCPT or at delivery */
	if (strcmp(user, "nospace") == 0)
		return LMTP_R_NOSPACE;
	if (strcmp(user, "dnospace") == 0)
		return at_delivery ? LMTP_R_NOSPACE : LMTP_R_OK;
	/* a Sieve reject: refused after the data, with the script's reason */
	if (strcmp(user, "sreject") == 0)
		return at_delivery ? LMTP_R_REJECT : LMTP_R_OK;
	return LMTP_R_NOUSER;
}

static enum lmtp_result
fake_rcpt(void *ctx, const struct lmtp_rcpt *r, uint64_t size)
{
	(void)ctx;
	(void)size;
	return by_name(r->user, false);
}

static enum lmtp_result
fake_deliver(void *ctx, const struct lmtp_txn *t, size_t i)
{
	(void)ctx;
	enum lmtp_result res = by_name(t->rcpts[i].user, true);
	if (res != LMTP_R_OK || ndelivered == MAXD)
		return res;
	memcpy(delivered[ndelivered].user, t->rcpts[i].user,
	    sizeof(delivered[0].user));
	memcpy(delivered[ndelivered].detail, t->rcpts[i].detail,
	    sizeof(delivered[0].detail));
	snprintf(delivered[ndelivered].sender, sizeof(delivered[0].sender),
	    "%s", t->sender);
	delivered[ndelivered].msg = malloc(t->len + 1);
	memcpy(delivered[ndelivered].msg, t->msg, t->len);
	delivered[ndelivered].msg[t->len] = '\0';
	delivered[ndelivered].len = t->len;
	ndelivered++;
	return LMTP_R_OK;
}

static void
fake_end(void *ctx, const struct lmtp_txn *t)
{
	(void)ctx;
	(void)t;
	ntxn_end++;
}

static const char *
fake_reason(void *ctx)
{
	(void)ctx;
	return "Not wanted here";
}

static const struct lmtp_backend fake = { fake_rcpt, fake_deliver,
	fake_end, NULL, fake_reason };

static void
reset_fake(void)
{
	for (int i = 0; i < ndelivered; i++)
		free(delivered[i].msg);
	ndelivered = 0;
	ntxn_end = 0;
}

/* ---- a session in a thread ---- */

struct srv {
	pthread_t th;
	int fd;
	struct lmtp_opts o;
	int rc;
};

static void *
serve(void *arg)
{
	struct srv *s = arg;
	s->rc = lmtp_serve(s->fd, "192.0.2.9", &s->o, &fake);
	close(s->fd);
	return NULL;
}

static int
start(struct srv *s, const struct lmtp_opts *o)
{
	int sv[2];
	reset_fake();
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		abort();
	s->fd = sv[0];
	if (o != NULL)
		s->o = *o;
	else
		lmtp_opts_default(&s->o);
	memcpy(s->o.hostname, "lmtp.test", 10);
	pthread_create(&s->th, NULL, serve, s);
	return sv[1];
}

static int
finish(struct srv *s, int c)
{
	close(c);
	pthread_join(s->th, NULL);
	return s->rc;
}

static void
send_all(int c, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(c, p, n);
		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

/* Read until n final reply lines ("ddd " lines) or EOF; returns them. */
static char replies[1 << 16];

static const char *
expect(int c, int n)
{
	size_t have = 0;
	int finals = 0;
	replies[0] = '\0';
	while (finals < n && have < sizeof(replies) - 1) {
		struct pollfd p = { c, POLLIN, 0 };
		if (poll(&p, 1, 5000) != 1)
			break;
		ssize_t r = read(c, replies + have, sizeof(replies) - 1 - have);
		if (r <= 0)
			break;
		have += (size_t)r;
		replies[have] = '\0';
		finals = 0;
		for (char *l = replies; *l; ) {
			char *e = strstr(l, "\r\n");
			if (e == NULL)
				break;
			if (e - l >= 4 && l[3] == ' ')
				finals++;
			l = e + 2;
		}
	}
	return replies;
}

static const char *
chat(int c, const char *s, int n)
{
	send_all(c, s, strlen(s));
	return expect(c, n);
}

#define HAS(hay, needle) do { \
	const char *_h = (hay); \
	CHECK(strstr(_h, needle) != NULL); \
	if (strstr(_h, needle) == NULL) \
		fprintf(stderr, "  missing [%s] in:\n%s\n", needle, _h); \
} while (0)

static void
test_greeting_and_order(void)
{
	struct srv s;
	int c = start(&s, NULL);
	HAS(expect(c, 1), "220 lmtp.test");
	HAS(chat(c, "MAIL FROM:<a@b>\r\n", 1), "503 5.5.1");
	HAS(chat(c, "HELO x\r\n", 1), "500 5.5.1");
	const char *r = chat(c, "LHLO mta.example\r\n", 1);
	HAS(r, "250-lmtp.test\r\n");
	HAS(r, "250-PIPELINING\r\n");
	HAS(r, "250-ENHANCEDSTATUSCODES\r\n");
	HAS(r, "250-8BITMIME\r\n");
	HAS(r, "250-CHUNKING\r\n");
	HAS(r, "250 SIZE 52428800\r\n");
	HAS(chat(c, "RCPT TO:<alice@x>\r\n", 1), "503 5.5.1");
	HAS(chat(c, "DATA\r\n", 1), "503 5.5.1");
	HAS(chat(c, "MAIL FROM:<s@x> BODY=8BITMIME SIZE=100\r\n", 1), "250 2.1.0");
	HAS(chat(c, "MAIL FROM:<s@x>\r\n", 1), "503 5.5.1");
	HAS(chat(c, "DATA\r\n", 1), "554 5.5.1");   /* no recipients */
	HAS(chat(c, "RSET\r\n", 1), "250 2.0.0");
	HAS(chat(c, "MAIL FROM:<s@x> SIZE=99999999999\r\n", 1), "552 5.3.4");
	HAS(chat(c, "MAIL FROM:<s@x> BODY=BINARYMIME\r\n", 1), "555 5.5.4");
	HAS(chat(c, "MAIL FROM:<s@x> AUTH=<>\r\n", 1), "555 5.5.4");
	HAS(chat(c, "MAIL FROM:s@x\r\n", 1), "501 5.1.7");
	HAS(chat(c, "NOOP\r\n", 1), "250 2.0.0");
	HAS(chat(c, "VRFY alice\r\n", 1), "252 2.5.2");
	HAS(chat(c, "STARTTLS\r\n", 1), "500 5.5.1");
	HAS(chat(c, "QUIT\r\n", 1), "221 2.0.0");
	CHECK_EQ(finish(&s, c), 0);
}

static void
test_delivery(void)
{
	struct srv s;
	int c = start(&s, NULL);
	expect(c, 1);
	chat(c, "LHLO mta\r\n", 1);
	HAS(chat(c, "MAIL FROM:<sender@example.net>\r\n", 1), "250 2.1.0");
	HAS(chat(c, "RCPT TO:<alice@example.org>\r\n", 1), "250 2.1.5");
	HAS(chat(c, "RCPT TO:<nobody@example.org>\r\n", 1),
	    "550 5.1.1 <nobody@example.org>");
	HAS(chat(c, "RCPT TO:<Bob+Work@example.org>\r\n", 1), "250 2.1.5");
	HAS(chat(c, "RCPT TO:<full@example.org>\r\n", 1), "552 5.2.2");
	HAS(chat(c, "RCPT TO:<temp@example.org>\r\n", 1), "451 4.3.0");
	HAS(chat(c, "RCPT TO:<dquota@example.org>\r\n", 1), "250 2.1.5");
	HAS(chat(c, "RCPT TO:<dtemp@example.org>\r\n", 1), "250 2.1.5");
	HAS(chat(c, "RCPT TO:bad\r\n", 1), "501 5.1.3");
	HAS(chat(c, "DATA\r\n", 1), "354");
	const char *r = chat(c, "Subject: hi\r\n\r\nline one\r\n..hidden dot\r\n"
	    ".\r\n", 4);
	/* one reply per accepted recipient, in RCPT order */
	const char *a = strstr(r, "250 2.0.0 <alice@example.org>");
	const char *b = strstr(r, "250 2.0.0 <Bob+Work@example.org>");
	const char *q = strstr(r, "552 5.2.2 <dquota@example.org>");
	const char *t = strstr(r, "451 4.3.0 <dtemp@example.org>");
	CHECK(a && b && q && t && a < b && b < q && q < t);
	CHECK_EQ(ndelivered, 2);
	CHECK_EQ(ntxn_end, 1);
	const char *want = "Subject: hi\r\n\r\nline one\r\n.hidden dot\r\n";
	CHECK(strcmp(delivered[0].msg, want) == 0);
	CHECK(strcmp(delivered[0].user, "alice") == 0);
	CHECK(strcmp(delivered[1].user, "bob") == 0);
	CHECK(strcmp(delivered[1].detail, "Work") == 0);
	CHECK(strcmp(delivered[0].sender, "sender@example.net") == 0);
	/* the transaction is over: RCPT needs a new MAIL */
	HAS(chat(c, "RCPT TO:<alice@x>\r\n", 1), "503 5.5.1");
	HAS(chat(c, "QUIT\r\n", 1), "221");
	CHECK_EQ(finish(&s, c), 0);
}

static void
test_pipelining(void)
{
	struct srv s;
	int c = start(&s, NULL);
	expect(c, 1);
	const char *r = chat(c, "LHLO mta\r\nMAIL FROM:<>\r\n"
	    "RCPT TO:<alice@x>\r\nRCPT TO:<bob@x>\r\nDATA\r\n"
	    "Subject: piped\r\n\r\nbody\r\n.\r\n"
	    "MAIL FROM:<s@x>\r\nRCPT TO:<alice@x>\r\nDATA\r\n"
	    "\r\nsecond\r\n.\r\nQUIT\r\n", 12);
	const char *order[] = { "250 SIZE", "250 2.1.0", "250 2.1.5",
		"250 2.1.5", "354", "250 2.0.0 <alice@x>", "250 2.0.0 <bob@x>",
		"250 2.1.0", "250 2.1.5", "354", "250 2.0.0 <alice@x>", "221" };
	const char *at = r;
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		const char *f = strstr(at, order[i]);
		CHECK(f != NULL);
		if (f == NULL) {
			fprintf(stderr, "  [%s] not in order in:\n%s\n",
			    order[i], r);
			break;
		}
		at = f + 1;
	}
	CHECK_EQ(ndelivered, 3);
	CHECK(strcmp(delivered[0].sender, "") == 0);   /* <> */
	CHECK(strcmp(delivered[2].msg, "\r\nsecond\r\n") == 0);
	CHECK_EQ(finish(&s, c), 0);
}

static void
test_bad_messages(void)
{
	struct lmtp_opts o;
	lmtp_opts_default(&o);
	o.max_size = 1000;
	o.max_data_line = 1000;
	struct srv s;
	int c = start(&s, &o);
	expect(c, 1);
	chat(c, "LHLO mta\r\n", 1);
#define TXN "MAIL FROM:<s@x>\r\nRCPT TO:<alice@x>\r\nDATA\r\n"
	/* too big: read to the end, bounded, then 552 */
	send_all(c, TXN, strlen(TXN));
	expect(c, 3);
	char line[100];
	memset(line, 'x', 98);
	memcpy(line + 98, "\r\n", 2);
	for (int i = 0; i < 2000; i++)   /* 200 KB against a 1000 byte limit */
		send_all(c, line, sizeof(line));
	HAS(chat(c, ".\r\n", 1), "552 5.3.4 <alice@x>");
	/* bare LF inside the message; ".\n" does not end it */
	send_all(c, TXN, strlen(TXN));
	expect(c, 3);
	HAS(chat(c, "a\nb\r\n.\n.\r\n", 1), "554 5.6.0 <alice@x> Message "
	    "contains bare LF");
	send_all(c, TXN, strlen(TXN));
	expect(c, 3);
	send_all(c, "nul\0byte\r\n.\r\n", 13);
	HAS(expect(c, 1), "554 5.6.0 <alice@x> Message contains NUL");
	/* a line past the limit */
	send_all(c, TXN, strlen(TXN));
	expect(c, 3);
	char longl[3000];
	memset(longl, 'y', sizeof(longl));
	send_all(c, longl, sizeof(longl));
	HAS(chat(c, "\r\n.\r\n", 1), "554 5.6.0 <alice@x> Message line too long");
	CHECK_EQ(ndelivered, 0);
	/* commands: bare LF, NUL, too long; the session goes on */
	HAS(chat(c, "NOOP\n", 1), "500 5.5.2");
	send_all(c, "NO\0OP\r\n", 7);
	HAS(expect(c, 1), "500 5.5.2");
	char longc[5000];
	memset(longc, 'z', sizeof(longc));
	send_all(c, longc, sizeof(longc));
	HAS(chat(c, "\r\n", 1), "500 5.5.2");
	HAS(chat(c, "NOOP\r\n", 1), "250 2.0.0");
	/* too many recipients */
	s.o.max_rcpts = 2;
	chat(c, "MAIL FROM:<s@x>\r\n", 1);
	chat(c, "RCPT TO:<alice@x>\r\nRCPT TO:<bob@x>\r\n", 2);
	HAS(chat(c, "RCPT TO:<alice@y>\r\n", 1), "452 4.5.3");
	chat(c, "RSET\r\n", 1);
	/* a message that never ends: the client leaves, nothing delivered */
	send_all(c, TXN, strlen(TXN));
	expect(c, 3);
	send_all(c, "no end\r\n", 8);
	CHECK_EQ(finish(&s, c), 0);
	CHECK_EQ(ndelivered, 0);
#undef TXN
}

static void
test_bare_lf_accepted(void)
{
	struct lmtp_opts o;
	lmtp_opts_default(&o);
	o.bare_lf_ok = true;
	struct srv s;
	int c = start(&s, &o);
	expect(c, 1);
	chat(c, "LHLO mta\nMAIL FROM:<s@x>\nRCPT TO:<alice@x>\nDATA\n", 4);
	HAS(chat(c, "a\nb\r\n.\r\n", 1), "250 2.0.0");
	CHECK_EQ(ndelivered, 1);
	CHECK(ndelivered == 1 && strcmp(delivered[0].msg, "a\r\nb\r\n") == 0);
	CHECK_EQ(finish(&s, c), 0);
}

static void
test_bdat(void)
{
	struct srv s;
	int c = start(&s, NULL);
	expect(c, 1);
	chat(c, "LHLO mta\r\n", 1);
	/* a chunk outside a transaction is read and refused */
	HAS(chat(c, "BDAT 5\r\nhello", 1), "503 5.5.1");
	HAS(chat(c, "MAIL FROM:<s@x>\r\n", 1), "250");
	HAS(chat(c, "RCPT TO:<alice@x>\r\nRCPT TO:<bob@x>\r\n", 2), "250 2.1.5");
	HAS(chat(c, "BDAT 16\r\nSubject: b\r\n\r\nab", 1), "250 2.0.0 16 octets");
	HAS(chat(c, "DATA\r\n", 1), "503 5.5.1");
	const char *r = chat(c, "BDAT 4 LAST\r\ncd\r\n", 2);
	HAS(r, "250 2.0.0 <alice@x>");
	HAS(r, "250 2.0.0 <bob@x>");
	CHECK_EQ(ndelivered, 2);
	CHECK(ndelivered > 0 && strcmp(delivered[0].msg,
	    "Subject: b\r\n\r\nabcd\r\n") == 0);
	/* BDAT 0 LAST ends an empty chunked message */
	chat(c, "MAIL FROM:<s@x>\r\nRCPT TO:<alice@x>\r\nBDAT 3\r\na\r\n", 3);
	HAS(chat(c, "BDAT 0 LAST\r\n", 1), "250 2.0.0 <alice@x>");
	HAS(chat(c, "BDAT x\r\n", 1), "501 5.5.4");   /* and the end */
	CHECK_EQ(finish(&s, c), 0);
}

/* All the replies until the server closes; the number of final lines. */
static int
replies_to_eof(int c)
{
	size_t have = 0;
	replies[0] = '\0';
	for (int i = 0; i < 10000 && have < sizeof(replies) - 1; i++) {
		struct pollfd p = { c, POLLIN, 0 };
		if (poll(&p, 1, 5000) != 1)
			break;
		ssize_t r = read(c, replies + have, sizeof(replies) - 1 - have);
		if (r <= 0)
			break;
		have += (size_t)r;
	}
	replies[have] = '\0';
	int finals = 0;
	for (char *l = replies; *l; ) {
		char *e = strstr(l, "\r\n");
		if (e == NULL)
			break;
		if (e - l >= 4 && l[3] == ' ')
			finals++;
		l = e + 2;
	}
	return finals;
}

/*
 * BDAT chunks far larger than one read of the line buffer, pipelined with
 * the commands around them: each chunk is delivered byte for byte and the
 * server answers exactly the commands sent, none read from elsewhere in
 * memory. With read_chunk 0 (16 KiB) and with small reads.
 */
static void
test_bdat_larger_than_a_read(size_t read_chunk, size_t size)
{
	struct lmtp_opts o;
	lmtp_opts_default(&o);
	o.read_chunk = read_chunk;
	struct srv s;
	int c = start(&s, &o);
	char head[200];
	int hl = snprintf(head, sizeof(head), "LHLO mta\r\nMAIL FROM:<s@x>\r\n"
	    "RCPT TO:<alice@x>\r\nBDAT %zu\r\n", size);
	char *body = malloc(size);
	CHECK(body != NULL);
	if (body == NULL)
		return;
	/* message lines that look like commands, as a wandering scanner
	 * would find them */
	static const char line[] = "NOOP\r\nRSET\r\nX-Fill: abcdefghij\r\n";
	for (size_t i = 0; i < size; i++)
		body[i] = line[i % (sizeof(line) - 1)];
	const char *mid = "NOOP\r\nBDAT 7 LAST\r\nend\r\n\r\n"
	    "MAIL FROM:<s@x>\r\nRCPT TO:<bob@x>\r\n";
	char tail[100];
	int tl = snprintf(tail, sizeof(tail), "BDAT %zu LAST\r\n", size);
	send_all(c, head, (size_t)hl);
	send_all(c, body, size);
	send_all(c, mid, strlen(mid));
	send_all(c, tail, (size_t)tl);
	send_all(c, body, size);
	send_all(c, "QUIT\r\n", 6);
	/* 220, LHLO, MAIL, RCPT, BDAT, NOOP, BDAT LAST (alice), MAIL, RCPT,
	 * BDAT LAST (bob), QUIT */
	int n = replies_to_eof(c);
	CHECK_EQ(n, 11);
	if (n != 11)
		fprintf(stderr, "  replies:\n%.2000s\n", replies);
	CHECK(strstr(replies, "250 2.0.0 <alice@x>") != NULL);
	CHECK(strstr(replies, "250 2.0.0 <bob@x>") != NULL);
	CHECK(strstr(replies, "221 2.0.0") != NULL);
	CHECK(strstr(replies, "500 ") == NULL && strstr(replies, "503 ") == NULL);
	CHECK_EQ(ndelivered, 2);
	CHECK(ndelivered == 2 && delivered[0].len == size + 7 &&
	    memcmp(delivered[0].msg, body, size) == 0 &&
	    memcmp(delivered[0].msg + size, "end\r\n\r\n", 7) == 0);
	CHECK(ndelivered == 2 && delivered[1].len == size &&
	    memcmp(delivered[1].msg, body, size) == 0);
	CHECK_EQ(finish(&s, c), 0);
	free(body);
}

static void
test_store_lost_and_timeout(void)
{
	struct srv s;
	int c = start(&s, NULL);
	expect(c, 1);
	chat(c, "LHLO mta\r\nMAIL FROM:<s@x>\r\n", 2);
	HAS(chat(c, "RCPT TO:<gone@x>\r\n", 1), "451 4.3.0");
	CHECK_EQ(finish(&s, c), -1);   /* the session ended by itself */

	/* over quota as a temporary failure, when so configured */
	struct lmtp_opts o;
	lmtp_opts_default(&o);
	o.quota_temp = true;
	c = start(&s, &o);
	expect(c, 1);
	chat(c, "LHLO mta\r\nMAIL FROM:<s@x>\r\n", 2);
	HAS(chat(c, "RCPT TO:<full@x>\r\n", 1), "452 4.2.2 <full@x>");
	HAS(chat(c, "RCPT TO:<dquota@x>\r\nDATA\r\n", 2), "354");
	HAS(chat(c, "x\r\n.\r\n", 1), "452 4.2.2 <dquota@x>");
	CHECK_EQ(finish(&s, c), 0);

	/* the store's disk is full: 452 4.3.1, and the session goes on */
	c = start(&s, NULL);
	expect(c, 1);
	chat(c, "LHLO mta\r\nMAIL FROM:<s@x>\r\n", 2);
	HAS(chat(c, "RCPT TO:<nospace@x>\r\n", 1), "452 4.3.1 <nospace@x>");
	HAS(chat(c, "RCPT TO:<dnospace@x>\r\nDATA\r\n", 2), "354");
	HAS(chat(c, "x\r\n.\r\n", 1), "452 4.3.1 <dnospace@x>");
	HAS(chat(c, "NOOP\r\n", 1), "250");
	CHECK_EQ(finish(&s, c), 0);

	/* a recipient's script rejects: 550 5.7.1 with its reason, and the
	 * other recipient of the same message still gets its 250 */
	c = start(&s, NULL);
	expect(c, 1);
	chat(c, "LHLO mta\r\nMAIL FROM:<s@x>\r\n", 2);
	HAS(chat(c, "RCPT TO:<sreject@x>\r\nRCPT TO:<alice@x>\r\nDATA\r\n", 3),
	    "354");
	const char *two = chat(c, "x\r\n.\r\n", 2);
	HAS(two, "550 5.7.1 <sreject@x> Not wanted here\r\n250 2.0.0 <alice@x>");
	CHECK_EQ(finish(&s, c), 0);

	o.quota_temp = false;
	o.timeout_ms = 100;
	c = start(&s, &o);
	expect(c, 1);
	HAS(expect(c, 1), "421 4.4.2");
	CHECK_EQ(finish(&s, c), 0);
}

int
main(void)
{
	/* the stats records go to fd 4: make it /dev/null here */
	int dn = open("/dev/null", O_WRONLY);
	if (dn != CLOISTER_FD_STATS) {
		dup2(dn, CLOISTER_FD_STATS);
		close(dn);
	}
	test_greeting_and_order();
	test_delivery();
	test_pipelining();
	test_bad_messages();
	test_bare_lf_accepted();
	test_bdat();
	test_bdat_larger_than_a_read(0, 300000);
	test_bdat_larger_than_a_read(0, 2u << 20);
	test_bdat_larger_than_a_read(100, 50000);
	test_store_lost_and_timeout();
	reset_fake();
	return check_done("lmtp_session");
}
