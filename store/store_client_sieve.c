/* store_client_sieve: Sieve scripts, seen records and delivery into a
 * mailbox by name (see store_client.h). A put sends the source and the
 * program in a memfd made here (memfd_create, write, close): they may be
 * larger than one record. */
#include "store_client_int.h"
#include "buf.h"

#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

struct sieve_ctx {
	store_sieve_cb cb;
	void *arg;
	bool stop;
};

static int
sieve_entry(struct store_conn *sc, struct buf_cur *c, void *ctx)
{
	struct sieve_ctx *x = ctx;
	char name[STORE_SIEVE_NAME_MAX + 1];
	uint32_t active;
	struct store_sieve_info si;
	(void)sc;
	sc_get_name(c, name, sizeof(name));
	ipc_get_u32(c, &active);
	ipc_get_u64(c, &si.size);
	if (c->failed)
		return -1;
	si.name = name;
	si.active = active != 0;
	SC_STREAM_DELIVER(x, &si);
	return 0;
}

/* One entry: a name (copied into name when not NULL) and bytes appended
 * to out. */
struct blob_ctx {
	struct buf *out;
	char *name;
	size_t namesize;
	bool oom;
};

static int
blob_entry(struct store_conn *sc, struct buf_cur *c, void *ctx)
{
	struct blob_ctx *x = ctx;
	char name[STORE_SIEVE_NAME_MAX + 1];
	const uint8_t *v;
	size_t n;
	(void)sc;
	sc_get_name(c, name, sizeof(name));
	ipc_get_bytes(c, &v, &n, STORE_SIEVE_PROGRAM_MAX);
	if (c->failed)
		return -1;
	if (x->name != NULL && x->namesize > 0)
		buf_strlcpy(x->name, x->namesize, name, strlen(name));
	if (buf_append(x->out, v, n) < 0)
		x->oom = true;
	return 0;
}

static int
call_blob(struct store_conn *sc, uint32_t type, struct buf *out, char *name,
    size_t namesize)
{
	struct blob_ctx x = { out, name, namesize, false };
	struct stream_ops ops = { blob_entry, NULL, &x };
	int rc = sc_call_stream(sc, type, &ops);
	return rc == 0 && x.oom ? sc_fail(sc, STORE_E_ARG, "out of memory") : rc;
}

static bool
name_fits(const char *name)
{
	return strlen(name) <= STORE_SIEVE_NAME_MAX;
}

/* The request built so far + lengths, the bytes in a memfd. */
static int
put_blobs(struct store_conn *sc, uint32_t type, const void *src, size_t srclen,
    const void *prog, size_t proglen)
{
	if (srclen > STORE_SIEVE_SOURCE_MAX || proglen > STORE_SIEVE_PROGRAM_MAX)
		return sc_fail(sc, STORE_E_ARG, "script or program too large");
	int fd = memfd_create("cloister-sieve", MFD_CLOEXEC);
	if (fd < 0)
		return sc_fail(sc, STORE_E_ARG, "memfd_create failed");
	if (buf_write_all(fd, src, srclen) < 0 || buf_write_all(fd, prog, proglen) < 0) {
		close(fd);
		return sc_fail(sc, STORE_E_ARG, "cannot write the memfd");
	}
	ipc_put_u64(&sc->req, srclen);
	ipc_put_u64(&sc->req, proglen);
	struct buf_cur c;
	int rc = sc_call(sc, type, fd, &c, NULL);
	close(fd);
	return rc < 0 ? rc : sc_done(sc, &c);
}

/* ---- the user's session ------------------------------------------------ */

int
store_sieve_list(struct store_conn *sc, store_sieve_cb cb, void *arg)
{
	struct sieve_ctx x = { cb, arg, false };
	struct stream_ops ops = { sieve_entry, NULL, &x };
	sc_start(sc);
	return sc_call_stream(sc, IPC_STORE_SIEVE_LIST, &ops);
}

int
store_sieve_put(struct store_conn *sc, const char *name, const void *src,
    size_t srclen, const void *prog, size_t proglen)
{
	if (!name_fits(name))
		return STORE_E_ARG;
	sc_start(sc);
	ipc_put_str(&sc->req, name);
	return put_blobs(sc, IPC_STORE_SIEVE_PUT, src, srclen, prog, proglen);
}

int
store_sieve_get(struct store_conn *sc, const char *name, struct buf *src)
{
	if (!name_fits(name))
		return STORE_E_ARG;
	sc_start(sc);
	ipc_put_str(&sc->req, name);
	return call_blob(sc, IPC_STORE_SIEVE_GET, src, NULL, 0);
}

/* Requests of script names whose reply is an empty OK. */
static int
call_names(struct store_conn *sc, uint32_t type, const char *a, const char *b)
{
	if (!name_fits(a) || (b != NULL && !name_fits(b)))
		return STORE_E_ARG;
	sc_start(sc);
	ipc_put_str(&sc->req, a);
	if (b != NULL)
		ipc_put_str(&sc->req, b);
	return sc_call_empty(sc, type);
}

int
store_sieve_activate(struct store_conn *sc, const char *name)
{
	return call_names(sc, IPC_STORE_SIEVE_ACTIVATE, name, NULL);
}

