/* wake_floor: the machine's floor for waking N sleeping processes, the
 * cost under every one-process-per-session IDLE fan-out (bench/README.md,
 * "IDLE fan-out"). N children each block in read() on their own pipe,
 * having touched PAGES pages of private memory; the parent writes one byte
 * to every pipe, and each child, once woken, touches its pages again and
 * answers on a shared pipe. Prints the time until half and 99% of the
 * children have answered. No Cloister code involved.
 *
 * With "tcp", each child still wakes on its own pipe but answers on its
 * own loopback TCP connection, and the parent waits in epoll: the path an
 * idler's wake-up and "* N EXISTS" take, without TLS or a mail store. It
 * tells how much of an IDLE fan-out is the transport; the floor the
 * benchmarks compare with is the pipe one.
 *
 *     cloister-bench-wake-floor N [PAGES [tcp]]
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double
since(const struct timespec *a)
{
	struct timespec b;
	clock_gettime(CLOCK_MONOTONIC, &b);
	return (double)(b.tv_sec - a->tv_sec) + (b.tv_nsec - a->tv_nsec) / 1e9;
}

/* A child: touch pages, sleep on wake_fd, touch again, answer, wait for
 * the parent's second byte (so all stay alive until the end). */
static void
child(int wake_fd, int answer_fd, long pages)
{
	volatile char *mem = malloc((size_t)pages * 4096 + 1);
	if (mem == NULL)
		_exit(1);
	for (long k = 0; k < pages; k++)
		mem[k * 4096] = 1;
	char b;
	if (read(wake_fd, &b, 1) != 1)
		_exit(1);
	for (long k = 0; k < pages; k++)
		mem[k * 4096]++;
	if (write(answer_fd, &b, 1) != 1)
		_exit(1);
	if (read(wake_fd, &b, 1) < 0)
		_exit(1);
	_exit(0);
}

/* 127.0.0.1:port (network order). */
static struct sockaddr_in
loopback(in_port_t port)
{
	struct sockaddr_in a;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = port;
	return a;
}

/* A loopback TCP listener on an ephemeral port; its port in *port. */
static int
listener(in_port_t *port)
{
	struct sockaddr_in a = loopback(0);
	socklen_t al = sizeof(a);
	int l = socket(AF_INET, SOCK_STREAM, 0);
	if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    listen(l, 4096) < 0 || getsockname(l, (struct sockaddr *)&a, &al) < 0)
		return -1;
	*port = a.sin_port;
	return l;
}

static int
dial(in_port_t port)
{
	struct sockaddr_in a = loopback(port);
	int s = socket(AF_INET, SOCK_STREAM, 0);
	if (s < 0 || connect(s, (struct sockaddr *)&a, sizeof(a)) < 0)
		return -1;
	return s;
}

/* Over TCP: the waker, a child of the parent, starts the sleepers as its
 * own children, each woken by a pipe from the waker (as an idler is by
 * its store channel) and answering on its own loopback connection to the
 * parent (as an idler answers its client). Two processes, so that neither
 * holds more than N descriptors. */
static void
waker(long n, long pages, in_port_t port, int go_fd)
{
	int *wake = calloc((size_t)n, sizeof(*wake));
	if (wake == NULL)
		_exit(1);
	for (long i = 0; i < n; i++) {
		int p[2];
		if (pipe(p) < 0) {
			perror("pipe (raise ulimit -n)");
			_exit(1);
		}
		pid_t c = fork();
		if (c < 0) {
			perror("fork");
			_exit(1);
		}
		if (c == 0) {
			/* keep only the wake pipe: the parent's close of
			 * its connection must reach this child as EOF */
			if (dup2(p[0], 3) < 0)
				_exit(1);
			close_range(4, ~0U, 0);
			int s = dial(port);
			if (s < 0)
				_exit(1);
			child(3, s, pages);
		}
		close(p[0]);
		wake[i] = p[1];
	}
	char x;
	for (int round = 0; round < 2; round++) {
		if (read(go_fd, &x, 1) != 1)
			_exit(1);
		for (long i = 0; i < n; i++)
			if (write(wake[i], &x, 1) != 1)
				_exit(1);
	}
	while (wait(NULL) > 0 || errno == EINTR)
		;
	_exit(0);
}

/* Read answers: one from the shared pipe, or one from each connection
 * epoll names. */
