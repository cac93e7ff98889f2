/* imap_parse: tag, command word and each command's arguments
 * (imap_parse.h). One table maps the word to its argument parser. */
#include "imap_parse_priv.h"

#include <string.h>
#include <strings.h>

typedef int (*parse_fn)(struct imap_parser *p, struct imap_cmd *c);

static int
args_none(struct imap_parser *p, struct imap_cmd *c)
{
	(void)p;
	(void)c;
	return 0;
}

static int
args_login(struct imap_parser *p, struct imap_cmd *c)
{
	return p_sp(p) < 0 || p_astring(p, &c->a.login.user) < 0 ||
	    p_sp(p) < 0 || p_astring(p, &c->a.login.pass) < 0 ? -1 : 0;
}

/* AUTHENTICATE SP auth-type [SP (base64 / "=")] */
static int
args_authenticate(struct imap_parser *p, struct imap_cmd *c)
{
	struct imap_auth_args *a = &c->a.auth;
	if (p_sp(p) < 0 || p_atom_upper(p, &a->mech) < 0)
		return -1;
	if (!p_try_char(p, ' '))
		return 0;
	a->has_ir = true;
	if (p_try_char(p, '=')) {
		a->ir.s = "";
		a->ir.len = 0;
		return 0;
	}
	size_t s = p->pos;
	while (p->pos < p->len) {
		int ch = p->t[p->pos];
		if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
		    (ch >= '0' && ch <= '9') || ch == '+' || ch == '/' ||
		    ch == '='))
			break;
		p->pos++;
	}
	if (p->pos == s)
		return p_fail(p, "Invalid initial response");
	a->ir.s = imap_arena_strndup(p->ctx->arena, p->t + s, p->pos - s);
	a->ir.len = p->pos - s;
	return a->ir.s == NULL ? p_fail(p, "Command too complex") : 0;
}

static int
args_enable(struct imap_parser *p, struct imap_cmd *c)
{
	struct imap_atoms *a = &c->a.enable;
	size_t cap = 0;
	do {
		if (p_sp(p) < 0 || p_item(p) < 0)
			return -1;
		if (a->n == cap) {
			size_t ncap = cap ? cap * 2 : 4;
			const char **nv = p_alloc(p, ncap * sizeof(*nv));
			if (nv == NULL)
				return -1;
			if (cap)
				memcpy(nv, a->v, cap * sizeof(*nv));
			a->v = nv;
			cap = ncap;
		}
		if (p_atom_upper(p, &a->v[a->n++]) < 0)
			return -1;
	} while (p_peek(p) == ' ');
	return 0;
}

/* ID SP ("(" string SP nstring *(SP string SP nstring) ")" / NIL);
 * RFC 2971: at most 30 pairs */
static int
args_id(struct imap_parser *p, struct imap_cmd *c)
{
	struct imap_id_args *a = &c->a.id;
	if (p_sp(p) < 0)
		return -1;
	if (p_try_word(p, "NIL"))
		return 0;
	if (p_char(p, '(') < 0)
		return -1;
	a->kv = p_alloc(p, 60 * sizeof(*a->kv));
	if (a->kv == NULL)
		return -1;
	for (;;) {
		struct imap_str k, v;
		if (a->n >= 30)
			return p_fail(p, "Too many ID fields");
		if (p_string(p, &k) < 0 || p_sp(p) < 0 || p_nstring(p, &v) < 0)
			return -1;
		if (k.len > 30 || (v.s != NULL && v.len > 1024))
			return p_fail(p, "ID field too long");
		a->kv[2 * a->n] = k.s;
		a->kv[2 * a->n + 1] = v.s;
		a->n++;
		if (p_try_char(p, ')'))
			return 0;
		if (p_sp(p) < 0)
			return -1;
	}
}

/* QRESYNC SP "(" uidvalidity SP mod-sequence-value [SP known-uids]
 * [SP seq-match-data] ")" */
