/* imap_reader: framing of client commands (see imap_reader.h). */
#include "imap_reader.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

enum rd_state {
	ST_LINE,      /* reading a line up to LF */
	ST_LITERAL,   /* reading lit_left literal bytes */
	ST_WAIT_CONT, /* RD_CONTINUE given; next feed starts the literal */
};

/* Keep at most this much buffer capacity between commands. */
#define IDLE_KEEP 4096

void
imap_reader_init(struct imap_reader *r, const struct imap_limits *lim)
{
	memset(r, 0, sizeof(*r));
	r->lim = *lim;
	r->full = *lim;
	buf_init(&r->text, lim->max_command);
	r->spool_fd = -1;
	imap_reader_next(r);
}

void
imap_reader_free(struct imap_reader *r)
{
	buf_free(&r->text);
	free(r->ext);
	r->ext = NULL;
	if (r->spool_fd >= 0)
		close(r->spool_fd);
	r->spool_fd = -1;
}

const char *
imap_rd_reason_text(enum imap_rd_reason reason)
{
	switch (reason) {
	case RDR_NONE: return "";
	case RDR_LINE_TOO_LONG: return "Command line too long";
	case RDR_COMMAND_TOO_LONG: return "Command too long";
	case RDR_LITERAL_TOO_BIG: return "Literal too large";
	case RDR_TOO_MANY_LITERALS: return "Too many literals";
	case RDR_LITERAL_SIZE: return "Invalid literal size";
	case RDR_SPOOL_FAILED: return "Cannot store the literal";
	case RDR_PRELOGIN_LITERAL: return "No literal before login, except"
	    " for LOGIN";
	}
	return "";
}

/* Tag and command word from the start of the text, once enough is there:
 * the tag names the rejection, the word decides where literals go. */
static void
sniff_command(struct imap_reader *r)
{
	const uint8_t *p = r->text.data;
	size_t n = r->text.len, i = 0;
	while (i < n && i < sizeof(r->tag) - 1 && p[i] > ' ' && p[i] < 0x7f &&
	    p[i] != '(' && p[i] != ')' && p[i] != '{' && p[i] != '"' &&
	    p[i] != '\\' && p[i] != '%' && p[i] != '*' && p[i] != '+')
		i++;
	if (i > 0 && i < n && p[i] == ' ') {
		memcpy(r->tag, p, i);
		r->tag[i] = '\0';
		r->tag_valid = true;
	}
	if (!r->tag_valid)
		return;
	size_t w = ++i;
	while (i < n && p[i] > ' ' && p[i] < 0x7f)
		i++;
	if (i >= n)
		return;   /* the word may still be growing */
	r->cmd_known = true;
	r->is_append = i - w == 6 && strncasecmp((const char *)p + w,
	    "APPEND", 6) == 0;
	r->is_login = (i - w == 5 && strncasecmp((const char *)p + w,
	    "LOGIN", 5) == 0) || (i - w == 12 && strncasecmp(
	    (const char *)p + w, "AUTHENTICATE", 12) == 0);
}

/* Parse "{N}" / "{N+}" / "~{N}" ending the current line (before CRLF).
 * Returns 1 and fills size/sync/binary if the line ends in a literal
 * announcement, 0 if not, -1 if it does but N is not a valid count. */
static int
line_literal(const uint8_t *line, size_t len, uint64_t *size, bool *sync,
    bool *binary, size_t *brace)
{
	if (len < 3 || line[len - 1] != '}')
		return 0;
	size_t i = len - 1;
	*sync = true;
	if (line[i - 1] == '+') {
		*sync = false;
		i--;
	}
	size_t end = i;  /* one past the last digit */
	while (i > 0 && line[i - 1] >= '0' && line[i - 1] <= '9')
		i--;
	if (i == 0 || line[i - 1] != '{')
		return 0;
	size_t digits = end - i;
	*brace = i - 1;
	*binary = *brace > 0 && line[*brace - 1] == '~';
	if (*binary)
		(*brace)--;
	if (digits == 0 || digits > 19)
		return -1;
	uint64_t v = 0;
	for (size_t k = i; k < end; k++)
		v = v * 10 + (uint64_t)(line[k] - '0');
	*size = v;
	return 1;
}

