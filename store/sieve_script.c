/*
 * sieve_script: users' Sieve scripts (handlers listed in handlers.h). A
 * script is its source and the program the client compiled from it
 * (sieve_compile); the store parses neither: names are checked byte by
 * byte (store_sieve_name_valid), sources and programs are blobs with
 * bounded sizes. At most one script of a user is active. The user's own
 * session reaches its own scripts, the admin channel any user's, and the
 * delivery right (lmtpd) reads programs only.
 */
#include "request.h"
#include "db.h"
#include "handlers.h"
#include "ipc.h"
#include "log.h"
#include "options.h"
#include "rights.h"
#include "user.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct name {
	char s[STORE_SIEVE_NAME_MAX + 1];
	size_t n;
};

/* A script name field. empty_ok: "" is taken (no script). A name that
 * cannot be is DENIED where it would be made, NOTFOUND where looked up. */
static int
name_arg(struct req *r, struct name *nm, bool making, bool empty_ok)
{
	const char *p;
	if (ipc_get_strp(&r->c, &p, &nm->n, IPC_MAX_STR) < 0)
		return req_fail(r, IPC_ERR_MALFORMED, "malformed %s",
		    ipc_type_name(r->type));
	if (!(empty_ok && nm->n == 0) && !store_sieve_name_valid(p, nm->n))
		return making ? req_fail(r, IPC_ERR_DENIED, "invalid script name")
		    : req_fail(r, IPC_ERR_NOTFOUND, "no such script");
	memcpy(nm->s, p, nm->n);
	nm->s[nm->n] = '\0';
	return 0;
}

static void
bind_name(sqlite3_stmt *st, int i, const struct name *nm)
{
	sqlite3_bind_text(st, i, nm->s, (int)nm->n, SQLITE_STATIC);
}

/* 1 (and *active) if the script exists, 0 if not, or an IPC error. */
static int
script_find(struct req *r, const struct name *nm, bool *active)
{
	sqlite3_stmt *st = db_stmt(r->d, ST_SIEVE_FIND,
	    "SELECT active FROM sieve WHERE name=?");
	if (st == NULL)
		return db_fail(r->d, "prepare");
	bind_name(st, 1, nm);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && active != NULL)
		*active = sqlite3_column_int(st, 0) != 0;
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 :
	    db_fail(r->d, "script");
}

/* Would a script nm of size bytes of source fit the user's Sieve quota? */
static int
script_fits(struct req *r, const struct name *nm, uint64_t size)
{
	if (size > options_sieve_max_script_size)
		return req_fail(r, IPC_ERR_QUOTA, "script of %llu bytes, more than"
		    " sieve-max-script-size (%llu)", (unsigned long long)size,
		    (unsigned long long)options_sieve_max_script_size);
	int rc = script_find(r, nm, NULL);
	if (rc != 0)
		return rc < 0 ? rc : 0;
	sqlite3_stmt *st = db_stmt(r->d, ST_SIEVE_COUNT,
	    "SELECT count(*) FROM sieve");
	if (st == NULL || sqlite3_step(st) != SQLITE_ROW)
		return db_fail(r->d, "count scripts");
	uint64_t n = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (n >= options_sieve_max_scripts)
		return req_fail(r, IPC_ERR_QUOTA, "%llu scripts already, the most"
		    " sieve-max-scripts allows", (unsigned long long)n);
	return 0;
}

/* srclen + proglen bytes of the request's memfd into *p (freed by the
 * caller). */
static int
read_blobs(struct req *r, uint64_t srclen, uint64_t proglen, uint8_t **p)
{
	struct stat sb;
	size_t total = (size_t)(srclen + proglen);
	if (fstat(r->fd, &sb) < 0 || !S_ISREG(sb.st_mode) ||
	    (uint64_t)sb.st_size != srclen + proglen)
		return req_fail(r, IPC_ERR_MALFORMED, "the fd does not hold the"
		    " source and the program");
	if ((*p = malloc(total)) == NULL)
		return req_fail(r, IPC_ERR_TEMPORARY, "out of memory");
	for (size_t got = 0; got < total;) {
		ssize_t n = pread(r->fd, *p + got, total - got, (off_t)got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return req_fail(r, IPC_ERR_MALFORMED, "short fd");
		got += (size_t)n;
	}
	return 0;
}

/* STORE_SIEVE_PUT and STORE_ADM_SIEVE_PUT after the user: name, source
 * and program lengths; the bytes in the memfd, source first. */
static int
script_put(struct req *r)
{
	struct name nm;
	uint64_t srclen, proglen;
	uint8_t *p = NULL;
	int rc = name_arg(r, &nm, true, false);
	if (rc < 0)
		return rc;
	ipc_get_u64(&r->c, &srclen);
	ipc_get_u64(&r->c, &proglen);
	if ((rc = req_end_of_fields(r)) < 0 || (rc = req_db(r)) < 0)
		return rc;
	if (proglen == 0 || proglen > STORE_SIEVE_PROGRAM_MAX)
		return req_fail(r, IPC_ERR_LIMIT, "a program is 1 to %u bytes",
		    STORE_SIEVE_PROGRAM_MAX);
	if ((rc = script_fits(r, &nm, srclen)) < 0 ||
	    (rc = read_blobs(r, srclen, proglen, &p)) < 0) {
		free(p);
		return rc;
	}
	sqlite3_stmt *st = db_stmt(r->d, ST_SIEVE_PUT,
	    "INSERT INTO sieve(name, source, program, srcsize, progsize,"
	    " modified) VALUES(?, ?, ?, ?, ?, ?) ON CONFLICT(name) DO UPDATE"
	    " SET source=excluded.source, program=excluded.program,"
	    " srcsize=excluded.srcsize, progsize=excluded.progsize,"
	    " modified=excluded.modified");
	if (st == NULL) {
		free(p);
		return db_fail(r->d, "prepare");
	}
	bind_name(st, 1, &nm);
	sqlite3_bind_blob(st, 2, srclen ? (const void *)p : "", (int)srclen,
	    SQLITE_STATIC);
	sqlite3_bind_blob(st, 3, p + srclen, (int)proglen, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)srclen);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)proglen);
	sqlite3_bind_int64(st, 6, (sqlite3_int64)time(NULL));
	rc = db_exec(st);
	free(p);
	return rc < 0 ? db_fail(r->d, "put script") : 0;
}

