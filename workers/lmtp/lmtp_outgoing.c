/* lmtp_outgoing: queueing what Sieve sends (see the header). */
#include "lmtp_outgoing.h"

#include <errno.h>
#include <openssl/sha.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lmtp_vacation.h"

int
lmtp_memfd_fill(int *fd, struct iovec *iov, int n)
{
	if (*fd < 0) {
		*fd = memfd_create("cloister-lmtp", MFD_CLOEXEC);
		if (*fd < 0)
			return -1;
	}
	if (lseek(*fd, 0, SEEK_SET) != 0)
		return -1;
	while (n > 0) {
		ssize_t w = writev(*fd, iov, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		while (n > 0 && (size_t)w >= iov->iov_len) {
			w -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (char *)iov->iov_base + w;
			iov->iov_len -= (size_t)w;
		}
	}
	return 0;
}

int
lmtp_outbox_queue(struct store_conn *sc, const char *user, int *fd,
    const char *mail_from, const char *rcpt, struct iovec *iov, int n)
{
	uint64_t size = 0, id;
	for (int i = 0; i < n; i++)
		size += iov[i].iov_len;
	if (lmtp_memfd_fill(fd, iov, n) < 0)
		return STORE_E_TEMPORARY;
	const char *rcpts[1] = { rcpt };
	return store_outbox_add(sc, user, mail_from, rcpts, 1, *fd, size, 0,
	    &id);
}

bool
lmtp_loop_marked(struct lmtp_smsg *s, const char *hostname)
{
	const char *v;
	size_t n;
	for (size_t i = 0; lmtp_smsg_field(s, 0, LMTP_LOOP_FIELD, i, &v, &n) ==
	    0; i++) {
		while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
			n--;
		if (lmtp_addr_equal(v, n, hostname))
			return true;
	}
	return false;
}

static int
slot_seen(struct store_conn *sc, const char *user, int64_t day, unsigned k,
    bool record, bool *seen)
{
	char id[64];
	uint8_t key[SHA256_DIGEST_LENGTH];
	int n = buf_snprintf(id, sizeof(id), "redirect-day %lld %u",
	    (long long)day, k);
	SHA256((const uint8_t *)id, n > 0 ? (size_t)n : 0, key);
	return store_seen_check(sc, user, STORE_SEEN_DELIVERY, key, 86400,
	    record, seen);
}

int
lmtp_redirect_allowance(struct store_conn *sc, const char *user,
    unsigned per_day, int64_t now, bool *allowed)
{
	/* slots of the day are taken in order: the first free one is found
	 * in log2(per_day) looks, then taken */
	int64_t day = now / 86400;
	unsigned lo = 0, hi = per_day;
	bool seen;
	*allowed = false;
	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;
		int rc = slot_seen(sc, user, day, mid, false, &seen);
		if (rc != STORE_OK)
			return rc;
		if (seen)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* another lmtpd may take the same slot: try the next few */
	for (unsigned k = lo; k < per_day && k < lo + 8; k++) {
		int rc = slot_seen(sc, user, day, k, true, &seen);
		if (rc != STORE_OK)
			return rc;
		if (!seen) {
			*allowed = true;
			break;
		}
	}
	return STORE_OK;
}

