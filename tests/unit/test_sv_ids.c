/* Unit tests for cloisterd's worker ids (supervisor/ids.c): every id is
 * handed out once while its holder lives, round-robin, and comes back
 * only when given back; the range is claimed on the host (as root: the
 * lock file under /run), and a second claim of an overlapping range is
 * refused while the first is held. */
#include "check.h"
#include "sv.h"

#include <sys/wait.h>

#define FIRST 3000000000u
#define N 8

static struct config c;

/* A forked child claims an overlapping range: refused while we hold ours. */
static void
test_overlap_refused(void)
{
	pid_t pid = fork();
	if (pid == 0) {
		static struct config o;
		char err[CONFIG_ERR_MAX];
		o.uid_first = FIRST + N - 1;
		o.uid_last = FIRST + 2 * N;
		int r = sv_ids_init(&o, err, sizeof(err));
		_exit(r < 0 && strstr(err, "overlaps") != NULL ? 0 : 1);
	}
	int st;
	CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
	    WEXITSTATUS(st) == 0);
}

int
main(void)
{
	if (geteuid() != 0) {
		fprintf(stderr, "test_sv_ids: needs root (/run lock), skipped\n");
		return 77;
	}
	char err[CONFIG_ERR_MAX];
	c.uid_first = FIRST;
	c.uid_last = FIRST + N - 1;
	if (sv_ids_init(&c, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		CHECK(!"sv_ids_init");
		return check_done("test_sv_ids");
	}
	/* every id once, in order, then none */
	uid_t got[N];
	for (unsigned i = 0; i < N; i++) {
		got[i] = sv_ids_take();
		CHECK_EQ(got[i], FIRST + i);
	}
	CHECK_EQ(sv_ids_take(), 0);
	/* an id given back is the only one free; given twice it is still
	 * one id (a double give must not make room that is not there) */
	sv_ids_give(got[5]);
	sv_ids_give(got[5]);
	sv_ids_give(FIRST + N);     /* outside the range: ignored */
	CHECK_EQ(sv_ids_take(), got[5]);
	CHECK_EQ(sv_ids_take(), 0);
	/* round-robin: the cursor goes on from the last id taken, so a freed
	 * id is not reused at once while others are free */
	sv_ids_give(got[2]);
	sv_ids_give(got[6]);
	CHECK_EQ(sv_ids_take(), got[6]);
	CHECK_EQ(sv_ids_take(), got[2]);
	CHECK_EQ(sv_ids_take(), 0);
	test_overlap_refused();
	sv_ids_release();
	/* released: the range may be claimed again */
	CHECK_EQ(sv_ids_init(&c, err, sizeof(err)), 0);
	sv_ids_release();
	return check_done("test_sv_ids");
}