static int
script_list(struct req *r)
{
	sqlite3_stmt *st = db_stmt(r->d, ST_SIEVE_LIST,
	    "SELECT name, active, srcsize FROM sieve ORDER BY name");
	if (st == NULL)
		return db_fail(r->d, "prepare");
	req_reply_stream(r);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		req_item(r);
		ipc_put_strn(r->rb, (const char *)sqlite3_column_text(st, 0),
		    (size_t)sqlite3_column_bytes(st, 0));
		ipc_put_u32(r->rb, (uint32_t)sqlite3_column_int(st, 1));
		ipc_put_u64(r->rb, (uint64_t)sqlite3_column_int64(st, 2));
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return db_fail(r->d, "list scripts");
	req_end(r);
	return 0;
}

/* A streamed reply of one entry: the name, then the column's bytes. */
static int
reply_blob(struct req *r, sqlite3_stmt *st, int col)
{
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		req_reply_stream(r);
		req_item(r);
		ipc_put_strn(r->rb, (const char *)sqlite3_column_text(st, 0),
		    (size_t)sqlite3_column_bytes(st, 0));
		const void *v = sqlite3_column_blob(st, col);
		ipc_put_bytes(r->rb, v ? v : "",
		    (size_t)sqlite3_column_bytes(st, col));
		req_end(r);
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ?
	    req_fail(r, IPC_ERR_NOTFOUND, "no such script") :
	    db_fail(r->d, "read script");
}

static int
script_get(struct req *r, const struct name *nm)
{
	sqlite3_stmt *st = db_stmt(r->d, ST_SIEVE_SOURCE,
	    "SELECT name, source FROM sieve WHERE name=?");
	if (st == NULL)
		return db_fail(r->d, "prepare");
	bind_name(st, 1, nm);
	return reply_blob(r, st, 1);
}

/* nm active, every other script not ("": none active). */
static int
script_activate(struct req *r, const struct name *nm)
{
	int rc = nm->n == 0 ? 1 : script_find(r, nm, NULL);
	if (rc <= 0)
		return rc < 0 ? rc : req_fail(r, IPC_ERR_NOTFOUND,
		    "no such script");
	sqlite3_stmt *st = db_stmt(r->d, ST_SIEVE_DEACTIVATE,
	    "UPDATE sieve SET active=0 WHERE active=1");
	if (st == NULL || db_exec(st) < 0)
		return db_fail(r->d, "deactivate");
	if (nm->n == 0)
		return 0;
	st = db_stmt(r->d, ST_SIEVE_ACTIVATE,
	    "UPDATE sieve SET active=1 WHERE name=?");
	if (st == NULL)
		return db_fail(r->d, "prepare");
	bind_name(st, 1, nm);
	return db_exec(st) < 0 ? db_fail(r->d, "activate") : 0;
}

static int
script_delete(struct req *r, const struct name *nm)
{
	bool active = false;
	int rc = script_find(r, nm, &active);
	if (rc <= 0)
		return rc < 0 ? rc : req_fail(r, IPC_ERR_NOTFOUND,
		    "no such script");
	if (active)
		return req_fail(r, IPC_ERR_CONFLICT, "the active script cannot"
		    " be deleted: deactivate it first");
	sqlite3_stmt *st = db_stmt(r->d, ST_SIEVE_DELETE,
	    "DELETE FROM sieve WHERE name=?");
	if (st == NULL)
		return db_fail(r->d, "prepare");
	bind_name(st, 1, nm);
	return db_exec(st) < 0 ? db_fail(r->d, "delete script") : 0;
}

/* ---- the user's session ---------------------------------------------------- */

