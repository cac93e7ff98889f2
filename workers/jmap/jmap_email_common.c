/* jmap_email_common: keywords of the system flags, an email's copies. */
#include "jmap_email_common.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <unistd.h>

static const struct {
	uint32_t flag;
	const char *keyword, *imap;
} flag_keywords[] = {
	{ STORE_FLAG_SEEN, "$seen", "\\Seen" },
	{ STORE_FLAG_ANSWERED, "$answered", "\\Answered" },
	{ STORE_FLAG_FLAGGED, "$flagged", "\\Flagged" },
	{ STORE_FLAG_DRAFT, "$draft", "\\Draft" },
};
#define NFLAGS (sizeof(flag_keywords) / sizeof(flag_keywords[0]))

uint32_t
jmap_keyword_flag(const char *keyword)
{
	for (size_t i = 0; i < NFLAGS; i++)
		if (strcasecmp(keyword, flag_keywords[i].keyword) == 0)
			return flag_keywords[i].flag;
	return 0;
}

const char *
jmap_flag_keyword(uint32_t flag)
{
	for (size_t i = 0; i < NFLAGS; i++)
		if (flag == flag_keywords[i].flag)
			return flag_keywords[i].keyword;
	return NULL;
}

const char *
jmap_keyword_imap(const char *name)
{
	for (size_t i = 0; i < NFLAGS; i++)
		if (strcasecmp(name, flag_keywords[i].keyword) == 0)
			return flag_keywords[i].imap;
		else if (strcasecmp(name, flag_keywords[i].imap) == 0)
			return flag_keywords[i].keyword;
	return name;
}

static int
add_copy(void *arg, const struct store_email_loc *loc)
{
	struct jmap_copies *l = arg;
	if (!jmap_grow(&l->v, &l->cap, l->n, sizeof(l->v[0])))
		return -1;
	l->v[l->n++] = *loc;
	return 0;
}

int
jmap_email_copies(struct store_conn *sc, uint64_t emailid,
    struct jmap_copies *c)
{
	memset(c, 0, sizeof(*c));
	int rc = store_email_locate(sc, emailid, add_copy, c);
	if (rc == STORE_OK && c->n == 0)
		rc = STORE_E_NOTFOUND;
	return rc;
}

int
jmap_one_uid(struct store_uids *u, uint32_t uid)
{
	memset(u, 0, sizeof(*u));
	return store_uids_add(u, uid, uid) < 0 ? STORE_E_INTERNAL : STORE_OK;
}

int
jmap_expunge_copy(struct store_conn *sc, const struct store_email_loc *loc)
{
	struct store_uids u, gone = { 0 };
	struct store_flags_result fr = { 0 };
	uint64_t hms;
	int rc = jmap_one_uid(&u, loc->uid);
	if (rc == STORE_OK)
		rc = store_flags(sc, loc->mailbox_id, &u, STORE_FLAGS_ADD,
		    STORE_FLAG_DELETED, NULL, 0, 0, NULL, NULL, &fr);
	if (rc == STORE_OK)
		rc = store_expunge(sc, loc->mailbox_id, &u, &gone, &hms);
	store_uids_free(&u);
	store_uids_free(&gone);
	store_uids_free(&fr.failed);
	return rc;
}

int
jmap_message_map(struct store_conn *sc, const struct store_email_loc *loc,
    void **p, size_t *size)
{
	int fd;
	uint64_t n;
	int rc = store_body(sc, loc->mailbox_id, loc->uid, &fd, &n);
	if (rc != STORE_OK)
		return rc;
	*size = (size_t)n;
	*p = n > 0 ? mmap(NULL, *size, PROT_READ, MAP_PRIVATE, fd, 0) : NULL;
	close(fd);
	return *p == MAP_FAILED ? STORE_E_INTERNAL : STORE_OK;
}

void
jmap_message_unmap(void *p, size_t size)
{
	if (p != NULL && p != MAP_FAILED)
		munmap(p, size);
}

/* A message: a header section whose first line is a field ("Name:"). */
bool
jmap_looks_like_message(const uint8_t *p, size_t n)
{
	size_t i = 0;
	while (i < n && p[i] > ' ' && p[i] < 127 && p[i] != ':')
		i++;
	return i > 0 && i < n && p[i] == ':';
}
