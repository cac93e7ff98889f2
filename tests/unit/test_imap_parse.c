/* Unit tests for workers/imap/imap_parse: every command's arguments, the
 * grammar corners (literals, quoting, sequence sets, sections, nested
 * search keys) and the refusals (BAD/NO with the right message). */
#include "check.h"
#include "imap_parse.h"

#include <stdio.h>
#include <string.h>

static struct imap_limits lim = IMAP_DEFAULT_LIMITS;
static struct imap_arena arena;
static struct imap_cmd cmd;
static struct imap_parse_error err;

static enum imap_parse_result
parse(const char *s)
{
	imap_arena_reset(&arena);
	struct imap_parse_ctx ctx = { &lim, &arena, NULL, 0 };
	enum imap_parse_result r = imap_parse_command(&ctx,
	    (const uint8_t *)s, strlen(s), &cmd, &err);
	if (r != IMAP_PARSE_OK && getenv("VERBOSE"))
		fprintf(stderr, "%s -> %s\n", s, err.msg);
	return r;
}

static bool
str_is(const struct imap_str *s, const char *want)
{
	return s->s != NULL && s->len == strlen(want) &&
	    memcmp(s->s, want, s->len) == 0;
}

static void
test_basic(void)
{
	CHECK_EQ(parse("a1 CAPABILITY\r\n"), IMAP_PARSE_OK);
	CHECK_EQ(cmd.id, IMAP_CMD_CAPABILITY);
	CHECK(strcmp(cmd.tag, "a1") == 0);
	CHECK_EQ(parse("a.b]c noop\n"), IMAP_PARSE_OK);   /* ']' in a tag */
	CHECK_EQ(cmd.id, IMAP_CMD_NOOP);
	/* tags: '+' and '*' are not tag characters; no tag -> untagged */
	CHECK_EQ(parse("+a NOOP\r\n"), IMAP_PARSE_BAD);
	CHECK(cmd.tag[0] == '\0');
	CHECK_EQ(parse("* NOOP\r\n"), IMAP_PARSE_BAD);
	CHECK_EQ(parse("\r\n"), IMAP_PARSE_BAD);
	CHECK_EQ(parse("a1\r\n"), IMAP_PARSE_BAD);
	CHECK_EQ(parse("a1 \r\n"), IMAP_PARSE_BAD);
	CHECK(strcmp(cmd.tag, "a1") == 0);
	CHECK_EQ(parse("a1 FROBNICATE\r\n"), IMAP_PARSE_BAD);
	CHECK(strcmp(err.msg, "Unknown command") == 0);
	CHECK(strcmp(cmd.tag, "a1") == 0);
	CHECK_EQ(parse("a1 NOOP extra\r\n"), IMAP_PARSE_BAD);
	CHECK_EQ(parse("a1 NOOP  \r\n"), IMAP_PARSE_BAD);
	CHECK_EQ(parse("a1 UID NOOP\r\n"), IMAP_PARSE_BAD);
	CHECK_EQ(parse("a1 UID\r\n"), IMAP_PARSE_BAD);
	/* 8-bit garbage and NUL */
	CHECK_EQ(parse("a1 \xff\xfe\r\n"), IMAP_PARSE_BAD);
	CHECK_EQ(parse("a\xc3\xa9 NOOP\r\n"), IMAP_PARSE_BAD);
}

