/* Unit tests for workers/shared/lines: CRLF and bare-LF lines, the length
 * limit with bounded memory, raw reads, EOF, raw reads far larger than the
 * buffer (the scan position must survive compaction), and the batched
 * writer. */
#include "check.h"
#include "lines.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static void
test_reader(void)
{
	int sv[2];
	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	struct lines_reader r;
	CHECK_EQ(lines_reader_init(&r, sv[0], 16, 0), 0);
	const uint8_t *l;
	size_t n;
	bool lf;
	CHECK_EQ(lines_read(&r, &l, &n, &lf), LINES_AGAIN);
	const char *in = "LHLO x\r\nbare\nsplit";
	CHECK(write(sv[1], in, strlen(in)) == (ssize_t)strlen(in));
	CHECK_EQ(lines_read(&r, &l, &n, &lf), LINES_OK);
	CHECK(n == 6 && memcmp(l, "LHLO x", 6) == 0 && !lf);
	CHECK(lines_pending(&r));
	CHECK_EQ(lines_read(&r, &l, &n, &lf), LINES_OK);
	CHECK(n == 4 && memcmp(l, "bare", 4) == 0 && lf);
	CHECK_EQ(lines_read(&r, &l, &n, &lf), LINES_AGAIN);
	CHECK(write(sv[1], " line\r\n", 7) == 7);
	CHECK_EQ(lines_wait(&r, 1000), 1);
	CHECK_EQ(lines_read(&r, &l, &n, &lf), LINES_OK);
	CHECK(n == 10 && memcmp(l, "split line", 10) == 0);

	/* a line past the limit: skipped whole, reported once */
	char big[100000];
	memset(big, 'x', sizeof(big));
	big[sizeof(big) - 2] = '\r';
	big[sizeof(big) - 1] = '\n';
	size_t off = 0;
	enum lines_result res = LINES_AGAIN;
	while (off < sizeof(big)) {
		ssize_t w = write(sv[1], big + off, sizeof(big) - off > 4096 ?
		    4096 : sizeof(big) - off);
		CHECK(w > 0);
		off += (size_t)w;
		res = lines_read(&r, &l, &n, &lf);
		if (res != LINES_AGAIN)
			break;
	}
	CHECK_EQ(res, LINES_TOO_LONG);
	CHECK(r.cap <= 16 + LINES_READ_CHUNK);   /* memory stayed bounded */
	CHECK(write(sv[1], "NOOP\r\n", 6) == 6);
	CHECK_EQ(lines_read(&r, &l, &n, &lf), LINES_OK);
	CHECK(n == 4 && memcmp(l, "NOOP", 4) == 0);
	/* exactly the limit (16 with CRLF) passes, one more does not */
	CHECK(write(sv[1], "12345678901234\r\n123456789012345\r\n", 33) == 33);
	CHECK_EQ(lines_read(&r, &l, &n, &lf), LINES_OK);
	CHECK_EQ(n, 14);
	CHECK_EQ(lines_read(&r, &l, &n, &lf), LINES_TOO_LONG);

	/* raw bytes share the buffer */
	CHECK(write(sv[1], "abcdefLINE\r\n", 12) == 12);
	CHECK_EQ(lines_read_raw(&r, 6, &l, &n), LINES_OK);
	CHECK(n == 6 && memcmp(l, "abcdef", 6) == 0);
	CHECK_EQ(lines_read(&r, &l, &n, &lf), LINES_OK);
	CHECK(n == 4 && memcmp(l, "LINE", 4) == 0);

	close(sv[1]);
	CHECK_EQ(lines_read(&r, &l, &n, &lf), LINES_EOF);
	CHECK_EQ(lines_read_raw(&r, 10, &l, &n), LINES_EOF);
	lines_reader_free(&r);
	close(sv[0]);
}

/* Write n bytes of p to fd from a child process, then exit. */
static pid_t
feed(int fd, const char *p, size_t n)
{
	pid_t pid = fork();
	if (pid != 0)
		return pid;
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w <= 0)
			_exit(1);
		p += w;
		n -= (size_t)w;
	}
	_exit(0);
}

/* Read a line or raw bytes, waiting (bounded) while the fd is empty. */
static enum lines_result
line_wait(struct lines_reader *r, const uint8_t **l, size_t *n, bool *lf)
{
	enum lines_result res;
	for (int i = 0; i < 1000; i++) {
		if ((res = lines_read(r, l, n, lf)) != LINES_AGAIN)
			return res;
		if (lines_wait(r, 5000) != 1)
			break;
	}
	return LINES_AGAIN;
}

/*
 * A raw read larger than the buffer (a BDAT chunk of 300 KB against a
 * 17 KB buffer) moves the start of the unconsumed bytes past the line
 * scanner's position, and the buffer is compacted under it many times. The
 * lines after the chunk must be exactly the ones sent, with no byte read
 * outside the buffer (run under ASan too).
 */
