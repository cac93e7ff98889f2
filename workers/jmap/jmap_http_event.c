/* jmap_http_event: the EventSource endpoint (RFC 8620 section 7.3).
 * GET /jmap/eventsource/?types=Mailbox,Email&closeafter=state&ping=30
 * answers text/event-stream: a "state" event (a StateChange object) as
 * soon as the store reports a change by another connection of the user
 * (the same wake-up as IMAP IDLE: poll on the store channel), and a
 * "ping" event after every ping seconds without one. A mail change names
 * Mailbox, Email and Thread; a change of a per-user object (Identity/set,
 * VacationResponse/set, SieveScript/set: its id document) names only the
 * type whose document moved; a JMAP submission queued, canceled, destroyed
 * or resolved by submitd names EmailSubmission. The
 * stream ends the connection. */
#include "jmap_http.h"
#include "jmap_http_resp.h"
#include "jmap_userobj.h"
#include "log.h"

#include <stdlib.h>
#include <string.h>

/* RFC 8620 7.3: a server may clamp ping, but its minimum must be 30 or
 * less and its maximum 300 or more. */
#define PING_MIN_S 1
#define PING_MAX_S 300

/* The data types the account has. The first three follow the store's
 * change counter; each of the others is one per-user document. */
static const char *const types_known[] = { "Mailbox", "Email", "Thread",
    "Identity", "VacationResponse", "SieveScript", "EmailSubmission" };
#define NTYPES (sizeof(types_known) / sizeof(types_known[0]))
#define MAIL_TYPES 0x7u
#define OBJ_FIRST 3
static const char *const obj_keys[] = { JMAP_IDENTITY_KEY,
    JMAP_VACATION_KEY, JMAP_SIEVE_KEY };
#define NOBJ (sizeof(obj_keys) / sizeof(obj_keys[0]))
/* EmailSubmission: the user's outbox entries, their own state ("s<n>",
 * jmap_submission.h), heard of as a change of objects */
#define SUB_TYPE (OBJ_FIRST + NOBJ)

struct es {
	unsigned types;            /* bit i: types_known[i] wanted */
	bool closeafter;
	unsigned ping_s;           /* 0: none */
	uint64_t state[NTYPES];    /* last one sent (or current at start) */
	uint64_t obj_modseq[NOBJ]; /* each wanted document's version */
};

/* "*" or a comma list of type names; unknown names are ignored (they
 * never change here). -1 if malformed. */
static int
parse_types(const char *v, unsigned *out)
{
	*out = 0;
	if (strcmp(v, "*") == 0) {
		*out = (1u << NTYPES) - 1;
		return 0;
	}
	const char *p = v;
	while (*p) {
		const char *e = strchr(p, ',');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		if (n == 0)
			return -1;
		for (size_t i = 0; i < NTYPES; i++)
			if (strlen(types_known[i]) == n &&
			    memcmp(types_known[i], p, n) == 0)
				*out |= 1u << i;
		p += n + (e ? 1 : 0);
	}
	return 0;
}

/* The query: 0, or -1 with a 400 written. */
static int
parse_query(struct jmap_http_session *s, struct es *es)
{
	char v[256];
	struct http_str q = s->rd.req.query;
	int r = http_query_param(q, "types", v, sizeof(v));
	if (r < 0 || parse_types(r == 0 ? "*" : v, &es->types) < 0)
		goto bad;
	r = http_query_param(q, "closeafter", v, sizeof(v));
	if (r < 0 || (r == 1 && strcmp(v, "state") != 0 && strcmp(v, "no")))
		goto bad;
	es->closeafter = r == 1 && strcmp(v, "state") == 0;
	r = http_query_param(q, "ping", v, sizeof(v));
	if (r < 0)
		goto bad;
	if (r == 1) {
		char *end;
		unsigned long p = strtoul(v, &end, 10);
		if (v[0] < '0' || v[0] > '9' || *end != '\0' || p > 1000000)
			goto bad;
		es->ping_s = p == 0 ? 0 : p < PING_MIN_S ? PING_MIN_S :
		    p > PING_MAX_S ? PING_MAX_S : (unsigned)p;
	}
	return 0;
bad:
	jmap_http_error(s, 400, false, "Bad types, closeafter or ping");
	return -1;
}

/* One event naming the types in changed. */
static void
state_event(struct jmap_http_session *s, const struct es *es,
    unsigned changed)
{
	struct buf *b = jmap_http_out(s);
	buf_printf(b, "event: state\ndata: {\"@type\":\"StateChange\","
	    "\"changed\":{\"%s\":{", s->account_id);
	bool first = true;
	for (size_t i = 0; i < NTYPES; i++) {
		if (!(changed & (1u << i)))
			continue;
		buf_printf(b, "%s\"%s\":\"%s%llu\"", first ? "" : ",",
		    types_known[i], i == SUB_TYPE ? "s" : "",
		    (unsigned long long)es->state[i]);
		first = false;
	}
	buf_append_str(b, "}}}\n\n");
}

/* The version of each wanted document into es->obj_modseq; bit
 * OBJ_FIRST + i of *moved set when document i is not the one last read.
 * A store error code on failure. */
