/* ms_reader: framing of ManageSieve commands (ms_parse.h). */
#include "ms_parse.h"

#include <string.h>

void
ms_reader_init(struct ms_reader *r, const struct ms_limits *lim, bool strict)
{
	memset(r, 0, sizeof(*r));
	buf_init(&r->cmd, 0);
	ms_reader_set_limits(r, lim, strict);
}

void
ms_reader_set_limits(struct ms_reader *r, const struct ms_limits *lim,
    bool strict)
{
	r->lim = *lim;
	r->strict = strict;
	/* a discarded command keeps at most its current line */
	r->cmd.max = lim->max_command + lim->max_line + 2;
}

/* The literal a finished line announces: "{n}" or "{n+}" before its line
 * end. 1 with *n, 0 when there is none, -1 when it is malformed. */
static int
literal_size(const uint8_t *line, size_t len, uint64_t *n)
{
	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	if (len < 3 || line[len - 1] != '}')
		return 0;
	size_t end = len - 1;
	if (line[end - 1] == '+')
		end--;
	size_t start = end;
	while (start > 0 && line[start - 1] >= '0' && line[start - 1] <= '9')
		start--;
	if (start == 0 || line[start - 1] != '{')
		return 0;
	if (start == end || end - start > 19)
		return -1;
	uint64_t v = 0;
	for (size_t i = start; i < end; i++)
		v = v * 10 + (uint64_t)(line[i] - '0');
	*n = v;
	return 1;
}

/* Over a limit: before login the end; after, read through and say NO. */
static enum ms_rd_event
over(struct ms_reader *r, const char *why)
{
	r->reason = why;
	if (r->strict)
		return MS_RD_FATAL;
	r->discard = true;
	return MS_RD_MORE;
}

/* A line just ended at cmd[line_start .. len). */
static enum ms_rd_event
line_done(struct ms_reader *r)
{
	uint64_t n = 0;
	int lit = literal_size(r->cmd.data + r->line_start,
	    r->cmd.len - r->line_start, &n);
	r->line_len = 0;
	if (lit < 0) {
		r->reason = "Malformed literal size";
		return MS_RD_FATAL;
	}
	if (lit > 0 && n > r->lim.max_literal) {
		if (over(r, "Literal too large") == MS_RD_FATAL)
			return MS_RD_FATAL;
	} else if (lit > 0 && !r->discard &&
	    r->cmd.len + n > r->lim.max_command) {
		if (over(r, "Command too long") == MS_RD_FATAL)
			return MS_RD_FATAL;
	}
	if (r->discard)
		r->cmd.len = 0;
	r->line_start = r->cmd.len;
	if (lit > 0) {
		r->lit_left = n;
		return MS_RD_MORE;
	}
	r->done = true;
	return r->discard ? MS_RD_REJECT : MS_RD_COMMAND;
}

enum ms_rd_event
ms_reader_feed(struct ms_reader *r, const uint8_t *in, size_t len,
    size_t *used)
{
	size_t i = 0;
	enum ms_rd_event ev = MS_RD_MORE;
	while (i < len && ev == MS_RD_MORE) {
		if (r->lit_left > 0) {
			size_t take = len - i;
			if (take > r->lit_left)
				take = (size_t)r->lit_left;
			if (!r->discard && buf_append(&r->cmd, in + i, take) < 0) {
				r->reason = "Command too long";
				ev = MS_RD_FATAL;
				break;
			}
			r->lit_left -= take;
			i += take;
			continue;
		}
		const uint8_t *nl = memchr(in + i, '\n', len - i);
		size_t take = nl != NULL ? (size_t)(nl - (in + i)) + 1 : len - i;
		if (r->line_len + take > r->lim.max_line + 2) {
			r->reason = "Line too long";
			ev = MS_RD_FATAL;
			break;
		}
		if (buf_append(&r->cmd, in + i, take) < 0) {
			ev = over(r, "Command too long");
			if (ev == MS_RD_FATAL)
				break;
			/* keep this line only: it may announce a literal */
			r->cmd.len = r->line_start = 0;
			r->cmd.failed = false;
			if (buf_append(&r->cmd, in + i, take) < 0) {
				ev = MS_RD_FATAL;
				break;
			}
		}
		r->line_len += take;
		i += take;
		if (nl != NULL)
			ev = line_done(r);
	}
	*used = i;
	return ev;
}

uint8_t *
ms_reader_text(struct ms_reader *r, size_t *len)
{
	*len = r->cmd.len;
	return r->cmd.data;
}

void
ms_reader_next(struct ms_reader *r)
{
	if (r->cmd.data != NULL)
		explicit_bzero(r->cmd.data, r->cmd.cap);
	r->cmd.len = 0;
	r->cmd.failed = false;
	r->line_start = r->line_len = 0;
	r->lit_left = 0;
	r->discard = r->done = false;
	r->reason = NULL;
}

void
ms_reader_release(struct ms_reader *r)
{
	if (r->cmd.len == 0 && r->lit_left == 0 && !r->discard)
		ms_reader_free(r);
}

void
ms_reader_free(struct ms_reader *r)
{
	size_t max = r->cmd.max;
	buf_free_secret(&r->cmd);
	buf_init(&r->cmd, max);
}
