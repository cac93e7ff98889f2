/* Unit tests for workers/lmtp/lmtp_access: the allow-clients list (IPv4,
 * IPv6, prefixes, IPv4-mapped peers) and what it refuses to parse. */
#include "check.h"
#include "lmtp_access.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

static bool
peer4(const struct lmtp_allow *a, const char *ip)
{
	struct sockaddr_in sin;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(40000);
	inet_pton(AF_INET, ip, &sin.sin_addr);
	return lmtp_allow_match(a, (const uint8_t *)&sin, sizeof(sin));
}

static bool
peer6(const struct lmtp_allow *a, const char *ip)
{
	struct sockaddr_in6 sin6;
	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	inet_pton(AF_INET6, ip, &sin6.sin6_addr);
	return lmtp_allow_match(a, (const uint8_t *)&sin6, sizeof(sin6));
}

static void
test_match(void)
{
	struct lmtp_allow a;
	char err[256];
	CHECK_EQ(lmtp_allow_parse(&a, "127.0.0.1, 10.0.0.0/8 ::1/128\t"
	    "2001:db8:100::/40 192.0.2.128/25", err, sizeof(err)), 0);
	CHECK_EQ(a.n, 5);
	CHECK(peer4(&a, "127.0.0.1"));
	CHECK(!peer4(&a, "127.0.0.2"));
	CHECK(peer4(&a, "10.200.3.4"));
	CHECK(!peer4(&a, "11.0.0.1"));
	CHECK(peer4(&a, "192.0.2.200"));
	CHECK(!peer4(&a, "192.0.2.127"));
	CHECK(peer6(&a, "::1"));
	CHECK(!peer6(&a, "::2"));
	CHECK(peer6(&a, "2001:db8:1ff:ffff::9"));
	CHECK(!peer6(&a, "2001:db8:200::1"));
	/* a dual-stack listener sees IPv4 clients as mapped addresses */
	CHECK(peer6(&a, "::ffff:127.0.0.1"));
	CHECK(peer6(&a, "::ffff:10.9.9.9"));
	CHECK(!peer6(&a, "::ffff:8.8.8.8"));
	/* anything that is not an IP peer, or is cut short, matches nothing */
	struct sockaddr_un sun;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	CHECK(!lmtp_allow_match(&a, (const uint8_t *)&sun, sizeof(sun)));
	struct sockaddr_in sin;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
	CHECK(!lmtp_allow_match(&a, (const uint8_t *)&sin, 6));
	CHECK(!lmtp_allow_match(&a, (const uint8_t *)&sin, 0));
	/* an empty list allows nobody */
	CHECK_EQ(lmtp_allow_parse(&a, "", err, sizeof(err)), 0);
	CHECK(!peer4(&a, "127.0.0.1") && !peer6(&a, "::1"));
	/* /0 allows everyone of that family's space */
	CHECK_EQ(lmtp_allow_parse(&a, "0.0.0.0/0", err, sizeof(err)), 0);
	CHECK(peer4(&a, "203.0.113.7") && peer6(&a, "::ffff:203.0.113.7"));
	CHECK(!peer6(&a, "2001:db8::1"));
}

static void
test_refused(void)
{
	struct lmtp_allow a;
	char err[256];
	const char *bad[] = { "localhost", "127.0.0.1/33", "::1/129",
		"10.1.2.3/8", "127.0.0.1/", "127.0.0.1/-1", "127.0.0.1/8x",
		"/8", "1.2.3", "fe80::1%eth0",
		"0123456789012345678901234567890123456789012345678901234567" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		CHECK_EQ(lmtp_allow_parse(&a, bad[i], err, sizeof(err)), -1);
		CHECK(strncmp(err, "allow-clients:", 14) == 0);
	}
	char many[33 * 12] = "";
	for (int i = 0; i < 33; i++)
		memcpy(many + i * 10, "127.0.0.1 ", 11);
	CHECK_EQ(lmtp_allow_parse(&a, many, err, sizeof(err)), -1);
}

int
main(void)
{
	test_match();
	test_refused();
	return check_done("lmtp_access");
}
