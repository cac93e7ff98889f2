/* jmap_http_event: the EventSource endpoint (RFC 8620 section 7.3).
 * GET /jmap/eventsource/?types=Mailbox,Email&closeafter=state&ping=30
 * answers text/event-stream: a "state" event (a StateChange object) as
 * soon as the store reports a change by another connection of the user
 * (the same wake-up as IMAP IDLE: poll on the store channel), and a
 * "ping" event after every ping seconds without one. The stream ends the
 * connection. */
#include "jmap_http.h"
#include "jmap_http_resp.h"
#include "log.h"

#include <stdlib.h>
#include <string.h>

/* RFC 8620 7.3: a server may clamp ping, but its minimum must be 30 or
 * less and its maximum 300 or more. */
#define PING_MIN_S 1
#define PING_MAX_S 300

/* The data types whose state follows the store's change counter. */
static const char *const types_known[] = { "Mailbox", "Email", "Thread" };
#define NTYPES (sizeof(types_known) / sizeof(types_known[0]))

struct es {
	unsigned types;            /* bit i: types_known[i] wanted */
	bool closeafter;
	unsigned ping_s;           /* 0: none */
	uint64_t state;            /* last one sent (or current at start) */
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

static void
state_event(struct jmap_http_session *s, const struct es *es)
{
	struct buf *b = jmap_http_out(s);
	buf_printf(b, "event: state\ndata: {\"@type\":\"StateChange\","
	    "\"changed\":{\"%s\":{", s->account_id);
	bool first = true;
	for (size_t i = 0; i < NTYPES; i++) {
		if (!(es->types & (1u << i)))
			continue;
		buf_printf(b, "%s\"%s\":\"%llu\"", first ? "" : ",",
		    types_known[i], (unsigned long long)es->state);
		first = false;
	}
	buf_append_str(b, "}}}\n\n");
}

/* Queued notifications -> the newest state; 1 if it moved. */
static int
drain(struct jmap_http_session *s, struct es *es)
{
	struct store_notify n;
	uint64_t newest = es->state;
	while (store_client_next_notify(s->sc, &n) == 1)
		if (n.state > newest)
			newest = n.state;
	if (newest == es->state)
		return 0;
	es->state = newest;
	return 1;
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
			if (store_client_read_notify(s->sc) < 0)
				return -1;
			if (!drain(s, es) || es->types == 0)
				continue;
			state_event(s, es);
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
	int rc = store_watch(s->sc, 0, true);
	if (rc == 0)
		rc = store_state(s->sc, &es.state);
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
