/*
 * Unit tests for sandbox/filter.c: the seccomp program cloisterd compiles
 * once and hands its workers in a sealed memfd. For every policy of the
 * tree, the handed-over bytes are byte for byte what the worker would
 * compile itself (libseccomp's export of the same rules); the memfd
 * cannot be written, grown, shrunk or unsealed; and the reader refuses
 * every fd that is not such a memfd. Needs no root.
 */
#include "check.h"
#include "layers.h"
#include "log.h"
#include "policy.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <seccomp.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define ALL_SEALS (F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL)

/* What the worker compiles without a handed-over program: libseccomp's
 * export of the rules sandbox_build_seccomp adds (the self-compiled
 * path), read from a plain memfd. Its length in *len, malloc'd. */
static uint8_t *
self_compiled(const struct sandbox_spec *s, size_t *len)
{
	scmp_filter_ctx ctx = sandbox_build_seccomp(s);
	int fd = memfd_create("self", MFD_CLOEXEC);
	CHECK(fd >= 0 && seccomp_export_bpf(ctx, fd) == 0);
	seccomp_release(ctx);
	off_t n = lseek(fd, 0, SEEK_END);
	uint8_t *b = malloc(n > 0 ? (size_t)n : 1);
	CHECK(b != NULL && n > 0 && pread(fd, b, (size_t)n, 0) == n);
	close(fd);
	*len = n > 0 ? (size_t)n : 0;
	return b;
}

static void
check_sealed(int fd)
{
	CHECK_EQ(fcntl(fd, F_GET_SEALS), ALL_SEALS);
	CHECK_EQ(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDONLY);
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	int rw = open(path, O_RDWR);   /* a writable view of the same file */
	CHECK(rw >= 0);
	CHECK(write(rw, "x", 1) < 0 && errno == EPERM);
	CHECK(pwrite(rw, "x", 1, 0) < 0 && errno == EPERM);
	CHECK(ftruncate(rw, 8) < 0 && errno == EPERM);
	CHECK(ftruncate(rw, 1 << 20) < 0 && errno == EPERM);
	CHECK(fcntl(rw, F_ADD_SEALS, F_SEAL_FUTURE_WRITE) < 0);
	CHECK(mmap(NULL, 4096, PROT_WRITE, MAP_SHARED, rw, 0) == MAP_FAILED);
	if (rw >= 0)
		close(rw);
}

static unsigned
test_every_policy(const char *dir)
{
	static struct policy p;
	unsigned n = 0;
	DIR *d = opendir(dir);
	CHECK(d != NULL);
	for (struct dirent *e; d != NULL && (e = readdir(d)) != NULL;) {
		size_t l = strlen(e->d_name);
		if (l < 8 || strcmp(e->d_name + l - 7, ".policy") != 0 ||
		    strcmp(e->d_name, "sanitizer.policy") == 0)
			continue;
		char path[512], err[POLICY_ERR_MAX];
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (policy_load(path, POLICY_SANITIZER_EXTRAS, &p, err,
		    sizeof(err)) < 0) {
			fprintf(stderr, "%s\n", err);
			CHECK(!"policy loads");
			continue;
		}
		int fd = sandbox_filter_memfd(&p.spec, err, sizeof(err));
		CHECK(fd >= 0);
		struct sock_fprog prog;
		CHECK_EQ(sandbox_filter_read(fd, &prog, err, sizeof(err)), 0);
		size_t len;
		uint8_t *want = self_compiled(&p.spec, &len);
		CHECK_EQ(prog.len * sizeof(struct sock_filter), len);
		if (prog.len * sizeof(struct sock_filter) == len &&
		    memcmp(prog.filter, want, len) != 0) {
			fprintf(stderr, "%s: handed-over filter differs\n", path);
			CHECK(!"byte-identical");
		}
		/* and what cloister-audit compares a live worker with */
		struct sock_fprog audit;
		CHECK_EQ(sandbox_filter_bpf(&p.spec, &audit), 0);
		CHECK(audit.len == prog.len && memcmp(audit.filter, prog.filter,
		    len) == 0);
		check_sealed(fd);
		free(audit.filter);
		free(prog.filter);
		free(want);
		close(fd);
		n++;
	}
	if (d != NULL)
		closedir(d);
	return n;
}