static void
test_strings(void)
{
	CHECK_EQ(parse("a LOGIN bob secret\r\n"), IMAP_PARSE_OK);
	CHECK(str_is(&cmd.a.login.user, "bob"));
	CHECK(str_is(&cmd.a.login.pass, "secret"));
	CHECK_EQ(parse("a LOGIN \"b o\\\"b\\\\\" \"\"\r\n"), IMAP_PARSE_OK);
	CHECK(str_is(&cmd.a.login.user, "b o\"b\\"));
	CHECK(cmd.a.login.pass.s != NULL && cmd.a.login.pass.len == 0);
	CHECK_EQ(parse("a LOGIN {3}\r\nb\"b {5+}\r\np\r\nss\r\n"), IMAP_PARSE_OK);
	CHECK(str_is(&cmd.a.login.user, "b\"b"));
	CHECK(str_is(&cmd.a.login.pass, "p\r\nss"));
	CHECK(cmd.a.login.pass.literal);
	CHECK_EQ(parse("a LOGIN {0}\r\n {0}\r\n\r\n"), IMAP_PARSE_OK);
	CHECK(cmd.a.login.user.len == 0);
	/* bad escapes, unterminated, CR in quoted, NUL in a literal */
	CHECK_EQ(parse("a LOGIN \"a\\b\" x\r\n"), IMAP_PARSE_BAD);
	CHECK_EQ(parse("a LOGIN \"abc x\r\n"), IMAP_PARSE_BAD);
	CHECK_EQ(parse("a LOGIN {4}\r\nab\r\n"), IMAP_PARSE_BAD);
	static const char nul[] = "a LOGIN {3}\r\na\0b x\r\n";
	imap_arena_reset(&arena);
	struct imap_parse_ctx ctx = { &lim, &arena, NULL, 0 };
	CHECK_EQ(imap_parse_command(&ctx, (const uint8_t *)nul, sizeof(nul) - 1,
	    &cmd, &err), IMAP_PARSE_BAD);
	/* binary literals only where allowed */
	CHECK_EQ(parse("a LOGIN ~{1}\r\nx y\r\n"), IMAP_PARSE_BAD);
	/* atoms exclude specials */
	CHECK_EQ(parse("a LOGIN b(b x\r\n"), IMAP_PARSE_BAD);
	CHECK_EQ(parse("a LOGIN b%b x\r\n"), IMAP_PARSE_BAD);
	CHECK_EQ(parse("a LOGIN b]b x\r\n"), IMAP_PARSE_OK);  /* astring */
}

static void
test_seqsets(void)
{
	CHECK_EQ(parse("a FETCH 1:3,5,7:*,*:9,$ FLAGS\r\n"), IMAP_PARSE_BAD);
	CHECK_EQ(parse("a FETCH 1:3,5,7:*,*,9:4 FLAGS\r\n"), IMAP_PARSE_OK);
	struct imap_seqset *s = &cmd.a.fetch.set;
	CHECK_EQ(s->n, 5);
	CHECK(s->r[0].lo == 1 && s->r[0].hi == 3);
	CHECK(s->r[1].lo == 5 && s->r[1].hi == 5);
	CHECK(s->r[2].lo == 7 && s->r[2].hi == IMAP_STAR);
	CHECK(s->r[3].lo == IMAP_STAR && s->r[3].hi == IMAP_STAR);
	CHECK(s->r[4].lo == 4 && s->r[4].hi == 9);
	CHECK_EQ(parse("a FETCH $ FLAGS\r\n"), IMAP_PARSE_OK);
	CHECK(cmd.a.fetch.set.saved);
	CHECK_EQ(parse("a FETCH 0 FLAGS\r\n"), IMAP_PARSE_BAD);
	CHECK_EQ(parse("a FETCH 1: FLAGS\r\n"), IMAP_PARSE_BAD);
	CHECK_EQ(parse("a FETCH 1,,2 FLAGS\r\n"), IMAP_PARSE_BAD);
	CHECK_EQ(parse("a FETCH 4294967295 FLAGS\r\n"), IMAP_PARSE_OK);
	CHECK_EQ(parse("a FETCH 4294967296 FLAGS\r\n"), IMAP_PARSE_BAD);
	CHECK_EQ(parse("a FETCH -1 FLAGS\r\n"), IMAP_PARSE_BAD);
}

