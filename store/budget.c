/* budget: per-request work limits of stored (see budget.h). */
#include "budget.h"

#include <stddef.h>

/* The progress handler's period. SQLite carries each prepared statement's
 * step count over its runs, so short statements run many times (an
 * INSERT per copied message) are counted too, by 100. */
#define STEP_GRAIN 100

struct budget_limits budget_limits = {
	.steps = BUDGET_STEPS_DEFAULT,
	.search_text = BUDGET_SEARCH_TEXT_DEFAULT,
	.copy_messages = BUDGET_COPY_DEFAULT,
};

static bool armed;
static uint64_t steps, text, text_cap;
static const char *exceeded;

/* SQLite calls this every STEP_GRAIN VM steps of any statement; non-zero
 * interrupts the statement (SQLITE_INTERRUPT), the handler fails, and the
 * request's savepoint is rolled back. */
static int
progress(void *arg)
{
	(void)arg;
	if (!armed)
		return 0;
	steps += STEP_GRAIN;
	if (budget_limits.steps != 0 && steps > budget_limits.steps) {
		if (exceeded == NULL)
			exceeded = "rows scanned";
		return 1;
	}
	return exceeded != NULL;
}

void
budget_watch(sqlite3 *db)
{
	sqlite3_progress_handler(db, STEP_GRAIN, progress, NULL);
}

void
budget_begin(void)
{
	steps = text = 0;
	text_cap = budget_limits.search_text;
	exceeded = NULL;
	armed = true;
}

void
budget_end(void)
{
	armed = false;
}

bool
budget_take_text(uint64_t n)
{
	if (!armed)
		return true;
	text += n;
	if (text_cap != 0 && text > text_cap) {
		if (exceeded == NULL)
			exceeded = "text searched";
		return false;
	}
	return true;
}

void
budget_cap_text(uint64_t max)
{
	if (text_cap == 0 || text_cap > max)
		text_cap = max;
}

uint64_t
budget_text_taken(void)
{
	return text;
}

void
budget_exceed(const char *what)
{
	if (exceeded == NULL)
		exceeded = what;
}

const char *
budget_exceeded(void)
{
	return exceeded;
}