/* A memfd holding prog, with the seals given, opened with mode. */
static int
memfd_with(const struct sock_fprog *prog, size_t len, int seals, int mode)
{
	int fd = memfd_create("t", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	CHECK(fd >= 0 && write(fd, prog->filter, len) == (ssize_t)len);
	if (seals != 0)
		CHECK_EQ(fcntl(fd, F_ADD_SEALS, seals), 0);
	if (mode == O_RDWR)
		return fd;
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	int ro = open(path, mode | O_CLOEXEC);
	CHECK(ro >= 0);
	close(fd);
	return ro;
}

static void
expect_refused(const char *what, int fd, const char *why)
{
	struct sock_fprog out;
	char err[128] = "";
	int r = sandbox_filter_read(fd, &out, err, sizeof(err));
	if (r != -1 || strstr(err, why) == NULL)
		fprintf(stderr, "FAIL: %s accepted or wrong reason (%s)\n", what,
		    err);
	CHECK_EQ(r, -1);
	CHECK(strstr(err, why) != NULL);
	CHECK(out.filter == NULL);
	close(fd);
}

static void
test_refusals(const char *dir)
{
	static struct policy p;
	char path[512], err[POLICY_ERR_MAX];
	snprintf(path, sizeof(path), "%s/imapd.policy", dir);
	CHECK_EQ(policy_load(path, POLICY_SANITIZER_EXTRAS, &p, err,
	    sizeof(err)), 0);
	struct sock_fprog good;
	CHECK_EQ(sandbox_filter_bpf(&p.spec, &good), 0);
	size_t len = good.len * sizeof(struct sock_filter);

	/* the control: all four seals, read-only, is accepted */
	int ok = memfd_with(&good, len, ALL_SEALS, O_RDONLY);
	struct sock_fprog out;
	CHECK_EQ(sandbox_filter_read(ok, &out, err, sizeof(err)), 0);
	CHECK(out.len == good.len);
	free(out.filter);
	close(ok);

	expect_refused("unsealed", memfd_with(&good, len, 0, O_RDONLY),
	    "not sealed");
	expect_refused("writable", memfd_with(&good, len, ALL_SEALS, O_RDWR),
	    "open for writing");
	expect_refused("no write seal", memfd_with(&good, len,
	    ALL_SEALS & ~F_SEAL_WRITE, O_RDONLY), "not sealed");
	expect_refused("seals can still change", memfd_with(&good, len,
	    ALL_SEALS & ~F_SEAL_SEAL, O_RDONLY), "not sealed");
	expect_refused("may grow", memfd_with(&good, len,
	    ALL_SEALS & ~F_SEAL_GROW, O_RDONLY), "not sealed");
	expect_refused("half an instruction", memfd_with(&good, len - 4,
	    ALL_SEALS, O_RDONLY), "size");
	expect_refused("empty", memfd_with(&good, 0, ALL_SEALS, O_RDONLY),
	    "size");
	int null = open("/dev/null", O_RDONLY);
	expect_refused("not a memfd", null, "not sealed");
	free(good.filter);
}

int
main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: test_sandbox_filter POLICYDIR\n");
		return 2;
	}
	log_open("test_sandbox_filter", true);
	unsigned n = test_every_policy(argv[1]);
	CHECK(n >= 10);   /* the tree has a dozen; none may be skipped quietly */
	printf("test_sandbox_filter: %u policies compared\n", n);
	test_refusals(argv[1]);
	return check_done("test_sandbox_filter");
}
