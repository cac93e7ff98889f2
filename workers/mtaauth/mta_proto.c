/* mta_proto: the Dovecot auth client protocol's line reader and parser
 * (see mta_proto.h). Every bound is checked here, once. */
#include "mta_proto.h"

#include <string.h>
#include <strings.h>

void
mta_reader_init(struct mta_reader *r)
{
	r->len = 0;
	r->line_len = 0;
	r->buf[0] = '\0';
}

char *
mta_reader_space(struct mta_reader *r, size_t *room)
{
	*room = MTA_LINE_MAX - r->len;
	return r->buf + r->len;
}

void
mta_reader_added(struct mta_reader *r, size_t n)
{
	if (n > MTA_LINE_MAX - r->len)
		n = MTA_LINE_MAX - r->len;   /* never past the buffer */
	r->len += n;
}

int
mta_reader_line(struct mta_reader *r, char **line, size_t *len)
{
	if (r->line_len != 0)
		mta_reader_next(r);
	char *nl = memchr(r->buf, '\n', r->len);
	size_t upto = nl != NULL ? (size_t)(nl - r->buf) : r->len;
	if (memchr(r->buf, '\0', upto) != NULL)
		return -1;
	if (nl == NULL)
		return r->len >= MTA_LINE_MAX ? -1 : 0;
	*nl = '\0';
	r->line_len = upto + 1;
	*line = r->buf;
	*len = upto;
	return 1;
}

void
mta_reader_next(struct mta_reader *r)
{
	size_t n = r->line_len;
	if (n == 0)
		return;
	memmove(r->buf, r->buf + n, r->len - n);
	/* the tail that moved down leaves a copy behind: wipe it */
	explicit_bzero(r->buf + r->len - n, n);
	r->len -= n;
	r->line_len = 0;
}

void
mta_reader_wipe(struct mta_reader *r)
{
	explicit_bzero(r->buf, sizeof(r->buf));
	r->len = 0;
	r->line_len = 0;
}

/* A decimal number without sign or leading zeros, at most max. */
static int
parse_uint(const char *s, uint64_t max, uint64_t *out)
{
	size_t n = strlen(s);
	if (n == 0 || n > 10 || (n > 1 && s[0] == '0'))
		return -1;
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > max)
		return -1;
	*out = v;
	return 0;
}

static int
parse_id(const char *s, uint32_t *id)
{
	uint64_t v;
	if (parse_uint(s, UINT32_MAX, &v) < 0 || v == 0)
		return -1;
	*id = (uint32_t)v;
	return 0;
}

static bool
base64_text(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '+' || c == '/' || c == '='))
			return false;
	}
	return true;
}

/* An address as rip=/lip= carry it: IPv4 or IPv6 text characters only. */
static int
copy_addr(char *dst, const char *v)
{
	size_t n = strlen(v);
	if (n > MTA_ADDR_MAX || strspn(v, "0123456789abcdefABCDEF.:") != n)
		return -1;
	memcpy(dst, v, n + 1);
	return 0;
}

/* The printable ASCII a service name may hold ("smtp", "submission"). */
static int
copy_service(char *dst, const char *v)
{
	size_t n = strlen(v);
	if (n == 0 || n > MTA_SERVICE_MAX)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (!((v[i] >= 'a' && v[i] <= 'z') || (v[i] >= 'A' &&
		    v[i] <= 'Z') || (v[i] >= '0' && v[i] <= '9') ||
		    v[i] == '-' || v[i] == '_' || v[i] == '.'))
			return -1;
	memcpy(dst, v, n + 1);
	return 0;
}

static int
parse_mech(const char *s, char *out)
{
	size_t n = strlen(s);
	if (n == 0 || n > AUTH_MECH_NAME_MAX)
		return -1;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_'))
			return -1;
		out[i] = c;
	}
	out[n] = '\0';
	return 0;
}

