/* Unit tests for sieve_run: scripts run against one test message, each
 * result rendered as a line ("fileinto INBOX.lists [\\Seen]; keep*" where
 * * marks the implicit keep) and compared; budgets that stop a hostile
 * script and fall back to the implicit keep. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "check.h"
#include "sieve.h"
#include "sieve_run.h"
#include "sieve_test_msg.h"

static const char *const fields[][2] = {
	{ "From", "\"Boss, The\" <boss+work@Example.COM>" },
	{ "To", "me@example.org, \"List\" <list@lists.example.net>" },
	{ "Cc", "a@x.example, b@y.example (Bee), group: c@z.example;" },
	{ "Subject", "[ietf] Make Money Fast" },
	{ "Received", "from a by b; Mon, 1 Jan 2024 10:00:00 +0000" },
	{ "Received", "from c by d; Mon, 1 Jan 2024 09:00:00 +0000" },
	{ "List-ID", "IETF filters <mta-filters.ietf.org>" },
	{ "X-Spam-Score", "7" },
	{ "Message-ID", "<dup@example.com>" },
	{ "Content-Type", "multipart/mixed; boundary=\"x\"" },
};

static const struct sieve_test_fields table = { fields,
	sizeof(fields) / sizeof(fields[0]) };

static int
body(void *ctx, enum sieve_body_transform t, const char *const *types,
    size_t ntypes, const char **text, size_t *len)
{
	(void)ctx;
	(void)types;
	(void)ntypes;
	*text = t == SIEVE_BODY_RAW ? "Q29udHJhY3Q=\r\n" : "Please sign the contract.\r\n";
	*len = strlen(*text);
	return 0;
}

static int
mailbox_exists(void *ctx, const char *name)
{
	(void)ctx;
	return strcmp(name, "Spam") == 0;
}

/* Seen before: the Message-ID under handle "h", nothing else. */
static int
duplicate(void *ctx, const char *handle, const char *id, size_t idlen,
    uint64_t seconds, bool last)
{
	(void)ctx;
	(void)last;
	return strcmp(handle, "h") == 0 && seconds == 60 && idlen == 17 &&
	    memcmp(id, "<dup@example.com>", 17) == 0;
}

/* The parts below the message: depth-first, with their parents. */
static const char *const part_types[] = { NULL, "text/plain; charset=utf-8",
	"multipart/alternative; boundary=y", "text/html",
	"application/pdf; name=\"report.pdf\"" };
static const size_t part_parents[] = { 0, 0, 0, 2, 0 };

static size_t
part_parent(void *ctx, size_t part)
{
	(void)ctx;
	return part_parents[part];
}

static int
part_header(void *ctx, size_t part, const char *name, size_t i,
    const char **v, size_t *len)
{
	if (part == 0)
		return sieve_test_header(ctx, name, i, v, len);
	if (i != 0 || strcasecmp(name, "Content-Type") != 0)
		return -1;
	*v = part_types[part];
	*len = strlen(*v);
	return 0;
}

static int
part_text(void *ctx, size_t part, const char **text, size_t *len)
{
	(void)ctx;
	if (part != 1 && part != 3)
		return -1;
	*text = part == 1 ? "Hello there" : "<p>Hi</p>";
	*len = strlen(*text);
	return 0;
}

/* Scripts include finds, loaded once in main(). */
static const char *const include_names[] = { "lists", "count", "self", "stop" };
static const char *const include_src[] = {
	"require [\"include\", \"variables\", \"fileinto\"];\nglobal \"box\";\n"
	"fileinto \"${box}${local}\"; set \"box\" \"Changed\"; set \"local\" \"theirs\";\n"
	"return; discard;",
	"require [\"include\", \"variables\"];\nglobal \"n\"; set \"n\" \"${n}1\";",
	"require \"include\";\ninclude \"self\";",
	"discard; stop;",
};
static struct sieve_program *included[4];

static const struct sieve_program *
include(void *ctx, const char *name, bool global)
{
	(void)ctx;
	for (size_t i = 0; i < 4 && !global; i++)
		if (strcmp(name, include_names[i]) == 0)
			return included[i];
	return NULL;
}