static enum imap_rd_event
reject(struct imap_reader *r, enum imap_rd_reason why, bool no)
{
	r->reason = why;
	r->reject_no = no;
	return RD_REJECT;
}

static enum imap_rd_event
fatal(struct imap_reader *r, enum imap_rd_reason why)
{
	r->reason = why;
	return RD_FATAL;
}

static int
spool_open(struct imap_reader *r)
{
	if (r->spool_fd >= 0)
		return 0;
	r->spool_fd = memfd_create("imap-append", MFD_CLOEXEC);
	return r->spool_fd < 0 ? -1 : 0;
}

/* A complete line (LF at text end, or counted in discard mode). */
static enum imap_rd_event
line_done(struct imap_reader *r)
{
	const uint8_t *line = r->text.data + r->line_start;
	size_t len = r->text.len - r->line_start;
	if (r->discarding)
		len = 0;   /* nothing of the line kept past its start */
	/* strip LF and an optional CR */
	size_t body = len;
	if (body > 0 && line[body - 1] == '\n')
		body--;
	if (body > 0 && line[body - 1] == '\r')
		body--;
	uint64_t size = 0;
	bool sync = true, binary = false;
	size_t brace = 0;
	int lit = 0;
	if (!r->discarding && !r->in_quote)
		lit = line_literal(line, body, &size, &sync, &binary, &brace);
	if (r->discarding) {
		/* the literal announcement (if any) was seen while scanning:
		 * lit_size/sync_literal were set by feed_line */
		if (r->lit_size != UINT64_MAX) {
			if (r->sync_literal)
				return reject(r, r->reason, false);
			if ((r->prelogin &&
			    r->lit_size > IMAP_PRELOGIN_LITERAL_MAX) ||
			    r->lit_size > r->lim.max_line + r->lim.max_literal ||
			    r->discarded + r->lit_size >
			    r->lim.max_command + r->lim.max_literal)
				return fatal(r, r->reason);
			r->lit_left = r->lit_size;
			r->discarded += r->lit_size;
			r->lit_size = UINT64_MAX;
			r->state = ST_LITERAL;
			return RD_MORE;
		}
		return reject(r, r->reason, false);
	}
	if (!r->cmd_known)
		sniff_command(r);
	if (lit == 0)
		return RD_COMMAND;
	r->lit_size = lit < 0 ? UINT64_MAX : size;
	r->sync_literal = sync;
	if (lit < 0)
		return sync ? reject(r, RDR_LITERAL_SIZE, false) :
		    fatal(r, RDR_LITERAL_SIZE);
	if (++r->nliterals > r->lim.max_literals)
		return sync ? reject(r, RDR_TOO_MANY_LITERALS, false) :
		    fatal(r, RDR_TOO_MANY_LITERALS);
	if (r->prelogin) {
		/* no continuation, and no spool, for an unauthenticated
		 * client: only LOGIN's small strings may wait for "+" */
		if (size > IMAP_PRELOGIN_LITERAL_MAX)
			return sync ? reject(r, RDR_LITERAL_TOO_BIG, false) :
			    fatal(r, RDR_LITERAL_TOO_BIG);
		if (sync && !r->is_login)
			return reject(r, RDR_PRELOGIN_LITERAL, false);
	}
	r->lit_ext = !r->prelogin && r->is_append &&
	    size > IMAP_INLINE_LITERAL_MAX;
	if (r->lit_ext) {
		if (size > r->lim.max_literal ||
		    r->spool_len + size > r->lim.max_spool)
			return sync ? reject(r, RDR_LITERAL_TOO_BIG, true) :
			    fatal(r, RDR_LITERAL_TOO_BIG);
		if (spool_open(r) < 0)
			return fatal(r, RDR_SPOOL_FAILED);
		struct imap_ext_literal *ne = realloc(r->ext,
		    (r->next + 1) * sizeof(*ne));
		if (ne == NULL)
			return fatal(r, RDR_SPOOL_FAILED);
		r->ext = ne;
		struct imap_ext_literal *e = &r->ext[r->next++];
		e->text_pos = r->line_start + brace;
		e->spool_off = r->spool_len;
		e->size = size;
		e->binary = binary;
		e->has_nul = false;
	} else if (size > r->lim.max_command ||
	    r->text.len + size > r->lim.max_command) {
		return sync ? reject(r, RDR_COMMAND_TOO_LONG, false) :
		    fatal(r, RDR_COMMAND_TOO_LONG);
	}
	r->lit_left = size;
	if (sync) {
		r->state = ST_WAIT_CONT;
		return RD_CONTINUE;
	}
	r->state = ST_LITERAL;
	return RD_MORE;
}

