/* Unit tests for workers/lmtp/lmtp_sieve_files: the per-domain script
 * directories (names that are lower-case domains only, no symlinks, no
 * FIFOs, at most LMTP_SIEVE_DOMAINS files, compile errors with the file
 * named) and the lookup of a recipient's domain (last '@', any case). */
#include "check.h"
#include "lmtp_sieve.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char top[] = "/tmp/cloister-test-domsieve-XXXXXX";

static void
put(const char *dir, const char *name, const char *src)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	CHECK(f != NULL);
	if (f == NULL)
		return;
	fputs(src, f);
	fclose(f);
}

/* A fresh directory under top. */
static const char *
fresh(const char *name)
{
	static char path[512];
	snprintf(path, sizeof(path), "%s/%s", top, name);
	CHECK_EQ(mkdir(path, 0755), 0);
	return path;
}

/* Load dir; the error (or "") in err. */
static int
load(const char *dir, struct lmtp_sieve_domains *ds, char *err, size_t n)
{
	err[0] = '\0';
	return lmtp_sieve_compile_domains(dir, ds, err, n);
}

static void
test_lookup(void)
{
	const char *dir = fresh("ok");
	put(dir, "example.org.sieve", "keep;\n");
	put(dir, "xn--bcher-kva.example.sieve", "discard;\n");
	put(dir, "b.example.sieve", "stop;\n");
	put(dir, "README", "not a script\n");
	put(dir, ".swap.sieve", "not a script either\n");
	struct lmtp_sieve_domains ds;
	char err[400];
	CHECK_EQ(load(dir, &ds, err, sizeof(err)), 3);
	const struct sieve_program *org = NULL, *b = NULL;
	for (size_t i = 0; i < ds.n; i++) {
		if (strcmp(ds.v[i].name, "example.org") == 0)
			org = ds.v[i].prog;
		if (strcmp(ds.v[i].name, "b.example") == 0)
			b = ds.v[i].prog;
	}
	CHECK(org != NULL && b != NULL && org != b);
	CHECK(lmtp_sieve_domain_find(&ds, "alice@example.org") == org);
	CHECK(lmtp_sieve_domain_find(&ds, "Alice+x@EXAMPLE.Org") == org);
	CHECK(lmtp_sieve_domain_find(&ds, "\"a@b.example\"@example.org") ==
	    org);
	CHECK(lmtp_sieve_domain_find(&ds, "bob@b.example") == b);
	CHECK(lmtp_sieve_domain_find(&ds, "x@xn--bcher-kva.example") != NULL);
	CHECK(lmtp_sieve_domain_find(&ds, "x@sub.example.org") == NULL);
	CHECK(lmtp_sieve_domain_find(&ds, "x@example.org.") == NULL);
	CHECK(lmtp_sieve_domain_find(&ds, "x@c.example") == NULL);
	CHECK(lmtp_sieve_domain_find(&ds, "no-at-sign") == NULL);
	CHECK(lmtp_sieve_domain_find(&ds, "x@") == NULL);
	CHECK(lmtp_sieve_domain_find(&ds, "") == NULL);
	CHECK(lmtp_sieve_domain_find(NULL, "x@example.org") == NULL);
	lmtp_sieve_domains_free(&ds);
}

/* Each of these names stops the load, naming the file. */
static void
test_bad_names(void)
{
	static const char *const bad[] = { "Example.org", "-a.example",
		"a-.example", "a..b", ".a", "a_b.example", "a b", "a.",
		/* a 64-byte label: one over the limit */
		("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		".example") };
	char name[32], file[128], err[400];
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(name, sizeof(name), "bad%zu", i);
		const char *dir = fresh(name);
		snprintf(file, sizeof(file), "%s.sieve", bad[i]);
		put(dir, file, "keep;\n");
		struct lmtp_sieve_domains ds;
		int n = load(dir, &ds, err, sizeof(err));
		if (bad[i][0] == '.') {   /* a dot file is skipped instead */
			CHECK_EQ(n, 0);
			lmtp_sieve_domains_free(&ds);
			continue;
		}
		CHECK_EQ(n, -1);
		CHECK(strstr(err, "not a lower-case domain name") != NULL);
		CHECK(strstr(err, file) != NULL);
	}
}

static void
test_refused_files(void)
{
	char err[400], path[512], target[512];
	struct lmtp_sieve_domains ds;
	/* a symlink to a good script outside the directory */
	const char *dir = fresh("link");
	snprintf(target, sizeof(target), "%s/outside.sieve", top);
	put(top, "outside.sieve", "keep;\n");
	snprintf(path, sizeof(path), "%s/example.org.sieve", dir);
	CHECK_EQ(symlink(target, path), 0);
	CHECK_EQ(load(dir, &ds, err, sizeof(err)), -1);
	CHECK(strstr(err, "example.org.sieve: is a symlink") != NULL);
	/* a FIFO: refused, not waited on */
	dir = fresh("fifo");
	snprintf(path, sizeof(path), "%s/example.org.sieve", dir);
	CHECK_EQ(mkfifo(path, 0644), 0);
	CHECK_EQ(load(dir, &ds, err, sizeof(err)), -1);
	CHECK(strstr(err, "not a regular file") != NULL);
	/* a compile error: file, line and column */
	dir = fresh("syntax");
	put(dir, "example.org.sieve", "require \"fileinto\";\nif true {\n");
	CHECK_EQ(load(dir, &ds, err, sizeof(err)), -1);
	CHECK(strstr(err, "/syntax/example.org.sieve: line ") != NULL);
	CHECK(strstr(err, "column") != NULL);
	/* no such directory */
	snprintf(path, sizeof(path), "%s/none", top);
	CHECK_EQ(load(path, &ds, err, sizeof(err)), -1);
}

/* At most LMTP_SIEVE_DOMAINS; the time to compile that many is the
 * start-up cost of every lmtpd process. */
static void
test_bound(void)
{
	const char *dir = fresh("many");
	char name[64], err[400];
	const char *src = "require [\"fileinto\"];\nif header :is \"X-Spam\" "
	    "\"yes\" { fileinto \"Junk\"; }\n";
	for (int i = 0; i < LMTP_SIEVE_DOMAINS; i++) {
		snprintf(name, sizeof(name), "d%d.example.sieve", i);
		put(dir, name, src);
	}
	struct lmtp_sieve_domains ds;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK_EQ(load(dir, &ds, err, sizeof(err)), LMTP_SIEVE_DOMAINS);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("compiled %d domain scripts in %.1f ms\n", LMTP_SIEVE_DOMAINS,
	    (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
	CHECK(lmtp_sieve_domain_find(&ds, "a@d1023.example") != NULL);
	CHECK(lmtp_sieve_domain_find(&ds, "a@d1024.example") == NULL);
	lmtp_sieve_domains_free(&ds);
	put(dir, "one-more.example.sieve", src);
	CHECK_EQ(load(dir, &ds, err, sizeof(err)), -1);
	CHECK(strstr(err, "more than 1024 scripts") != NULL);
}

int
main(void)
{
	if (mkdtemp(top) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	test_lookup();
	test_bad_names();
	test_refused_files();
	test_bound();
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", top);
	return check_done("lmtp_sieve_files");
}