static void
load_included(void)
{
	for (size_t i = 0; i < 4; i++) {
		struct buf prog = BUF_INIT(SIEVE_MAX_PROGRAM);
		struct sieve_error err;
		CHECK_EQ(sieve_compile(include_src[i], strlen(include_src[i]),
		    &prog, &err), 0);
		included[i] = sieve_load(prog.data, prog.len, &err);
		CHECK(included[i] != NULL);
		buf_free(&prog);
	}
}

/* Delivered at 2024-01-01 10:00:00 UTC (a Monday) by a server at +0100. */
static const struct sieve_message msg = { (void *)&table, sieve_test_header, body,
	"sender@example.com", "me+lists@example.org", 20000, 1704103200, 60,
	mailbox_exists, duplicate, 5, part_parent, part_header, part_text,
	include, true };
/* The message the cases run on: msg, or a copy of it. */
static const struct sieve_message *cur = &msg;

static void
render(const struct sieve_result *res, char *out, size_t n)
{
	static const char *const names[] = { "", "keep", "fileinto",
		"discard", "redirect", "reject", "ereject", "vacation", "notify",
		"replace", "enclose" };
	size_t k = 0;
	out[0] = '\0';
	for (size_t i = 0; i < res->n && k < n; i++) {
		const struct sieve_action *a = &res->actions[i];
		k += (size_t)snprintf(out + k, n - k, "%s%s%s%s%s%s",
		    i ? "; " : "", names[a->type], a->arg ? " " : "",
		    a->arg ? a->arg : "", a->copy ? " :copy" : "",
		    a->implicit ? "*" : "");
		for (size_t f = 0; f < a->nflags && k < n; f++)
			k += (size_t)snprintf(out + k, n - k, "%s%s%s",
			    f ? " " : " [", a->flags[f],
			    f + 1 == a->nflags ? "]" : "");
		if (a->type == SIEVE_ACT_VACATION && k < n)
			k += (size_t)snprintf(out + k, n - k, " %llus",
			    (unsigned long long)a->seconds);
		if (a->type >= SIEVE_ACT_REPLACE && k < n)
			k += (size_t)snprintf(out + k, n - k, " @%zu%s%s%s%s%s",
			    a->part, a->mime ? " :mime" : "",
			    a->subject ? " :subject " : "",
			    a->subject ? a->subject : "",
			    a->from ? " :from " : "", a->from ? a->from : "");
		for (size_t h = 0; h < a->nheaders && k < n; h++)
			k += (size_t)snprintf(out + k, n - k, " +%s",
			    a->headers[h]);
		if (a->type == SIEVE_ACT_NOTIFY && k < n)
			k += (size_t)snprintf(out + k, n - k, " (%s) %s %zu",
			    a->importance, a->message ? a->message : "-",
			    a->noptions);
	}
}

/* Runs src; its rendered actions must be want, and why must hold
 * fail_why (NULL: the run must succeed). */
static void
run_case(const char *src, const char *want, const char *fail_why,
    const struct sieve_budget *budget)
{
	struct buf prog = BUF_INIT(SIEVE_MAX_PROGRAM);
	struct sieve_error err;
	char got[1024], why[256];
	if (sieve_compile(src, strlen(src), &prog, &err) < 0) {
		sieve_error_format(&err, why, sizeof(why));
		fprintf(stderr, "does not compile: %s\n%s\n", why, src);
		CHECK(!"compiles");
		buf_free(&prog);
		return;
	}
	struct sieve_program *p = sieve_load(prog.data, prog.len, &err);
	CHECK(p != NULL);
	struct sieve_result res;
	int rc = sieve_run(p, cur, budget, &res);
	render(&res, got, sizeof(got));
	if (strcmp(got, want) != 0)
		fprintf(stderr, "script:\n%s\nwant \"%s\"\n got \"%s\" (%s)\n",
		    src, want, got, res.why);
	CHECK(strcmp(got, want) == 0);
	CHECK_EQ(rc, fail_why ? -1 : 0);
	if (fail_why != NULL && strstr(res.why, fail_why) == NULL) {
		fprintf(stderr, "want why \"%s\", got \"%s\"\n", fail_why,
		    res.why);
		CHECK(!"why");
	}
	sieve_result_free(&res);
	sieve_program_free(p);
	buf_free(&prog);
}

