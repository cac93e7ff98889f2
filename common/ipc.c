/* ipc: SOCK_SEQPACKET framing and typed payload fields (see ipc.h). */
#include "ipc.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

static void
put_u32be(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

_Static_assert(IPC_VERSION > 0 && IPC_VERSION <= 0xffff,
    "IPC_VERSION is a u16 in the header");

/* Every header this process writes carries its IPC_VERSION. */
static void
put_hdr(uint8_t h[IPC_HDR_SIZE], uint32_t type, uint32_t len, uint32_t reqid,
    uint32_t flags)
{
	put_u32be(h, type);
	put_u32be(h + 4, len);
	put_u32be(h + 8, reqid);
	put_u32be(h + 12, (uint32_t)IPC_VERSION << 16 | (flags & 0xffffu));
}

int
ipc_send_raw(int sock, uint32_t type, uint32_t reqid, uint32_t flags,
    const void *payload, size_t len, int fd)
{
	return ipc_send_fds(sock, type, reqid, flags & ~(uint32_t)IPC_F_FDS,
	    payload, len, &fd, fd >= 0 ? 1 : 0);
}

int
ipc_send_fds(int sock, uint32_t type, uint32_t reqid, uint32_t flags,
    const void *payload, size_t len, const int *fds, size_t nfds)
{
	if (len > IPC_MAX_PAYLOAD || (flags & ~IPC_F_KNOWN) != 0 ||
	    nfds > IPC_MAX_FDS) {
		errno = EMSGSIZE;
		return -1;
	}
	/* one fd keeps the single-fd flag unless a batch was asked for */
	if (nfds == 0)
		flags &= ~(uint32_t)(IPC_F_FD | IPC_F_FDS);
	else if (!(flags & IPC_F_FDS))
		flags = nfds == 1 ? flags | IPC_F_FD : flags | IPC_F_FDS;
	if (flags & IPC_F_FDS)
		flags &= ~(uint32_t)IPC_F_FD;
	uint8_t hdr[IPC_HDR_SIZE];
	put_hdr(hdr, type, (uint32_t)len, reqid, flags);
	struct iovec iov[2] = {
		{ .iov_base = hdr, .iov_len = sizeof(hdr) },
		{ .iov_base = (void *)payload, .iov_len = len },
	};
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int) * IPC_MAX_FDS)];
	} cmsg;
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = len ? 2 : 1 };
	if (nfds > 0) {
		memset(&cmsg, 0, sizeof(cmsg));
		mh.msg_control = cmsg.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	}
	ssize_t n;
	do {
		n = sendmsg(sock, &mh, MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	if ((size_t)n != sizeof(hdr) + len) {
		errno = EMSGSIZE;
		return -1;
	}
	return 0;
}

int
ipc_send(int sock, uint32_t type, uint32_t reqid, uint32_t flags,
    const struct buf *payload, int fd)
{
	if (payload != NULL && payload->failed) {
		errno = EMSGSIZE;
		return -1;
	}
	return ipc_send_raw(sock, type, reqid, flags,
	    payload ? payload->data : NULL, payload ? payload->len : 0, fd);
}

int
ipc_send_ready(int ctl)
{
	uint8_t hdr[IPC_HDR_SIZE];
	put_hdr(hdr, IPC_CTL_READY, 0, 0, 0);
	ssize_t n;
	do {
		n = write(ctl, hdr, sizeof(hdr));
	} while (n < 0 && errno == EINTR);
	return n == (ssize_t)sizeof(hdr) ? 0 : -1;
}

int
ipc_send_logged_in(int ctl, uint64_t instance, const char *user)
{
	size_t ulen = strlen(user);
	if (ulen > IPC_LOGGED_IN_USER_MAX)
		return -1;
	uint8_t rec[IPC_LOGGED_IN_MAX];
	put_hdr(rec, IPC_CTL_LOGGED_IN, (uint32_t)(9 + ulen), 0, 0);
	for (int i = 0; i < 8; i++)
		rec[IPC_HDR_SIZE + i] = (uint8_t)(instance >> (56 - 8 * i));
	rec[IPC_HDR_SIZE + 8] = (uint8_t)ulen;
	memcpy(rec + IPC_HDR_SIZE + 9, user, ulen);
	struct iovec iov = { .iov_base = rec,
		.iov_len = IPC_HDR_SIZE + 9 + ulen };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;
	do {   /* never wait for the supervisor: a lost record costs nothing */
		n = sendmsg(ctl, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	return n == (ssize_t)iov.iov_len ? 0 : -1;
}

bool
ipc_is_logged_in(const void *rec, size_t n, uint64_t *instance,
    const uint8_t **user, size_t *ulen)
{
	if (n < IPC_HDR_SIZE + 9 || n > IPC_LOGGED_IN_MAX)
		return false;
	const uint8_t *p = (const uint8_t *)rec + IPC_HDR_SIZE;
	uint8_t hdr[IPC_HDR_SIZE];
	put_hdr(hdr, IPC_CTL_LOGGED_IN, (uint32_t)(n - IPC_HDR_SIZE), 0, 0);
	if (memcmp(rec, hdr, sizeof(hdr)) != 0 || p[8] != n - IPC_HDR_SIZE - 9)
		return false;
	*instance = 0;
	for (int i = 0; i < 8; i++)
		*instance = *instance << 8 | p[i];
	*user = p + 9;
	*ulen = p[8];
	return true;
}

bool
ipc_is_bare(const void *rec, size_t n, uint32_t type)
{
	return ipc_is_exact(rec, n, type, NULL, 0);
}

bool
ipc_is_exact(const void *rec, size_t n, uint32_t type, const void *payload,
    size_t len)
{
	uint8_t hdr[IPC_HDR_SIZE];
	if (len > UINT32_MAX || n != sizeof(hdr) + len)
		return false;
	put_hdr(hdr, type, (uint32_t)len, 0, 0);
	return memcmp(rec, hdr, sizeof(hdr)) == 0 &&
	    (len == 0 || memcmp((const uint8_t *)rec + sizeof(hdr), payload,
	    len) == 0);
}

bool
ipc_is_ready(const void *rec, size_t n)
{
	return ipc_is_bare(rec, n, IPC_CTL_READY);
}

int
ipc_ready_version(const void *rec, size_t n)
{
	uint8_t hdr[IPC_HDR_SIZE];
	const uint8_t *p = rec;
	put_hdr(hdr, IPC_CTL_READY, 0, 0, 0);
	/* all but bytes 12-13, the version */
	if (n != sizeof(hdr) || memcmp(p, hdr, 12) != 0 ||
	    memcmp(p + 14, hdr + 14, 2) != 0)
		return -1;
	return p[12] << 8 | p[13];
}

int
ipc_parse_record(struct ipc_msg *m, size_t got, int nfds)
{
	struct buf_cur c;
	uint32_t len, word;

	if (got < IPC_HDR_SIZE || got > sizeof(m->raw))
		return IPC_PARSE_BAD;
	buf_cur_init(&c, m->raw, IPC_HDR_SIZE);
	buf_get_u32(&c, &m->type);
	buf_get_u32(&c, &len);
	buf_get_u32(&c, &m->reqid);
	buf_get_u32(&c, &word);
	if (buf_cur_end(&c) < 0)
		return IPC_PARSE_BAD;
	/* first: under another version nothing else in the header is known */
	m->version = (uint16_t)(word >> 16);
	m->flags = word & 0xffffu;
	if (m->version != IPC_VERSION)
		return IPC_PARSE_VERSION;
	if (len != got - IPC_HDR_SIZE || len > IPC_MAX_PAYLOAD)
		return IPC_PARSE_BAD;
	if ((m->flags & ~IPC_F_KNOWN) != 0)
		return IPC_PARSE_BAD;
	/* the header must announce exactly the fds that came: one with
	 * IPC_F_FD, a batch (1..IPC_MAX_FDS) with IPC_F_FDS, never both */
	if (m->flags & IPC_F_FDS) {
		if ((m->flags & IPC_F_FD) || nfds < 1 || nfds > IPC_MAX_FDS)
			return IPC_PARSE_BAD;
	} else if (((m->flags & IPC_F_FD) != 0) != (nfds == 1) || nfds > 1) {
		return IPC_PARSE_BAD;
	}
	m->len = len;
	m->payload = m->raw + IPC_HDR_SIZE;
	return 0;
}

const char *
ipc_recv_strerror(enum ipc_recv_result r, const struct ipc_msg *m, char *buf,
    size_t size)
{
	if (r == IPC_RECV_VERSION)
		snprintf(buf, size, "IPC version %u from peer, expected %u",
		    (unsigned)m->version, (unsigned)IPC_VERSION);
	else if (r == IPC_RECV_ERR)
		snprintf(buf, size, "receive failed: %s", strerror(errno));
	else
		snprintf(buf, size, "%s", r == IPC_RECV_BAD ? "malformed record" :
		    r == IPC_RECV_EOF ? "peer closed" :
		    r == IPC_RECV_AGAIN ? "no record waiting" : "no error");
	return buf;
}

static enum ipc_recv_result
recv_record(int sock, struct ipc_msg *m, int flags, bool batch_ok)
{
	union {
		struct cmsghdr align;
		/* room for a batch, and for one more so that a record with
		 * too many is seen (the kernel drops what does not fit) */
		char buf[CMSG_SPACE(sizeof(int) * (IPC_MAX_FDS + 1))];
	} cmsg;
	struct iovec iov = { .iov_base = m->raw, .iov_len = sizeof(m->raw) };
	struct msghdr mh = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = cmsg.buf,
		.msg_controllen = sizeof(cmsg.buf),
	};
	ssize_t n;

	m->fd = -1;
	m->nfds = 0;
	m->len = 0;
	m->version = IPC_VERSION;
	m->payload = m->raw + IPC_HDR_SIZE;
	do {
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC | flags);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return (errno == EAGAIN || errno == EWOULDBLOCK) ? IPC_RECV_AGAIN
		    : IPC_RECV_ERR;

	int fds[IPC_MAX_FDS + 1];
	int nfds = 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c != NULL;
	    c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < k && nfds < IPC_MAX_FDS + 1; i++)
			memcpy(&fds[nfds++], CMSG_DATA(c) + i * sizeof(int),
			    sizeof(int));
	}
	if (n == 0 && nfds == 0)
		return IPC_RECV_EOF;
	int parsed = (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) != 0 ?
	    IPC_PARSE_BAD : ipc_parse_record(m, (size_t)n, nfds);
	if (parsed == 0 && (m->flags & IPC_F_FDS) && !batch_ok)
		parsed = IPC_PARSE_BAD;
	if (parsed < 0) {
		for (int i = 0; i < nfds; i++)
			close(fds[i]);
		return parsed == IPC_PARSE_VERSION ? IPC_RECV_VERSION
		    : IPC_RECV_BAD;
	}
	if (m->flags & IPC_F_FDS) {
		memcpy(m->fds, fds, sizeof(int) * (size_t)nfds);
		m->nfds = (unsigned)nfds;
	} else if (nfds == 1) {
		m->fd = fds[0];
	}
	return IPC_RECV_OK;
}

