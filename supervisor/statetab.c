/* statetab: each service's state x event table, as data (see sv.h):
 * service.c runs it, tests/unit/test_sv_table.c walks it. Every cell is
 * written out, even "stay, do nothing" (KEEP), so that a state or event
 * added without deciding its cells fails that test. */
#include "sv.h"

const char *const sv_state_names[SV_NSTATES] = {
	"-", "running", "backing off", "held", "stopping", "stopped",
};

#define GO(state, act) { state, act, true }
#define KEEP { SV_STAY, ACT_NONE, true }

const struct sv_cell sv_state_table[SV_NSTATES][SV_NEVENTS] = {
	/* SV_STAY is "no change" in a cell, never a service's state */
	[SV_STAY] = {
		[EV_FAIL] = KEEP, [EV_FAIL_LIMIT] = KEEP, [EV_SPIN] = KEEP,
		[EV_TIMER] = KEEP, [EV_RELOAD] = KEEP, [EV_STOP] = KEEP,
		[EV_EMPTY] = KEEP,
	},
	[SV_RUNNING] = {
		[EV_FAIL] = GO(SV_BACKOFF, ACT_BACKOFF),
		[EV_FAIL_LIMIT] = GO(SV_HELD, ACT_HOLD),
		[EV_SPIN] = GO(SV_BACKOFF, ACT_PAUSE),
		[EV_TIMER] = KEEP,
		[EV_RELOAD] = GO(SV_RUNNING, ACT_RESET),
		[EV_STOP] = GO(SV_STOPPING, ACT_STOP),
		[EV_EMPTY] = KEEP,
	},
	[SV_BACKOFF] = {
		[EV_FAIL] = GO(SV_BACKOFF, ACT_BACKOFF),
		[EV_FAIL_LIMIT] = GO(SV_HELD, ACT_HOLD),
		[EV_SPIN] = GO(SV_BACKOFF, ACT_PAUSE),
		[EV_TIMER] = GO(SV_RUNNING, ACT_NONE),
		[EV_RELOAD] = GO(SV_RUNNING, ACT_RESET),
		[EV_STOP] = GO(SV_STOPPING, ACT_STOP),
		[EV_EMPTY] = KEEP,
	},
	[SV_HELD] = {
		[EV_FAIL] = KEEP, [EV_FAIL_LIMIT] = KEEP, [EV_SPIN] = KEEP,
		[EV_TIMER] = KEEP,
		[EV_RELOAD] = GO(SV_RUNNING, ACT_RESET),
		[EV_STOP] = GO(SV_STOPPING, ACT_STOP),
		[EV_EMPTY] = KEEP,
	},
	[SV_STOPPING] = {
		[EV_FAIL] = KEEP, [EV_FAIL_LIMIT] = KEEP, [EV_SPIN] = KEEP,
		[EV_TIMER] = GO(SV_STOPPING, ACT_KILL),
		[EV_RELOAD] = KEEP,
		[EV_STOP] = GO(SV_STOPPING, ACT_STOP),   /* shutdown after removal */
		[EV_EMPTY] = GO(SV_STOPPED, ACT_RELEASE),
	},
	[SV_STOPPED] = {
		[EV_FAIL] = KEEP, [EV_FAIL_LIMIT] = KEEP, [EV_SPIN] = KEEP,
		[EV_TIMER] = KEEP, [EV_RELOAD] = KEEP, [EV_STOP] = KEEP,
		[EV_EMPTY] = KEEP,
	},
};