static void
test_fetch(void)
{
	CHECK_EQ(parse("a UID FETCH 1:* (FLAGS UID BODY.PEEK[HEADER.FIELDS "
	    "(From \"To\" {2}\r\nCc)]<0.100> BODY[1.2.MIME] BINARY[3]<5.6> "
	    "BINARY.SIZE[] RFC822.SIZE MODSEQ BODYSTRUCTURE BODY ENVELOPE "
	    "INTERNALDATE RFC822 RFC822.HEADER RFC822.TEXT BODY[] "
	    "BODY[TEXT]<7.8>) (CHANGEDSINCE 12345 VANISHED)\r\n"),
	    IMAP_PARSE_OK);
	CHECK(cmd.uid);
	CHECK_EQ(cmd.id, IMAP_CMD_FETCH);
	struct imap_fatt *a = cmd.a.fetch.atts;
	enum imap_fatt_type want[] = { FA_FLAGS, FA_UID, FA_SECTION, FA_SECTION,
		FA_BINARY, FA_BINARY_SIZE, FA_RFC822_SIZE, FA_MODSEQ,
		FA_BODYSTRUCTURE, FA_BODY, FA_ENVELOPE, FA_INTERNALDATE,
		FA_RFC822, FA_RFC822_HEADER, FA_RFC822_TEXT, FA_SECTION,
		FA_SECTION };
	size_t i = 0;
	for (; a != NULL && i < sizeof(want) / sizeof(want[0]); a = a->next, i++)
		CHECK_EQ(a->type, want[i]);
	CHECK_EQ(i, sizeof(want) / sizeof(want[0]));
	CHECK(a == NULL);
	a = cmd.a.fetch.atts->next->next;
	CHECK(a->peek && a->partial && a->p_off == 0 && a->p_len == 100);
	CHECK_EQ(a->sec.spec, SEC_HEADER_FIELDS);
	CHECK_EQ(a->sec.nfields, 3);
	CHECK(strcmp(a->sec.fields[0], "From") == 0);
	CHECK(strcmp(a->sec.fields[2], "Cc") == 0);
	a = a->next;
	CHECK(!a->peek && a->sec.nparts == 2 && a->sec.part[1] == 2 &&
	    a->sec.spec == SEC_MIME);
	a = a->next;
	CHECK(a->sec.nparts == 1 && a->sec.part[0] == 3 && a->p_off == 5);
	CHECK(cmd.a.fetch.changedsince_set && cmd.a.fetch.changedsince == 12345);
	CHECK(cmd.a.fetch.vanished);
	/* macros */
	CHECK_EQ(parse("a FETCH 1 ALL\r\n"), IMAP_PARSE_OK);
	i = 0;
	for (a = cmd.a.fetch.atts; a; a = a->next)
		i++;
	CHECK_EQ(i, 4);
	CHECK_EQ(parse("a FETCH 1 FULL\r\n"), IMAP_PARSE_OK);
	CHECK_EQ(parse("a FETCH 1 fast\r\n"), IMAP_PARSE_OK);
	CHECK_EQ(parse("a FETCH 1 body[header]\r\n"), IMAP_PARSE_OK);
	/* refusals */
	CHECK_EQ(parse("a FETCH 1 (FLAGS\r\n"), IMAP_PARSE_BAD);
	CHECK_EQ(parse("a FETCH 1 FLAGS)\r\n"), IMAP_PARSE_BAD);
	CHECK_EQ(parse("a FETCH 1 ()\r\n"), IMAP_PARSE_BAD);
	CHECK_EQ(parse("a FETCH 1 (FLAGS ALL)\r\n"), IMAP_PARSE_BAD);
	CHECK_EQ(parse("a FETCH 1 BODY[MIME]\r\n"), IMAP_PARSE_BAD);
	CHECK_EQ(parse("a FETCH 1 BODY[0]\r\n"), IMAP_PARSE_BAD);
	CHECK_EQ(parse("a FETCH 1 BODY[1.]\r\n"), IMAP_PARSE_BAD);
	CHECK_EQ(parse("a FETCH 1 BODY[HEADER.FIELDS ()]\r\n"), IMAP_PARSE_BAD);
	CHECK_EQ(parse("a FETCH 1 BODY[]<1.0>\r\n"), IMAP_PARSE_BAD);
	CHECK_EQ(parse("a FETCH 1 BODY[]<1>\r\n"), IMAP_PARSE_BAD);
	CHECK_EQ(parse("a FETCH 1 BINARY[TEXT]\r\n"), IMAP_PARSE_BAD);
	CHECK_EQ(parse("a FETCH 1 BODYX\r\n"), IMAP_PARSE_BAD);
	CHECK_EQ(parse("a FETCH 1 FLAGS (VANISHED)\r\n"), IMAP_PARSE_BAD);
	CHECK_EQ(parse("a FETCH 1 FLAGS (CHANGEDSINCE 0)\r\n"), IMAP_PARSE_BAD);
	CHECK_EQ(parse("a FETCH 1 BODY[1.2.3.4.5.6.7.8.9.10.11.12.13.14.15.16.17]"
	    "\r\n"), IMAP_PARSE_BAD);
}