int
h_sieve_list(struct req *r)
{
	int rc = req_end_of_fields(r);
	return rc < 0 || (rc = req_db(r)) < 0 ? rc : script_list(r);
}

int
h_sieve_put(struct req *r)
{
	return script_put(r);
}

/* The requests whose one field is a script name. */
static int
one_name(struct req *r, struct name *nm, bool empty_ok)
{
	int rc = name_arg(r, nm, false, empty_ok);
	if (rc < 0 || (rc = req_end_of_fields(r)) < 0)
		return rc;
	return req_db(r);
}

int
h_sieve_get(struct req *r)
{
	struct name nm;
	int rc = one_name(r, &nm, false);
	return rc < 0 ? rc : script_get(r, &nm);
}

int
h_sieve_activate(struct req *r)
{
	struct name nm;
	int rc = one_name(r, &nm, true);
	return rc < 0 ? rc : script_activate(r, &nm);
}

int
h_sieve_delete(struct req *r)
{
	struct name nm;
	int rc = one_name(r, &nm, false);
	return rc < 0 ? rc : script_delete(r, &nm);
}

int
h_sieve_rename(struct req *r)
{
	struct name from, to;
	int rc = name_arg(r, &from, false, false);
	if (rc < 0 || (rc = name_arg(r, &to, true, false)) < 0 ||
	    (rc = req_end_of_fields(r)) < 0 || (rc = req_db(r)) < 0 ||
	    (rc = script_find(r, &from, NULL)) < 0)
		return rc;
	if (rc == 0)
		return req_fail(r, IPC_ERR_NOTFOUND, "no such script");
	if ((rc = script_find(r, &to, NULL)) != 0)
		return rc < 0 ? rc : req_fail(r, IPC_ERR_EXISTS,
		    "a script has that name");
	sqlite3_stmt *st = db_stmt(r->d, ST_SIEVE_RENAME,
	    "UPDATE sieve SET name=?, modified=? WHERE name=?");
	if (st == NULL)
		return db_fail(r->d, "prepare");
	bind_name(st, 1, &to);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)time(NULL));
	bind_name(st, 3, &from);
	return db_exec(st) < 0 ? db_fail(r->d, "rename script") : 0;
}

int
h_sieve_havespace(struct req *r)
{
	struct name nm;
	uint64_t size;
	int rc = name_arg(r, &nm, true, false);
	if (rc < 0)
		return rc;
	ipc_get_u64(&r->c, &size);
	if ((rc = req_end_of_fields(r)) < 0 || (rc = req_db(r)) < 0)
		return rc;
	return script_fits(r, &nm, size);
}

/* ---- the delivery right: programs, read only ---------------------------------- */

int
h_sieve_program(struct req *r)
{
	const char *user;
	size_t ulen;
	struct name nm;
	ipc_get_strp(&r->c, &user, &ulen, STORE_USER_MAX);
	int rc = name_arg(r, &nm, false, true);
	if (rc < 0 || (rc = req_end_of_fields(r)) < 0 ||
	    (rc = delivery_user_for(r, IPC_STORE_SIEVE_PROGRAM, user, ulen)) < 0)
		return rc;
	sqlite3_stmt *st = nm.n == 0 ?
	    db_stmt(r->d, ST_SIEVE_ACTIVE_PROGRAM,
	    "SELECT name, program FROM sieve WHERE active=1") :
	    db_stmt(r->d, ST_SIEVE_PROGRAM,
	    "SELECT name, program FROM sieve WHERE name=?");
	if (st == NULL)
		return db_fail(r->d, "prepare");
	if (nm.n != 0)
		bind_name(st, 1, &nm);
	return reply_blob(r, st, 1);
}

/* ---- the admin channel: any user's ---------------------------------------------- */

int
h_adm_sieve_put(struct req *r)
{
	int rc = adm_user(r);
	return rc < 0 ? rc : script_put(r);
}

int
h_adm_sieve(struct req *r)
{
	uint32_t op;
	struct name nm;
	int rc = adm_user(r);
	if (rc < 0)
		return rc;
	ipc_get_u32(&r->c, &op);
	if ((rc = one_name(r, &nm, op != STORE_ADM_SIEVE_OP_GET &&
	    op != STORE_ADM_SIEVE_OP_DELETE)) < 0)
		return rc;
	switch (op) {
	case STORE_ADM_SIEVE_OP_LIST:
		return script_list(r);
	case STORE_ADM_SIEVE_OP_GET:
		return script_get(r, &nm);
	case STORE_ADM_SIEVE_OP_ACTIVATE:
		if ((rc = script_activate(r, &nm)) == 0)
			log_info("admin: %s: sieve script %s%s", r->u->name,
			    nm.n ? "active: " : "none active", nm.s);
		return rc;
	case STORE_ADM_SIEVE_OP_DELETE:
		return script_delete(r, &nm);
	default:
		return req_fail(r, IPC_ERR_MALFORMED, "unknown operation %u", op);
	}
}
