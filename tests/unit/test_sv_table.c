/* Unit tests for cloisterd's per-service state x event table
 * (supervisor/statetab.c, run by supervisor/service.c), without root:
 * every cell is written out, and the table keeps the promises of
 * docs/supervisor.md ("Lifecycle"). Then each cell is driven through
 * sv_service_event() on a service with no processes, so the table checked
 * is the one that runs. */
#include "check.h"
#include "sv.h"

static bool
live(unsigned s)
{
	return s == SV_RUNNING || s == SV_BACKOFF || s == SV_HELD;
}

/* The state a cell leads to. */
static enum sv_state
dest(unsigned from, unsigned ev)
{
	enum sv_state next = sv_state_table[from][ev].next;
	return next == SV_STAY ? (enum sv_state)from : next;
}

static void
test_every_cell_is_decided(void)
{
	for (unsigned st = 0; st < SV_NSTATES; st++)
		for (unsigned ev = 0; ev < SV_NEVENTS; ev++) {
			const struct sv_cell *c = &sv_state_table[st][ev];
			CHECK(c->set);
			CHECK(c->next >= SV_STAY && c->next < SV_NSTATES);
			CHECK(c->act >= ACT_NONE && c->act < SV_NACTS);
		}
	for (unsigned st = 0; st < SV_NSTATES; st++)
		CHECK(sv_state_names[st] != NULL);
}

static void
test_promises(void)
{
	for (unsigned st = SV_RUNNING; st < SV_NSTATES; st++)
		for (unsigned ev = 0; ev < SV_NEVENTS; ev++) {
			const struct sv_cell *c = &sv_state_table[st][ev];
			enum sv_state to = dest(st, ev);
			/* no way back from stopping: stopped is final */
			if (!live(st))
				CHECK(!live(to));
			if (st == SV_STOPPED)
				CHECK(to == SV_STOPPED && c->act == ACT_NONE);
			/* only a reload (or stop) leaves held */
			if (st == SV_HELD && ev != EV_RELOAD && ev != EV_STOP)
				CHECK(to == SV_HELD && c->act == ACT_NONE);
			/* into running: the backoff's timer, or a reload */
			if (to == SV_RUNNING && st != SV_RUNNING)
				CHECK((st == SV_BACKOFF && ev == EV_TIMER) ||
				    ev == EV_RELOAD);
			/* the SIGKILL only at the stop deadline; released
			 * only into stopped */
			if (c->act == ACT_KILL)
				CHECK(st == SV_STOPPING && ev == EV_TIMER);
			if (c->act == ACT_RELEASE)
				CHECK(to == SV_STOPPED);
			if (to == SV_STOPPED && st != SV_STOPPED)
				CHECK(st == SV_STOPPING && ev == EV_EMPTY &&
				    c->act == ACT_RELEASE);
			/* stop reaches stopping from every state not stopped */
			if (ev == EV_STOP && st != SV_STOPPED)
				CHECK(to == SV_STOPPING && c->act == ACT_STOP);
			/* "empty" means something only while stopping */
			if (ev == EV_EMPTY && st != SV_STOPPING)
				CHECK(to == st && c->act == ACT_NONE);
		}
	/* a start failure while starting or backing off backs off (longer);
	 * past the burst it holds (the caller never sends that event for
	 * authd and stored); restarts too fast pause, never hold */
	for (unsigned st = SV_RUNNING; st <= SV_BACKOFF; st++) {
		CHECK(dest(st, EV_FAIL) == SV_BACKOFF);
		CHECK(sv_state_table[st][EV_FAIL].act == ACT_BACKOFF);
		CHECK(dest(st, EV_FAIL_LIMIT) == SV_HELD);
		CHECK(sv_state_table[st][EV_FAIL_LIMIT].act == ACT_HOLD);
		CHECK(dest(st, EV_SPIN) == SV_BACKOFF);
		CHECK(sv_state_table[st][EV_SPIN].act == ACT_PAUSE);
		CHECK(dest(st, EV_RELOAD) == SV_RUNNING);
		CHECK(sv_state_table[st][EV_RELOAD].act == ACT_RESET);
	}
	CHECK(dest(SV_BACKOFF, EV_TIMER) == SV_RUNNING);
	CHECK(dest(SV_RUNNING, EV_TIMER) == SV_RUNNING);
	CHECK(dest(SV_STOPPING, EV_RELOAD) == SV_STOPPING);
}

/* Each cell through sv_service_event() on a service with no process: the
 * state it ends in (stopping with nothing left goes on to stopped at
 * once) and what its action did. */
static void
test_the_table_runs(void)
{
	sv.tune.backoff_min = 100;
	sv.tune.backoff_max = sv.tune.backoff_max_required = 1000;
	sv.tune.stop_timeout = 1000;
	sv.tune.restart_window = 60000;
	for (unsigned st = SV_RUNNING; st < SV_NSTATES; st++)
		for (unsigned ev = 0; ev < SV_NEVENTS; ev++) {
			static struct sv_service s;
			memset(&s, 0, sizeof(s));
			memcpy(s.cfg.name, "t", 2);
			s.cfg.role = ROLE_CONNECTION;
			s.state = (enum sv_state)st;
			s.nfails = 3;
			s.timer = 5;
			sv_service_event(&s, (enum sv_event)ev);
			enum sv_state to = dest(st, ev);
			if (to == SV_STOPPING)
				to = SV_STOPPED;
			CHECK_EQ(s.state, to);
			switch (sv_state_table[st][ev].act) {
			case ACT_BACKOFF:
				CHECK(s.backoffs == 1 && s.timer >= sv_now() + 100);
				break;
			case ACT_PAUSE:
				CHECK(s.backoffs == 1);
				break;
			case ACT_HOLD:
				CHECK(s.timer == 0 && s.backoffs == 0);
				break;
			case ACT_RESET:
				CHECK(s.nfails == 0 && s.timer == 0);
				break;
			default:
				CHECK(s.backoffs == 0 && s.nfails == 3);
				break;
			}
		}
}

int
main(void)
{
	test_every_cell_is_decided();
	test_promises();
	test_the_table_runs();
	return check_done("sv_table");
}
