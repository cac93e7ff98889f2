/* push_addr: the ranges a push service may not be in (push_addr.h). */
#include "push_addr.h"

#include <string.h>

bool
push_addr_v4_public(const unsigned char a[4], bool allow_loopback)
{
	if (a[0] == 127)
		return allow_loopback;
	return !(a[0] == 0 || a[0] == 10 || (a[0] == 169 && a[1] == 254) ||
	    (a[0] == 172 && (a[1] & 0xf0) == 16) ||
	    (a[0] == 192 && a[1] == 168) || (a[0] == 100 &&
	    (a[1] & 0xc0) == 64) || a[0] >= 224);
}

bool
push_addr_v6_public(const unsigned char a[16], bool allow_loopback)
{
	static const unsigned char loop[16] = { [15] = 1 };
	static const unsigned char any[16] = { 0 };
	static const unsigned char mapped[12] = { [10] = 0xff, [11] = 0xff };
	if (memcmp(a, loop, 16) == 0)
		return allow_loopback;
	if (memcmp(a, mapped, 12) == 0)
		return push_addr_v4_public(a + 12, allow_loopback);
	return !(memcmp(a, any, 16) == 0 || (a[0] & 0xfe) == 0xfc ||
	    (a[0] == 0xfe && (a[1] & 0xc0) == 0x80) || a[0] == 0xff);
}
