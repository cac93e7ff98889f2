/* ms_scripts: the commands of the authenticated state (RFC 5804 2.3-2.12),
 * each one request on the user's own store channel: the store binds it to
 * the user the ticket named, so no argument can reach another user's
 * scripts. Scripts are compiled here (sieve_compile) and the store keeps
 * the source and the program. */
#include "ms_session.h"
#include "sieve.h"
#include "stats.h"

#include <stdlib.h>
#include <string.h>

/* RFC 5804 1.6: a name is UTF-8 without control characters (C0, DEL, C1,
 * U+2028, U+2029); the store also refuses '/'. */
static bool
name_valid(const char *s, size_t len)
{
	if (len == 0 || len > STORE_SIEVE_NAME_MAX)
		return false;
	for (size_t i = 0; i < len;) {
		uint8_t c = (uint8_t)s[i];
		if (c < 0x80) {
			if (c < 0x20 || c == 0x7f || c == '/')
				return false;
			i++;
			continue;
		}
		size_t n = c >= 0xf0 && c <= 0xf4 ? 4 : c >= 0xe0 ? 3 :
		    c >= 0xc2 && c < 0xe0 ? 2 : 0;
		if (n == 0 || c > 0xf4 || i + n > len)
			return false;
		uint32_t cp = c & (0xff >> (n + 1));
		for (size_t k = 1; k < n; k++) {
			uint8_t d = (uint8_t)s[i + k];
			if ((d & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (d & 0x3f);
		}
		if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 ||
		    cp > 0x10ffff)) || (cp >= 0xd800 && cp <= 0xdfff) ||
		    (cp >= 0x80 && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029)
			return false;
		i += n;
	}
	return true;
}

/* The n-th argument as a script name (NUL-terminated into out); false
 * after answering NO. empty_ok: SETACTIVE "". */
static bool
name_arg(struct ms_session *s, const struct ms_token *t, char *out,
    bool empty_ok)
{
	if (t->type != MS_TOK_STRING) {
		ms_reply(s, "NO", NULL, "Expected a script name string");
		return false;
	}
	if (!(empty_ok && t->len == 0) && !name_valid(t->s, t->len)) {
		ms_reply(s, "NO", NULL, "Invalid script name");
		return false;
	}
	memcpy(out, t->s, t->len);
	out[t->len] = '\0';
	return true;
}

/* The answer to a store call: OK with text, or the store's error; -1
 * when the session must end. */
static int
answer(struct ms_session *s, int rc, const char *what, const char *ok)
{
	if (rc == STORE_OK) {
		ms_reply(s, "OK", NULL, "%s", ok);
		return 0;
	}
	return ms_store_error(s, rc, what) ? -1 : 0;
}

static bool
argc_is(struct ms_session *s, int n, int want, const char *cmd)
{
	if (n == want)
		return true;
	ms_reply(s, "NO", NULL, "%s takes %d argument%s", cmd, want,
	    want == 1 ? "" : "s");
	return false;
}

/* Compile the script; false after answering NO with line and column. */
static bool
compile(struct ms_session *s, const struct ms_token *t, struct buf *prog)
{
	if (t->type != MS_TOK_STRING) {
		ms_reply(s, "NO", NULL, "Expected the script as a string");
		return false;
	}
	if (t->len > s->opt->max_script_size) {
		ms_reply(s, "NO", "QUOTA/MAXSIZE", "Script too large");
		return false;
	}
	struct sieve_error err;
	if (sieve_compile(t->s, t->len, prog, &err) < 0) {
		char msg[300];
		sieve_error_format(&err, msg, sizeof(msg));
		ms_reply(s, "NO", NULL, "%s", msg);
		return false;
	}
	return true;
}

int
ms_cmd_putscript(struct ms_session *s, const struct ms_token *a, int n)
{
	char name[STORE_SIEVE_NAME_MAX + 1];
	if (!argc_is(s, n, 2, "PUTSCRIPT") || !name_arg(s, &a[0], name, false))
		return 0;
	struct buf prog = BUF_INIT(SIEVE_MAX_PROGRAM);
	int ret = 0;
	if (compile(s, &a[1], &prog)) {
		int rc = store_sieve_put(s->sc, name, a[1].s, a[1].len, prog.data,
		    prog.len);
		if (rc == STORE_OK) {
			ms_log(s, LOG_LVL_INFO, "putscript", "size=%zu", a[1].len);
			ms_reply(s, "OK", NULL, "Script stored");
		} else if (ms_store_error(s, rc, "PUTSCRIPT"))
			ret = -1;
	}
	buf_free(&prog);
	return ret;
}

