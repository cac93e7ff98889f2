/*
 * jmap_api: one JMAP API request (RFC 8620 section 3): the envelope
 * (using, methodCalls, createdIds) and its request-level problems, then
 * each method call in order: result references resolved against the
 * responses so far, the method run from the table, its response (or
 * method-level error) appended. The response never grows past
 * JMAP_MAX_RESPONSE and the references never visit more than
 * JMAP_REF_BUDGET values, whatever the calls ask.
 */
#include "jmap_internal.h"
#include "jmap_json.h"
#include "store_client.h"

#include <stdlib.h>
#include <string.h>

#define ERR_URN "urn:ietf:params:jmap:error:"

struct run {
	const struct jmap_account *a;
	json_t *using;         /* the request's capabilities */
	json_t *responses;     /* methodResponses so far */
	json_t *created_ids;
	size_t ref_budget;
	size_t out_left;       /* bytes the responses may still take */
	bool store_lost;
};

json_t *
jmap_error(const char *type, const char *description)
{
	json_t *e = json_pack("{ss}", "type", type);
	if (e != NULL && description != NULL)
		json_object_set_new(e, "description", json_string(description));
	return e;
}

json_t *
jmap_store_error(struct jmap_call *c, int rc)
{
	switch (rc) {
	case STORE_E_IO:
	case STORE_E_PROTO:
		c->store_lost = true;
		return jmap_error("serverUnavailable", "the store is unreachable");
	case STORE_E_DENIED:
		return jmap_error("forbidden", NULL);
	case STORE_E_TEMPORARY:
		return jmap_error("serverUnavailable", NULL);
	case STORE_E_LIMIT:
		return jmap_error("requestTooLarge", NULL);
	default:
		return jmap_error("serverFail", store_client_errmsg(
		    c->account->store));
	}
}

/* ---- the body -------------------------------------------------------------- */

static void
finish(struct jmap_response *r, int status, bool problem, json_t *doc)
{
	r->status = status;
	r->problem = problem;
	r->body = NULL;
	r->len = 0;
	if (doc == NULL)
		return;
	size_t n = json_dumpb(doc, NULL, 0, JSON_COMPACT);
	if (n > 0 && (r->body = malloc(n)) != NULL)
		r->len = json_dumpb(doc, r->body, n, JSON_COMPACT);
	json_decref(doc);
}

/* A request-level error (RFC 8620 section 3.6.1) as problem+json; limit
 * names the limit for type "limit". */
static void
problem(struct jmap_response *r, int status, const char *type,
    const char *detail, const char *limit)
{
	char urn[64];
	snprintf(urn, sizeof(urn), ERR_URN "%s", type);
	json_t *p = json_pack("{sssiss}", "type", urn, "status", status,
	    "detail", detail);
	if (p != NULL && limit != NULL)
		json_object_set_new(p, "limit", json_string(limit));
	finish(r, status, true, p);
}

/* ---- the envelope ------------------------------------------------------------ */

/* Does req have the shape of a Request object? */
static bool
is_request(json_t *req)
{
	json_t *using = json_object_get(req, "using");
	json_t *calls = json_object_get(req, "methodCalls");
	json_t *ids = json_object_get(req, "createdIds");
	size_t i;
	json_t *v;
	const char *k;
	if (!json_is_object(req) || !json_is_array(using) ||
	    !json_is_array(calls))
		return false;
	json_array_foreach(using, i, v)
		if (!json_is_string(v))
			return false;
	json_array_foreach(calls, i, v)
		if (json_array_size(v) != 3 ||
		    !json_is_string(json_array_get(v, 0)) ||
		    !json_is_object(json_array_get(v, 1)) ||
		    !json_is_string(json_array_get(v, 2)))
			return false;
	if (ids == NULL)
		return true;
	if (!json_is_object(ids))
		return false;
	json_object_foreach(ids, k, v)
		if (!json_is_string(v))
			return false;
	return true;
}

static bool
utf8_ok(const char *s, size_t n)
{
	json_t *j = json_stringn(s, n);
	json_decref(j);
	return j != NULL;
}

static bool
using_has(json_t *using, const char *cap)
{
	size_t i;
	json_t *v;
	json_array_foreach(using, i, v)
		if (strcmp(json_string_value(v), cap) == 0)
			return true;
	return false;
}