#define RUN(src, want) run_case(src, want, NULL, NULL)

/* replace and enclose (RFC 5703 sections 6, 7) are actions for the
 * caller, in order, with the part they replace. */
static void
test_edits(void)
{
	RUN("require \"replace\";\nreplace \"gone\";", "replace gone @0; keep*");
	RUN("require [\"replace\", \"variables\"];\nif header :matches \"subject\" \"[*]*\" {\n"
	    "replace :mime :subject \"was ${1}\" :from \"me@example.org\" \"Content-Type: text/plain\r\n\r\nx\"; }",
	    "replace Content-Type: text/plain\r\n\r\nx @0 :mime :subject was ietf :from me@example.org; keep*");
	/* in foreverypart: the current part, and no :subject nor :from */
	RUN("require [\"foreverypart\", \"mime\", \"replace\", \"fileinto\"];\n"
	    "foreverypart { if header :mime :type \"Content-Type\" \"application\" {\n"
	    "replace :subject \"s\" \"removed\"; } } fileinto \"clean\";",
	    "replace removed @4; fileinto clean");
	RUN("require [\"enclose\", \"replace\"];\nreplace \"a\"; enclose :subject \"Suspect\" "
	    ":headers [\"From\", \"Date\"] \"See the attachment.\";",
	    "replace a @0; enclose See the attachment. @0 :subject Suspect +From +Date; keep*");
	/* edits are not deliveries: a reject still goes with them */
	RUN("require [\"enclose\", \"reject\"];\nenclose \"x\"; reject \"no\";",
	    "enclose x @0; reject no");
	/* a caller that does not build edited messages: a run-time error */
	struct sieve_message plain = msg;
	plain.edits = false;
	cur = &plain;
	run_case("require [\"enclose\", \"fileinto\"];\nfileinto \"a\"; enclose \"x\";",
	    "keep*", "enclose is not supported", NULL);
	cur = &msg;
}

/* result.stopped: a stop (also in an included script) ends the run and,
 * for a caller running several scripts, the ones after it */
static bool
stops(const char *src)
{
	struct buf prog = BUF_INIT(SIEVE_MAX_PROGRAM);
	struct sieve_error err;
	CHECK_EQ(sieve_compile(src, strlen(src), &prog, &err), 0);
	struct sieve_program *p = sieve_load(prog.data, prog.len, &err);
	CHECK(p != NULL);
	struct sieve_result res;
	(void)sieve_run(p, &msg, NULL, &res);
	bool stopped = res.stopped;
	sieve_result_free(&res);
	sieve_program_free(p);
	buf_free(&prog);
	return stopped;
}

static void
test_stopped(void)
{
	CHECK(stops("keep; stop; discard;"));
	CHECK(!stops("keep;"));
	CHECK(!stops("if false { stop; } keep;"));
	CHECK(stops("require \"include\";\ninclude \"stop\"; keep;"));
	CHECK(!stops("require \"include\";\ninclude \"lists\";"));
}

static void
test_core(void)
{
	RUN("", "keep*");
	RUN("discard;", "discard");
	RUN("keep; discard;", "keep; discard");
	RUN("if header :contains \"subject\" \"money\" { discard; stop; } keep;",
	    "discard");
	RUN("if header :is \"subject\" \"money\" { discard; } elsif true { stop; } else { discard; }",
	    "keep*");
	RUN("if false { discard; } elsif false { discard; } else { redirect \"x@example.com\"; }",
	    "redirect x@example.com");
	RUN("if header :matches \"Subject\" \"*MONEY*\" { discard; }", "discard");
	RUN("if header :comparator \"i;octet\" :matches \"Subject\" \"*MONEY*\" { discard; }",
	    "keep*");
	RUN("if address :domain :is \"from\" \"example.com\" { discard; }", "discard");
	RUN("if address :localpart :is \"from\" \"boss+work\" { discard; }", "discard");
	RUN("if address :all :is [\"to\", \"cc\"] \"c@z.example\" { discard; }", "discard");
	RUN("if address :all :contains \"cc\" \"Bee\" { discard; }", "keep*");
	RUN("if exists [\"From\", \"X-Spam-Score\"] { discard; }", "discard");
	RUN("if exists [\"From\", \"X-None\"] { discard; }", "keep*");
	RUN("if size :over 10K { discard; }", "discard");
	RUN("if size :under 10K { discard; }", "keep*");
	RUN("if anyof (false, not true, header :is \"x-spam-score\" \"7\") { discard; }",
	    "discard");
	RUN("if allof (true, not exists \"x-nothing\", false) { discard; }", "keep*");
	RUN("require \"fileinto\";\nfileinto \"a\"; keep; fileinto \"a\"; keep; redirect \"r@x\"; redirect \"r@x\";",
	    "fileinto a; keep; redirect r@x");
	RUN("require \"copy\";\nredirect :copy \"r@x\"; redirect \"r@x\";", "redirect r@x");
	RUN("require \"copy\";\nredirect :copy \"x@example.com\";",
	    "redirect x@example.com :copy; keep*");
}

