/* jmap_api: the request envelope, its request-level problems, method-level
 * errors and result references, through jmap_api_handle() with Core/echo
 * and no store. */
#include <string.h>

#include "check.h"
#include "jmap_api.h"
#include "jmap_json.h"

static struct jmap_limits limits;
static const struct jmap_account acct = {
	"alice", "a1", NULL, &limits,
};

static int last_status;
static bool last_problem;

/* The decoded response body of one request (NULL if it did not decode). */
static json_t *
req(const char *body)
{
	struct jmap_response r;
	jmap_api_handle(&acct, body, strlen(body), &r);
	last_status = r.status;
	last_problem = r.problem;
	json_t *j = r.body ? json_loadb(r.body, r.len, 0, NULL) : NULL;
	free(r.body);
	return j;
}

static bool
is_problem(const char *body, int status, const char *type,
    const char *limit)
{
	json_t *j = req(body);
	char urn[128];
	snprintf(urn, sizeof(urn), "urn:ietf:params:jmap:error:%s", type);
	const char *t = json_string_value(json_object_get(j, "type"));
	const char *l = json_string_value(json_object_get(j, "limit"));
	bool ok = last_status == status && last_problem && t != NULL &&
	    strcmp(t, urn) == 0 &&
	    json_integer_value(json_object_get(j, "status")) == status &&
	    (limit == NULL ? l == NULL : (l != NULL && strcmp(l, limit) == 0));
	json_decref(j);
	return ok;
}

#define USING "\"using\":[\"urn:ietf:params:jmap:core\"]"

static void
test_request_level(void)
{
	CHECK(is_problem("{", 400, "notJSON", NULL));
	CHECK(is_problem("", 400, "notJSON", NULL));
	CHECK(is_problem("{\"using\":[],\"using\":[],\"methodCalls\":[]}",
	    400, "notJSON", NULL));   /* I-JSON: no duplicate names */
	CHECK(is_problem("{\"a\":\"\xff\"}", 400, "notJSON", NULL));
	CHECK(is_problem("[]", 400, "notRequest", NULL));
	CHECK(is_problem("{" USING "}", 400, "notRequest", NULL));
	CHECK(is_problem("{\"methodCalls\":[]}", 400, "notRequest", NULL));
	CHECK(is_problem("{\"using\":[1],\"methodCalls\":[]}", 400,
	    "notRequest", NULL));
	CHECK(is_problem("{" USING ",\"methodCalls\":[[\"Core/echo\",{}]]}",
	    400, "notRequest", NULL));
	CHECK(is_problem("{" USING ",\"methodCalls\":[[\"Core/echo\",[],\"0\"]]}",
	    400, "notRequest", NULL));
	CHECK(is_problem("{" USING ",\"methodCalls\":[[\"Core/echo\",{},0]]}",
	    400, "notRequest", NULL));
	CHECK(is_problem("{" USING ",\"methodCalls\":[],\"createdIds\":"
	    "{\"k\":1}}", 400, "notRequest", NULL));
	CHECK(is_problem("{\"using\":[\"urn:example:nope\"],\"methodCalls\":[]}",
	    400, "unknownCapability", NULL));
	/* maxCallsInRequest is 3 here */
	CHECK(is_problem("{" USING ",\"methodCalls\":[[\"Core/echo\",{},\"a\"],"
	    "[\"Core/echo\",{},\"b\"],[\"Core/echo\",{},\"c\"],"
	    "[\"Core/echo\",{},\"d\"]]}", 400, "limit", "maxCallsInRequest"));
	json_t *j = req("{" USING ",\"methodCalls\":[[\"Core/echo\",{},\"a\"],"
	    "[\"Core/echo\",{},\"b\"],[\"Core/echo\",{},\"c\"]]}");
	CHECK_EQ(last_status, 200);
	CHECK_EQ(json_array_size(json_object_get(j, "methodResponses")), 3);
	json_decref(j);
	char big[300];
	memset(big, ' ', sizeof(big));
	memcpy(big, "{}", 2);
	big[sizeof(big) - 1] = '\0';
	limits.max_size_request = 200;
	CHECK(is_problem(big, 413, "limit", "maxSizeRequest"));
	limits.max_size_request = 10000;
}