static int
count_and(const struct imap_skey *k)
{
	int n = 0;
	for (k = k->kid; k; k = k->next)
		n++;
	return n;
}

static void
test_search(void)
{
	CHECK_EQ(parse("a SEARCH ALL\r\n"), IMAP_PARSE_OK);
	CHECK(!cmd.a.search.esearch);
	CHECK_EQ(cmd.a.search.key->type, SK_AND);
	CHECK_EQ(cmd.a.search.key->kid->type, SK_ALL);
	/* every RFC 3501 key, and the later ones */
	CHECK_EQ(parse("a UID SEARCH RETURN (MIN MAX COUNT ALL SAVE) CHARSET "
	    "UTF-8 ANSWERED BCC x BEFORE 1-Feb-2020 BODY \"y z\" CC c DELETED "
	    "DRAFT FLAGGED FROM f HEADER X-Foo \"\" KEYWORD $Junk LARGER 100 "
	    "NEW NOT SEEN OLD ON \"29-Feb-2024\" OR RECENT (SMALLER 5 UID 1:4) "
	    "SEEN SENTBEFORE 1-Jan-2000 SENTON 1-Jan-2000 SENTSINCE 1-Jan-2000 "
	    "SINCE 01-Jan-1970 SUBJECT {2}\r\nhi TEXT t TO to UNANSWERED "
	    "UNDELETED UNDRAFT UNFLAGGED UNKEYWORD foo UNSEEN 1,3:* $ "
	    "MODSEQ 5 MODSEQ \"/flags/\\\\draft\" all 7 OLDER 60 YOUNGER 1\r\n"),
	    IMAP_PARSE_OK);
	struct imap_search_args *s = &cmd.a.search;
	CHECK(s->esearch);
	CHECK_EQ(s->ret, SR_MIN | SR_MAX | SR_COUNT | SR_ALL | SR_SAVE);
	CHECK_EQ(count_and(s->key), 37);
	struct imap_skey *k = s->key->kid;
	CHECK(k->type == SK_FLAG && k->flag == IMAP_F_ANSWERED && !k->negate);
	k = k->next;
	CHECK(k->type == SK_HEADER && str_is(&k->str, "BCC") &&
	    str_is(&k->str2, "x"));
	k = k->next;
	CHECK(k->type == SK_BEFORE && k->day == 18293);
	/* nesting */
	CHECK_EQ(parse("a SEARCH OR (FROM a NOT (TO b)) NOT NOT OR 1 2 3\r\n"),
	    IMAP_PARSE_OK);
	k = cmd.a.search.key->kid;
	CHECK_EQ(k->type, SK_OR);
	CHECK_EQ(k->kid->type, SK_AND);
	CHECK_EQ(k->kid2->type, SK_NOT);
	CHECK_EQ(k->next->type, SK_SEQSET);
	CHECK_EQ(parse("a SEARCH RETURN () ALL\r\n"), IMAP_PARSE_OK);
	CHECK_EQ(cmd.a.search.ret, SR_ALL);
	/* depth bound */
	char deep[600];
	size_t n = (size_t)snprintf(deep, sizeof(deep), "a SEARCH ");
	for (int i = 0; i < 40; i++)
		deep[n++] = '(';
	n += (size_t)snprintf(deep + n, sizeof(deep) - n, "ALL");
	for (int i = 0; i < 40; i++)
		deep[n++] = ')';
	snprintf(deep + n, sizeof(deep) - n, "\r\n");
	CHECK_EQ(parse(deep), IMAP_PARSE_BAD);
	CHECK(strstr(err.msg, "deep") != NULL);
	n = (size_t)snprintf(deep, sizeof(deep), "a SEARCH ");
	for (int i = 0; i < 40; i++)
		n += (size_t)snprintf(deep + n, sizeof(deep) - n, "NOT ");
	snprintf(deep + n, sizeof(deep) - n, "ALL\r\n");
	CHECK_EQ(parse(deep), IMAP_PARSE_BAD);
	/* unbalanced, unknown, missing */
	CHECK_EQ(parse("a SEARCH (ALL\r\n"), IMAP_PARSE_BAD);
	CHECK_EQ(parse("a SEARCH ALL)\r\n"), IMAP_PARSE_BAD);
	CHECK_EQ(parse("a SEARCH ()\r\n"), IMAP_PARSE_BAD);
	CHECK_EQ(parse("a SEARCH\r\n"), IMAP_PARSE_BAD);
	CHECK_EQ(parse("a SEARCH FOO\r\n"), IMAP_PARSE_BAD);
	CHECK_EQ(parse("a SEARCH OR ALL\r\n"), IMAP_PARSE_BAD);
	CHECK_EQ(parse("a SEARCH BEFORE 30-Feb-2020\r\n"), IMAP_PARSE_BAD);
	CHECK_EQ(parse("a SEARCH BEFORE 29-Feb-2023\r\n"), IMAP_PARSE_BAD);
	CHECK_EQ(parse("a SEARCH BEFORE 1-Foo-2020\r\n"), IMAP_PARSE_BAD);
	CHECK_EQ(parse("a SEARCH KEYWORD \\Seen\r\n"), IMAP_PARSE_BAD);
	CHECK_EQ(parse("a SEARCH HEADER a:b c\r\n"), IMAP_PARSE_BAD);
	/* charset: well formed but refused with a code */
	CHECK_EQ(parse("a SEARCH CHARSET KOI8-R ALL\r\n"), IMAP_PARSE_NO);
	CHECK(err.code != NULL && strncmp(err.code, "BADCHARSET", 10) == 0);
}