enum ipc_recv_result
ipc_recv(int sock, struct ipc_msg *m)
{
	return recv_record(sock, m, 0, false);
}

enum ipc_recv_result
ipc_recv_fds(int sock, struct ipc_msg *m)
{
	return recv_record(sock, m, 0, true);
}

enum ipc_recv_result
ipc_recv_nowait(int sock, struct ipc_msg *m)
{
	return recv_record(sock, m, MSG_DONTWAIT, false);
}

void
ipc_msg_close_fd(struct ipc_msg *m)
{
	if (m->fd >= 0) {
		close(m->fd);
		m->fd = -1;
	}
	for (unsigned i = 0; i < m->nfds; i++)
		if (m->fds[i] >= 0)
			close(m->fds[i]);
	m->nfds = 0;
}

void
ipc_fd_batch_close(struct ipc_fd_batch *b)
{
	for (unsigned i = 0; i < b->n; i++)
		close(b->fd[i]);
	b->n = 0;
}

void
ipc_msg_cursor(const struct ipc_msg *m, struct buf_cur *c)
{
	buf_cur_init(c, m->payload, m->len);
}

int
ipc_put_u32(struct buf *b, uint32_t v)
{
	if (buf_put_u8(b, IPC_T_U32) < 0)
		return -1;
	return buf_put_u32(b, v);
}