/* The one response of a one-call request: [name, args, id]. */
static json_t *
one(const char *body)
{
	json_t *j = req(body);
	json_t *r = json_array_get(json_object_get(j, "methodResponses"), 0);
	json_incref(r);
	json_decref(j);
	return r;
}

static bool
error_is(json_t *resp, const char *type)
{
	const char *n = json_string_value(json_array_get(resp, 0));
	const char *t = json_string_value(json_object_get(
	    json_array_get(resp, 1), "type"));
	return n && t && strcmp(n, "error") == 0 && strcmp(t, type) == 0;
}

static void
test_echo_and_method_errors(void)
{
	json_t *r = one("{" USING ",\"methodCalls\":[[\"Core/echo\","
	    "{\"hello\":true,\"n\":[1,2]},\"c0\"]]}");
	json_t *want = json_pack("[s{sbs[ii]}s]", "Core/echo", "hello", 1,
	    "n", 1, 2, "c0");
	CHECK(json_equal(r, want));
	json_decref(want);
	json_decref(r);

	r = one("{" USING ",\"methodCalls\":[[\"Foo/bar\",{},\"c0\"]]}");
	CHECK(error_is(r, "unknownMethod"));
	CHECK(strcmp(json_string_value(json_array_get(r, 2)), "c0") == 0);
	json_decref(r);
	/* a method of a capability the request did not name */
	r = one("{\"using\":[\"urn:ietf:params:jmap:mail\"],\"methodCalls\":"
	    "[[\"Core/echo\",{},\"c0\"]]}");
	CHECK(error_is(r, "unknownMethod"));
	json_decref(r);
	/* a store method with no store */
	r = one("{\"using\":[\"urn:ietf:params:jmap:core\","
	    "\"urn:ietf:params:jmap:mail\"],\"methodCalls\":"
	    "[[\"Mailbox/get\",{\"accountId\":\"a1\"},\"c0\"]]}");
	CHECK(error_is(r, "serverFail"));
	json_decref(r);
	/* an argument the method does not take: refused before it runs */
	r = one("{\"using\":[\"urn:ietf:params:jmap:core\","
	    "\"urn:ietf:params:jmap:mail\"],\"methodCalls\":"
	    "[[\"Mailbox/get\",{\"accountId\":\"a1\",\"idz\":[]},\"c0\"]]}");
	CHECK(error_is(r, "invalidArguments"));
	json_decref(r);
	/* Core/echo takes any */
	r = one("{" USING ",\"methodCalls\":[[\"Core/echo\",{\"idz\":1},"
	    "\"c0\"]]}");
	CHECK(strcmp(json_string_value(json_array_get(r, 0)), "Core/echo") == 0);
	json_decref(r);
}

/* Two calls: c0 echoes first, c1's arguments are second; the response
 * to c1. */
static json_t *
ref(const char *first, const char *second)
{
	char body[2048];
	snprintf(body, sizeof(body), "{" USING ",\"methodCalls\":["
	    "[\"Core/echo\",%s,\"c0\"],[\"Core/echo\",%s,\"c1\"]]}",
	    first, second);
	json_t *j = req(body);
	json_t *r = json_array_get(json_object_get(j, "methodResponses"), 1);
	json_incref(r);
	json_decref(j);
	return r;
}

#define REF(path) "{\"#x\":{\"resultOf\":\"c0\",\"name\":\"Core/echo\"," \
	"\"path\":\"" path "\"}}"

static bool
ref_gives(const char *first, const char *second, const char *want_json)
{
	json_t *r = ref(first, second);
	json_t *want = json_loads(want_json, JSON_DECODE_ANY, NULL);
	json_t *x = json_object_get(json_array_get(r, 1), "x");
	bool ok = want != NULL && json_equal(x, want) &&
	    json_object_get(json_array_get(r, 1), "#x") == NULL;
	json_decref(want);
	json_decref(r);
	return ok;
}