static void
test_store(void)
{
	CHECK_EQ(parse("a STORE 1:2 +FLAGS.SILENT (\\Seen \\deleted $Label)\r\n"),
	    IMAP_PARSE_OK);
	struct imap_store_args *s = &cmd.a.store;
	CHECK_EQ(s->op, STORE_ADD);
	CHECK(s->silent);
	CHECK_EQ(s->flags.sys, IMAP_F_SEEN | IMAP_F_DELETED);
	CHECK_EQ(s->flags.nkw, 1);
	CHECK(strcmp(s->flags.kw[0], "$Label") == 0);
	CHECK_EQ(parse("a UID STORE 5 (UNCHANGEDSINCE 0) -FLAGS \\Draft foo\r\n"),
	    IMAP_PARSE_OK);
	CHECK(cmd.uid && cmd.a.store.unchangedsince_set &&
	    cmd.a.store.unchangedsince == 0 && cmd.a.store.op == STORE_REMOVE);
	CHECK_EQ(cmd.a.store.flags.nkw, 1);
	CHECK_EQ(parse("a STORE 1 FLAGS ()\r\n"), IMAP_PARSE_OK);
	CHECK_EQ(cmd.a.store.op, STORE_SET);
	CHECK_EQ(parse("a STORE 1 FLAGS (\\Recent)\r\n"), IMAP_PARSE_BAD);
	CHECK_EQ(parse("a STORE 1 FLAGS (\\Bogus)\r\n"), IMAP_PARSE_BAD);
	CHECK_EQ(parse("a STORE 1 *FLAGS (\\Seen)\r\n"), IMAP_PARSE_BAD);
	CHECK_EQ(parse("a STORE 1 FLAGS\r\n"), IMAP_PARSE_BAD);
}

