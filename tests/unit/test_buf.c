/* Unit tests for common/buf: limits, no truncation, cursor overreads, and a
 * random-operation run against a plain reference model. */
#include "buf.h"
#include "check.h"

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

static void
test_limits(void)
{
	struct buf b = BUF_INIT(8);
	CHECK_EQ(buf_append(&b, "12345678", 8), 0);
	CHECK_EQ(b.len, 8);
	CHECK_EQ(buf_append(&b, "9", 1), -1);       /* past max: refused */
	CHECK(b.failed);
	CHECK_EQ(b.len, 8);                          /* nothing half-written */
	CHECK(buf_cstr(&b) == NULL);                 /* a failed buf yields none */
	buf_free(&b);

	buf_init(&b, 10);
	CHECK_EQ(buf_printf(&b, "%d-%s", 42, "abc"), 0);
	CHECK(strcmp(buf_cstr(&b), "42-abc") == 0);
	CHECK_EQ(buf_printf(&b, "%s", "too long"), -1);   /* no truncation */
	CHECK_EQ(b.len, 6);
	buf_free(&b);

	char small[4];
	CHECK_EQ(buf_snprintf(small, sizeof(small), "%s", "abc"), 3);
	CHECK_EQ(buf_snprintf(small, sizeof(small), "%s", "abcd"), -1);
	CHECK_EQ(small[0], '\0');
	CHECK_EQ(buf_strlcpy(small, sizeof(small), "abc", 3), 0);
	CHECK_EQ(buf_strlcpy(small, sizeof(small), "abcd", 4), -1);

	buf_init(&b, 1 << 20);
	CHECK_EQ(buf_reserve(&b, SIZE_MAX), -1);
	buf_free(&b);
}

static void
test_cursor(void)
{
	struct buf b = BUF_INIT(64);
	buf_put_u8(&b, 0xab);
	buf_put_u16(&b, 0x1234);
	buf_put_u32(&b, 0xdeadbeef);
	buf_put_u64(&b, 0x0102030405060708ULL);
	CHECK(!b.failed);
	CHECK_EQ(b.len, 15);

	struct buf_cur c;
	uint8_t v8;
	uint16_t v16;
	uint32_t v32;
	uint64_t v64;
	buf_cur_init(&c, b.data, b.len);
	CHECK_EQ(buf_get_u8(&c, &v8), 0);
	CHECK_EQ(v8, 0xab);
	CHECK_EQ(buf_get_u16(&c, &v16), 0);
	CHECK_EQ(v16, 0x1234);
	CHECK_EQ(buf_get_u32(&c, &v32), 0);
	CHECK_EQ(v32, 0xdeadbeef);
	CHECK_EQ(buf_cur_end(&c), -1);               /* 8 bytes left over */
	CHECK_EQ(buf_get_u64(&c, &v64), 0);
	CHECK(v64 == 0x0102030405060708ULL);
	CHECK_EQ(buf_cur_end(&c), 0);
	CHECK_EQ(buf_get_u8(&c, &v8), -1);           /* overread */
	CHECK_EQ(buf_cur_end(&c), -1);               /* and it sticks */

	buf_cur_init(&c, b.data, 3);
	CHECK_EQ(buf_get_u32(&c, &v32), -1);
	CHECK(c.failed);
	CHECK_EQ(buf_get_u8(&c, &v8), -1);           /* sticky */
	buf_free(&b);
}

/* Random operations on a buf and on a flat array; they must agree. */
static void
test_random_ops(void)
{
	enum { MAX = 4096 };
	static uint8_t model[MAX];
	size_t mlen = 0;
	struct buf b = BUF_INIT(MAX);
	unsigned seed = 12345;

	for (int round = 0; round < 20000; round++) {
		seed = seed * 1103515245u + 12345u;
		unsigned op = (seed >> 16) % 4;
		size_t n = (seed >> 4) % 300;
		uint8_t chunk[300];
		for (size_t i = 0; i < n; i++)
			chunk[i] = (uint8_t)(seed + i);
		switch (op) {
		case 0:
		case 1: {
			int r = buf_append(&b, chunk, n);
			if (mlen + n <= MAX) {
				CHECK_EQ(r, 0);
				memcpy(model + mlen, chunk, n);
				mlen += n;
			} else {
				CHECK_EQ(r, -1);
				b.failed = false;   /* recover for the next round */
			}
			break;
		}
		case 2:
			if (n > mlen)
				n = mlen;
			buf_consume(&b, n);
			memmove(model, model + n, mlen - n);
			mlen -= n;
			break;
		case 3:
			if (round % 97 == 0) {
				buf_reset(&b);
				mlen = 0;
			}
			break;
		}
		if (b.len != mlen || (mlen && memcmp(b.data, model, mlen) != 0)) {
			CHECK(!"buf diverged from the model");
			break;
		}
	}
	buf_free_secret(&b);
}

/* buf_write_all: every byte arrives, in order, through a pipe; a device
 * that takes nothing (/dev/full) is a failure, not a loop. */
static void
test_write_all(void)
{
	int p[2];
	CHECK_EQ(pipe(p), 0);
	uint8_t out[3000], in[sizeof(out) + 1];
	for (size_t i = 0; i < sizeof(out); i++)
		out[i] = (uint8_t)(i * 7);
	CHECK_EQ(buf_write_all(p[1], out, sizeof(out)), 0);
	CHECK_EQ(buf_write_all(p[1], out, 0), 0);
	close(p[1]);
	size_t got = 0;
	for (int i = 0; i < 100 && got < sizeof(in); i++) {
		ssize_t n = read(p[0], in + got, sizeof(in) - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(p[0]);
	CHECK_EQ(got, sizeof(out));
	CHECK(memcmp(in, out, sizeof(out)) == 0);
	int full = open("/dev/full", O_WRONLY | O_CLOEXEC);
	if (full >= 0) {
		CHECK_EQ(buf_write_all(full, out, sizeof(out)), -1);
		close(full);
	}
}

int
main(void)
{
	test_write_all();
	test_limits();
	test_cursor();
	test_random_ops();
	return check_done("test_buf");
}