static bool
ref_fails(const char *first, const char *second, const char *type)
{
	json_t *r = ref(first, second);
	bool ok = error_is(r, type);
	json_decref(r);
	return ok;
}

static void
test_references(void)
{
	const char *doc = "{\"a\":{\"b\":7},\"l\":[{\"id\":\"x\",\"ids\":[1,2]},"
	    "{\"id\":\"y\",\"ids\":[3]}],\"s~/t\":5,\"\":9}";
	CHECK(ref_gives(doc, REF("/a/b"), "7"));
	CHECK(ref_gives(doc, REF(""), doc));
	CHECK(ref_gives(doc, REF("/l/1/id"), "\"y\""));
	CHECK(ref_gives(doc, REF("/l/*/id"), "[\"x\",\"y\"]"));
	CHECK(ref_gives(doc, REF("/l/*/ids"), "[1,2,3]"));   /* flattened */
	CHECK(ref_gives(doc, REF("/s~0~1t"), "5"));
	CHECK(ref_gives(doc, REF("/"), "9"));
	CHECK(ref_fails(doc, REF("/a/c"), "invalidResultReference"));
	CHECK(ref_fails(doc, REF("a"), "invalidResultReference"));
	CHECK(ref_fails(doc, REF("/l/01/id"), "invalidResultReference"));
	CHECK(ref_fails(doc, REF("/l/-"), "invalidResultReference"));
	CHECK(ref_fails(doc, REF("/l/2"), "invalidResultReference"));
	CHECK(ref_fails(doc, REF("/a/*"), "invalidResultReference"));
	CHECK(ref_fails(doc, REF("/~2"), "invalidResultReference"));
	CHECK(ref_fails(doc, REF("/a/b/c"), "invalidResultReference"));
	CHECK(ref_fails(doc, REF("/l/*/nope"), "invalidResultReference"));
	/* the referenced call's name must match */
	CHECK(ref_fails(doc, "{\"#x\":{\"resultOf\":\"c0\",\"name\":"
	    "\"Mailbox/get\",\"path\":\"/a\"}}", "invalidResultReference"));
	/* no such call, or one later than this */
	CHECK(ref_fails(doc, "{\"#x\":{\"resultOf\":\"zz\",\"name\":"
	    "\"Core/echo\",\"path\":\"/a\"}}", "invalidResultReference"));
	CHECK(ref_fails(doc, "{\"#x\":{\"resultOf\":\"c1\",\"name\":"
	    "\"Core/echo\",\"path\":\"/a\"}}", "invalidResultReference"));
	/* a failed call's result */
	CHECK(ref_fails("{\"#y\":{\"resultOf\":\"zz\",\"name\":\"Core/echo\","
	    "\"path\":\"\"}}", REF("/a"), "invalidResultReference"));
	/* not a ResultReference */
	CHECK(ref_fails(doc, "{\"#x\":{\"resultOf\":\"c0\",\"path\":\"/a\"}}",
	    "invalidResultReference"));
	CHECK(ref_fails(doc, "{\"#x\":5}", "invalidResultReference"));
	/* both x and #x */
	CHECK(ref_fails(doc, "{\"x\":1,\"#x\":{\"resultOf\":\"c0\",\"name\":"
	    "\"Core/echo\",\"path\":\"/a\"}}", "invalidArguments"));
}