static void
test_mailbox_commands(void)
{
	CHECK_EQ(parse("a SELECT inbox\r\n"), IMAP_PARSE_OK);
	CHECK(str_is(&cmd.a.select.mailbox, "INBOX"));
	CHECK_EQ(parse("a SELECT \"Sent Items\" (CONDSTORE)\r\n"), IMAP_PARSE_OK);
	CHECK(cmd.a.select.condstore);
	CHECK_EQ(parse("a SELECT INBOX (QRESYNC (67890007 20050715194045000 "
	    "41,43:211,214:541 (1,3:4 5,7:8)))\r\n"), IMAP_PARSE_OK);
	struct imap_select_args *q = &cmd.a.select;
	CHECK(q->qresync && q->q_uidvalidity == 67890007 &&
	    q->q_modseq == 20050715194045000ull);
	CHECK_EQ(q->q_known_uids.n, 3);
	CHECK_EQ(q->q_match_seqs.n, 2);
	CHECK_EQ(parse("a EXAMINE INBOX (QRESYNC (1 2))\r\n"), IMAP_PARSE_OK);
	CHECK_EQ(parse("a SELECT INBOX (QRESYNC (1 2 (1 2)))\r\n"), IMAP_PARSE_OK);
	CHECK_EQ(parse("a SELECT INBOX (FOO)\r\n"), IMAP_PARSE_BAD);
	CHECK_EQ(parse("a SELECT \"\"\r\n"), IMAP_PARSE_BAD);
	CHECK_EQ(parse("a CREATE Archive2 (USE (\\Archive \\Sent))\r\n"),
	    IMAP_PARSE_OK);
	CHECK_EQ(cmd.a.create.special_use, IMAP_SU_ARCHIVE | IMAP_SU_SENT);
	CHECK_EQ(parse("a CREATE X (USE (\\Nope))\r\n"), IMAP_PARSE_NO);
	CHECK_EQ(parse("a RENAME a b\r\n"), IMAP_PARSE_OK);
	CHECK_EQ(parse("a RENAME a\r\n"), IMAP_PARSE_BAD);
	CHECK_EQ(parse("a DELETE x\r\n"), IMAP_PARSE_OK);
	CHECK_EQ(parse("a SUBSCRIBE x\r\n"), IMAP_PARSE_OK);
	CHECK_EQ(parse("a UNSUBSCRIBE x\r\n"), IMAP_PARSE_OK);
	CHECK_EQ(parse("a STATUS INBOX (MESSAGES UIDNEXT UIDVALIDITY UNSEEN "
	    "DELETED SIZE RECENT HIGHESTMODSEQ)\r\n"), IMAP_PARSE_OK);
	CHECK_EQ(cmd.a.status.items, 0xff);
	CHECK_EQ(parse("a STATUS INBOX ()\r\n"), IMAP_PARSE_BAD);
	CHECK_EQ(parse("a STATUS INBOX (FOO)\r\n"), IMAP_PARSE_BAD);
	/* LIST: plain, extended, patterns */
	CHECK_EQ(parse("a LIST \"\" *\r\n"), IMAP_PARSE_OK);
	CHECK(!cmd.a.list.extended);
	CHECK(cmd.a.list.ref.len == 0 && str_is(&cmd.a.list.patterns[0], "*"));
	CHECK_EQ(parse("a LIST \"\" %/a]*\r\n"), IMAP_PARSE_OK);
	CHECK_EQ(parse("a LIST (SUBSCRIBED RECURSIVEMATCH) \"\" (INBOX \"Sent*\")"
	    " RETURN (CHILDREN SPECIAL-USE STATUS (MESSAGES UNSEEN))\r\n"),
	    IMAP_PARSE_OK);
	struct imap_list_args *l = &cmd.a.list;
	CHECK(l->extended && l->sel == (LS_SUBSCRIBED | LS_RECURSIVEMATCH));
	CHECK(l->ret == (LR_CHILDREN | LR_SPECIAL_USE | LR_STATUS));
	CHECK(l->status_items == (STA_MESSAGES | STA_UNSEEN));
	CHECK_EQ(l->npatterns, 2);
	CHECK_EQ(parse("a LIST (RECURSIVEMATCH) \"\" *\r\n"), IMAP_PARSE_BAD);
	CHECK_EQ(parse("a LIST \"\" * RETURN ()\r\n"), IMAP_PARSE_OK);
	CHECK_EQ(parse("a LSUB \"\" *\r\n"), IMAP_PARSE_OK);
	CHECK_EQ(parse("a COPY 1:3 Trash\r\n"), IMAP_PARSE_OK);
	CHECK_EQ(parse("a UID MOVE 1:3 \"Trash\"\r\n"), IMAP_PARSE_OK);
	CHECK(cmd.uid && cmd.id == IMAP_CMD_MOVE);
	CHECK_EQ(parse("a UID EXPUNGE 3:5\r\n"), IMAP_PARSE_OK);
	CHECK_EQ(cmd.a.expunge.n, 1);
	CHECK_EQ(parse("a EXPUNGE 3:5\r\n"), IMAP_PARSE_BAD);
	CHECK_EQ(parse("a GETQUOTAROOT INBOX\r\n"), IMAP_PARSE_OK);
	CHECK_EQ(parse("a GETQUOTA \"\"\r\n"), IMAP_PARSE_OK);
	CHECK_EQ(parse("a SETQUOTA \"\" (STORAGE 512 MESSAGE 10)\r\n"),
	    IMAP_PARSE_OK);
	CHECK_EQ(cmd.a.setquota.n, 2);
	CHECK(strcmp(cmd.a.setquota.limits[1].resource, "MESSAGE") == 0);
}