/* Scan line bytes up to and including LF. */
static enum imap_rd_event
feed_line(struct imap_reader *r, const uint8_t *in, size_t len, size_t *used)
{
	size_t i = 0;
	enum imap_rd_event ev = RD_MORE;
	bool complete = false;
	for (; i < len; i++) {
		uint8_t c = in[i];
		if (c == '\n') {
			i++;
			complete = true;
			break;
		}
		if (r->in_quote) {
			if (r->escaped)
				r->escaped = false;
			else if (c == '\\')
				r->escaped = true;
			else if (c == '"')
				r->in_quote = false;
		} else if (c == '"') {
			r->in_quote = true;
		}
	}
	/* store what fits; in discard mode, only track the literal suffix */
	if (!r->discarding) {
		if (r->line_len + i > r->lim.max_line + 2 ||
		    buf_append(&r->text, in, i) < 0) {
			/* keep the line's first bytes (the tag lives there) */
			r->discarding = true;
			r->reason = r->line_len + i > r->lim.max_line + 2 ?
			    RDR_LINE_TOO_LONG : RDR_COMMAND_TOO_LONG;
			r->text.failed = false;
			r->discarded = r->line_len;
			r->tail_len = 0;
			/* a line too long from its first byte: keep enough of
			 * it to answer with its tag */
			if (r->text.len == 0) {
				size_t k = i < 80 ? i : 80;
				if (buf_append(&r->text, in, k) == 0)
					sniff_command(r);
			}
		}
	}
	if (r->discarding) {
		r->discarded += i;
		/* keep the last bytes so that a literal announcement split
		 * across reads is still seen at the end of the line */
		if (i >= sizeof(r->tail)) {
			memcpy(r->tail, in + i - sizeof(r->tail), sizeof(r->tail));
			r->tail_len = sizeof(r->tail);
		} else {
			size_t drop = r->tail_len + i > sizeof(r->tail) ?
			    r->tail_len + i - sizeof(r->tail) : 0;
			memmove(r->tail, r->tail + drop, r->tail_len - drop);
			memcpy(r->tail + r->tail_len - drop, in, i);
			r->tail_len = r->tail_len - drop + i;
		}
		if (complete) {
			size_t body = r->tail_len;
			if (body > 0 && r->tail[body - 1] == '\n')
				body--;
			if (body > 0 && r->tail[body - 1] == '\r')
				body--;
			uint64_t size;
			bool sync, binary;
			size_t brace;
			int lit = r->in_quote ? 0 : line_literal(r->tail, body,
			    &size, &sync, &binary, &brace);
			r->tail_len = 0;
			r->lit_size = lit == 1 ? size : UINT64_MAX;
			if (lit == 1)
				r->sync_literal = sync;
			else if (lit < 0) {
				/* unparsable count after a long line: cannot
				 * tell what follows */
				*used = i;
				return fatal(r, RDR_LITERAL_SIZE);
			}
		}
		if (r->discarded > r->lim.max_command + r->lim.max_literal) {
			*used = i;
			return fatal(r, r->reason);
		}
	}
	r->line_len += i;
	*used = i;
	if (complete) {
		ev = line_done(r);
		r->in_quote = r->escaped = false;
		r->line_len = 0;
		r->line_start = r->text.len;
		if (r->discarding && ev == RD_MORE)
			return RD_MORE;
	} else if (!r->cmd_known && !r->discarding) {
		sniff_command(r);
	}
	return ev;
}

