/* jmap_blob: message and part blob ids; a part's content. */
#include "jmap_blob.h"

#include "mime.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void
jmap_blobid_fmt(char buf[JMAP_BLOBID_MAX], const uint8_t id[STORE_BLOBID_LEN],
    uint32_t part)
{
	buf[0] = 'G';
	for (size_t i = 0; i < STORE_BLOBID_LEN; i++)
		snprintf(buf + 1 + 2 * i, 3, "%02x", id[i]);
	if (part != 0)
		snprintf(buf + 1 + 2 * STORE_BLOBID_LEN, JMAP_BLOBID_MAX -
		    1 - 2 * STORE_BLOBID_LEN, "P%u", part);
}

static int
hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ?
	    c - 'a' + 10 : -1;
}

bool
jmap_blobid_parse(const char *s, uint8_t id[STORE_BLOBID_LEN], uint32_t *part)
{
	if (s[0] != 'G')
		return false;
	for (size_t i = 0; i < STORE_BLOBID_LEN; i++) {
		int hi = hexval(s[1 + 2 * i]), lo = hi < 0 ? -1 :
		    hexval(s[2 + 2 * i]);
		if (lo < 0)
			return false;
		id[i] = (uint8_t)(hi * 16 + lo);
	}
	const char *p = s + 1 + 2 * STORE_BLOBID_LEN;
	*part = 0;
	if (*p == '\0')
		return true;
	if (*p++ != 'P' || *p == '0' || *p == '\0' || strlen(p) > 9)
		return false;
	for (; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			return false;
		*part = *part * 10 + (uint32_t)(*p - '0');
	}
	return true;
}

int
jmap_blob_part(const uint8_t *msg, size_t len, uint32_t part,
    struct buf *out, char *type, size_t typesz)
{
	struct mime_msg m;
	char t[128], sub[128];
	bool unknown = false;
	if (part == 0 || mime_parse(&m, msg, len, NULL) < 0)
		return -1;
	int rc = -1;
	const struct mime_part *p = mime_part(&m, part - 1);
	if (p != NULL && p->kind != MIME_MULTIPART) {
		mime_part_type(&m, part - 1, t, sizeof(t), sub, sizeof(sub));
		snprintf(type, typesz, "%s/%s", t, sub);
		rc = mime_part_decode(&m, part - 1, out, &unknown);
		if (rc < 0 && unknown && !out->failed)   /* the bytes as sent */
			rc = buf_append(out, msg + p->body, p->end - p->body);
	}
	mime_free(&m);
	return rc < 0 ? -1 : 0;
}

int
jmap_blob_read(int fd, uint64_t size, uint64_t max, uint8_t **out)
{
	if (size > max || size > SIZE_MAX - 1)
		return -1;
	uint8_t *m = malloc(size > 0 ? (size_t)size : 1);
	if (m == NULL)
		return -1;
	for (size_t off = 0; off < size; ) {
		ssize_t n = pread(fd, m + off, (size_t)size - off, (off_t)off);
		if (n <= 0) {
			free(m);
			return -1;
		}
		off += (size_t)n;
	}
	*out = m;
	return 0;
}
