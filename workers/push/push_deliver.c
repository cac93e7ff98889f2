/* push_deliver: one message to one subscription (push_deliver.h). */
#include "push_deliver.h"
#include "push_addr.h"
#include "push_ece.h"
#include "push_http.h"
#include "push_send.h"
#include "push_url.h"
#include "push_vapid.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* addr as a sockaddr for port; false when push_addr.h refuses it. */
static bool
to_sockaddr(const struct push_sender *s, const struct push_dns_addr *a,
    uint16_t port, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
	memset(ss, 0, sizeof(*ss));
	if (a->family == AF_INET) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons(port);
		memcpy(&v4->sin_addr, a->a, 4);
		*len = sizeof(*v4);
		return push_addr_v4_public(a->a, s->allow_loopback);
	}
	v6->sin6_family = AF_INET6;
	v6->sin6_port = htons(port);
	memcpy(&v6->sin6_addr, a->a, 16);
	*len = sizeof(*v6);
	return push_addr_v6_public(a->a, s->allow_loopback);
}

/* The address to connect to: the host's (an IP literal, or the first
 * address the resolvers give that push_addr.h accepts), on 443 or the
 * extra port. Checked after resolving, so a name that points inside the
 * host's networks is refused however it got there. */
static int
target_addr(const struct push_sender *s, const struct push_url *u,
    struct sockaddr_storage *ss, socklen_t *len, char *err, size_t errlen)
{
	struct push_dns_addr a[PUSH_DNS_MAX_ADDRS];
	int n = 0;
	if (u->port != 443 && (s->extra_port == 0 || u->port != s->extra_port)) {
		snprintf(err, errlen, "port %u not allowed", u->port);
		return -1;
	}
	if (inet_pton(AF_INET, u->host, a[0].a) == 1) {
		a[0].family = AF_INET;
		n = 1;
	} else if (inet_pton(AF_INET6, u->host, a[0].a) == 1) {
		a[0].family = AF_INET6;
		n = 1;
	}
	for (size_t i = 0; n == 0 && i < s->ndns; i++)
		n = push_dns_resolve(&s->dns[i], s->dns_port, u->host,
		    s->timeout_ms, a, PUSH_DNS_MAX_ADDRS);
	if (n <= 0) {
		snprintf(err, errlen, "%s: no address", u->host);
		return -1;
	}
	for (int i = 0; i < n; i++)
		if (to_sockaddr(s, &a[i], u->port, ss, len))
			return 0;
	snprintf(err, errlen, "%s: not a public address", u->host);
	return -1;
}

static enum push_outcome
classify(const struct push_resp *r, uint32_t *retry_after, char *err,
    size_t errlen)
{
	if (r->status >= 200 && r->status < 300)
		return PUSH_SENT;
	snprintf(err, errlen, "push service answered %d", r->status);
	if (r->status == 404 || r->status == 410)
		return PUSH_GONE;
	if (r->status == 429 || r->status >= 500) {
		*retry_after = r->retry_after;
		return PUSH_RETRY;
	}
	return PUSH_FAILED;
}

enum push_outcome
push_deliver(const struct push_sender *s, const struct push_target *t,
    const char *json, uint32_t ttl, uint32_t *retry_after, char *err,
    size_t errlen)
{
	static uint8_t body[PUSH_ECE_RS + PUSH_ECE_HEADER];
	struct push_url u;
	struct sockaddr_storage ss;
	socklen_t alen = 0;
	size_t blen = strlen(json);
	struct buf auth = BUF_INIT(2048), req = BUF_INIT(PUSH_ECE_RS + 4096);
	struct push_resp r;
	enum push_outcome out = PUSH_FAILED;
	uint64_t now = (uint64_t)time(NULL);
	*retry_after = 0;
	if (push_url_parse(t->url, &u) < 0) {
		snprintf(err, errlen, "not an https URL");
		goto done;
	}
	if (target_addr(s, &u, &ss, &alen, err, errlen) < 0)
		goto done;
	if (t->p256dh != NULL && push_ece_encrypt(t->p256dh, t->auth,
	    (const uint8_t *)json, blen, NULL, NULL, body, sizeof(body),
	    &blen) < 0) {
		snprintf(err, errlen, "encryption failed (a bad key?)");
		goto done;
	}
	struct push_req q = { &u, NULL, ttl, "normal",
		t->p256dh ? body : (const uint8_t *)json, blen,
		t->p256dh != NULL };
	uint64_t exp = now + 12 * 3600;
	if ((s->vapid_fn != NULL ? s->vapid_fn(s->vapid_ctx, u.origin, exp,
	    &auth) : push_vapid_header(s->vapid, u.origin, s->subject, now, exp,
	    &auth)) < 0 || buf_append_byte(&auth, 0) < 0) {
		snprintf(err, errlen, "VAPID signing failed");
		goto done;
	}
	q.authorization = (const char *)auth.data;
	if (push_http_request(&q, &req) < 0) {
		snprintf(err, errlen, "request too large");
		goto done;
	}
	if (push_send(s->tls, &u, (struct sockaddr *)&ss, alen, &req,
	    s->timeout_ms, &r, err, errlen) < 0)
		out = PUSH_RETRY;
	else
		out = classify(&r, retry_after, err, errlen);
done:
	buf_free(&auth);
	buf_free(&req);
	return out;
}
