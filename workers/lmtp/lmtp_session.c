/* lmtp_session: the LMTP command loop (see lmtp.h). */
#include "lmtp.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "log.h"
#include "stats.h"

struct session {
	const struct lmtp_opts *o;
	const struct lmtp_backend *be;
	struct lines_reader r;
	struct lines_writer w;
	const char *client;
	char lhlo[256];
	bool greeted;            /* LHLO seen */
	bool in_mail;            /* MAIL FROM seen */
	char sender[LMTP_PATH_MAX + 1];
	uint64_t size_hint;      /* MAIL FROM SIZE= */
	struct lmtp_rcpt *rcpts; /* accepted recipients */
	size_t nrcpts, cap;
	struct buf msg;
	bool bdat;               /* chunks are coming */
	/* what is wrong with the message read so far */
	bool too_big, bare_lf, nul, long_line;
	uint64_t txn_id;
	bool gone;               /* the backend was lost: end the session */
	bool quit;
	uint64_t bytes_seen;     /* reader bytes already counted in stats */
	/* for the line at the end */
	const char *end_reason;  /* NULL: from quit, gone, EOF */
	unsigned delivered, rejected;
};

static void
reply(struct session *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
reply(struct session *s, const char *fmt, ...)
{
	char line[600];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof(line) - 2, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(line) - 3)
		n = (int)sizeof(line) - 3;
	line[n++] = '\r';
	line[n++] = '\n';
	if (line[0] == '4' || line[0] == '5')
		stats_add(ST_ERRORS, 1);
	(void)lines_write(&s->w, line, (size_t)n);
}

/* The answer about one recipient, and its line in the log: every refusal
 * of a recipient, at RCPT or after the data, is logged with the sender,
 * the recipient and the code given (deliveries: lmtp_store.c). */