static int
qresync_param(struct imap_parser *p, struct imap_select_args *a)
{
	if (p_sp(p) < 0 || p_char(p, '(') < 0 ||
	    p_nz_number(p, &a->q_uidvalidity) < 0 || p_sp(p) < 0 ||
	    p_mod_seq(p, &a->q_modseq) < 0)
		return -1;
	a->qresync = true;
	if (p_try_char(p, ' ')) {
		if (p_peek(p) != '(') {
			if (p_seqset(p, &a->q_known_uids) < 0)
				return -1;
			if (a->q_known_uids.saved)
				return p_fail(p, "Invalid known UIDs");
			if (!p_try_char(p, ' '))
				return p_char(p, ')');
		}
		if (p_char(p, '(') < 0 || p_seqset(p, &a->q_match_seqs) < 0 ||
		    p_sp(p) < 0 || p_seqset(p, &a->q_match_uids) < 0 ||
		    p_char(p, ')') < 0)
			return -1;
		if (a->q_match_seqs.saved || a->q_match_uids.saved)
			return p_fail(p, "Invalid sequence match data");
	}
	return p_char(p, ')');
}

static int
args_select(struct imap_parser *p, struct imap_cmd *c)
{
	struct imap_select_args *a = &c->a.select;
	if (p_sp(p) < 0 || p_mailbox(p, &a->mailbox) < 0)
		return -1;
	if (!p_try_char(p, ' '))
		return 0;
	if (p_char(p, '(') < 0)
		return -1;
	bool first = true;
	while (!p_try_char(p, ')')) {
		if (!first && p_sp(p) < 0)
			return -1;
		first = false;
		if (p_try_word(p, "CONDSTORE"))
			a->condstore = true;
		else if (p_try_word(p, "QRESYNC")) {
			if (a->qresync)
				return p_fail(p, "Duplicate QRESYNC");
			if (qresync_param(p, a) < 0)
				return -1;
		} else
			return p_fail(p, "Unknown SELECT parameter");
	}
	return 0;
}

static const struct {
	const char *name;
	uint32_t bit;
} special_uses[] = {
	{ "\\All", IMAP_SU_ALL }, { "\\Archive", IMAP_SU_ARCHIVE },
	{ "\\Drafts", IMAP_SU_DRAFTS }, { "\\Flagged", IMAP_SU_FLAGGED },
	{ "\\Junk", IMAP_SU_JUNK }, { "\\Sent", IMAP_SU_SENT },
	{ "\\Trash", IMAP_SU_TRASH }, { "\\Important", IMAP_SU_IMPORTANT },
	{ "\\Snoozed", IMAP_SU_SNOOZED },
};

/* CREATE SP mailbox [SP "(" "USE" SP "(" use-attr *(SP use-attr) ")" ")"] */
static int
args_create(struct imap_parser *p, struct imap_cmd *c)
{
	struct imap_create_args *a = &c->a.create;
	if (p_sp(p) < 0 || p_mailbox(p, &a->mailbox) < 0)
		return -1;
	if (!p_try_char(p, ' '))
		return 0;
	if (p_char(p, '(') < 0)
		return -1;
	if (!p_try_word(p, "USE"))
		return p_fail(p, "Unknown CREATE parameter");
	if (p_sp(p) < 0 || p_char(p, '(') < 0)
		return -1;
	for (;;) {
		const char *at;
		if (p_item(p) < 0 || p_char(p, '\\') < 0 ||
		    p_atom(p, &at, NULL) < 0)
			return -1;
		bool found = false;
		for (size_t i = 0; i < sizeof(special_uses) /
		    sizeof(special_uses[0]); i++) {
			if (strcasecmp(special_uses[i].name + 1, at) == 0) {
				a->special_use |= special_uses[i].bit;
				found = true;
			}
		}
		if (!found)
			return p_refuse(p, "USEATTR", "Unsupported special-use attribute");
		if (p_try_char(p, ')'))
			break;
		if (p_sp(p) < 0)
			return -1;
	}
	return p_char(p, ')');
}

static int
args_mailbox(struct imap_parser *p, struct imap_cmd *c)
{
	return p_sp(p) < 0 || p_mailbox(p, &c->a.mailbox) < 0 ? -1 : 0;
}

static int
args_quota_root(struct imap_parser *p, struct imap_cmd *c)
{
	return p_sp(p) < 0 || p_astring(p, &c->a.mailbox) < 0 ? -1 : 0;
}

static int
args_rename(struct imap_parser *p, struct imap_cmd *c)
{
	return p_sp(p) < 0 || p_mailbox(p, &c->a.rename.from) < 0 ||
	    p_sp(p) < 0 || p_mailbox(p, &c->a.rename.to) < 0 ? -1 : 0;
}

