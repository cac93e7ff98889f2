/* auth_user: user-name rules (see auth_user.h). */
#include "auth_user.h"
#include "ticket.h"

#include <string.h>

bool
auth_user_ok(const char *s, size_t n)
{
	if (n == 0 || n > TICKET_USER_MAX)
		return false;
	size_t ats = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch <= 0x20 || ch == 0x7f || ch == '/')
			return false;
		if (ch == '@' && (i == 0 || i == n - 1 || ++ats > 1))
			return false;
	}
	return true;
}

size_t
auth_user_canon_len(const char *in, size_t n, const char *realm)
{
	size_t rl = realm ? strlen(realm) : 0;
	if (rl > 0 && n > rl + 1 && in[n - rl - 1] == '@' &&
	    memcmp(in + n - rl, realm, rl) == 0)
		n -= rl + 1;
	return auth_user_ok(in, n) ? n : 0;
}
