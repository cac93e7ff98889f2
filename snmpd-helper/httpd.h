/*
 * httpd: the /metrics connections of cloister-snmpd, driven by the helper's
 * poll loop. Listeners are the fds the supervisor bound (CLOISTER_FD_LISTEN);
 * each connection reads one request head (http.h), gets one response and is
 * closed: write, shutdown, drain what the client still sends, close. Every
 * state has a deadline; at most HTTPD_MAX_CONNS connections are open: past
 * that, new clients wait in the listen backlog until a reply or a read
 * deadline (408) frees a slot.
 */
#ifndef CLOISTER_SNMPD_HTTPD_H
#define CLOISTER_SNMPD_HTTPD_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "http.h"
#include "snap.h"

#define HTTPD_MAX_LISTENERS 8
#define HTTPD_MAX_CONNS 16
#define HTTPD_READ_MS 10000        /* default: whole request head, else 408 */
#define HTTPD_WRITE_MS 10000
#define HTTPD_DRAIN_MS 2000
#define HTTPD_DRAIN_MAX 65536

enum httpd_state { HC_FREE, HC_READ, HC_WRITE, HC_DRAIN };

struct httpd_conn {
	enum httpd_state state;
	int fd;
	int64_t deadline_ms;
	size_t inlen;
	size_t drained;
	uint8_t in[HTTP_MAX_HEAD];
	struct buf out;
	size_t sent;
};

struct httpd {
	int listen_fd[HTTPD_MAX_LISTENERS];
	size_t nlisten;
	struct httpd_conn conn[HTTPD_MAX_CONNS];
	/* slot -> conn index for the pollfds handed out last */
	int slot_conn[HTTPD_MAX_CONNS];
	size_t nslots;
	int read_ms;
	uint64_t requests;
};

/* read_ms: how long a client has to send its whole request head. */
void httpd_init(struct httpd *h, const int *listen_fds, size_t n, int read_ms);
/* Append this module's pollfds (listeners, then connections) to pfd;
 * returns how many; lowers *timeout_ms to the nearest deadline. */
size_t httpd_pollfds(struct httpd *h, struct pollfd *pfd, size_t max,
    int64_t now_ms, int *timeout_ms);
/* Act on the revents of the slice httpd_pollfds filled, and on deadlines. */
void httpd_handle(struct httpd *h, const struct pollfd *pfd, size_t n,
    int64_t now_ms, const struct snap *s);

#endif
