/* jmap_snippet_hl: SearchSnippet/get's highlighter: terms marked at word
 * starts, case folded beyond ASCII, everything else escaped, previews cut
 * around the first match, bad UTF-8 and overlapping terms handled. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "jmap_snippet_hl.h"

/* Highlight text with the words of terms; compare with want (NULL: no
 * match). */
static bool
hl_is(const char *terms, const char *text, size_t window, const char *want)
{
	struct hl_terms ts = { .n = 0 };
	if (!hl_terms_add(&ts, terms))
		return false;
	char *got = hl_highlight(text, strlen(text), &ts, window);
	bool ok = (got == NULL && want == NULL) ||
	    (got != NULL && want != NULL && strcmp(got, want) == 0);
	if (!ok)
		fprintf(stderr, "terms %s: got [%s], want [%s]\n", terms,
		    got ? got : "(null)", want ? want : "(null)");
	free(got);
	return ok;
}

static void
test_preview_window(void)
{
	/* the preview starts a little before the match, at a word, and
	 * holds HL_PREVIEW_CHARS characters */
	char text[2048], want[2048];
	size_t n = 0;
	for (int i = 0; i < 100; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "w%02d ", i);
	snprintf(text + n, sizeof(text) - n, "target tail");
	struct hl_terms ts = { .n = 0 };
	CHECK(hl_terms_add(&ts, "TARGET"));
	char *got = hl_highlight(text, strlen(text), &ts, HL_PREVIEW_CHARS);
	CHECK(got != NULL);
	/* 30 characters back, moved forward to the next word: w93 */
	snprintf(want, sizeof(want), "w93 w94 w95 w96 w97 w98 w99 "
	    "<mark>target</mark> tail");
	CHECK(got != NULL && strcmp(got, want) == 0);
	free(got);
	/* a match far into a long text: exactly the window's characters */
	memset(text, 'x', 1000);
	text[1000] = ' ';
	memcpy(text + 1001, "needle ", 7);
	memset(text + 1008, 'y', 600);
	text[1608] = '\0';
	ts.n = 0;
	CHECK(hl_terms_add(&ts, "needle"));
	got = hl_highlight(text, strlen(text), &ts, HL_PREVIEW_CHARS);
	CHECK(got != NULL && strncmp(got, "<mark>needle</mark> yyy", 23) == 0);
	CHECK(got != NULL && strlen(got) == HL_PREVIEW_CHARS + 13);
	free(got);
}

/* terms, text, the whole text highlighted (NULL: no match) */
static const struct {
	const char *terms, *text, *want;
} cases[] = {
	{ "meeting", "Team meeting on Monday",
	    "Team <mark>meeting</mark> on Monday" },
	/* no match: null, as SearchSnippet/get reports it */
	{ "budget", "Team meeting", NULL },
	/* case folded, ASCII and beyond */
	{ "MEETING", "a Meeting", "a <mark>Meeting</mark>" },
	{ "\xc3\xa9t\xc3\xa9", "\xc3\x89T\xc3\x89 chaud",
	    "<mark>\xc3\x89T\xc3\x89</mark> chaud" },
	{ "\xd0\xbc\xd0\xb8\xd1\x80", "\xd0\x9c\xd0\x98\xd0\xa0!",
	    "<mark>\xd0\x9c\xd0\x98\xd0\xa0</mark>!" },
	{ "\xc5\x82\xc3\xb3\x64\xc5\xba",
	    "\xc5\x81\xc3\x93\x44\xc5\xb9 x",
	    "<mark>\xc5\x81\xc3\x93\x44\xc5\xb9</mark> x" },
	/* at word starts only: "art" is not in "start" */
	{ "art", "start", NULL },
	{ "art", "start artist", "start <mark>art</mark>ist" },
	/* everything else escaped, marks stay markup */
	{ "b", "<a> & \"b\" 'c'",
	    "&lt;a&gt; &amp; &quot;<mark>b</mark>&quot; &#39;c&#39;" },
	{ "<script>", "x <script> y",
	    "x <mark>&lt;script&gt;</mark> y" },
	/* overlapping terms: one mark over both */
	{ "foo foobar", "foobar baz", "<mark>foobar</mark> baz" },
	{ "new york", "New York",
	    "<mark>New</mark> <mark>York</mark>" },
	{ "a-b b-c", "x a-b-c", "x <mark>a-b-c</mark>" },
	/* quotes of a phrase are not part of a word */
	{ "\"red car\"", "the red car",
	    "the <mark>red</mark> <mark>car</mark>" },
	/* UTF-8 boundaries: a bad byte is U+FFFD and never a match inside a
	 * multi-byte character */
	{ "ok", "\xff ok \xe2\x82",
	    "\xef\xbf\xbd <mark>ok</mark> \xef\xbf\xbd\xef\xbf\xbd" },
	{ "\xa9", "caf\xc3\xa9", NULL },
	{ "caf", "\xc3\xa9" "caf", NULL },
	/* overlong and surrogate encodings are not letters */
	{ "a", "\xc1\xa1", NULL },
	{ "x", "\xed\xa0\x80x", "\xef\xbf\xbd\xef\xbf\xbd"
	    "\xef\xbf\xbd<mark>x</mark>" },
	/* white space runs are one space; control characters too */
	{ "b", "  a\r\n\t\x01 b  ", "a <mark>b</mark>" },
};

int
main(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		CHECK(hl_is(cases[i].terms, cases[i].text, 0, cases[i].want));
	test_preview_window();
	/* too many terms: refused, not cut */
	struct hl_terms ts = { .n = 0 };
	char many[HL_MAX_TERMS * 2 + 8];
	for (int i = 0; i <= HL_MAX_TERMS; i++)
		memcpy(many + 2 * i, "t ", 2);
	many[2 * HL_MAX_TERMS + 2] = '\0';
	CHECK(!hl_terms_add(&ts, many));
	return check_done("jmap_snippet_hl");
}
