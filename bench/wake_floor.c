/* wake_floor: the machine's floor for waking N sleeping processes, the
 * cost under every one-process-per-session IDLE fan-out (bench/README.md,
 * "IDLE fan-out"). N children each block in read() on their own pipe,
 * having touched PAGES pages of private memory; the parent writes one byte
 * to every pipe, and each child, once woken, touches its pages again and
 * answers on a shared pipe. Prints the time until half and 99% of the
 * children have answered. No Cloister code involved.
 *
 *     cloister-bench-wake-floor N [PAGES]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
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

int
main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s N [PAGES]\n", argv[0]);
		return 2;
	}
	long n = strtol(argv[1], NULL, 10);
	long pages = argc > 2 ? strtol(argv[2], NULL, 10) : 0;
	if (n < 1 || n > 100000 || pages < 0 || pages > 10000) {
		fprintf(stderr, "N in 1..100000, PAGES in 0..10000\n");
		return 2;
	}
	int answer[2];
	int *wake = calloc((size_t)n, sizeof(*wake));
	if (wake == NULL || pipe(answer) < 0) {
		perror("setup");
		return 1;
	}
	for (long i = 0; i < n; i++) {
		int p[2];
		if (pipe(p) < 0) {
			perror("pipe (raise ulimit -n)");
			return 1;
		}
		pid_t c = fork();
		if (c < 0) {
			perror("fork");
			return 1;
		}
		if (c == 0) {
			close(p[1]);
			child(p[0], answer[1], pages);
		}
		close(p[0]);
		wake[i] = p[1];
	}
	sleep(2);              /* every child asleep in read() */
	struct timespec t0;
	char x = 'x';
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (long i = 0; i < n; i++)
		if (write(wake[i], &x, 1) != 1)
			return 1;
	double p50 = 0, p99 = 0;
	for (long i = 0; i < n; i++) {
		if (read(answer[0], &x, 1) != 1)
			return 1;
		double t = since(&t0);
		if (i == n / 2)
			p50 = t;
		if (i == (long)(n * 0.99))
			p99 = t;
	}
	printf("wake floor: %ld processes, %ld pages each: p50 %.3f s, p99 %.3f s\n",
	    n, pages, p50, p99);
	for (long i = 0; i < n; i++)
		if (write(wake[i], &x, 1) != 1)
			perror("release");
	while (wait(NULL) > 0 || errno == EINTR)
		;
	return 0;
}