static void
test_created_ids_and_state(void)
{
	json_t *j = req("{" USING ",\"methodCalls\":[],\"createdIds\":"
	    "{\"k1\":\"M7\"}}");
	json_t *want = json_pack("{ss}", "k1", "M7");
	CHECK(json_equal(json_object_get(j, "createdIds"), want));
	json_decref(want);
	const char *st = json_string_value(json_object_get(j, "sessionState"));
	json_t *s = jmap_session_resource(&acct, "https://127.0.0.1:8443");
	CHECK(st != NULL && json_string_value(json_object_get(s, "state")) &&
	    strcmp(st, json_string_value(json_object_get(s, "state"))) == 0);
	json_decref(j);
	j = req("{" USING ",\"methodCalls\":[]}");
	CHECK(json_object_get(j, "createdIds") == NULL);
	CHECK(json_is_array(json_object_get(j, "methodResponses")));
	json_decref(j);

	CHECK(json_integer_value(json_object_get(json_object_get(json_object_get(
	    s, "capabilities"), "urn:ietf:params:jmap:core"),
	    "maxCallsInRequest")) == 3);
	CHECK(strcmp(json_string_value(json_object_get(json_object_get(s,
	    "primaryAccounts"), "urn:ietf:params:jmap:mail")), "a1") == 0);
	CHECK(strcmp(json_string_value(json_object_get(s, "apiUrl")),
	    "https://127.0.0.1:8443/jmap/api/") == 0);
	json_t *mail = json_object_get(json_object_get(json_object_get(
	    json_object_get(s, "accounts"), "a1"), "accountCapabilities"),
	    "urn:ietf:params:jmap:mail");
	CHECK(json_is_integer(json_object_get(mail, "maxSizeMailboxName")));
	CHECK(json_is_array(json_object_get(mail, "emailQuerySortOptions")));
	CHECK(json_is_true(json_object_get(mail, "mayCreateTopLevelMailbox")));
	CHECK(strcmp(json_string_value(json_object_get(s, "username")),
	    "alice") == 0);
	json_decref(s);
}

/* References share values: each call doubling the last would ask for an
 * exponential answer. It stays under the response cap, with an error. */
static void
test_response_cap(void)
{
	limits.max_calls_in_request = 16;
	limits.max_size_request = 4u << 20;
	size_t fill = 3u << 20;
	char *body = malloc(fill + 4096);
	size_t n = (size_t)snprintf(body, 4096, "{" USING ",\"methodCalls\":["
	    "[\"Core/echo\",{\"a\":\"");
	memset(body + n, 'x', fill);
	n += fill;
	n += (size_t)snprintf(body + n, 64, "\"},\"c0\"]");
	for (int i = 1; i < 10; i++)
		n += (size_t)snprintf(body + n, 256, ",[\"Core/echo\",{"
		    "\"#p\":{\"resultOf\":\"c%d\",\"name\":\"Core/echo\","
		    "\"path\":\"\"},\"#q\":{\"resultOf\":\"c%d\",\"name\":"
		    "\"Core/echo\",\"path\":\"\"}},\"c%d\"]", i - 1, i - 1, i);
	n += (size_t)snprintf(body + n, 8, "]}");
	struct jmap_response r;
	jmap_api_handle(&acct, body, n, &r);
	CHECK_EQ(r.status, 200);
	CHECK(r.body != NULL && r.len < 40u * 1024 * 1024);
	CHECK(r.body != NULL && memmem(r.body, r.len, "serverFail", 10));
	free(r.body);
	free(body);
	limits.max_calls_in_request = 3;
	limits.max_size_request = 10000;
}

static void
test_pointer_budget(void)
{
	json_t *doc = json_loads("[[1,2],[3,4],[5,6]]", 0, NULL);
	size_t budget = 100;
	json_t *v = jmap_pointer_eval(doc, "/*/*", &budget);
	CHECK(json_array_size(v) == 6);
	json_decref(v);
	budget = 3;
	CHECK(jmap_pointer_eval(doc, "/*/*", &budget) == NULL);
	json_decref(doc);
}

int
main(void)
{
	jmap_limits_default(&limits);
	limits.max_calls_in_request = 3;
	limits.max_size_request = 10000;
	test_request_level();
	test_echo_and_method_errors();
	test_references();
	test_created_ids_and_state();
	test_response_cap();
	test_pointer_budget();
	return check_done("jmap_api");
}