int
ipc_put_u64(struct buf *b, uint64_t v)
{
	if (buf_put_u8(b, IPC_T_U64) < 0)
		return -1;
	return buf_put_u64(b, v);
}

static int
put_lv(struct buf *b, uint8_t tag, const void *p, size_t n)
{
	if (n > UINT32_MAX) {
		b->failed = true;
		return -1;
	}
	if (buf_put_u8(b, tag) < 0 || buf_put_u32(b, (uint32_t)n) < 0)
		return -1;
	return buf_append(b, p, n);
}

int
ipc_put_strn(struct buf *b, const char *s, size_t n)
{
	if (n > IPC_MAX_STR || memchr(s, '\0', n) != NULL) {
		b->failed = true;
		return -1;
	}
	return put_lv(b, IPC_T_STR, s, n);
}

int
ipc_put_str(struct buf *b, const char *s)
{
	return ipc_put_strn(b, s, strlen(s));
}

int
ipc_put_bytes(struct buf *b, const void *p, size_t n)
{
	return put_lv(b, IPC_T_BYTES, p, n);
}

static int
expect_tag(struct buf_cur *c, uint8_t want)
{
	uint8_t tag;
	if (buf_get_u8(c, &tag) < 0)
		return -1;
	if (tag != want) {
		c->failed = true;
		return -1;
	}
	return 0;
}