static const struct {
	const char *name;
	uint32_t bit;
} status_items[] = {
	{ "MESSAGES", STA_MESSAGES }, { "UIDNEXT", STA_UIDNEXT },
	{ "UIDVALIDITY", STA_UIDVALIDITY }, { "UNSEEN", STA_UNSEEN },
	{ "DELETED", STA_DELETED }, { "SIZE", STA_SIZE },
	{ "RECENT", STA_RECENT }, { "HIGHESTMODSEQ", STA_HIGHESTMODSEQ },
	{ "APPENDLIMIT", STA_APPENDLIMIT },
};

/* "(" status-att *(SP status-att) ")" */
static int
status_list(struct imap_parser *p, uint32_t *items)
{
	if (p_char(p, '(') < 0)
		return -1;
	for (;;) {
		bool found = false;
		for (size_t i = 0; i < sizeof(status_items) /
		    sizeof(status_items[0]); i++) {
			if (p_try_word(p, status_items[i].name)) {
				*items |= status_items[i].bit;
				found = true;
				break;
			}
		}
		if (!found)
			return p_fail(p, "Unknown status item");
		if (p_try_char(p, ')'))
			return 0;
		if (p_sp(p) < 0)
			return -1;
	}
}

static int
args_status(struct imap_parser *p, struct imap_cmd *c)
{
	return p_sp(p) < 0 || p_mailbox(p, &c->a.status.mailbox) < 0 ||
	    p_sp(p) < 0 || status_list(p, &c->a.status.items) < 0 ? -1 : 0;
}

static int
add_pattern(struct imap_parser *p, struct imap_list_args *a, size_t *cap)
{
	if (p_item(p) < 0)
		return -1;
	if (a->npatterns == *cap) {
		size_t ncap = *cap ? *cap * 2 : 4;
		struct imap_str *nv = p_alloc(p, ncap * sizeof(*nv));
		if (nv == NULL)
			return -1;
		if (*cap)
			memcpy(nv, a->patterns, *cap * sizeof(*nv));
		a->patterns = nv;
		*cap = ncap;
	}
	return p_list_mailbox(p, &a->patterns[a->npatterns++]);
}

static int
list_select_opts(struct imap_parser *p, struct imap_list_args *a)
{
	static const struct {
		const char *w;
		uint32_t bit;
	} opts[] = { { "SUBSCRIBED", LS_SUBSCRIBED }, { "REMOTE", LS_REMOTE },
		{ "RECURSIVEMATCH", LS_RECURSIVEMATCH },
		{ "SPECIAL-USE", LS_SPECIAL_USE } };
	bool first = true;
	while (!p_try_char(p, ')')) {
		if (!first && p_sp(p) < 0)
			return -1;
		first = false;
		bool found = false;
		for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
			if (p_try_word(p, opts[i].w)) {
				a->sel |= opts[i].bit;
				found = true;
				break;
			}
		}
		if (!found)
			return p_fail(p, "Unknown LIST selection option");
	}
	/* RFC 5258 3.1: RECURSIVEMATCH alone is an error */
	if ((a->sel & LS_RECURSIVEMATCH) &&
	    !(a->sel & (LS_SUBSCRIBED | LS_SPECIAL_USE)))
		return p_fail(p, "RECURSIVEMATCH needs another selection option");
	return 0;
}

static int
list_return_opts(struct imap_parser *p, struct imap_list_args *a)
{
	if (p_sp(p) < 0 || p_char(p, '(') < 0)
		return -1;
	bool first = true;
	while (!p_try_char(p, ')')) {
		if (!first && p_sp(p) < 0)
			return -1;
		first = false;
		if (p_try_word(p, "SUBSCRIBED"))
			a->ret |= LR_SUBSCRIBED;
		else if (p_try_word(p, "CHILDREN"))
			a->ret |= LR_CHILDREN;
		else if (p_try_word(p, "SPECIAL-USE"))
			a->ret |= LR_SPECIAL_USE;
		else if (p_try_word(p, "STATUS")) {
			a->ret |= LR_STATUS;
			if (p_sp(p) < 0 || status_list(p, &a->status_items) < 0)
				return -1;
		} else
			return p_fail(p, "Unknown LIST return option");
	}
	return 0;
}