static void
test_raw_larger_than_buffer(size_t chunk, size_t max_line)
{
	int sv[2];
	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	struct lines_reader r;
	CHECK_EQ(lines_reader_init(&r, sv[0], max_line, 0), 0);
	const char *head = "BDAT 300000\r\n";
	const char *tail = "NOOP\r\nQUIT\r\n";
	size_t body = 300000, hl = strlen(head), tl = strlen(tail);
	size_t total = hl + body + tl;
	char *in = malloc(total);
	CHECK(in != NULL);
	if (in == NULL)
		return;
	memcpy(in, head, hl);
	/* the chunk holds lines too: a scanner that wanders finds them */
	for (size_t i = 0; i < body; i++)
		in[hl + i] = i % 50 == 49 ? '\n' : i % 50 == 48 ? '\r' : 'R';
	memcpy(in + hl + body, tail, tl);
	pid_t pid = feed(sv[1], in, total);
	close(sv[1]);

	const uint8_t *l;
	size_t n;
	bool lf;
	CHECK_EQ(line_wait(&r, &l, &n, &lf), LINES_OK);
	CHECK(n == 11 && memcmp(l, "BDAT 300000", 11) == 0);
	size_t got = 0, want = chunk;
	bool same = true;
	while (got < body) {
		size_t ask = body - got < want ? body - got : want;
		enum lines_result res = lines_read_raw(&r, ask, &l, &n);
		if (res == LINES_AGAIN) {
			if (lines_wait(&r, 5000) != 1)
				break;
			continue;
		}
		if (res != LINES_OK)
			break;
		if (memcmp(l, in + hl + got, n) != 0)
			same = false;
		got += n;
	}
	CHECK_EQ(got, body);
	CHECK(same);
	CHECK(r.start <= r.end && r.end <= r.cap);
	CHECK_EQ(line_wait(&r, &l, &n, &lf), LINES_OK);
	CHECK(n == 4 && memcmp(l, "NOOP", 4) == 0 && !lf);
	CHECK_EQ(line_wait(&r, &l, &n, &lf), LINES_OK);
	CHECK(n == 4 && memcmp(l, "QUIT", 4) == 0 && !lf);
	CHECK_EQ(line_wait(&r, &l, &n, &lf), LINES_EOF);
	int st;
	CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
	    WEXITSTATUS(st) == 0);
	lines_reader_free(&r);
	close(sv[0]);
	free(in);
}

/* A small read size makes every line cross reads and compactions. */
static void
test_small_reads(void)
{
	int sv[2];
	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	struct lines_reader r;
	CHECK_EQ(lines_reader_init(&r, sv[0], 32, 7), 0);
	CHECK_EQ(r.cap, 32 + 7);
	const char *in = "one line\r\nxyzABCtwo\r\nthree three three\r\n";
	CHECK(write(sv[1], in, strlen(in)) == (ssize_t)strlen(in));
	close(sv[1]);
	const uint8_t *l;
	size_t n;
	bool lf;
	CHECK_EQ(line_wait(&r, &l, &n, &lf), LINES_OK);
	CHECK(n == 8 && memcmp(l, "one line", 8) == 0);
	/* raw bytes across a read boundary, then a line again */
	CHECK_EQ(lines_read_raw(&r, 6, &l, &n), LINES_OK);
	size_t raw = n;
	while (raw < 6 && lines_read_raw(&r, 6 - raw, &l, &n) == LINES_OK)
		raw += n;
	CHECK_EQ(raw, 6);
	CHECK_EQ(line_wait(&r, &l, &n, &lf), LINES_OK);
	CHECK(n == 3 && memcmp(l, "two", 3) == 0);
	CHECK_EQ(line_wait(&r, &l, &n, &lf), LINES_OK);
	CHECK(n == 17 && memcmp(l, "three three three", 17) == 0);
	CHECK_EQ(line_wait(&r, &l, &n, &lf), LINES_EOF);
	lines_reader_free(&r);
	close(sv[0]);
}

static void
test_writer(void)
{
	int sv[2];
	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	struct lines_writer w;
	lines_writer_init(&w, sv[0], 64);
	CHECK_EQ(lines_printf(&w, "250 %s\r\n", "ok"), 0);
	CHECK_EQ(lines_write(&w, "250 two\r\n", 9), 0);
	char got[256];
	fcntl(sv[1], F_SETFL, O_NONBLOCK);
	CHECK(read(sv[1], got, sizeof(got)) < 0);   /* nothing until flush */
	CHECK_EQ(lines_flush(&w), 0);
	ssize_t n = read(sv[1], got, sizeof(got));
	CHECK(n == 17 && memcmp(got, "250 ok\r\n250 two\r\n", 17) == 0);
	/* bigger than the queue: written through, in order */
	char big[200];
	memset(big, 'y', sizeof(big));
	CHECK_EQ(lines_write(&w, "a", 1), 0);
	CHECK_EQ(lines_write(&w, big, sizeof(big)), 0);
	n = read(sv[1], got, sizeof(got));
	CHECK(n == 201 && got[0] == 'a' && got[200] == 'y');
	CHECK_EQ(w.bytes_out, 17 + 201);
	close(sv[1]);
	CHECK_EQ(lines_write(&w, "x", 1), 0);
	CHECK_EQ(lines_flush(&w), -1);   /* peer gone */
	lines_writer_free(&w);
	close(sv[0]);
}

int
main(void)
{
	test_reader();
	test_raw_larger_than_buffer(1u << 20, 1000);
	test_raw_larger_than_buffer(4096, 1000);
	test_raw_larger_than_buffer(1000, 65536);
	test_small_reads();
	test_writer();
	return check_done("mime_lines");
}
