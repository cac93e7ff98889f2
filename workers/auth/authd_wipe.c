/*
 * authd_wipe: every heap block authd frees is zeroed first.
 *
 * Passwords and keys pass through libsasl2, its plugins, Berkeley DB (which
 * reads the sasldb2 page holding the plaintext password into a malloc'd
 * buffer) and OpenSSL; none of them clears what it frees, and glibc's
 * M_PERTURB skips the thread cache. Defining free() and realloc() in the
 * executable interposes them for every library (they call through the PLT),
 * so no secret outlives its buffer. The cost is a memset per free, small at
 * authd's rate. Not in sanitizer builds: ASan owns the allocator there.
 */
#include "authd.h"

#include <malloc.h>
#include <string.h>

#if defined(__SANITIZE_ADDRESS__)
#define AUTHD_WIPE 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define AUTHD_WIPE 0
#endif
#endif
#ifndef AUTHD_WIPE
#define AUTHD_WIPE 1
#endif

#if AUTHD_WIPE
/* glibc's own entry points, exported for allocators that wrap it */
extern void *__libc_malloc(size_t n);
extern void __libc_free(void *p);

void
free(void *p)
{
	if (p != NULL) {
		explicit_bzero(p, malloc_usable_size(p));
		__libc_free(p);
	}
}

/* Growing in place would be fine, but moving would leave the old copy
 * behind in glibc's free(): always move through our free(). */
void *
realloc(void *p, size_t n)
{
	if (p == NULL)
		return __libc_malloc(n);
	if (n == 0) {
		free(p);
		return NULL;
	}
	size_t old = malloc_usable_size(p);
	if (n <= old)
		return p;
	void *q = __libc_malloc(n);
	if (q == NULL)
		return NULL;
	memcpy(q, p, old);
	free(p);
	return q;
}
#endif

bool
authd_wipe_active(void)
{
	return AUTHD_WIPE;
}