/* ---- result references (RFC 8620 section 3.7) --------------------------------- */

/* The value ref names, or NULL (*err set). */
static json_t *
resolve_one(struct run *run, json_t *ref, json_t **err)
{
	const char *of, *name, *path;
	if (json_unpack(ref, "{s:s, s:s, s:s}", "resultOf", &of,
	    "name", &name, "path", &path) != 0) {
		*err = jmap_error("invalidResultReference",
		    "a ResultReference needs resultOf, name and path");
		return NULL;
	}
	size_t i;
	json_t *resp;
	json_array_foreach(run->responses, i, resp) {
		if (strcmp(json_string_value(json_array_get(resp, 2)), of) != 0)
			continue;
		if (strcmp(json_string_value(json_array_get(resp, 0)), name) != 0)
			break;   /* the first response with that id decides */
		json_t *v = jmap_pointer_eval(json_array_get(resp, 1), path,
		    &run->ref_budget);
		if (v == NULL)
			break;
		return v;
	}
	*err = jmap_error("invalidResultReference", of);
	return NULL;
}

/* args with every "#name" replaced by name's resolved value (a new
 * reference), or NULL (*err set). */
static json_t *
resolve(struct run *run, json_t *args, json_t **err)
{
	json_t *out = json_object();
	const char *k;
	json_t *v;
	if (out == NULL) {
		*err = jmap_error("serverFail", NULL);
		return NULL;
	}
	json_object_foreach(args, k, v) {
		if (k[0] != '#') {
			if (json_object_set(out, k, v) == 0)
				continue;
			*err = jmap_error("serverFail", NULL);
			goto fail;
		}
		if (json_object_get(args, k + 1) != NULL) {
			*err = jmap_error("invalidArguments",
			    "both an argument and a reference to it");
			goto fail;
		}
		json_t *val = resolve_one(run, v, err);
		if (val == NULL)
			goto fail;
		if (json_object_set_new(out, k + 1, val) != 0) {
			*err = jmap_error("serverFail", NULL);
			goto fail;
		}
	}
	return out;
fail:
	json_decref(out);
	return NULL;
}

/* ---- running the calls ----------------------------------------------------------- */

static const struct jmap_method *
find_method(const char *name)
{
	for (const struct jmap_method *m = jmap_methods; m->name != NULL; m++)
		if (strcmp(m->name, name) == 0)
			return m;
	return NULL;
}

struct sizer {
	size_t n, max;
};

static int
count_bytes(const char *buf, size_t len, void *arg)
{
	(void)buf;
	struct sizer *s = arg;
	s->n += len;
	return s->n > s->max ? -1 : 0;
}

/* Append the call's response (and its extras) if they fit in what is
 * left of the response budget; else an error in their place. */
static void
append_response(struct run *run, json_t *resp, json_t *extra,
    const char *call_id)
{
	json_t *all = json_array();
	struct sizer s = { 0, run->out_left };
	if (all != NULL && json_array_append(all, resp) == 0 &&
	    (extra == NULL || json_array_extend(all, extra) == 0) &&
	    json_dump_callback(all, count_bytes, &s, JSON_COMPACT) == 0) {
		run->out_left -= s.n;
		json_array_extend(run->responses, all);
	} else {
		json_array_append_new(run->responses, json_pack("[so,s]",
		    "error", jmap_error("serverFail",
		    "the response would be too large"), call_id));
	}
	json_decref(all);
}

/* The first argument name m does not take, or NULL. */
static const char *
unknown_argument(const struct jmap_method *m, json_t *args)
{
	const char *k;
	json_t *v;
	if (m->args == NULL)
		return NULL;
	json_object_foreach(args, k, v) {
		const char *const *a = m->args;
		while (*a != NULL && strcmp(*a, k) != 0)
			a++;
		if (*a == NULL)
			return k;
	}
	return NULL;
}

