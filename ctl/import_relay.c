/*
 * import_relay: the two ends of a source in a child process
 * (import_relay.h): the child's sink, which sends records and waits for
 * each answer, and the parent's loop, which decodes them for the real sink.
 */
#include "import_relay.h"
#include "buf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* n bytes, or -1 (0 = EOF before the first byte, when eof_ok). */
static int
read_all(int fd, void *p, size_t n, bool eof_ok)
{
	uint8_t *d = p;
	for (size_t got = 0; got < n; ) {
		ssize_t r = read(fd, d + got, n - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0 && got == 0 && eof_ok)
			return 0;
		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	return 1;
}

/* ---- the child -------------------------------------------------------------- */

static int32_t
ask(struct relay_child *c, int put_rc)
{
	uint8_t rep[4];
	int ok = put_rc == 0 && buf_write_all(c->fd, c->out.data, c->out.len) == 0 &&
	    read_all(c->fd, rep, 4, false) == 1;
	buf_reset(&c->out);
	if (!ok)
		return -1;
	return (int32_t)((uint32_t)rep[0] << 24 | (uint32_t)rep[1] << 16 |
	    (uint32_t)rep[2] << 8 | rep[3]);
}

static int
child_folder(void *arg, const struct import_folder *f)
{
	struct relay_child *c = arg;
	return ask(c, relay_put_folder(&c->out, f));
}

static bool
child_have(void *arg, uint32_t uid)
{
	struct relay_child *c = arg;
	return ask(c, relay_put_have(&c->out, uid)) == 1;
}

static int
child_msg(void *arg, const struct import_msg *m)
{
	struct relay_child *c = arg;
	return ask(c, relay_put_msg(&c->out, m));
}

void
relay_child_sink(struct relay_child *c, int fd, size_t max_message,
    struct import_sink *out)
{
	c->fd = fd;
	buf_init(&c->out, max_message + 65536 + RELAY_HEAD);
	*out = (struct import_sink){ child_folder, child_have, child_msg, c };
}

void
relay_child_free(struct relay_child *c)
{
	buf_free(&c->out);
}

/* ---- the parent ------------------------------------------------------------- */

static int32_t
dispatch(const struct import_sink *sink, const struct relay_rec *r)
{
	switch (r->type) {
	case 'F':
		return sink->folder(sink->arg, &r->f);
	case 'H':
		return sink->have_uid(sink->arg, r->uid) ? 1 : 0;
	default:
		return sink->message(sink->arg, &r->m);
	}
}

int
relay_serve(int fd, const struct import_sink *sink, size_t max_message)
{
	struct relay_rec *r = malloc(sizeof(*r));
	struct buf body = BUF_INIT(max_message + 65536);
	int32_t failed = 0;
	int rc = r ? 0 : -1;
	while (rc == 0) {
		uint8_t head[RELAY_HEAD];
		int got = read_all(fd, head, sizeof(head), true);
		if (got <= 0) {
			rc = got;
			break;
		}
		uint32_t n = (uint32_t)head[1] << 24 | (uint32_t)head[2] << 16 |
		    (uint32_t)head[3] << 8 | head[4];
		buf_reset(&body);
		if (n > body.max || buf_reserve(&body, n) < 0 ||
		    read_all(fd, body.data, n, false) != 1 ||
		    relay_decode((char)head[0], body.data, n, r) < 0) {
			fprintf(stderr, "cloisterctl: the import source broke the"
			    " relay protocol\n");
			rc = -1;
			break;
		}
		int32_t v = failed ? failed : dispatch(sink, r);
		if (r->type != 'H' && v < 0 && failed == 0)
			failed = v;
		uint8_t rep[4] = { (uint8_t)((uint32_t)v >> 24),
		    (uint8_t)((uint32_t)v >> 16), (uint8_t)((uint32_t)v >> 8),
		    (uint8_t)v };
		if (buf_write_all(fd, rep, sizeof(rep)) < 0)
			rc = -1;
	}
	free(r);
	buf_free(&body);
	return failed ? failed : rc;
}
