/* libFuzzer target: SearchSnippet/get's highlighter over message text
 * (anything a sender wrote) with search terms (anything a client sent):
 * the first line is the filter's value, the rest the text, highlighted
 * whole (a subject) and as a preview window. The result must be valid
 * UTF-8 for the JSON answer. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "jmap_snippet_hl.h"

static void
check_utf8(const char *s)
{
	json_t *j = s ? json_string(s) : NULL;
	if (s != NULL && j == NULL)
		abort();
	json_decref(j);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size < 1024 ? size : 1024);
	size_t tlen = nl ? (size_t)(nl - data) : 0;
	char value[1025];
	memcpy(value, data, tlen);
	value[tlen] = '\0';
	struct hl_terms *ts = calloc(1, sizeof(*ts));
	if (ts == NULL)
		return 0;
	hl_terms_add(ts, value);
	const char *text = (const char *)data + (nl ? tlen + 1 : 0);
	size_t len = size - (nl ? tlen + 1 : 0);
	char *a = hl_highlight(text, len, ts, 0);
	char *b = hl_highlight(text, len, ts, HL_PREVIEW_CHARS);
	check_utf8(a);
	check_utf8(b);
	if ((a == NULL) != (b == NULL))
		abort();
	free(a);
	free(b);
	free(ts);
	return 0;
}
