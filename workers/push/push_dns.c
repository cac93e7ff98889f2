/* push_dns: resolv.conf, DNS over TCP, the answer parsed (push_dns.h). */
#include "push_dns.h"
#include "push_net.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define NAME_MAX_LEN 255
#define MAX_JUMPS 16                     /* compression pointers per name */
#define MAX_RECORDS 64                   /* answer records looked at */
#define MAX_CNAMES 8

size_t
push_dns_servers(const char *text, size_t n, struct push_dns_addr *out)
{
	size_t k = 0;
	for (size_t i = 0; i < n && k < PUSH_DNS_MAX_SERVERS;) {
		size_t e = i;
		while (e < n && text[e] != '\n')
			e++;
		char line[128], addr[64];
		size_t ln = e - i < sizeof(line) - 1 ? e - i : sizeof(line) - 1;
		memcpy(line, text + i, ln);
		line[ln] = '\0';
		i = e + 1;
		if (sscanf(line, " nameserver %63s", addr) != 1)
			continue;
		char *pct = strchr(addr, '%');   /* fe80::1%eth0: no scope */
		if (pct != NULL)
			continue;
		if (inet_pton(AF_INET, addr, out[k].a) == 1)
			out[k++].family = AF_INET;
		else if (inet_pton(AF_INET6, addr, out[k].a) == 1)
			out[k++].family = AF_INET6;
	}
	return k;
}

long
push_dns_query(const char *name, uint16_t id, uint16_t type, uint8_t *out,
    size_t cap)
{
	size_t nl = strlen(name);
	if (nl > 0 && name[nl - 1] == '.')
		nl--;
	if (nl == 0 || nl > 253 || cap < 2 + 12 + nl + 2 + 4)
		return -1;
	uint8_t *p = out + 2;
	const uint8_t hdr[12] = { id >> 8, id & 0xff, 0x01, 0, 0, 1 };
	memcpy(p, hdr, 12);                  /* RD, one question */
	p += 12;
	for (size_t i = 0; i < nl;) {
		size_t e = i;
		while (e < nl && name[e] != '.')
			e++;
		if (e == i || e - i > 63)
			return -1;
		*p++ = (uint8_t)(e - i);
		memcpy(p, name + i, e - i);
		p += e - i;
		i = e + 1;
	}
	*p++ = 0;
	*p++ = 0;
	*p++ = (uint8_t)type;
	*p++ = 0;
	*p++ = 1;                            /* class IN */
	size_t len = (size_t)(p - out) - 2;
	out[0] = (uint8_t)(len >> 8);
	out[1] = (uint8_t)len;
	return (long)len + 2;
}

/* The name at *off into buf (dotted, lower case, no final dot); *off
 * moves past it. -1 when it is malformed. */
static int
read_name(const uint8_t *m, size_t n, size_t *off, char *buf)
{
	size_t p = *off, o = 0;
	int jumps = 0;
	bool jumped = false;
	for (;;) {
		if (p >= n)
			return -1;
		uint8_t l = m[p];
		if ((l & 0xc0) == 0xc0) {
			if (p + 1 >= n || ++jumps > MAX_JUMPS)
				return -1;
			if (!jumped)
				*off = p + 2;
			jumped = true;
			p = (size_t)(l & 0x3f) << 8 | m[p + 1];
			continue;
		}
		if (l & 0xc0)
			return -1;
		if (l == 0)
			break;
		if (p + 1 + l > n || o + l + 1 > NAME_MAX_LEN)
			return -1;
		if (o > 0)
			buf[o++] = '.';
		for (size_t i = 0; i < l; i++) {
			char c = (char)m[p + 1 + i];
			buf[o++] = c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
		}
		p += 1 + l;
	}
	if (!jumped)
		*off = p + 1;
	buf[o] = '\0';
	return 0;
}

static uint16_t
u16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static bool
same_name(const char *a, const char *b)
{
	size_t bl = strlen(b);
	if (bl > 0 && b[bl - 1] == '.')
		bl--;
	return strlen(a) == bl && strncasecmp(a, b, bl) == 0;
}