static int
next_answers(bool tcp, int answer_fd, int ep, long *got)
{
	char x;
	if (!tcp) {
		if (read(answer_fd, &x, 1) != 1)
			return -1;
		*got = 1;
		return 0;
	}
	struct epoll_event ev[256];
	int k = epoll_wait(ep, ev, 256, 60000);
	if (k <= 0)
		return -1;
	for (int i = 0; i < k; i++) {
		if (read(ev[i].data.fd, &x, 1) != 1)
			return -1;
		epoll_ctl(ep, EPOLL_CTL_DEL, ev[i].data.fd, NULL);
	}
	*got = k;
	return 0;
}

/* Pipe mode: child i's wake pipe, its write end returned. */
static int
start_child(int answer_fd, long pages)
{
	int p[2];
	if (pipe(p) < 0) {
		perror("pipe (raise ulimit -n)");
		return -1;
	}
	pid_t c = fork();
	if (c < 0) {
		perror("fork");
		return -1;
	}
	if (c == 0) {
		close(p[1]);
		child(p[0], answer_fd, pages);
	}
	close(p[0]);
	return p[1];
}

/* TCP mode: start the waker, accept its N sleepers' connections. */
static int
start_tcp(long n, long pages, int *conn, int *go_fd, pid_t *wpid)
{
	in_port_t port = 0;
	int l = listener(&port);
	int ep = epoll_create1(0);
	int go[2];
	if (l < 0 || ep < 0 || pipe(go) < 0) {
		perror("setup");
		return -1;
	}
	*wpid = fork();
	if (*wpid < 0) {
		perror("fork");
		return -1;
	}
	if (*wpid == 0) {
		close(l);
		close(go[1]);
		waker(n, pages, port, go[0]);
	}
	close(go[0]);
	*go_fd = go[1];
	for (long i = 0; i < n; i++) {
		conn[i] = accept(l, NULL, NULL);
		struct epoll_event ev = { .events = EPOLLIN, .data.fd = conn[i] };
		if (conn[i] < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, conn[i], &ev) < 0) {
			perror("accept (raise ulimit -n)");
			return -1;
		}
	}
	close(l);
	return ep;
}

int
main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s N [PAGES [tcp]]\n", argv[0]);
		return 2;
	}
	long n = strtol(argv[1], NULL, 10);
	long pages = argc > 2 ? strtol(argv[2], NULL, 10) : 0;
	bool tcp = argc > 3 && strcmp(argv[3], "tcp") == 0;
	if (n < 1 || n > 100000 || pages < 0 || pages > 10000) {
		fprintf(stderr, "N in 1..100000, PAGES in 0..10000\n");
		return 2;
	}
	int answer[2];
	int *wake = calloc((size_t)n, sizeof(*wake));
	int ep = -1, go_fd = -1;
	pid_t wpid = -1;
	if (wake == NULL || pipe(answer) < 0) {
		perror("setup");
		return 1;
	}
	if (tcp && (ep = start_tcp(n, pages, wake, &go_fd, &wpid)) < 0)
		return 1;
	for (long i = 0; !tcp && i < n; i++)
		if ((wake[i] = start_child(answer[1], pages)) < 0)
			return 1;
	sleep(2);              /* every child asleep in read() */
	struct timespec t0;
	char x = 'x';
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (tcp && write(go_fd, &x, 1) != 1)
		return 1;
	for (long i = 0; !tcp && i < n; i++)
		if (write(wake[i], &x, 1) != 1)
			return 1;
	double p50 = 0, p99 = 0;
	for (long seen = 0; seen < n;) {
		long got;
		if (next_answers(tcp, answer[0], ep, &got) < 0)
			return 1;
		double t = since(&t0);
		if (seen <= n / 2 && seen + got > n / 2)
			p50 = t;
		if (seen <= (long)(n * 0.99) && seen + got > (long)(n * 0.99))
			p99 = t;
		seen += got;
	}
	printf("wake floor%s: %ld processes, %ld pages each: p50 %.3f s, "
	    "p99 %.3f s\n", tcp ? ", answers over loopback TCP" : "", n, pages,
	    p50, p99);
	if (tcp) {             /* the waker releases its children */
		if (write(go_fd, &x, 1) != 1)
			perror("release");
		waitpid(wpid, NULL, 0);
		return 0;
	}
	for (long i = 0; i < n; i++)
		if (write(wake[i], &x, 1) != 1)
			perror("release");
	while (wait(NULL) > 0 || errno == EINTR)
		;
	return 0;
}
