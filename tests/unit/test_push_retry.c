/* test_push_retry: retries are bounded in number, in wait and in memory,
 * honour Retry-After, keep one message per subscription (the newest) and
 * come out in the order they are due. */
#include "check.h"
#include "push_retry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct push_retry q;

static struct push_msg
msg(const char *id, const char *json)
{
	struct push_msg m;
	memset(&m, 0, sizeof(m));
	snprintf(m.id, sizeof(m.id), "%s", id);
	m.url = "https://push.example/x";
	m.json = strdup(json);
	return m;
}

int
main(void)
{
	char user[256], url[1024];
	unsigned att = 0;
	struct push_msg m = msg("P1", "old"), out;
	CHECK(push_retry_add(&q, "alice", &m, 1, 0, 1000));
	CHECK(m.json == NULL);
	CHECK(!push_retry_take(&q, 1029, user, url, &out, &att));
	CHECK(push_retry_waiting(&q, "alice", "P1"));
	CHECK(!push_retry_waiting(&q, "alice", "P2"));
	CHECK(!push_retry_waiting(&q, "bob", "P1"));
	/* a newer message for the same subscription replaces the old one */
	m = msg("P1", "new");
	CHECK(push_retry_add(&q, "alice", &m, 1, 0, 1010));
	CHECK_EQ(push_retry_count(&q), 1);
	CHECK(push_retry_take(&q, 1040, user, url, &out, &att));
	CHECK(strcmp(out.json, "new") == 0 && strcmp(user, "alice") == 0);
	CHECK(strcmp(out.url, "https://push.example/x") == 0 && att == 1);
	/* again: the wait doubles (60 s after the second attempt) */
	CHECK(push_retry_add(&q, user, &out, 2, 0, 2000));
	CHECK(!push_retry_take(&q, 2059, user, url, &out, &att));
	CHECK(push_retry_take(&q, 2060, user, url, &out, &att) && att == 2);
	/* Retry-After longer than the doubling wins, capped at an hour */
	CHECK(push_retry_add(&q, user, &out, 3, 90000, 3000));
	CHECK(!push_retry_take(&q, 3000 + 3599, user, url, &out, &att));
	CHECK(push_retry_take(&q, 3000 + 3600, user, url, &out, &att));
	/* after the last attempt it is dropped */
	CHECK(!push_retry_add(&q, user, &out, PUSH_RETRY_ATTEMPTS, 0, 9000));
	CHECK(out.json == NULL && push_retry_count(&q) == 0);
	CHECK(!push_retry_waiting(&q, "alice", "P1"));
	/* bounded memory: one more than the slots drops the one due last */
	for (unsigned i = 0; i <= PUSH_RETRY_SLOTS; i++) {
		char id[16];
		snprintf(id, sizeof(id), "P%u", i);
		m = msg(id, "x");
		CHECK(push_retry_add(&q, "bob", &m, 1, i == 7 ? 600 : 0, 10000));
	}
	CHECK_EQ(push_retry_count(&q), PUSH_RETRY_SLOTS);
	/* P7 (due at 10600, the others at 10030) was the one dropped */
	unsigned n = 0;
	bool saw7 = false;
	while (push_retry_take(&q, 20000, user, url, &out, &att)) {
		saw7 = saw7 || strcmp(out.id, "P7") == 0;
		free(out.json);
		n++;
	}
	CHECK_EQ(n, PUSH_RETRY_SLOTS);
	CHECK(!saw7);
	return check_done("push_retry");
}