int
ms_cmd_checkscript(struct ms_session *s, const struct ms_token *a, int n)
{
	if (!argc_is(s, n, 1, "CHECKSCRIPT"))
		return 0;
	struct buf prog = BUF_INIT(SIEVE_MAX_PROGRAM);
	if (compile(s, &a[0], &prog))
		ms_reply(s, "OK", NULL, "Script is valid");
	buf_free(&prog);
	return 0;
}

int
ms_cmd_getscript(struct ms_session *s, const struct ms_token *a, int n)
{
	char name[STORE_SIEVE_NAME_MAX + 1];
	if (!argc_is(s, n, 1, "GETSCRIPT") || !name_arg(s, &a[0], name, false))
		return 0;
	struct buf src = BUF_INIT(SIEVE_MAX_SCRIPT);
	int rc = store_sieve_get(s->sc, name, &src);
	int ret = 0;
	if (rc == STORE_OK) {
		/* always a literal: a script has line ends */
		buf_printf(&s->conn.out, "{%zu}\r\n", src.len);
		buf_append(&s->conn.out, src.data, src.len);
		buf_append_str(&s->conn.out, "\r\n");
		ms_reply(s, "OK", NULL, "Getscript completed");
	} else if (ms_store_error(s, rc, "GETSCRIPT"))
		ret = -1;
	buf_free(&src);
	return ret;
}

int
ms_cmd_setactive(struct ms_session *s, const struct ms_token *a, int n)
{
	char name[STORE_SIEVE_NAME_MAX + 1];
	if (!argc_is(s, n, 1, "SETACTIVE") || !name_arg(s, &a[0], name, true))
		return 0;
	int rc = store_sieve_activate(s->sc, name);
	if (rc == STORE_OK)
		ms_log(s, LOG_LVL_INFO, "setactive", NULL);
	return answer(s, rc, "SETACTIVE", name[0] ? "Script activated" :
	    "No script is active");
}

static int
list_one(void *arg, const struct store_sieve_info *i)
{
	struct ms_session *s = arg;
	ms_put_string(&s->conn.out, i->name, strlen(i->name));
	buf_append_str(&s->conn.out, i->active ? " ACTIVE\r\n" : "\r\n");
	return 0;
}

int
ms_cmd_listscripts(struct ms_session *s, const struct ms_token *a, int n)
{
	(void)a;
	if (!argc_is(s, n, 0, "LISTSCRIPTS"))
		return 0;
	int rc = store_sieve_list(s->sc, list_one, s);
	return answer(s, rc, "LISTSCRIPTS", "Listscripts completed");
}

int
ms_cmd_deletescript(struct ms_session *s, const struct ms_token *a, int n)
{
	char name[STORE_SIEVE_NAME_MAX + 1];
	if (!argc_is(s, n, 1, "DELETESCRIPT") ||
	    !name_arg(s, &a[0], name, false))
		return 0;
	int rc = store_sieve_delete(s->sc, name);
	return answer(s, rc, "DELETESCRIPT", "Script deleted");
}

int
ms_cmd_renamescript(struct ms_session *s, const struct ms_token *a, int n)
{
	char from[STORE_SIEVE_NAME_MAX + 1], to[STORE_SIEVE_NAME_MAX + 1];
	if (!argc_is(s, n, 2, "RENAMESCRIPT") ||
	    !name_arg(s, &a[0], from, false) || !name_arg(s, &a[1], to, false))
		return 0;
	int rc = store_sieve_rename(s->sc, from, to);
	return answer(s, rc, "RENAMESCRIPT", "Script renamed");
}

int
ms_cmd_havespace(struct ms_session *s, const struct ms_token *a, int n)
{
	char name[STORE_SIEVE_NAME_MAX + 1];
	uint64_t size;
	if (!argc_is(s, n, 2, "HAVESPACE") || !name_arg(s, &a[0], name, false))
		return 0;
	if (ms_token_number(&a[1], &size) < 0) {
		ms_reply(s, "NO", NULL, "HAVESPACE needs a size");
		return 0;
	}
	if (size > s->opt->max_script_size) {
		ms_reply(s, "NO", "QUOTA/MAXSIZE", "Script too large (at most "
		    "%llu bytes)", (unsigned long long)s->opt->max_script_size);
		return 0;
	}
	int rc = store_sieve_havespace(s->sc, name, size);
	return answer(s, rc, "HAVESPACE", "Putscript would succeed");
}
