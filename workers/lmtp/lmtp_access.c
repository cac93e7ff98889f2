/* lmtp_access: the allow-clients list of TCP peers (see lmtp_access.h). */
#include "lmtp_access.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0xff, 0xff };

static int
parse_one(struct lmtp_net *net, const char *word, char *err, size_t errsz)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *slash = strchr(word, '/');
	size_t hl = slash ? (size_t)(slash - word) : strlen(word);
	if (hl == 0 || hl >= sizeof(host)) {
		snprintf(err, errsz, "allow-clients: bad address '%.64s'", word);
		return -1;
	}
	memcpy(host, word, hl);
	host[hl] = '\0';
	unsigned max;
	struct in_addr a4;
	if (inet_pton(AF_INET, host, &a4) == 1) {
		memcpy(net->addr, v4mapped, sizeof(v4mapped));
		memcpy(net->addr + 12, &a4, 4);
		max = 32;
	} else if (inet_pton(AF_INET6, host, net->addr) == 1) {
		max = 128;
	} else {
		snprintf(err, errsz, "allow-clients: bad address '%.64s'", word);
		return -1;
	}
	unsigned prefix = max;
	if (slash != NULL) {
		char *end;
		unsigned long p = strtoul(slash + 1, &end, 10);
		if (slash[1] < '0' || slash[1] > '9' || *end != '\0' ||
		    p > max) {
			snprintf(err, errsz, "allow-clients: bad prefix length in"
			    " '%.64s'", word);
			return -1;
		}
		prefix = (unsigned)p;
	}
	net->prefix = prefix + (128 - max);
	/* host bits must be zero: 10.1.2.3/8 is a typo, not a network */
	for (unsigned bit = net->prefix; bit < 128; bit++)
		if (net->addr[bit / 8] & (0x80 >> (bit % 8))) {
			snprintf(err, errsz, "allow-clients: '%.64s' has host bits"
			    " set", word);
			return -1;
		}
	return 0;
}

int
lmtp_allow_parse(struct lmtp_allow *a, const char *text, char *err,
    size_t errsz)
{
	memset(a, 0, sizeof(*a));
	const char *p = text;
	for (;;) {
		p += strspn(p, " \t,");
		if (*p == '\0')
			return 0;
		size_t n = strcspn(p, " \t,");
		char word[INET6_ADDRSTRLEN + 8];
		if (n >= sizeof(word)) {
			snprintf(err, errsz, "allow-clients: entry too long");
			return -1;
		}
		if (a->n == LMTP_ALLOW_MAX) {
			snprintf(err, errsz, "allow-clients: at most %d entries",
			    LMTP_ALLOW_MAX);
			return -1;
		}
		memcpy(word, p, n);
		word[n] = '\0';
		if (parse_one(&a->nets[a->n], word, err, errsz) < 0)
			return -1;
		a->n++;
		p += n;
	}
}

static bool
in_net(const struct lmtp_net *net, const uint8_t addr[16])
{
	unsigned full = net->prefix / 8, rest = net->prefix % 8;
	if (memcmp(net->addr, addr, full) != 0)
		return false;
	if (rest == 0)
		return true;
	uint8_t mask = (uint8_t)(0xff << (8 - rest));
	return (net->addr[full] & mask) == (addr[full] & mask);
}

bool
lmtp_allow_match(const struct lmtp_allow *a, const uint8_t *sa, size_t salen)
{
	struct sockaddr_storage ss;
	uint8_t addr[16];
	if (salen < sizeof(sa_family_t) || salen > sizeof(ss))
		return false;
	memset(&ss, 0, sizeof(ss));
	memcpy(&ss, sa, salen);
	if (ss.ss_family == AF_INET && salen >= sizeof(struct sockaddr_in)) {
		memcpy(addr, v4mapped, sizeof(v4mapped));
		memcpy(addr + 12, &((struct sockaddr_in *)&ss)->sin_addr, 4);
	} else if (ss.ss_family == AF_INET6 &&
	    salen >= sizeof(struct sockaddr_in6)) {
		memcpy(addr, &((struct sockaddr_in6 *)&ss)->sin6_addr, 16);
	} else {
		return false;
	}
	for (size_t i = 0; i < a->n; i++)
		if (in_net(&a->nets[i], addr))
			return true;
	return false;
}