static enum imap_rd_event
feed_literal(struct imap_reader *r, const uint8_t *in, size_t len,
    size_t *used)
{
	size_t n = len;
	if ((uint64_t)n > r->lit_left)
		n = (size_t)r->lit_left;
	if (r->discarding) {
		/* counted in line_done already */
	} else if (r->lit_ext) {
		struct imap_ext_literal *e = &r->ext[r->next - 1];
		if (!e->has_nul && memchr(in, 0, n) != NULL)
			e->has_nul = true;
		if (buf_write_all(r->spool_fd, in, n) < 0) {
			*used = n;
			return fatal(r, RDR_SPOOL_FAILED);
		}
		r->spool_len += n;
	} else if (buf_append(&r->text, in, n) < 0) {
		*used = n;
		return fatal(r, RDR_COMMAND_TOO_LONG);  /* checked before */
	}
	r->lit_left -= n;
	*used = n;
	if (r->lit_left == 0) {
		r->state = ST_LINE;
		r->line_start = r->text.len;
		r->line_len = 0;
	}
	return RD_MORE;
}

enum imap_rd_event
imap_reader_feed(struct imap_reader *r, const uint8_t *in, size_t len,
    size_t *used)
{
	*used = 0;
	if (r->state == ST_WAIT_CONT)
		r->state = ST_LITERAL;
	while (*used < len) {
		size_t u = 0;
		enum imap_rd_event ev;
		if (r->state == ST_LITERAL) {
			ev = feed_literal(r, in + *used, len - *used, &u);
		} else {
			ev = feed_line(r, in + *used, len - *used, &u);
		}
		*used += u;
		if (ev != RD_MORE)
			return ev;
		if (r->state == ST_LITERAL && r->lit_left == 0) {
			/* {0}: the literal is already complete */
			r->state = ST_LINE;
			r->line_start = r->text.len;
			r->line_len = 0;
		}
	}
	return RD_MORE;
}

const uint8_t *
imap_reader_text(const struct imap_reader *r, size_t *len)
{
	*len = r->text.len;
	return r->text.data != NULL ? r->text.data : (const uint8_t *)"";
}

size_t
imap_reader_next_ext(const struct imap_reader *r)
{
	return r->next;
}

const struct imap_ext_literal *
imap_reader_ext(const struct imap_reader *r, size_t i)
{
	return i < r->next ? &r->ext[i] : NULL;
}

int
imap_reader_spool_fd(const struct imap_reader *r)
{
	return r->spool_fd;
}

void
imap_reader_next(struct imap_reader *r)
{
	if (r->text.cap > IDLE_KEEP)
		buf_free(&r->text);
	buf_reset(&r->text);
	free(r->ext);
	r->ext = NULL;
	r->next = 0;
	if (r->spool_fd >= 0) {
		/* a fresh memfd per APPEND: the store may keep the old one */
		close(r->spool_fd);
		r->spool_fd = -1;
	}
	r->spool_len = 0;
	r->state = ST_LINE;
	r->line_start = r->line_len = 0;
	r->in_quote = r->escaped = r->discarding = false;
	r->reason = RDR_NONE;
	r->discarded = 0;
	r->tail_len = 0;
	r->lit_left = 0;
	r->lit_ext = false;
	r->nliterals = 0;
	r->is_append = r->is_login = r->cmd_known = false;
	r->tag[0] = '\0';
	r->tag_valid = false;
	r->reject_no = false;
	r->sync_literal = false;
	r->lit_size = UINT64_MAX;
}

void
imap_reader_refuse(struct imap_reader *r)
{
	imap_reader_next(r);
}

bool
imap_reader_idle(const struct imap_reader *r)
{
	return r->state == ST_LINE && r->text.len == 0 && !r->discarding;
}

void
imap_reader_set_prelogin(struct imap_reader *r, bool on)
{
	r->prelogin = on;
	r->lim = r->full;
	if (on) {
		if (r->lim.max_line > IMAP_PRELOGIN_LINE_MAX)
			r->lim.max_line = IMAP_PRELOGIN_LINE_MAX;
		if (r->lim.max_command > IMAP_PRELOGIN_COMMAND_MAX)
			r->lim.max_command = IMAP_PRELOGIN_COMMAND_MAX;
		/* no spool; and a line past the limit is read to its end
		 * only this far, then the session ends */
		r->lim.max_literal = IMAP_PRELOGIN_LITERAL_MAX;
		r->lim.max_spool = 0;
	}
	/* the buffer's hard limit follows; what it holds now stays */
	r->text.max = r->lim.max_command > r->text.len ? r->lim.max_command :
	    r->text.len;
}

void
imap_reader_wipe(struct imap_reader *r)
{
	if (r->text.data != NULL)
		explicit_bzero(r->text.data, r->text.cap);
}