static void
test_session_commands(void)
{
	CHECK_EQ(parse("a AUTHENTICATE plain\r\n"), IMAP_PARSE_OK);
	CHECK(strcmp(cmd.a.auth.mech, "PLAIN") == 0 && !cmd.a.auth.has_ir);
	CHECK_EQ(parse("a AUTHENTICATE PLAIN AGJvYgBwdw==\r\n"), IMAP_PARSE_OK);
	CHECK(cmd.a.auth.has_ir && str_is(&cmd.a.auth.ir, "AGJvYgBwdw=="));
	CHECK_EQ(parse("a AUTHENTICATE PLAIN =\r\n"), IMAP_PARSE_OK);
	CHECK(cmd.a.auth.has_ir && cmd.a.auth.ir.len == 0);
	CHECK_EQ(parse("a AUTHENTICATE PLAIN !!\r\n"), IMAP_PARSE_BAD);
	CHECK_EQ(parse("a ENABLE CONDSTORE qresync\r\n"), IMAP_PARSE_OK);
	CHECK(cmd.a.enable.n == 2 && strcmp(cmd.a.enable.v[1], "QRESYNC") == 0);
	CHECK_EQ(parse("a ENABLE\r\n"), IMAP_PARSE_BAD);
	CHECK_EQ(parse("a ID (\"name\" \"x\" \"version\" NIL)\r\n"), IMAP_PARSE_OK);
	CHECK(cmd.a.id.n == 2 && cmd.a.id.kv[3] == NULL);
	CHECK_EQ(parse("a ID NIL\r\n"), IMAP_PARSE_OK);
	CHECK_EQ(parse("a ID (\"name\")\r\n"), IMAP_PARSE_BAD);
	CHECK_EQ(parse("a IDLE\r\n"), IMAP_PARSE_OK);
	CHECK_EQ(parse("a NAMESPACE\r\n"), IMAP_PARSE_OK);
}

