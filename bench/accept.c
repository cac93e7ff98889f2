/*
 * cloister-bench-accept [-d SECONDS] [-c N[,N...]] [NAME=]HOST:PORT ...
 *
 * Accept-to-greeting latency and new connections per second through a
 * server's accept path: each of N concurrent clients connects, waits for
 * the first line the server sends (an IMAP greeting), closes (RST, so that
 * no TIME_WAIT piles up on either side) and starts again, for SECONDS per
 * run. Latency is from connect() to the greeting's end of line. Runs every
 * target at every concurrency (default 1 and 50), then prints each
 * target's figures as ratios to the first target's.
 *
 *   cloister-bench-accept cloister=127.0.0.1:1143 dovecot=127.0.0.1:3143 \
 *       cyrus=127.0.0.1:2143
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_TARGETS 8
#define MAX_CONC 1024

struct target {
	char name[64];
	struct sockaddr_storage sa;
	socklen_t salen;
};

struct result {
	double rate, p50, p99;
	unsigned long conns, errors;
};

struct slot {
	int fd;
	double t0;
	size_t got;
	char buf[1024];
};

static double
now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int
parse_target(const char *arg, struct target *t)
{
	const char *eq = strchr(arg, '=');
	const char *hp = eq ? eq + 1 : arg;
	size_t nl = eq ? (size_t)(eq - arg) : strlen(arg);
	if (nl >= sizeof(t->name))
		nl = sizeof(t->name) - 1;
	memcpy(t->name, arg, nl);
	t->name[nl] = '\0';
	char host[64];
	const char *colon = strrchr(hp, ':');
	if (colon == NULL || (size_t)(colon - hp) >= sizeof(host))
		return -1;
	snprintf(host, sizeof(host), "%.*s", (int)(colon - hp), hp);
	int port = atoi(colon + 1);
	memset(&t->sa, 0, sizeof(t->sa));
	struct sockaddr_in *in = (struct sockaddr_in *)&t->sa;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&t->sa;
	char *h = host;
	if (h[0] == '[' && h[strlen(h) - 1] == ']') {
		h[strlen(h) - 1] = '\0';
		h++;
	}
	if (inet_pton(AF_INET, h, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)port);
		t->salen = sizeof(*in);
	} else if (inet_pton(AF_INET6, h, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		t->salen = sizeof(*in6);
	} else {
		return -1;
	}
	return port > 0 && port < 65536 ? 0 : -1;
}

static void
slot_start(int ep, const struct target *t, struct slot *s)
{
	s->fd = socket(t->sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (s->fd < 0) {
		perror("socket");
		exit(2);
	}
	struct linger lg = { 1, 0 };   /* close = RST: no TIME_WAIT */
	setsockopt(s->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	s->got = 0;
	s->t0 = now();
	if (connect(s->fd, (const struct sockaddr *)&t->sa, t->salen) < 0 &&
	    errno != EINPROGRESS) {
		perror("connect");
		exit(2);
	}
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = s };
	epoll_ctl(ep, EPOLL_CTL_ADD, s->fd, &ev);
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static struct result
run(const struct target *t, int conc, double seconds)
{
	static struct slot slots[MAX_CONC];
	size_t cap = 1 << 16, n = 0;
	double *lat = malloc(cap * sizeof(*lat));
	struct result r = { 0 };
	int ep = epoll_create1(0);
	for (int i = 0; i < conc; i++)
		slot_start(ep, t, &slots[i]);
	double t_start = now(), t_end = t_start + seconds;
	int live = conc;
	while (live > 0) {
		struct epoll_event evs[64];
		int k = epoll_wait(ep, evs, 64, 100);
		double tn = now();
		if (tn > t_end + 5)
			break;   /* a server that stopped answering */
		for (int i = 0; i < k; i++) {
			struct slot *s = evs[i].data.ptr;
			ssize_t got = read(s->fd, s->buf + s->got,
			    sizeof(s->buf) - 1 - s->got);
			if (got < 0 && errno == EAGAIN)
				continue;
			bool done = got > 0 && memchr(s->buf + s->got, '\n',
			    (size_t)got) != NULL;
			if (got > 0 && !done && s->got + (size_t)got <
			    sizeof(s->buf) - 1) {
				s->got += (size_t)got;
				continue;
			}
			if (done) {
				if (n == cap)
					lat = realloc(lat, (cap *= 2) * sizeof(*lat));
				lat[n++] = tn - s->t0;
			} else {
				r.errors++;
			}
			close(s->fd);
			if (tn < t_end)
				slot_start(ep, t, s);
			else
				live--;
		}
	}
	double elapsed = now() - t_start;
	close(ep);
	qsort(lat, n, sizeof(*lat), cmp_double);
	r.conns = n;
	r.rate = n / (elapsed > seconds ? elapsed : seconds);
	r.p50 = n ? lat[n / 2] * 1000 : 0;
	r.p99 = n ? lat[(size_t)(n * 0.99)] * 1000 : 0;
	free(lat);
	return r;
}

int
main(int argc, char **argv)
{
	double seconds = 10;
	int concs[8] = { 1, 50 }, nconc = 2;
	struct target targets[MAX_TARGETS];
	int nt = 0, opt;
	while ((opt = getopt(argc, argv, "d:c:")) != -1) {
		if (opt == 'd')
			seconds = atof(optarg);
		else if (opt == 'c') {
			nconc = 0;
			for (char *p = strtok(optarg, ","); p && nconc < 8;
			    p = strtok(NULL, ","))
				concs[nconc++] = atoi(p);
		} else {
			goto usage;
		}
	}
	for (int i = optind; i < argc && nt < MAX_TARGETS; i++)
		if (parse_target(argv[i], &targets[nt++]) < 0) {
			fprintf(stderr, "bad target %s\n", argv[i]);
			goto usage;
		}
	if (nt == 0 || seconds <= 0)
		goto usage;
	for (int c = 0; c < nconc; c++)
		if (concs[c] < 1 || concs[c] > MAX_CONC)
			goto usage;
	static struct result res[MAX_TARGETS][8];
	printf("%-10s %5s %9s %9s %9s %9s %7s\n", "target", "conc", "conns",
	    "conn/s", "p50 ms", "p99 ms", "errors");
	for (int c = 0; c < nconc; c++)
		for (int i = 0; i < nt; i++) {
			struct result *r = &res[i][c];
			*r = run(&targets[i], concs[c], seconds);
			printf("%-10s %5d %9lu %9.0f %9.2f %9.2f %7lu\n",
			    targets[i].name, concs[c], r->conns, r->rate, r->p50,
			    r->p99, r->errors);
			fflush(stdout);
		}
	if (nt > 1) {
		printf("\nratios %s/other (conn/s above 1 and latency below 1"
		    " favour %s)\n", targets[0].name, targets[0].name);
		for (int c = 0; c < nconc; c++)
			for (int i = 1; i < nt; i++) {
				struct result *a = &res[0][c], *b = &res[i][c];
				printf("  conc %-3d %s/%s: conn/s %.2f, p50 %.2f,"
				    " p99 %.2f\n", concs[c], targets[0].name,
				    targets[i].name, b->rate ? a->rate / b->rate : 0,
				    b->p50 ? a->p50 / b->p50 : 0,
				    b->p99 ? a->p99 / b->p99 : 0);
			}
	}
	return 0;
usage:
	fprintf(stderr, "usage: cloister-bench-accept [-d SECONDS] [-c N,N]"
	    " [NAME=]HOST:PORT ...\n");
	return 2;
}
