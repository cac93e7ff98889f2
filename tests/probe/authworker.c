/*
 * cloister-authworker: a connection worker for authd's end-to-end tests,
 * standing in for imapd until it relays SASL itself. cloisterd starts it
 * with the fds.h argv and fds; it confines itself under its service's
 * policy (imapd.policy) exactly as imapd does, takes one CTL_CONN, and
 * relays SASL through auth_client (workers/auth) on a line protocol:
 *
 *   MECHS                 -> * MECHS NAME:FLAGS ...
 *   AUTH MECH [B64|=]     -> "+ B64" continuations, each answered with a
 *                            B64 line or "*" (abort), then
 *                            * OK user=U expiry=E ticket=HEX [final=B64]
 *                            * NO reason=R TEXT
 *                            * BYE authd error   (and exit, crash-only)
 *   QUIT                  -> * BYE
 */
#include "ipc.h"
#include "auth_client.h"
#include "log.h"
#include "worker.h"

#include <openssl/evp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int cfd = -1;
static char line[40000];
static size_t have;

static void out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
out(const char *fmt, ...)
{
	static char b[AUTH_DATA_MAX * 2 + 1024];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(b, sizeof(b), fmt, ap);
	va_end(ap);
	if (n > 0 && (size_t)n < sizeof(b) && write(cfd, b, (size_t)n) != n)
		exit(0);
}

/* One line from the client (CRLF stripped), or exit at EOF. */
static char *
read_line(void)
{
	static size_t consumed;
	memmove(line, line + consumed, have - consumed);
	have -= consumed;
	consumed = 0;
	for (;;) {
		char *nl = memchr(line, '\n', have);
		if (nl != NULL) {
			consumed = (size_t)(nl - line) + 1;
			*nl = '\0';
			if (nl > line && nl[-1] == '\r')
				nl[-1] = '\0';
			return line;
		}
		if (have == sizeof(line) - 1)
			exit(0);
		ssize_t n = read(cfd, line + have, sizeof(line) - 1 - have);
		if (n <= 0)
			exit(0);
		have += (size_t)n;
	}
}

static int
b64_decode(const char *s, uint8_t *dst, size_t max, size_t *n)
{
	size_t len = strlen(s);
	if (len % 4 != 0 || len / 4 * 3 > max)
		return -1;
	int r = EVP_DecodeBlock(dst, (const unsigned char *)s, (int)len);
	if (r < 0)
		return -1;
	size_t pad = (len > 0 && s[len - 1] == '=') + (len > 1 && s[len - 2] == '=');
	*n = (size_t)r - pad;
	return 0;
}

static const char *
b64(const uint8_t *p, size_t n)
{
	static char b[AUTH_DATA_MAX * 2];
	EVP_EncodeBlock((unsigned char *)b, p, (int)n);
	return b;
}

static void
authenticate(struct auth_client *ac, char *args)
{
	static uint8_t data[AUTH_DATA_MAX];
	static struct auth_reply r;
	char *mech = strtok(args, " ");
	char *ir = strtok(NULL, " ");
	size_t n = 0;
	if (mech == NULL) {
		out("* BAD AUTH MECH [IR]\r\n");
		return;
	}
	if (ir != NULL && strcmp(ir, "=") != 0 &&
	    b64_decode(ir, data, sizeof(data), &n) < 0) {
		out("* BAD base64\r\n");
		return;
	}
	enum auth_status st = auth_client_start(ac, mech, ir ? data : NULL, n, &r);
	while (st == AUTH_ST_CHALLENGE) {
		out("+ %s\r\n", b64(r.data, r.data_len));
		char *l = read_line();
		if (strcmp(l, "*") == 0) {
			out("* BAD aborted\r\n");
			auth_reply_wipe(&r);
			return;
		}
		if (b64_decode(l, data, sizeof(data), &n) < 0) {
			out("* BAD base64\r\n");
			return;
		}
		st = auth_client_step(ac, data, n, &r);
	}
	if (st == AUTH_ST_SUCCESS) {
		char hex[TICKET_MAX * 2 + 1];
		for (size_t i = 0; i < r.ticket_len; i++)
			snprintf(hex + 2 * i, 3, "%02x", r.ticket[i]);
		out("* OK user=%s expiry=%llu ticket=%s%s%s\r\n", r.user,
		    (unsigned long long)r.expiry, hex, r.has_data ? " final=" : "",
		    r.has_data ? b64(r.data, r.data_len) : "");
	} else if (st == AUTH_ST_FAILURE) {
		out("* NO reason=%s %s\r\n", auth_fail_name(r.reason), r.text);
	} else {
		out("* BYE authd error\r\n");
		exit(1);
	}
	explicit_bzero(data, sizeof(data));
	auth_reply_wipe(&r);
}

int
main(int argc, char **argv)
{
	static struct config cfg;
	const struct config_service *svc;
	struct worker w;
	worker_start(&w, argc, argv, "cloister-authworker", ROLE_CONNECTION,
	    &cfg, &svc);
	worker_confine(&w, NULL, 0);
	worker_ready();

	struct auth_client ac;
	if (auth_client_init(&ac, CLOISTER_FD_AUTH) < 0)
		log_fatal("out of memory");
	struct worker_conn conn;
	worker_take_conn(&w, &conn);
	cfd = conn.fd;
	out("* OK authworker %llu\r\n", (unsigned long long)w.args.instance);
	for (;;) {
		char *l = read_line();
		if (strcmp(l, "QUIT") == 0) {
			out("* BYE\r\n");
			return 0;
		}
		if (strcmp(l, "MECHS") == 0) {
			const struct auth_mech *m;
			size_t n;
			if (auth_client_mechs(&ac, &m, &n) < 0) {
				out("* BYE authd error\r\n");
				return 1;
			}
			char b[512] = "";
			size_t used = 0;
			for (size_t i = 0; i < n; i++)
				used += (size_t)snprintf(b + used, sizeof(b) - used, " %s:%u",
				    m[i].name, m[i].flags);
			out("* MECHS%s\r\n", b);
		} else if (strncmp(l, "AUTH ", 5) == 0) {
			authenticate(&ac, l + 5);
		} else {
			out("* BAD unknown command\r\n");
		}
	}
}