static void
test_append(void)
{
	/* through the reader, so that the big literal is spooled */
	struct imap_reader r;
	imap_reader_init(&r, &lim);
	char in[8000];
	int n = snprintf(in, sizeof(in), "a APPEND Drafts (\\Draft $x) "
	    "\" 5-Mar-2024 10:11:12 -0130\" {2000+}\r\n");
	memset(in + n, 'm', 2000);
	n += 2000;
	n += snprintf(in + n, sizeof(in) - (size_t)n,
	    " {5+}\r\nsmall ~{3+}\r\nbin\r\n");
	size_t used;
	CHECK_EQ(imap_reader_feed(&r, (const uint8_t *)in, (size_t)n, &used),
	    RD_COMMAND);
	size_t len;
	const uint8_t *t = imap_reader_text(&r, &len);
	imap_arena_reset(&arena);
	struct imap_parse_ctx ctx = { &lim, &arena, &r, 0 };
	CHECK_EQ(imap_parse_command(&ctx, t, len, &cmd, &err), IMAP_PARSE_OK);
	struct imap_append_args *a = &cmd.a.append;
	CHECK(str_is(&a->mailbox, "Drafts"));
	CHECK_EQ(a->nmsgs, 3);
	CHECK(a->msgs[0].has_date && a->msgs[0].tz_minutes == -90);
	/* 2024-03-05 10:11:12 -0130 = 11:41:12 UTC */
	CHECK_EQ(a->msgs[0].date, 1709638872);
	CHECK_EQ(a->msgs[0].flags.sys, IMAP_F_DRAFT);
	CHECK(a->msgs[0].data.ext != NULL && a->msgs[0].data.len == 2000);
	CHECK(a->msgs[1].data.ext == NULL && str_is(&a->msgs[1].data, "small"));
	CHECK(a->msgs[2].data.binary && str_is(&a->msgs[2].data, "bin"));
	imap_reader_next(&r);
	imap_reader_free(&r);
	CHECK_EQ(parse("a APPEND INBOX \"x\"\r\n"), IMAP_PARSE_BAD);
	CHECK_EQ(parse("a APPEND INBOX\r\n"), IMAP_PARSE_BAD);
	CHECK_EQ(parse("a APPEND INBOX \"31-Jun-2024 10:11:12 +0000\" {1}\r\nx\r\n"),
	    IMAP_PARSE_BAD);
}

static void
test_item_bound(void)
{
	/* more items than max_items: BAD, not memory */
	struct imap_limits small = lim;
	small.max_items = 50;
	static char big[4000];
	size_t n = (size_t)snprintf(big, sizeof(big), "a FETCH 1 (");
	for (int i = 0; i < 100; i++)
		n += (size_t)snprintf(big + n, sizeof(big) - n, "UID ");
	snprintf(big + n - 1, sizeof(big) - n, ")\r\n");
	imap_arena_reset(&arena);
	struct imap_parse_ctx ctx = { &small, &arena, NULL, 0 };
	CHECK_EQ(imap_parse_command(&ctx, (const uint8_t *)big, strlen(big),
	    &cmd, &err), IMAP_PARSE_BAD);
	n = (size_t)snprintf(big, sizeof(big), "a FETCH ");
	for (int i = 0; i < 100; i++)
		n += (size_t)snprintf(big + n, sizeof(big) - n, "%d,", i + 1);
	snprintf(big + n - 1, sizeof(big) - n, " UID\r\n");
	imap_arena_reset(&arena);
	CHECK_EQ(imap_parse_command(&ctx, (const uint8_t *)big, strlen(big),
	    &cmd, &err), IMAP_PARSE_BAD);
}

int
main(void)
{
	imap_arena_init(&arena, 4 * 1024 * 1024);
	test_basic();
	test_strings();
	test_seqsets();
	test_fetch();
	test_search();
	test_store();
	test_mailbox_commands();
	test_session_commands();
	test_append();
	test_item_bound();
	imap_arena_reset(&arena);
	return check_done("imap_parse");
}