static json_t *
call_method(struct run *run, const struct jmap_method *m, json_t *args,
    struct jmap_call *c, json_t **err)
{
	json_t *resolved = resolve(run, args, err);
	if (resolved == NULL)
		return NULL;
	json_t *res = NULL;
	bool needs_store = strcmp(m->capability, JMAP_CAP_CORE) != 0;
	const char *unknown = unknown_argument(m, resolved);
	if (unknown != NULL) {
		*err = jmap_error("invalidArguments", unknown);
	} else if (needs_store && (run->a->store == NULL || run->store_lost)) {
		*err = jmap_error("serverFail", "no store");
	} else {
		c->args = resolved;
		res = m->fn(c, err);
		if (res == NULL && *err == NULL)
			*err = jmap_error("serverFail", NULL);
		run->store_lost |= c->store_lost;
	}
	json_decref(resolved);
	return res;
}

static void
run_call(struct run *run, json_t *call)
{
	const char *name = json_string_value(json_array_get(call, 0));
	json_t *args = json_array_get(call, 1);
	const char *id = json_string_value(json_array_get(call, 2));
	const struct jmap_method *m = find_method(name);
	json_t *err = NULL, *res = NULL;
	struct jmap_call c = {
		.account = run->a, .name = name, .call_id = id,
		.created_ids = run->created_ids, .extra = json_array(),
	};
	if (m == NULL || !using_has(run->using, m->capability))
		err = jmap_error("unknownMethod", name);
	else
		res = call_method(run, m, args, &c, &err);
	json_t *resp = res != NULL ? json_pack("[s,o,s]", name, res, id) :
	    json_pack("[s,o,s]", "error", err, id);
	append_response(run, resp, res != NULL ? c.extra : NULL, id);
	json_decref(resp);
	json_decref(c.extra);
}

/* The Response object of a well-formed request. */
static json_t *
run_request(const struct jmap_account *a, json_t *req, bool *store_lost)
{
	json_t *ids = json_object_get(req, "createdIds");
	struct run run = {
		.a = a, .using = json_object_get(req, "using"),
		.responses = json_array(),
		.created_ids = ids != NULL ? json_copy(ids) : json_object(),
		.ref_budget = JMAP_REF_BUDGET, .out_left = JMAP_MAX_RESPONSE,
	};
	json_t *out = NULL;
	if (run.responses != NULL && run.created_ids != NULL) {
		size_t i;
		json_t *call;
		json_array_foreach(json_object_get(req, "methodCalls"), i, call)
			run_call(&run, call);
		char state[32];
		jmap_session_state(a, state, sizeof(state));
		out = json_pack("{sOss}", "methodResponses", run.responses,
		    "sessionState", state);
		if (out != NULL && ids != NULL)
			json_object_set(out, "createdIds", run.created_ids);
	}
	json_decref(run.responses);
	json_decref(run.created_ids);
	*store_lost = run.store_lost;
	return out;
}

void
jmap_api_handle(const struct jmap_account *a, const char *body, size_t len,
    struct jmap_response *r)
{
	memset(r, 0, sizeof(*r));
	if (len > a->limits->max_size_request) {
		problem(r, 413, "limit", "the request is larger than "
		    "maxSizeRequest", "maxSizeRequest");
		return;
	}
	json_error_t jerr;
	json_t *req = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (req == NULL) {
		problem(r, 400, "notJSON", "the body is not I-JSON", NULL);
		return;
	}
	if (!is_request(req)) {
		problem(r, 400, "notRequest", "the body is not a JMAP Request",
		    NULL);
		goto out;
	}
	size_t i;
	json_t *cap;
	json_array_foreach(json_object_get(req, "using"), i, cap) {
		if (!jmap_capability_known(json_string_value(cap))) {
			char detail[256];
			size_t n = (size_t)snprintf(detail, sizeof(detail),
			    "unknown capability %.200s", json_string_value(cap));
			/* the cut may split a UTF-8 sequence: drop its bytes */
			while (n > 0 && n < sizeof(detail) &&
			    !utf8_ok(detail, n))
				detail[--n] = '\0';
			problem(r, 400, "unknownCapability", detail, NULL);
			goto out;
		}
	}
	if (json_array_size(json_object_get(req, "methodCalls")) >
	    a->limits->max_calls_in_request) {
		problem(r, 400, "limit", "more method calls than "
		    "maxCallsInRequest", "maxCallsInRequest");
		goto out;
	}
	bool lost = false;
	finish(r, 200, false, run_request(a, req, &lost));
	r->store_lost = lost;
out:
	json_decref(req);
}