static void
rcpt_reply(struct session *s, const char *stage, const char *rcpt,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
rcpt_reply(struct session *s, const char *stage, const char *rcpt,
    const char *fmt, ...)
{
	char line[600];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	reply(s, "%s", line);
	s->rejected++;
	lmtp_log_reply(stage, s->client, s->sender, rcpt, line);
}

static void
txn_reset(struct session *s)
{
	s->in_mail = false;
	s->sender[0] = '\0';
	s->size_hint = 0;
	s->nrcpts = 0;
	s->bdat = false;
	s->too_big = s->bare_lf = s->nul = s->long_line = false;
	buf_reset(&s->msg);
	/* a big message's memory goes back now, not at the next one */
	if (s->msg.cap > (1u << 20))
		buf_free(&s->msg);
}

/* ---- the message ---- */

static void
add_bytes(struct session *s, const uint8_t *p, size_t n)
{
	if (s->too_big)
		return;
	if (s->msg.len + n > s->o->max_size) {
		s->too_big = true;
		buf_free(&s->msg);
		return;
	}
	if (buf_append(&s->msg, p, n) < 0) {
		s->too_big = true;   /* memory: treat as too big */
		buf_free(&s->msg);
	}
}

/* One DATA line (CRLF gone): unstuff, check, keep. */
static void
data_line(struct session *s, const uint8_t *l, size_t n, bool lf)
{
	if (lf)
		s->bare_lf = true;
	if (memchr(l, 0, n) != NULL)
		s->nul = true;
	if (n > 0 && l[0] == '.') {
		l++;
		n--;
	}
	add_bytes(s, l, n);
	add_bytes(s, (const uint8_t *)"\r\n", 2);
}

/* BDAT data is raw: check it for what DATA checks line by line. */
static void
check_raw(struct session *s)
{
	const uint8_t *d = s->msg.data;
	size_t n = s->msg.len, line = 0;
	if (d == NULL)
		return;
	if (memchr(d, 0, n) != NULL)
		s->nul = true;
	for (size_t i = 0; i < n; i++) {
		if (d[i] != '\n')
			continue;
		if (i == 0 || d[i - 1] != '\r')
			s->bare_lf = true;
		if (i + 1 - line > s->o->max_data_line)
			s->long_line = true;
		line = i + 1;
	}
	if (n - line > s->o->max_data_line)
		s->long_line = true;
}

static void
quota_reply(struct session *s, const char *stage, const char *addr)
{
	if (s->o->quota_temp)
		rcpt_reply(s, stage, addr, "452 4.2.2 <%s> Mailbox is full", addr);
	else
		rcpt_reply(s, stage, addr, "552 5.2.2 <%s> Mailbox is full", addr);
}

/* After the end of data: one reply per accepted recipient, in order. */
static void
deliver_all(struct session *s)
{
	struct lmtp_txn t = {
		.id = ++s->txn_id, .lhlo = s->lhlo, .client = s->client,
		.sender = s->sender, .rcpts = s->rcpts, .nrcpts = s->nrcpts,
		.msg = s->msg.data ? s->msg.data : (const uint8_t *)"",
		.len = s->msg.len,
	};
	for (size_t i = 0; i < s->nrcpts; i++) {
		const char *a = s->rcpts[i].addr;
		enum lmtp_result r = LMTP_R_OK;
		if (s->too_big) {
			rcpt_reply(s, "data", a,
			    "552 5.3.4 <%s> Message too big", a);
		} else if (s->nul) {
			rcpt_reply(s, "data", a,
			    "554 5.6.0 <%s> Message contains NUL bytes", a);
		} else if (s->bare_lf && !s->o->bare_lf_ok) {
			rcpt_reply(s, "data", a,
			    "554 5.6.0 <%s> Message contains bare LF; "
			    "lines must end in CRLF", a);
		} else if (s->long_line) {
			rcpt_reply(s, "data", a,
			    "554 5.6.0 <%s> Message line too long", a);
		} else if (s->gone) {
			rcpt_reply(s, "data", a,
			    "451 4.3.0 <%s> Temporary failure", a);
		} else {
			r = s->be->deliver(s->be->ctx, &t, i);
			switch (r) {
			case LMTP_R_OK:
				reply(s, "250 2.0.0 <%s> Saved", a);
				s->delivered++;
				stats_add(ST_DELIVERIES, 1);
				continue;
			case LMTP_R_NOUSER:
				rcpt_reply(s, "data", a,
				    "550 5.1.1 <%s> User doesn't exist", a);
				break;
			case LMTP_R_QUOTA:
				quota_reply(s, "data", a);
				break;
			case LMTP_R_NOSPACE:
				rcpt_reply(s, "data", a,
				    "452 4.3.1 <%s> Insufficient system "
				    "storage", a);
				break;
			case LMTP_R_TOOBIG:
				rcpt_reply(s, "data", a,
				    "552 5.3.4 <%s> Message too big", a);
				break;
			case LMTP_R_REJECT:
				rcpt_reply(s, "data", a, "550 5.7.1 <%s> %.400s",
				    a, s->be->reason != NULL ?
				    s->be->reason(s->be->ctx) : "Rejected");
				break;
			case LMTP_R_GONE:
				s->gone = true;
				/* fall through */
			case LMTP_R_TEMP:
				rcpt_reply(s, "data", a,
				    "451 4.3.0 <%s> Temporary failure", a);
				break;
			}
		}
		stats_add(ST_REJECTIONS, 1);
	}
	if (s->be->txn_end != NULL)
		s->be->txn_end(s->be->ctx, &t);
	txn_reset(s);
}

/* ---- reading ---- */

/* Wait for input; false (after a 421) when the client idled out. */
static bool
wait_input(struct session *s)
{
	if (lines_flush(&s->w) < 0)
		return false;
	int r = lines_wait(&s->r, s->o->timeout_ms);
	if (r > 0)
		return true;
	if (r == 0) {
		reply(s, "421 4.4.2 %s Idle timeout, closing connection",
		    s->o->hostname);
		s->end_reason = "idle-timeout";
		(void)lines_flush(&s->w);
	}
	return false;
}

/* DATA: lines to "." alone. false when the client went away. */
static bool
read_data(struct session *s)
{
	for (;;) {
		const uint8_t *l;
		size_t n;
		bool lf;
		switch (lines_read(&s->r, &l, &n, &lf)) {
		case LINES_OK:
			if (n == 1 && l[0] == '.' && !lf)
				return true;
			if (n + 2 > s->o->max_data_line)
				s->long_line = true;
			else
				data_line(s, l, n, lf);
			break;
		case LINES_TOO_LONG:
			s->long_line = true;
			break;
		case LINES_AGAIN:
			if (!wait_input(s))
				return false;
			break;
		case LINES_EOF:
		case LINES_ERR:
			return false;
		}
	}
}

/* BDAT: n raw bytes. false when the client went away. */
static bool
read_chunk(struct session *s, uint64_t n, bool keep)
{
	while (n > 0) {
		const uint8_t *p;
		size_t got;
		enum lines_result r = lines_read_raw(&s->r, n > SIZE_MAX ?
		    SIZE_MAX : (size_t)n, &p, &got);
		if (r == LINES_AGAIN) {
			if (!wait_input(s))
				return false;
			continue;
		}
		if (r != LINES_OK)
			return false;
		if (keep)
			add_bytes(s, p, got);
		n -= got;
	}
	return true;
}

/* ---- commands ---- */

/* "KEY=value" parameters after a path; key/value NUL-terminated in buf. */
static const char *
next_param(const char **p, char *key, size_t ksz, char *val, size_t vsz)
{
	const char *s = *p;
	while (*s == ' ')
		s++;
	if (*s == '\0')
		return NULL;
	size_t k = 0, v = 0;
	while (*s && *s != ' ' && *s != '=' && k + 1 < ksz)
		key[k++] = *s++;
	key[k] = '\0';
	if (*s == '=') {
		s++;
		while (*s && *s != ' ' && v + 1 < vsz)
			val[v++] = *s++;
	}
	val[v] = '\0';
	while (*s && *s != ' ')
		s++;   /* overlong: the check below refuses it */
	*p = s;
	return key;
}

static bool
parse_u64(const char *s, uint64_t *v)
{
	if (*s < '0' || *s > '9' || strlen(s) > 19)
		return false;
	char *e;
	errno = 0;
	unsigned long long x = strtoull(s, &e, 10);
	if (errno != 0 || *e != '\0')
		return false;
	*v = x;
	return true;
}

static void
cmd_lhlo(struct session *s, const char *arg)
{
	if (*arg == '\0') {
		reply(s, "501 5.5.4 LHLO needs a domain");
		return;
	}
	size_t n = strcspn(arg, " ");
	if (n >= sizeof(s->lhlo))
		n = sizeof(s->lhlo) - 1;
	for (size_t i = 0; i < n; i++)   /* it goes into a header */
		s->lhlo[i] = arg[i] > 0x20 && arg[i] < 0x7f ? arg[i] : '_';
	s->lhlo[n] = '\0';
	txn_reset(s);
	s->greeted = true;
	reply(s, "250-%s", s->o->hostname);
	reply(s, "250-PIPELINING");
	reply(s, "250-ENHANCEDSTATUSCODES");
	reply(s, "250-8BITMIME");
	reply(s, "250-CHUNKING");
	reply(s, "250 SIZE %llu", (unsigned long long)s->o->max_size);
}

static void
cmd_mail(struct session *s, const char *arg)
{
	char path[LMTP_PATH_MAX + 1], key[32], val[32];
	const char *rest;
	if (!s->greeted) {
		reply(s, "503 5.5.1 Send LHLO first");
		return;
	}
	if (s->in_mail) {
		reply(s, "503 5.5.1 Nested MAIL command");
		return;
	}
	if (strncasecmp(arg, "FROM:", 5) != 0 ||
	    lmtp_parse_path(arg + 5, strlen(arg + 5), path, sizeof(path),
	    &rest, true) < 0) {
		reply(s, "501 5.1.7 Bad sender address syntax");
		return;
	}
	uint64_t size = 0;
	while (next_param(&rest, key, sizeof(key), val, sizeof(val))) {
		if (strcasecmp(key, "SIZE") == 0) {
			if (!parse_u64(val, &size)) {
				reply(s, "501 5.5.4 Bad SIZE parameter");
				return;
			}
		} else if (strcasecmp(key, "BODY") == 0) {
			if (strcasecmp(val, "7BIT") != 0 &&
			    strcasecmp(val, "8BITMIME") != 0) {
				reply(s, "555 5.5.4 Unsupported BODY type");
				return;
			}
		} else {
			reply(s, "555 5.5.4 Unsupported parameter %.32s", key);
			return;
		}
	}
	if (size > s->o->max_size) {
		reply(s, "552 5.3.4 Message size exceeds fixed limit");
		stats_add(ST_REJECTIONS, 1);
		return;
	}
	txn_reset(s);
	memcpy(s->sender, path, strlen(path) + 1);
	s->size_hint = size;
	s->in_mail = true;
	reply(s, "250 2.1.0 OK");
}

static void
cmd_rcpt(struct session *s, const char *arg)
{
	char path[LMTP_PATH_MAX + 1], key[32], val[32];
	const char *rest;
	if (!s->in_mail) {
		reply(s, "503 5.5.1 Need MAIL before RCPT");
		return;
	}
	if (s->bdat) {
		reply(s, "503 5.5.1 RCPT after BDAT");
		return;
	}
	if (strncasecmp(arg, "TO:", 3) != 0 ||
	    lmtp_parse_path(arg + 3, strlen(arg + 3), path, sizeof(path),
	    &rest, false) < 0) {
		reply(s, "501 5.1.3 Bad recipient address syntax");
		return;
	}
	if (next_param(&rest, key, sizeof(key), val, sizeof(val)) != NULL) {
		reply(s, "555 5.5.4 Unsupported parameter %.32s", key);
		return;
	}
	if (s->nrcpts >= s->o->max_rcpts) {
		rcpt_reply(s, "rcpt", path, "452 4.5.3 Too many recipients");
		return;
	}
	struct lmtp_rcpt r;
	if (lmtp_map_rcpt(s->o, path, &r) < 0) {
		rcpt_reply(s, "rcpt", path, "550 5.1.1 <%s> User doesn't exist",
		    path);
		stats_add(ST_REJECTIONS, 1);
		return;
	}
	enum lmtp_result res = s->be->rcpt(s->be->ctx, &r, s->size_hint);
	switch (res) {
	case LMTP_R_OK:
		break;
	case LMTP_R_NOUSER:
		rcpt_reply(s, "rcpt", path, "550 5.1.1 <%s> User doesn't exist",
		    path);
		stats_add(ST_REJECTIONS, 1);
		return;
	case LMTP_R_QUOTA:
		quota_reply(s, "rcpt", path);
		stats_add(ST_REJECTIONS, 1);
		return;
	case LMTP_R_TOOBIG:
		rcpt_reply(s, "rcpt", path, "552 5.3.4 <%s> Message too big", path);
		stats_add(ST_REJECTIONS, 1);
		return;
	case LMTP_R_NOSPACE:
		rcpt_reply(s, "rcpt", path, "452 4.3.1 <%s> Insufficient system"
		    " storage", path);
		return;
	case LMTP_R_GONE:
		s->gone = true;
		/* fall through */
	case LMTP_R_REJECT:   /* never at RCPT */
	case LMTP_R_TEMP:
		rcpt_reply(s, "rcpt", path, "451 4.3.0 <%s> Temporary failure", path);
		return;
	}
	if (s->nrcpts == s->cap) {
		size_t nc = s->cap ? s->cap * 2 : 8;
		struct lmtp_rcpt *nr = realloc(s->rcpts, nc * sizeof(*nr));
		if (nr == NULL) {
			reply(s, "452 4.3.0 Out of memory");
			return;
		}
		s->rcpts = nr;
		s->cap = nc;
	}
	s->rcpts[s->nrcpts++] = r;
	stats_add(ST_RECIPIENTS, 1);
	reply(s, "250 2.1.5 OK");
}

static void
cmd_data(struct session *s, const char *arg)
{
	if (*arg != '\0') {
		reply(s, "501 5.5.4 DATA takes no argument");
		return;
	}
	if (!s->in_mail || s->bdat) {
		reply(s, "503 5.5.1 %s", s->bdat ? "DATA after BDAT" :
		    "Need MAIL first");
		return;
	}
	if (s->nrcpts == 0) {
		reply(s, "554 5.5.1 No valid recipients");
		return;
	}
	reply(s, "354 OK, end with <CRLF>.<CRLF>");
	if (lines_flush(&s->w) < 0 || !read_data(s)) {
		s->quit = true;
		return;
	}
	deliver_all(s);
}

static void
cmd_bdat(struct session *s, const char *arg)
{
	char num[24];
	size_t n = strcspn(arg, " ");
	uint64_t size;
	const char *tail = arg + n;
	while (*tail == ' ')
		tail++;
	bool last = strcasecmp(tail, "LAST") == 0;
	if (n == 0 || n >= sizeof(num) || (*tail != '\0' && !last)) {
		/* the chunk size is unknown: the stream is lost */
		reply(s, "501 5.5.4 Syntax: BDAT size [LAST]");
		s->quit = true;
		return;
	}
	memcpy(num, arg, n);
	num[n] = '\0';
	if (!parse_u64(num, &size)) {
		reply(s, "501 5.5.4 Syntax: BDAT size [LAST]");
		s->quit = true;
		return;
	}
	bool ok_txn = s->in_mail && s->nrcpts > 0;
	if (!read_chunk(s, size, ok_txn)) {
		s->quit = true;
		return;
	}
	if (!s->in_mail) {
		reply(s, "503 5.5.1 Need MAIL first");
		return;
	}
	if (s->nrcpts == 0) {
		reply(s, "554 5.5.1 No valid recipients");
		return;
	}
	s->bdat = true;
	if (!last) {
		reply(s, "250 2.0.0 %llu octets received",
		    (unsigned long long)size);
		return;
	}
	check_raw(s);
	deliver_all(s);
}

static void
cmd_rset(struct session *s, const char *arg)
{
	(void)arg;
	txn_reset(s);
	reply(s, "250 2.0.0 OK");
}

static void
cmd_noop(struct session *s, const char *arg)
{
	(void)arg;
	reply(s, "250 2.0.0 OK");
}

static void
cmd_quit(struct session *s, const char *arg)
{
	(void)arg;
	reply(s, "221 2.0.0 %s Bye", s->o->hostname);
	s->quit = true;
}

static void
cmd_vrfy(struct session *s, const char *arg)
{
	(void)arg;
	reply(s, "252 2.5.2 Cannot VRFY, send some mail");
}

static void
cmd_help(struct session *s, const char *arg)
{
	(void)arg;
	reply(s, "214 2.0.0 LHLO MAIL RCPT DATA BDAT RSET NOOP VRFY QUIT");
}

static void
cmd_helo(struct session *s, const char *arg)
{
	(void)arg;
	reply(s, "500 5.5.1 This is LMTP: use LHLO");
}

static const struct {
	const char *verb;
	void (*fn)(struct session *, const char *);
} commands[] = {
	{ "LHLO", cmd_lhlo }, { "MAIL", cmd_mail }, { "RCPT", cmd_rcpt },
	{ "DATA", cmd_data }, { "BDAT", cmd_bdat }, { "RSET", cmd_rset },
	{ "NOOP", cmd_noop }, { "QUIT", cmd_quit }, { "VRFY", cmd_vrfy },
	{ "HELP", cmd_help }, { "HELO", cmd_helo }, { "EHLO", cmd_helo },
};

static void
command(struct session *s, const uint8_t *l, size_t n, bool lf)
{
	char line[LMTP_PATH_MAX * 4];
	stats_add(ST_COMMANDS, 1);
	if (lf && !s->o->bare_lf_ok) {
		reply(s, "500 5.5.2 Bare LF in command; lines end in CRLF");
		return;
	}
	if (n + 2 > s->o->max_cmd_line || n >= sizeof(line)) {
		reply(s, "500 5.5.2 Line too long");
		return;
	}
	if (memchr(l, 0, n) != NULL) {
		reply(s, "500 5.5.2 NUL in command");
		return;
	}
	memcpy(line, l, n);
	line[n] = '\0';
	size_t vl = strcspn(line, " ");
	const char *arg = line + vl;
	while (*arg == ' ')
		arg++;
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (vl == 4 && strncasecmp(line, commands[i].verb, 4) == 0) {
			commands[i].fn(s, arg);
			return;
		}
	}
	reply(s, "500 5.5.1 Unknown command");
}