static void
test_extensions(void)
{
	RUN("require \"fileinto\";\nfileinto \"INBOX.spam\";", "fileinto INBOX.spam");
	RUN("require [\"fileinto\", \"copy\"];\nfileinto :copy \"a\";", "fileinto a :copy; keep*");
	RUN("require \"envelope\";\nif envelope :is \"from\" \"sender@example.com\" { discard; }",
	    "discard");
	RUN("require [\"envelope\", \"subaddress\", \"fileinto\"];\n"
	    "if envelope :detail \"to\" \"lists\" { fileinto \"lists\"; }", "fileinto lists");
	RUN("require \"subaddress\";\nif address :user \"from\" \"boss\" { discard; }", "discard");
	RUN("require \"subaddress\";\nif address :detail \"to\" \"\" { discard; }", "keep*");
	RUN("require [\"relational\", \"comparator-i;ascii-numeric\"];\n"
	    "if header :value \"ge\" :comparator \"i;ascii-numeric\" \"x-spam-score\" \"10\" { discard; }",
	    "keep*");
	RUN("require [\"relational\", \"comparator-i;ascii-numeric\"];\n"
	    "if header :value \"gt\" :comparator \"i;ascii-numeric\" \"x-spam-score\" \"06\" { discard; }",
	    "discard");
	RUN("require [\"relational\", \"comparator-i;ascii-numeric\"];\n"
	    "if address :count \"eq\" :comparator \"i;ascii-numeric\" [\"to\", \"cc\"] \"5\" { discard; }",
	    "discard");
	RUN("require [\"variables\", \"fileinto\"];\n"
	    "if header :matches \"List-ID\" \"*<*.*>\" { fileinto \"INBOX.lists.${2}\"; }",
	    "fileinto INBOX.lists.mta-filters");
	RUN("require [\"regex\", \"variables\", \"fileinto\"];\n"
	    "if header :regex \"subject\" \"^\\\\[([a-z]+)\\\\]\" { fileinto \"${1}\"; }",
	    "fileinto ietf");
	RUN("require [\"variables\", \"fileinto\"];\nset :upper :length \"n\" \"abc\";\n"
	    "set :upperfirst \"s\" \"box\"; fileinto \"${s}${n}${unset}\";", "fileinto Box3");
	RUN("require [\"variables\", \"fileinto\"];\nset \"a\" \"x\"; set \"a\" \"${a}${a}\";\n"
	    "if string :is \"${a}\" \"xx\" { fileinto \"${A}\"; }", "fileinto xx");
	RUN("require [\"imap4flags\", \"fileinto\"];\naddflag [\"\\\\Seen\", \"a b\"]; removeflag \"a\";\n"
	    "fileinto \"x\"; fileinto :flags \"\\\\Flagged\" \"y\";",
	    "fileinto x [\\Seen b]; fileinto y [\\Flagged]");
	RUN("require [\"imap4flags\"];\nsetflag \"$Junk\";\nif hasflag :is \"$junk\" { addflag \"z\"; }",
	    "keep* [$Junk z]");
	RUN("require [\"imap4flags\", \"variables\"];\nsetflag \"f\" \"a\"; addflag \"f\" [\"b\", \"a\"];\n"
	    "if hasflag :is \"f\" \"b\" { keep :flags \"${f}\"; }", "keep [a b]");
	RUN("require \"body\";\nif body :contains \"contract\" { discard; }", "discard");
	RUN("require \"body\";\nif body :raw :contains \"contract\" { discard; }", "keep*");
	RUN("require \"vacation\";\nvacation :days 3 :subject \"away\" \"I am away\";",
	    "vacation I am away 259200s; keep*");
	RUN("require [\"vacation\", \"vacation-seconds\"];\nvacation :seconds 0 \"r\";",
	    "vacation r 0s; keep*");
	RUN("require \"reject\";\nreject \"no thanks\";", "reject no thanks");
	RUN("require \"reject\";\r\nreject text: # why\r\nline 1\r\n..dot\r\n.x\r\n\r\n.\r\n;\r\n",
	    "reject line 1\r\n.dot\r\nx\r\n\r\n");
	RUN("require \"reject\";\nreject \"a\\\"b\\\\c\\d\";", "reject a\"b\\cd");
	RUN("require \"ereject\";\nif header :contains \"subject\" \"money\" { ereject \"spam\"; }",
	    "ereject spam");
	RUN("require \"environment\";\nif environment :is \"location\" \"MDA\" { discard; }", "discard");
	RUN("require \"ihave\";\nif ihave \"fileinto\" { fileinto \"x\"; }", "fileinto x");
	RUN("require \"include\";\nreturn; discard;", "keep*");
	RUN("require \"enotify\";\nif notify_method_capability \"mailto:a@b\" \"Online\" \"maybe\" { discard; }\n"
	    "if notify_method_capability \"mailto:a@b\" \"online\" \"yes\" { stop; }", "discard");
	RUN("require [\"enotify\", \"variables\"];\nif header :matches \"subject\" \"[*]*\" {\n"
	    "notify :importance \"1\" :options [\"a\", \"b\"] :message \"list ${1}\" \"mailto:me@example.com\"; }\n"
	    "notify \"mailto:other@example.com\";",
	    "notify mailto:me@example.com (1) list ietf 2; notify mailto:other@example.com (2) - 0; keep*");
	RUN("require [\"foreverypart\", \"mime\", \"fileinto\"];\n"
	    "foreverypart { if header :mime :subtype \"Content-Type\" \"pdf\" { fileinto \"pdf\"; break; } }",
	    "fileinto pdf");
	RUN("require [\"mime\", \"fileinto\"];\n"
	    "if header :mime :anychild :param \"name\" \"Content-Type\" \"report.pdf\" { fileinto \"r\"; }\n"
	    "if header :mime :param \"name\" \"Content-Type\" \"report.pdf\" { discard; }\n"
	    "if header :mime :type \"Content-Type\" \"multipart\" { fileinto \"m\"; }", "fileinto r; fileinto m");
	RUN("require [\"foreverypart\", \"mime\", \"variables\", \"fileinto\"];\nset \"seen\" \"\";\n"
	    "foreverypart { if header :mime :contenttype :matches \"Content-Type\" \"*\" { set \"seen\" \"${seen} ${1}\"; } }\n"
	    "fileinto \"${seen}\";", "fileinto  text/plain multipart/alternative text/html application/pdf");
	RUN("require [\"foreverypart\", \"mime\", \"variables\", \"fileinto\"];\n"
	    "foreverypart :name \"outer\" { foreverypart { if header :mime :type \"Content-Type\" \"text\" {\n"
	    "  set \"seen\" \"${seen}x\"; break :name \"outer\"; } } set \"seen\" \"${seen}y\"; }\n"
	    "fileinto \"${seen}\";", "fileinto yx");
	RUN("require [\"foreverypart\", \"extracttext\", \"variables\", \"fileinto\"];\n"
	    "foreverypart { extracttext :upper :first 5 \"t\"; set \"all\" \"${all}[${t}]\"; }\n"
	    "fileinto \"${all}\";", "fileinto [HELLO][][<P>HI][]");
	RUN("require [\"foreverypart\", \"mime\"];\n"
	    "foreverypart { if exists \"Subject\" { discard; } }\n"
	    "if exists :mime :anychild \"X-None\" { stop; } discard;", "discard");
	RUN("require \"date\";\nif currentdate :is \"date\" \"2024-01-01\" { discard; }", "discard");
	test_edits();
	RUN("require \"date\";\nif currentdate :zone \"-1100\" :is \"date\" \"2023-12-31\" { discard; }",
	    "discard");
	RUN("require \"date\";\nif currentdate :is \"iso8601\" \"2024-01-01T11:00:00+01:00\" { discard; }",
	    "discard");
	RUN("require \"date\";\nif currentdate :zone \"+0000\" :is \"std11\" \"Mon, 1 Jan 2024 10:00:00 +0000\" { discard; }",
	    "discard");
	RUN("require \"date\";\nif allof (currentdate :zone \"+0000\" :is \"julian\" \"60310\","
	    " currentdate :is \"weekday\" \"1\") { discard; }", "discard");
	RUN("require \"date\";\nif date :is \"received\" \"hour\" \"11\" { discard; }", "discard");
	RUN("require \"date\";\nif date :originalzone :is \"received\" \"hour\" \"11\" { discard; }",
	    "keep*");
	RUN("require [\"date\", \"index\"];\nif date :originalzone :index 2 \"received\" \"time\" \"09:00:00\" { discard; }",
	    "discard");
	RUN("require [\"date\", \"relational\"];\nif date :value \"lt\" \"received\" \"year\" \"2024\" { discard; }",
	    "keep*");
	RUN("require [\"mailbox\", \"fileinto\"];\nif mailboxexists \"Spam\" { fileinto \"Spam\"; }\n"
	    "if mailboxexists [\"Spam\", \"Other\"] { discard; }", "fileinto Spam");
	RUN("require \"duplicate\";\nif duplicate :handle \"h\" :seconds 60 { discard; }", "discard");
	RUN("require \"duplicate\";\nif duplicate :seconds 60 { discard; }", "keep*");
	RUN("require \"duplicate\";\nif duplicate :handle \"h\" :seconds 60 :header \"subject\" { discard; }",
	    "keep*");
	RUN("require [\"encoded-character\", \"fileinto\"];\n"
	    "fileinto \"INBOX.${hex:41 62}${unicode: 263a }${hex:zz}${HEX:2}\";",
	    "fileinto INBOX.Ab\xe2\x98\xba${hex:zz}\x02");
	RUN("require \"fileinto\";\nfileinto \"${hex:41}\";", "fileinto ${hex:41}");
}