int
store_sieve_delete(struct store_conn *sc, const char *name)
{
	return call_names(sc, IPC_STORE_SIEVE_DELETE, name, NULL);
}

int
store_sieve_rename(struct store_conn *sc, const char *from, const char *to)
{
	return call_names(sc, IPC_STORE_SIEVE_RENAME, from, to);
}

int
store_sieve_havespace(struct store_conn *sc, const char *name, uint64_t size)
{
	if (!name_fits(name))
		return STORE_E_ARG;
	sc_start(sc);
	ipc_put_str(&sc->req, name);
	ipc_put_u64(&sc->req, size);
	return sc_call_empty(sc, IPC_STORE_SIEVE_HAVESPACE);
}

/* ---- the admin channel ------------------------------------------------- */

/* STORE_ADM_SIEVE: user, operation, name. */
static void
adm_start(struct store_conn *sc, const char *user, uint32_t op,
    const char *name)
{
	sc_start(sc);
	ipc_put_str(&sc->req, user);
	ipc_put_u32(&sc->req, op);
	ipc_put_str(&sc->req, name);
}

int
store_adm_sieve_list(struct store_conn *sc, const char *user,
    store_sieve_cb cb, void *arg)
{
	struct sieve_ctx x = { cb, arg, false };
	struct stream_ops ops = { sieve_entry, NULL, &x };
	adm_start(sc, user, STORE_ADM_SIEVE_OP_LIST, "");
	return sc_call_stream(sc, IPC_STORE_ADM_SIEVE, &ops);
}

int
store_adm_sieve_put(struct store_conn *sc, const char *user, const char *name,
    const void *src, size_t srclen, const void *prog, size_t proglen)
{
	if (!name_fits(name))
		return STORE_E_ARG;
	sc_start(sc);
	ipc_put_str(&sc->req, user);
	ipc_put_str(&sc->req, name);
	return put_blobs(sc, IPC_STORE_ADM_SIEVE_PUT, src, srclen, prog, proglen);
}

int
store_adm_sieve_get(struct store_conn *sc, const char *user, const char *name,
    struct buf *src)
{
	if (!name_fits(name))
		return STORE_E_ARG;
	adm_start(sc, user, STORE_ADM_SIEVE_OP_GET, name);
	return call_blob(sc, IPC_STORE_ADM_SIEVE, src, NULL, 0);
}

int
store_adm_sieve_activate(struct store_conn *sc, const char *user,
    const char *name)
{
	if (!name_fits(name))
		return STORE_E_ARG;
	adm_start(sc, user, STORE_ADM_SIEVE_OP_ACTIVATE, name);
	return sc_call_empty(sc, IPC_STORE_ADM_SIEVE);
}

int
store_adm_sieve_delete(struct store_conn *sc, const char *user,
    const char *name)
{
	if (!name_fits(name))
		return STORE_E_ARG;
	adm_start(sc, user, STORE_ADM_SIEVE_OP_DELETE, name);
	return sc_call_empty(sc, IPC_STORE_ADM_SIEVE);
}

/* ---- the delivery right ------------------------------------------------- */

int
store_sieve_program(struct store_conn *sc, const char *user, const char *name,
    struct buf *prog, char *active_name, size_t active_name_size)
{
	if (name != NULL && !name_fits(name))
		return STORE_E_ARG;
	sc_start(sc);
	ipc_put_str(&sc->req, user);
	ipc_put_str(&sc->req, name != NULL ? name : "");
	return call_blob(sc, IPC_STORE_SIEVE_PROGRAM, prog, active_name,
	    active_name_size);
}

int
store_seen_check(struct store_conn *sc, const char *user, uint32_t kind,
    const uint8_t key[32], uint64_t seconds, bool record, bool *seen)
{
	struct buf_cur c;
	uint32_t v = 0;
	sc_start(sc);
	ipc_put_str(&sc->req, user);
	ipc_put_u32(&sc->req, kind);
	ipc_put_bytes(&sc->req, key, STORE_SEEN_KEY_LEN);
	ipc_put_u64(&sc->req, seconds);
	ipc_put_u32(&sc->req, record ? 1 : 0);
	int rc = sc_call(sc, IPC_STORE_SEEN_CHECK, -1, &c, NULL);
	if (rc < 0)
		return rc;
	ipc_get_u32(&c, &v);
	*seen = v != 0;
	return sc_done(sc, &c);
}

int
store_mbox_exists(struct store_conn *sc, const char *user,
    const char *const *names, size_t n, uint32_t *exists)
{
	struct buf_cur c;
	uint32_t v = 0;
	if (n == 0 || n > STORE_MBOX_EXISTS_MAX)
		return STORE_E_ARG;
	for (size_t i = 0; i < n; i++)
		if (strlen(names[i]) > STORE_MBOX_NAME_MAX)
			return STORE_E_ARG;
	sc_start(sc);
	ipc_put_str(&sc->req, user);
	ipc_put_u32(&sc->req, (uint32_t)n);
	for (size_t i = 0; i < n; i++)
		ipc_put_str(&sc->req, names[i]);
	int rc = sc_call(sc, IPC_STORE_MBOX_EXISTS, -1, &c, NULL);
	if (rc < 0)
		return rc;
	ipc_get_u32(&c, &v);
	*exists = v;
	return sc_done(sc, &c);
}