int
push_dns_answer(const uint8_t *msg, size_t n, uint16_t id, uint16_t type,
    const char *name, struct push_dns_addr *out, size_t max)
{
	char owner[NAME_MAX_LEN + 1], target[NAME_MAX_LEN + 1];
	size_t off = 12;
	int found = 0, hops = 0;
	if (n < 12 || u16(msg) != id || !(msg[2] & 0x80) || u16(msg + 4) != 1)
		return -1;
	if (read_name(msg, n, &off, target) < 0 || off + 4 > n ||
	    !same_name(target, name) || u16(msg + off) != type)
		return -1;
	off += 4;
	if ((msg[3] & 0x0f) != 0)
		return 0;                        /* NXDOMAIN, SERVFAIL, ... */
	unsigned an = u16(msg + 6);
	for (unsigned i = 0; i < an && i < MAX_RECORDS; i++) {
		if (read_name(msg, n, &off, owner) < 0 || off + 10 > n)
			return -1;
		uint16_t rt = u16(msg + off), rl = u16(msg + off + 8);
		bool in = u16(msg + off + 2) == 1;
		size_t rd = off + 10;
		if (rd + rl > n)
			return -1;
		off = rd + rl;
		if (!in || strcmp(owner, target) != 0)
			continue;
		if (rt == 5 && hops++ < MAX_CNAMES) {
			size_t r = rd;
			if (read_name(msg, n, &r, target) < 0)
				return -1;
		} else if (rt == type && (size_t)found < max &&
		    rl == (type == PUSH_DNS_TYPE_A ? 4 : 16)) {
			out[found].family = type == PUSH_DNS_TYPE_A ? AF_INET :
			    AF_INET6;
			memcpy(out[found++].a, msg + rd, rl);
		}
	}
	return found;
}

/* Read exactly n bytes before deadline. */
static int
read_full(int fd, uint8_t *p, size_t n, long deadline)
{
	size_t got = 0;
	while (got < n && push_wait_fd(fd, POLLIN, deadline)) {
		ssize_t r = read(fd, p + got, n - got);
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	return got == n ? 0 : -1;
}

/* One query of type over a new connection. */
static int
ask(const struct sockaddr *sa, socklen_t sl, const char *name,
    uint16_t type, long deadline, struct push_dns_addr *out, size_t max)
{
	static uint8_t msg[PUSH_DNS_MSG_MAX];
	uint8_t q[300], len[2];
	uint16_t id;
	int rc = -1;
	if (getentropy(&id, sizeof(id)) < 0)
		return -1;
	long ql = push_dns_query(name, id, type, q, sizeof(q));
	int fd = ql < 0 ? -1 : push_connect(sa, sl, deadline);
	if (fd < 0)
		return -1;
	if (push_wait_fd(fd, POLLOUT, deadline) &&
	    write(fd, q, (size_t)ql) == ql &&
	    read_full(fd, len, 2, deadline) == 0 && u16(len) <= sizeof(msg) &&
	    read_full(fd, msg, u16(len), deadline) == 0)
		rc = push_dns_answer(msg, u16(len), id, type, name, out, max);
	close(fd);
	return rc;
}

int
push_dns_resolve(const struct push_dns_addr *server, uint16_t port,
    const char *name, int timeout_ms, struct push_dns_addr *out, size_t max)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	long deadline = push_now_ms() + timeout_ms;
	memset(&ss, 0, sizeof(ss));
	if (server->family == AF_INET) {
		struct sockaddr_in *v4 = (struct sockaddr_in *)&ss;
		v4->sin_family = AF_INET;
		v4->sin_port = htons(port);
		memcpy(&v4->sin_addr, server->a, 4);
		sl = sizeof(*v4);
	} else {
		struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&ss;
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons(port);
		memcpy(&v6->sin6_addr, server->a, 16);
		sl = sizeof(*v6);
	}
	int n = ask((struct sockaddr *)&ss, sl, name, PUSH_DNS_TYPE_A,
	    deadline, out, max);
	if (n == 0)
		n = ask((struct sockaddr *)&ss, sl, name, PUSH_DNS_TYPE_AAAA,
		    deadline, out, max);
	return n;
}
