/* ms_store_pending: the user-session Sieve calls of store_client.h while
 * the store client has none (built only then: meson.build). Every call
 * answers STORE_E_TEMPORARY, which the commands report as NO (TRYLATER). */
#include "store_client.h"

int
store_sieve_list(struct store_conn *sc, store_sieve_cb cb, void *arg)
{
	(void)sc; (void)cb; (void)arg;
	return STORE_E_TEMPORARY;
}

int
store_sieve_put(struct store_conn *sc, const char *name, const void *src,
    size_t srclen, const void *prog, size_t proglen)
{
	(void)sc; (void)name; (void)src; (void)srclen; (void)prog; (void)proglen;
	return STORE_E_TEMPORARY;
}

int
store_sieve_get(struct store_conn *sc, const char *name, struct buf *src)
{
	(void)sc; (void)name; (void)src;
	return STORE_E_TEMPORARY;
}

int
store_sieve_activate(struct store_conn *sc, const char *name)
{
	(void)sc; (void)name;
	return STORE_E_TEMPORARY;
}

int
store_sieve_delete(struct store_conn *sc, const char *name)
{
	(void)sc; (void)name;
	return STORE_E_TEMPORARY;
}

int
store_sieve_rename(struct store_conn *sc, const char *from, const char *to)
{
	(void)sc; (void)from; (void)to;
	return STORE_E_TEMPORARY;
}

int
store_sieve_havespace(struct store_conn *sc, const char *name, uint64_t size)
{
	(void)sc; (void)name; (void)size;
	return STORE_E_TEMPORARY;
}