int
ipc_get_u32(struct buf_cur *c, uint32_t *v)
{
	if (expect_tag(c, IPC_T_U32) < 0)
		return -1;
	return buf_get_u32(c, v);
}

int
ipc_get_u64(struct buf_cur *c, uint64_t *v)
{
	if (expect_tag(c, IPC_T_U64) < 0)
		return -1;
	return buf_get_u64(c, v);
}

static int
get_lv(struct buf_cur *c, uint8_t tag, const uint8_t **p, size_t *len,
    size_t max)
{
	uint32_t n;
	if (expect_tag(c, tag) < 0 || buf_get_u32(c, &n) < 0)
		return -1;
	if (n > max) {
		c->failed = true;
		return -1;
	}
	if (buf_get_bytes(c, p, n) < 0)
		return -1;
	*len = n;
	return 0;
}

int
ipc_get_strp(struct buf_cur *c, const char **p, size_t *len, size_t max)
{
	const uint8_t *q;
	if (get_lv(c, IPC_T_STR, &q, len, max < IPC_MAX_STR ? max : IPC_MAX_STR) < 0)
		return -1;
	if (memchr(q, '\0', *len) != NULL) {
		c->failed = true;
		return -1;
	}
	*p = (const char *)q;
	return 0;
}

int
ipc_get_str(struct buf_cur *c, char *dst, size_t dstsize)
{
	const char *p;
	size_t n;
	if (dstsize == 0 || ipc_get_strp(c, &p, &n, dstsize - 1) < 0) {
		c->failed = true;
		if (dstsize > 0)
			dst[0] = '\0';
		return -1;
	}
	memcpy(dst, p, n);
	dst[n] = '\0';
	return 0;
}

int
ipc_get_bytes(struct buf_cur *c, const uint8_t **p, size_t *len, size_t max)
{
	return get_lv(c, IPC_T_BYTES, p, len, max);
}

int
ipc_peek_tag(const struct buf_cur *c)
{
	if (c->failed || c->left == 0)
		return 0;
	return c->p[0];
}

int
ipc_get_end(const struct buf_cur *c)
{
	return buf_cur_end(c);
}

static const struct {
	uint32_t value;
	const char *upper;
} type_names[] = {
#define IPC_NAME_ITEM(name, value) { value, #name },
	IPC_MESSAGE_TYPES(IPC_NAME_ITEM)
#undef IPC_NAME_ITEM
};

/* Lower-case names are built once from the upper-case enum spelling. */
static char lower_names[sizeof(type_names) / sizeof(type_names[0])][40];

static void
make_lower_names(void)
{
	if (lower_names[0][0] != '\0')
		return;
	for (size_t i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++) {
		const char *s = type_names[i].upper;
		size_t j;
		for (j = 0; s[j] != '\0' && j + 1 < sizeof(lower_names[i]); j++)
			lower_names[i][j] = (char)tolower((unsigned char)s[j]);
		lower_names[i][j] = '\0';
	}
}

const char *
ipc_type_name(uint32_t type)
{
	make_lower_names();
	for (size_t i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++)
		if (type_names[i].value == type)
			return lower_names[i];
	return NULL;
}

uint32_t
ipc_type_by_name(const char *name)
{
	make_lower_names();
	for (size_t i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++)
		if (strcmp(lower_names[i], name) == 0)
			return type_names[i].value;
	return IPC_NONE;
}