static void
test_failures(void)
{
	static const struct sieve_budget tiny = { 50, 1 << 20, 2, 4 };
	/* a run-time error drops every action: only the implicit keep */
	run_case("require [\"reject\", \"fileinto\"];\nfileinto \"a\"; reject \"x\";",
	    "keep*", "reject cannot be combined", NULL);
	run_case("require \"vacation\";\nvacation \"a\"; vacation \"b\";", "keep*",
	    "more than one vacation", NULL);
	run_case("require \"ihave\";\ndiscard; error \"broken\";", "keep*",
	    "error: broken", NULL);
	run_case("require [\"variables\"];\nredirect \"${nothing}\";", "keep*",
	    "invalid address", NULL);
	run_case("require [\"enotify\", \"variables\"];\nset \"m\" \"xmpp:a@example.com\"; notify \"${m}\";",
	    "keep*", "unsupported notification method", NULL);
	run_case("redirect \"a@x\"; redirect \"b@x\"; redirect \"c@x\"; redirect \"d@x\";"
	    " redirect \"e@x\";", "keep*", "over the redirect budget", NULL);
	run_case("require [\"include\", \"variables\", \"fileinto\"];\nglobal \"box\";\n"
	    "set \"box\" \"Lists\"; set \"local\" \"mine\";\ninclude :personal \"lists\";\n"
	    "fileinto \"${local}${box}\";", "fileinto Lists; fileinto mineChanged", NULL, NULL);
	run_case("require \"include\";\ninclude :optional \"missing\"; include :optional :global \"lists\"; discard;",
	    "discard", NULL, NULL);
	run_case("require \"include\";\ninclude \"missing\";", "keep*", "no such script", NULL);
	run_case("require [\"include\", \"variables\", \"fileinto\"];\nglobal \"n\";\n"
	    "include :once \"count\"; include :once \"count\"; include \"count\"; fileinto \"${n}\";",
	    "fileinto 11", NULL, NULL);
	run_case("require \"include\";\ninclude \"self\";", "keep*", "too many includes", NULL);
	run_case("require \"include\";\ninclude \"stop\"; keep;", "discard", NULL, NULL);
	/* 63 actions and the implicit keep fit; one more does not */
	char many[4096] = "require [\"fileinto\", \"copy\"];\n";
	for (int i = 0; i < 64; i++) {
		size_t k = strlen(many);
		snprintf(many + k, sizeof(many) - k, "fileinto :copy \"m%d\";", i);
	}
	run_case(many, "keep*", "more than 63 actions", NULL);
	run_case("require [\"reject\", \"enotify\"];\nreject \"x\"; notify \"mailto:a@b\";",
	    "reject x; notify mailto:a@b (2) - 0", NULL, NULL);
	run_case("require \"vacation\";\nvacation :days 99999999999999 \"r\";",
	    "vacation r 864000000s; keep*", NULL, NULL);
	/* budgets */
	run_case("if anyof (false, false, false, false, false, false, false, false, false, false,"
	    " false, false, false, false, false, false, false, false, false, false,"
	    " false, false, false, false, false, false, false, false, false, false,"
	    " false, false, false, false, false, false, false, false, false, false,"
	    " false, false, false, false, false, false, false, false, false, true) { discard; }",
	    "keep*", "over the step budget", &tiny);
	run_case("require \"regex\";\nif header :regex \"subject\" [\"q\", \"w\", \"z\"] { discard; }",
	    "keep*", "over the regex budget", &tiny);
	run_case("require [\"variables\", \"regex\"];\nset \"p\" \"(a)\\\\1\";\n"
	    "if header :regex \"subject\" \"${p}\" { discard; }", "keep*",
	    "back-references", NULL);
	/* a glob of 1 KB against 32 KB costs more than the step budget:
	 * refused before the work, not after */
	run_case("require \"variables\";\nset \"a\" \"aaaaaaaaaaaaaaaa\"; set \"p\" \"*a*a*a*a\";\n"
	    "set \"a\" \"${a}${a}\"; set \"a\" \"${a}${a}\"; set \"a\" \"${a}${a}\";"
	    "set \"a\" \"${a}${a}\"; set \"a\" \"${a}${a}\"; set \"a\" \"${a}${a}\";"
	    "set \"a\" \"${a}${a}\"; set \"a\" \"${a}${a}\"; set \"a\" \"${a}${a}\";"
	    "set \"a\" \"${a}${a}\"; set \"a\" \"${a}${a}\";\n"
	    "set \"p\" \"${p}${p}\"; set \"p\" \"${p}${p}\"; set \"p\" \"${p}${p}\";"
	    "set \"p\" \"${p}${p}\"; set \"p\" \"${p}${p}\"; set \"p\" \"${p}${p}\";"
	    "set \"p\" \"${p}${p}\";\n"
	    "if string :matches \"${a}\" \"${p}b\" { discard; }",
	    "keep*", "over the step budget", NULL);
	/* doubling a variable: the memory budget stops it */
	static const struct sieve_budget small_mem = { 100000, 64 << 10, 8, 4 };
	run_case("require \"variables\";\nset \"a\" \"0123456789abcdef\";\n"
	    "set \"a\" \"${a}${a}\"; set \"a\" \"${a}${a}\"; set \"a\" \"${a}${a}\";"
	    "set \"a\" \"${a}${a}\"; set \"a\" \"${a}${a}\"; set \"a\" \"${a}${a}\";"
	    "set \"a\" \"${a}${a}\"; set \"a\" \"${a}${a}\"; set \"a\" \"${a}${a}\";"
	    "set \"a\" \"${a}${a}\"; set \"a\" \"${a}${a}\"; discard;",
	    "keep*", "memory budget", &small_mem);
}

int
main(void)
{
	load_included();
	test_core();
	test_extensions();
	test_failures();
	test_stopped();
	for (size_t i = 0; i < 4; i++)
		sieve_program_free(included[i]);
	return check_done("sieve_run");
}
