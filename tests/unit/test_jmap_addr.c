/* jmap_email_addr: address headers and message-id lists as Email/get
 * shows them. */
#include <stdbool.h>
#include <string.h>

#include "check.h"
#include "jmap_email_addr.h"

static bool
addrs_are(const char *header, const char *want_json)
{
	json_t *got = jmap_addr_list(header, strlen(header));
	json_t *want = json_loads(want_json, JSON_DECODE_ANY, NULL);
	bool ok = (got == NULL && json_is_null(want)) || json_equal(got, want);
	if (!ok) {
		char *g = got ? json_dumps(got, 0) : NULL;
		fprintf(stderr, "got %s\n", g ? g : "NULL");
		free(g);
	}
	json_decref(got);
	json_decref(want);
	return ok;
}

static bool
ids_are(const char *header, const char *want_json)
{
	json_t *got = jmap_msgid_list(header, strlen(header));
	json_t *want = json_loads(want_json, JSON_DECODE_ANY, NULL);
	bool ok = (got == NULL && json_is_null(want)) || json_equal(got, want);
	json_decref(got);
	json_decref(want);
	return ok;
}

int
main(void)
{
	CHECK(addrs_are("a@example.com",
	    "[{\"name\":null,\"email\":\"a@example.com\"}]"));
	CHECK(addrs_are("Ann Ex <ann@example.org>, b@x",
	    "[{\"name\":\"Ann Ex\",\"email\":\"ann@example.org\"},"
	    "{\"name\":null,\"email\":\"b@x\"}]"));
	/* a comma inside quotes is the name's */
	CHECK(addrs_are("\"Doe, Jane\" <jane@example.com>",
	    "[{\"name\":\"Doe, Jane\",\"email\":\"jane@example.com\"}]"));
	CHECK(addrs_are("\"a \\\"q\\\" b\" <q@x>",
	    "[{\"name\":\"a \\\"q\\\" b\",\"email\":\"q@x\"}]"));
	/* one escaped quote: the angle-addr after it is still the address */
	CHECK(addrs_are("\"J\\\"x:\" <j@x>",
	    "[{\"name\":\"J\\\"x:\",\"email\":\"j@x\"}]"));
	/* groups: the members, flattened */
	CHECK(addrs_are("Team: a@x, B <b@x>;, c@x",
	    "[{\"name\":null,\"email\":\"a@x\"},{\"name\":\"B\",\"email\":\"b@x\"},"
	    "{\"name\":null,\"email\":\"c@x\"}]"));
	CHECK(addrs_are("", "null"));
	CHECK(addrs_are(" , ,", "null"));
	CHECK(addrs_are("<unclosed@x", "[{\"name\":null,\"email\":\"unclosed@x\"}]"));
	CHECK(ids_are("<a@b> <c@d>", "[\"a@b\",\"c@d\"]"));
	CHECK(ids_are("junk <a@b> junk <>", "[\"a@b\"]"));
	CHECK(ids_are("<open", "null"));
	CHECK(ids_are("", "null"));
	/* invalid UTF-8 never makes a string */
	json_t *bad = jmap_addr_list("\xff <\xfe@x>", 7);
	CHECK(bad != NULL);
	json_decref(bad);
	return check_done("jmap_addr");
}