/* LIST [SP list-select-opts] SP mailbox SP mbox-or-pat
 * [SP list-return-opts] (RFC 5258, RFC 5819, RFC 6154) */
static int
args_list(struct imap_parser *p, struct imap_cmd *c)
{
	struct imap_list_args *a = &c->a.list;
	size_t cap = 0;
	if (p_sp(p) < 0)
		return -1;
	if (p_try_char(p, '(')) {
		a->extended = true;
		if (list_select_opts(p, a) < 0 || p_sp(p) < 0)
			return -1;
	}
	if (p_astring(p, &a->ref) < 0 || p_sp(p) < 0)
		return -1;
	if (p_try_char(p, '(')) {
		a->extended = true;
		for (;;) {
			if (add_pattern(p, a, &cap) < 0)
				return -1;
			if (p_try_char(p, ')'))
				break;
			if (p_sp(p) < 0)
				return -1;
		}
	} else if (add_pattern(p, a, &cap) < 0) {
		return -1;
	}
	if (p_try_char(p, ' ')) {
		if (!p_try_word(p, "RETURN"))
			return p_fail(p, "Expected RETURN");
		a->extended = true;
		if (list_return_opts(p, a) < 0)
			return -1;
	}
	return 0;
}

static int
args_lsub(struct imap_parser *p, struct imap_cmd *c)
{
	struct imap_list_args *a = &c->a.list;
	size_t cap = 0;
	return p_sp(p) < 0 || p_astring(p, &a->ref) < 0 || p_sp(p) < 0 ||
	    add_pattern(p, a, &cap) < 0 ? -1 : 0;
}

/* APPEND SP mailbox 1*(SP [flag-list SP] [date-time SP] append-data)
 * (MULTIAPPEND, RFC 3502; literal8 for BINARY) */
static int
args_append(struct imap_parser *p, struct imap_cmd *c)
{
	struct imap_append_args *a = &c->a.append;
	size_t cap = 0;
	if (p_sp(p) < 0 || p_mailbox(p, &a->mailbox) < 0)
		return -1;
	if (a->mailbox.ext != NULL)
		return p_fail(p, "Mailbox name too long");
	do {
		if (p_sp(p) < 0 || p_item(p) < 0)
			return -1;
		if (a->nmsgs == cap) {
			size_t ncap = cap ? cap * 2 : 1;
			struct imap_append_msg *nv = p_alloc(p, ncap * sizeof(*nv));
			if (nv == NULL)
				return -1;
			if (cap)
				memcpy(nv, a->msgs, cap * sizeof(*nv));
			a->msgs = nv;
			cap = ncap;
		}
		struct imap_append_msg *m = &a->msgs[a->nmsgs++];
		memset(m, 0, sizeof(*m));
		if (p_peek(p) == '(') {
			if (p_flag_list(p, &m->flags) < 0 || p_sp(p) < 0)
				return -1;
		}
		if (p_peek(p) == '"') {
			if (p_date_time(p, &m->date, &m->tz_minutes) < 0 ||
			    p_sp(p) < 0)
				return -1;
			m->has_date = true;
		}
		if (p_append_data(p, &m->data) < 0)
			return -1;
		if (m->data.ext != NULL && m->data.ext->has_nul && !m->data.binary)
			return p_fail(p, "NUL byte in literal (use literal8)");
	} while (p_peek(p) == ' ');
	return 0;
}

static int
args_search(struct imap_parser *p, struct imap_cmd *c)
{
	return p_search(p, &c->a.search);
}

static int
args_sort(struct imap_parser *p, struct imap_cmd *c)
{
	return p_sort(p, &c->a.search);
}

static int
args_thread(struct imap_parser *p, struct imap_cmd *c)
{
	return p_thread(p, &c->a.search);
}

static int
args_fetch(struct imap_parser *p, struct imap_cmd *c)
{
	return p_fetch(p, &c->a.fetch);
}

/* STORE SP sequence-set [SP "(" UNCHANGEDSINCE SP mod-sequence-valzer ")"]
 * SP ["+" / "-"] "FLAGS" [".SILENT"] SP (flag-list / (flag *(SP flag))) */