static int
read_objects(struct jmap_http_session *s, struct es *es, unsigned *moved)
{
	*moved = 0;
	for (size_t i = 0; i < NOBJ; i++) {
		if (!(es->types & (1u << (OBJ_FIRST + i))))
			continue;
		struct buf v = BUF_INIT(STORE_OBJ_MAX);
		uint64_t m;
		int rc = store_obj_get(s->sc, obj_keys[i], &v, &m);
		buf_free(&v);
		if (rc < 0)
			return rc;
		if (m != es->obj_modseq[i])
			*moved |= 1u << (OBJ_FIRST + i);
		es->obj_modseq[i] = m;
	}
	return 0;
}

static int
no_entry(void *arg, const struct store_submission *e)
{
	(void)arg;
	(void)e;
	return 0;
}

/* The EmailSubmission state into es->state[SUB_TYPE] (if wanted); its bit
 * in *moved when it is not the one last read. */
static int
read_submissions(struct jmap_http_session *s, struct es *es, unsigned *moved)
{
	uint64_t st;
	if (!(es->types & (1u << SUB_TYPE)))
		return 0;
	/* changes since the largest state: none listed, the state only */
	int rc = store_outbox_list(s->sc, INT64_MAX, no_entry, NULL, &st);
	if (rc < 0)
		return rc;
	if (st != es->state[SUB_TYPE])
		*moved |= 1u << SUB_TYPE;
	es->state[SUB_TYPE] = st;
	return 0;
}

/* The newest state of the queued notifications: mail and documents. */
static void
collect(struct jmap_http_session *s, uint64_t *mail, uint64_t *obj)
{
	struct store_notify n;
	while (store_client_next_notify(s->sc, &n) == 1) {
		uint64_t *to = n.mailbox_id == STORE_NOTIFY_OBJECTS ? obj : mail;
		if (n.state > *to)
			*to = n.state;
	}
}

/* Queued notifications -> the wanted types whose state moved (0: none),
 * or -1 if the store failed. */
static int
drain(struct jmap_http_session *s, struct es *es)
{
	uint64_t mail = 0, obj = 0;
	unsigned changed = 0;
	collect(s, &mail, &obj);
	/* which document moved: only a listener for them asks the store */
	if (obj != 0 && (es->types & ~MAIL_TYPES)) {
		if (read_objects(s, es, &changed) < 0 ||
		    read_submissions(s, es, &changed) < 0)
			return -1;
		/* queued during the read (the poll has seen them already);
		 * documents changed by then were read as they are now */
		collect(s, &mail, &obj);
	}
	if (mail > es->state[0])
		changed |= MAIL_TYPES;
	for (size_t i = 0; i < SUB_TYPE; i++)
		if (changed & (1u << i))
			es->state[i] = i < OBJ_FIRST ? mail : obj;
	return (int)(changed & es->types);
}

static int
stream(struct jmap_http_session *s, struct es *es)
{
	int store_fd = store_client_fd(s->sc);
	int64_t quiet_since = client_conn_now_ms();
	for (;;) {
		client_conn_release(&s->conn);
		int64_t left = es->ping_s ? quiet_since + es->ping_s * 1000LL -
		    client_conn_now_ms() : (int64_t)s->opt->idle_timeout_s * 1000;
		enum client_wait w = client_conn_wait(&s->conn, store_fd,
		    left > 0 ? (int)left : 0);
		if (w == CLIENT_WAIT_CLOSED)
			return -1;
		if (w == CLIENT_WAIT_INPUT) {
			/* nothing may follow an event stream's request */
			size_t n;
			(void)client_conn_input(&s->conn, &n);
			client_conn_consume(&s->conn, n);
			continue;
		}
		if (w == CLIENT_WAIT_TIMEOUT && es->ping_s == 0)
			return 0;
		if (w == CLIENT_WAIT_TIMEOUT) {
			buf_printf(jmap_http_out(s), "event: ping\ndata: "
			    "{\"interval\":%u}\n\n", es->ping_s);
		} else {
			int changed;
			if (store_client_read_notify(s->sc) < 0 ||
			    (changed = drain(s, es)) < 0)
				return -1;
			if (changed == 0)
				continue;
			state_event(s, es, (unsigned)changed);
		}
		quiet_since = client_conn_now_ms();
		if (client_conn_flush(&s->conn) < 0)
			return -1;
		if (w != CLIENT_WAIT_TIMEOUT && es->closeafter)
			return 0;
	}
}

int
jmap_http_eventsource(struct jmap_http_session *s)
{
	struct es es = { 0 };
	if (parse_query(s, &es) < 0)
		return 0;
	unsigned moved;
	int rc = store_watch(s->sc, 0, true);
	if (rc == 0)
		rc = store_state(s->sc, &es.state[0]);
	if (rc == 0)
		rc = read_objects(s, &es, &moved);
	if (rc == 0)
		rc = read_submissions(s, &es, &moved);
	for (size_t i = 1; i < SUB_TYPE; i++)
		es.state[i] = es.state[0];
	if (rc == STORE_E_IO || rc == STORE_E_PROTO)
		return -1;
	if (rc < 0) {
		jmap_http_error(s, 503, true, "Store unavailable");
		return 0;
	}
	/* the stream's end is the connection's: no length, no reuse */
	s->close = true;
	struct buf *b = jmap_http_out(s);
	jmap_http_start(s, 200);
	http_resp_header(b, "Content-Type", "text/event-stream");
	buf_append_str(b, "\r\n");
	if (client_conn_flush(&s->conn) < 0)
		return -1;
	return stream(s, &es);
}