/* One AUTH parameter. Unknown ones are ignored (the protocol grows by
 * them: session=, lport=, real_rip=, ...), known ones are checked. */
static int
auth_param(struct mta_req *q, char *p, const char **why)
{
	char *eq = strchr(p, '=');
	char *v = eq != NULL ? eq + 1 : NULL;
	if (eq != NULL)
		*eq = '\0';
	if (strcmp(p, "resp") == 0) {
		if (v == NULL || q->has_data || !base64_text(v, strlen(v)))
			return *why = "bad resp", -1;
		q->has_data = true;
		q->data = v;
		q->data_len = strlen(v);
	} else if (strcmp(p, "service") == 0) {
		if (v == NULL || copy_service(q->service, v) < 0)
			return *why = "bad service", -1;
	} else if (strcmp(p, "rip") == 0) {
		if (v == NULL || copy_addr(q->rip, v) < 0)
			return *why = "bad rip", -1;
	} else if (strcmp(p, "lip") == 0) {
		if (v == NULL || copy_addr(q->lip, v) < 0)
			return *why = "bad lip", -1;
	} else if (strcmp(p, "secured") == 0) {
		/* "secured" (older clients) or "secured=tls" */
		q->secured = true;
	}
	if (p[0] == '\0')
		return *why = "empty parameter", -1;
	return 0;
}

static size_t
split_tabs(char *line, char **f)
{
	size_t n = 0;
	char *p = line;
	for (;;) {
		if (n == MTA_FIELDS_MAX)
			return MTA_FIELDS_MAX + 1;
		f[n++] = p;
		char *t = strchr(p, '\t');
		if (t == NULL)
			return n;
		*t = '\0';
		p = t + 1;
	}
}

int
mta_parse(char *line, size_t len, struct mta_req *q, const char **why)
{
	memset(q, 0, sizeof(*q));
	*why = "malformed";
	if (len == 0 || strlen(line) != len)
		return -1;
	char *f[MTA_FIELDS_MAX];
	size_t n = split_tabs(line, f);
	if (n > MTA_FIELDS_MAX)
		return *why = "too many fields", -1;
	uint64_t v;
	if (strcmp(f[0], "VERSION") == 0) {
		q->cmd = MTA_CMD_VERSION;
		if (n != 3 || parse_uint(f[1], 65535, &v) < 0)
			return -1;
		q->major = (unsigned)v;
		if (parse_uint(f[2], 65535, &v) < 0)
			return -1;
		q->minor = (unsigned)v;
		return 0;
	}
	if (strcmp(f[0], "CPID") == 0) {
		q->cmd = MTA_CMD_CPID;
		return n == 2 && parse_uint(f[1], UINT32_MAX, &v) == 0 &&
		    v != 0 ? 0 : -1;
	}
	if (strcmp(f[0], "CONT") == 0) {
		q->cmd = MTA_CMD_CONT;
		if (n != 3 || parse_id(f[1], &q->id) < 0 ||
		    !base64_text(f[2], strlen(f[2])))
			return -1;
		q->has_data = true;
		q->data = f[2];
		q->data_len = strlen(f[2]);
		return 0;
	}
	if (strcmp(f[0], "AUTH") == 0) {
		q->cmd = MTA_CMD_AUTH;
		if (n < 3 || parse_id(f[1], &q->id) < 0)
			return *why = "bad id", -1;
		if (parse_mech(f[2], q->mech) < 0)
			return *why = "bad mechanism", -1;
		for (size_t i = 3; i < n; i++)
			if (auth_param(q, f[i], why) < 0)
				return -1;
		if (q->service[0] == '\0')
			return *why = "no service", -1;
		return 0;
	}
	return *why = "unknown command", -1;
}

bool
mta_addr_loopback(const char *a)
{
	return strncmp(a, "127.", 4) == 0 || strcmp(a, "::1") == 0 ||
	    strncasecmp(a, "::ffff:127.", 11) == 0;
}