static int
args_store(struct imap_parser *p, struct imap_cmd *c)
{
	struct imap_store_args *a = &c->a.store;
	if (p_sp(p) < 0 || p_seqset(p, &a->set) < 0 || p_sp(p) < 0)
		return -1;
	if (p_try_char(p, '(')) {
		if (!p_try_word(p, "UNCHANGEDSINCE"))
			return p_fail(p, "Unknown STORE modifier");
		if (p_sp(p) < 0 || p_number64(p, &a->unchangedsince) < 0 ||
		    p_char(p, ')') < 0 || p_sp(p) < 0)
			return -1;
		a->unchangedsince_set = true;
	}
	a->op = p_try_char(p, '+') ? STORE_ADD :
	    p_try_char(p, '-') ? STORE_REMOVE : STORE_SET;
	if (p_try_word(p, "FLAGS.SILENT"))
		a->silent = true;
	else if (!p_try_word(p, "FLAGS"))
		return p_fail(p, "Expected FLAGS");
	if (p_sp(p) < 0)
		return -1;
	if (p_peek(p) == '(')
		return p_flag_list(p, &a->flags);
	memset(&a->flags, 0, sizeof(a->flags));
	for (;;) {
		if (p_flag(p, &a->flags, false) < 0)
			return -1;
		if (!p_try_char(p, ' '))
			return 0;
	}
}

static int
args_copy(struct imap_parser *p, struct imap_cmd *c)
{
	return p_sp(p) < 0 || p_seqset(p, &c->a.copy.set) < 0 ||
	    p_sp(p) < 0 || p_mailbox(p, &c->a.copy.mailbox) < 0 ? -1 : 0;
}

static int
args_expunge(struct imap_parser *p, struct imap_cmd *c)
{
	if (!c->uid)
		return 0;
	return p_sp(p) < 0 || p_seqset(p, &c->a.expunge) < 0 ? -1 : 0;
}

/* SETQUOTA SP quota-root SP "(" [setquota-resource *(SP ...)] ")" */
static int
args_setquota(struct imap_parser *p, struct imap_cmd *c)
{
	struct imap_setquota_args *a = &c->a.setquota;
	size_t cap = 0;
	if (p_sp(p) < 0 || p_astring(p, &a->root) < 0 || p_sp(p) < 0 ||
	    p_char(p, '(') < 0)
		return -1;
	while (!p_try_char(p, ')')) {
		if (a->n > 0 && p_sp(p) < 0)
			return -1;
		if (p_item(p) < 0)
			return -1;
		if (a->n == cap) {
			size_t ncap = cap ? cap * 2 : 4;
			struct imap_quota_limit *nv = p_alloc(p, ncap * sizeof(*nv));
			if (nv == NULL)
				return -1;
			if (cap)
				memcpy(nv, a->limits, cap * sizeof(*nv));
			a->limits = nv;
			cap = ncap;
		}
		struct imap_quota_limit *l = &a->limits[a->n++];
		if (p_atom_upper(p, &l->resource) < 0 || p_sp(p) < 0 ||
		    p_number64(p, &l->limit) < 0)
			return -1;
	}
	return 0;
}