int
lmtp_serve(int fd, const char *client, const struct lmtp_opts *o,
    const struct lmtp_backend *be)
{
	struct session s;
	memset(&s, 0, sizeof(s));
	s.o = o;
	s.be = be;
	s.client = client;
	size_t maxl = o->max_data_line > o->max_cmd_line ? o->max_data_line :
	    o->max_cmd_line;
	/* non-blocking, so that a pipelined batch is answered before we
	 * wait for the next one */
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 ||
	    lines_reader_init(&s.r, fd, maxl, o->read_chunk) < 0)
		return -1;
	lines_writer_init(&s.w, fd, 16384);
	s.w.timeout_ms = o->timeout_ms;
	/* the message: its own limit plus room for the last line */
	buf_init(&s.msg, o->max_size + 1);
	stats_add(ST_CONNECTIONS, 1);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	reply(&s, "220 %s Cloister LMTP ready", o->hostname);
	while (!s.quit && !s.gone) {
		const uint8_t *l;
		size_t n;
		bool lf;
		enum lines_result r = lines_read(&s.r, &l, &n, &lf);
		if (r == LINES_OK) {
			command(&s, l, n, lf);
		} else if (r == LINES_TOO_LONG) {
			stats_add(ST_COMMANDS, 1);
			reply(&s, "500 5.5.2 Line too long");
		} else if (r == LINES_AGAIN) {
			if (!wait_input(&s))
				break;
			continue;
		} else {
			/* EOF or error: nothing to answer */
			s.end_reason = r == LINES_EOF ? "closed" : "error";
			break;
		}
		stats_add(ST_BYTES_IN, s.r.bytes_in - s.bytes_seen);
		s.bytes_seen = s.r.bytes_in;
		/* pipelining: answer once the batch is read */
		if (!lines_pending(&s.r) && lines_flush(&s.w) < 0)
			break;
		if (!lines_pending(&s.r))
			stats_flush();
	}
	(void)lines_flush(&s.w);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	lmtp_log_end(&(struct lmtp_end){ .client = client, .lhlo = s.lhlo,
	    .reason = s.quit ? "quit" : s.gone ? "store-unavailable" :
	    s.end_reason != NULL ? s.end_reason : "error",
	    .ms = (t1.tv_sec - t0.tv_sec) * 1000 +
	    (t1.tv_nsec - t0.tv_nsec) / 1000000, .in = s.r.bytes_in,
	    .out = s.w.bytes_out, .delivered = s.delivered,
	    .rejected = s.rejected });
	stats_add(ST_BYTES_IN, s.r.bytes_in - s.bytes_seen);
	stats_add(ST_BYTES_OUT, s.w.bytes_out);
	stats_flush();
	lines_reader_free(&s.r);
	lines_writer_free(&s.w);
	buf_free(&s.msg);
	free(s.rcpts);
	return s.gone ? -1 : 0;
}