static const struct {
	const char *name;
	enum imap_cmd_id id;
	parse_fn parse;
	bool uid_ok;        /* may follow "UID" */
} commands[] = {
	{ "CAPABILITY", IMAP_CMD_CAPABILITY, args_none, false },
	{ "NOOP", IMAP_CMD_NOOP, args_none, false },
	{ "LOGOUT", IMAP_CMD_LOGOUT, args_none, false },
	{ "STARTTLS", IMAP_CMD_STARTTLS, args_none, false },
	{ "AUTHENTICATE", IMAP_CMD_AUTHENTICATE, args_authenticate, false },
	{ "LOGIN", IMAP_CMD_LOGIN, args_login, false },
	{ "ENABLE", IMAP_CMD_ENABLE, args_enable, false },
	{ "ID", IMAP_CMD_ID, args_id, false },
	{ "NAMESPACE", IMAP_CMD_NAMESPACE, args_none, false },
	{ "SELECT", IMAP_CMD_SELECT, args_select, false },
	{ "EXAMINE", IMAP_CMD_EXAMINE, args_select, false },
	{ "CREATE", IMAP_CMD_CREATE, args_create, false },
	{ "DELETE", IMAP_CMD_DELETE, args_mailbox, false },
	{ "RENAME", IMAP_CMD_RENAME, args_rename, false },
	{ "SUBSCRIBE", IMAP_CMD_SUBSCRIBE, args_mailbox, false },
	{ "UNSUBSCRIBE", IMAP_CMD_UNSUBSCRIBE, args_mailbox, false },
	{ "LIST", IMAP_CMD_LIST, args_list, false },
	{ "LSUB", IMAP_CMD_LSUB, args_lsub, false },
	{ "STATUS", IMAP_CMD_STATUS, args_status, false },
	{ "APPEND", IMAP_CMD_APPEND, args_append, false },
	{ "IDLE", IMAP_CMD_IDLE, args_none, false },
	{ "CHECK", IMAP_CMD_CHECK, args_none, false },
	{ "CLOSE", IMAP_CMD_CLOSE, args_none, false },
	{ "UNSELECT", IMAP_CMD_UNSELECT, args_none, false },
	{ "EXPUNGE", IMAP_CMD_EXPUNGE, args_expunge, true },
	{ "SEARCH", IMAP_CMD_SEARCH, args_search, true },
	{ "SORT", IMAP_CMD_SORT, args_sort, true },
	{ "THREAD", IMAP_CMD_THREAD, args_thread, true },
	{ "FETCH", IMAP_CMD_FETCH, args_fetch, true },
	{ "STORE", IMAP_CMD_STORE, args_store, true },
	{ "COPY", IMAP_CMD_COPY, args_copy, true },
	{ "MOVE", IMAP_CMD_MOVE, args_copy, true },
	{ "GETQUOTA", IMAP_CMD_GETQUOTA, args_quota_root, false },
	{ "GETQUOTAROOT", IMAP_CMD_GETQUOTAROOT, args_mailbox, false },
	{ "SETQUOTA", IMAP_CMD_SETQUOTA, args_setquota, false },
};

const char *
imap_cmd_name(enum imap_cmd_id id)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (commands[i].id == id)
			return commands[i].name;
	return "?";
}

/* tag = 1*<any ASTRING-CHAR except "+"> */
static int
tag(struct imap_parser *p, struct imap_cmd *c)
{
	size_t s = p->pos;
	while (p->pos < p->len) {
		int ch = p->t[p->pos];
		if (ch <= 0x20 || ch >= 0x7f || ch == '(' || ch == ')' ||
		    ch == '{' || ch == '%' || ch == '*' || ch == '"' ||
		    ch == '\\' || ch == '+')
			break;
		p->pos++;
	}
	size_t n = p->pos - s;
	if (n == 0 || n >= sizeof(c->tag) || p_peek(p) != ' ')
		return p_fail(p, "Invalid tag");
	memcpy(c->tag, p->t + s, n);
	c->tag[n] = '\0';
	return 0;
}

enum imap_parse_result
imap_parse_command(const struct imap_parse_ctx *ctx, const uint8_t *text,
    size_t len, struct imap_cmd *cmd, struct imap_parse_error *err)
{
	struct imap_parser p = { .t = text, .len = len, .ctx = ctx,
		.err = err };
	memset(cmd, 0, sizeof(*cmd));
	err->code = NULL;
	err->msg[0] = '\0';
	if (tag(&p, cmd) < 0)
		return IMAP_PARSE_BAD;   /* cmd->tag stays "": untagged BAD */
	p.pos++;
	const char *word;
	if (p_atom_upper(&p, &word) < 0) {
		p.failed = false;
		p_fail(&p, "Missing command");
		return IMAP_PARSE_BAD;
	}
	if (strcmp(word, "UID") == 0) {
		cmd->uid = true;
		if (p_sp(&p) < 0 || p_atom_upper(&p, &word) < 0)
			return IMAP_PARSE_BAD;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(commands[i].name, word) != 0)
			continue;
		if (cmd->uid && !commands[i].uid_ok) {
			p_fail(&p, "Unknown UID command");
			return IMAP_PARSE_BAD;
		}
		cmd->id = commands[i].id;
		if (commands[i].parse(&p, cmd) < 0 || p_end(&p) < 0)
			return p.no ? IMAP_PARSE_NO : IMAP_PARSE_BAD;
		return IMAP_PARSE_OK;
	}
	p_fail(&p, "Unknown command");
	return IMAP_PARSE_BAD;
}
