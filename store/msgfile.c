/* msgfile: content-addressed message files (see msgfile.h). */
#include "msgfile.h"
#include "buf.h"
#include "log.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define COPY_CHUNK (256 * 1024)

static EVP_MD *sha256;
static EVP_MD_CTX *mdctx;
static uint8_t chunk[COPY_CHUNK];
static unsigned tmp_seq;
static char root[32] = "data/s0";

void
msgfile_set_root(unsigned shard)
{
	if (buf_snprintf(root, sizeof(root), "data/s%u", shard) < 0)
		log_fatal("msgfile: shard number");
}

const char *
msgfile_root(void)
{
	return root;
}

void
msgfile_init(void)
{
	sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
	mdctx = EVP_MD_CTX_new();
	if (sha256 == NULL || mdctx == NULL ||
	    EVP_DigestInit_ex(mdctx, sha256, NULL) != 1)
		log_fatal("msgfile: cannot load sha256");
}

int
msgfile_user_dir(uint64_t userid, char *out, size_t size)
{
	return buf_snprintf(out, size, "%s/u/%llu", root,
	    (unsigned long long)userid);
}

void
msgfile_hex(const uint8_t hash[MSGFILE_HASH_LEN], char out[65])
{
	static const char hx[] = "0123456789abcdef";
	for (int i = 0; i < MSGFILE_HASH_LEN; i++) {
		out[i * 2] = hx[hash[i] >> 4];
		out[i * 2 + 1] = hx[hash[i] & 15];
	}
	out[64] = '\0';
}

int
msgfile_path(uint64_t userid, const uint8_t hash[MSGFILE_HASH_LEN], char *out,
    size_t size)
{
	char hex[65];
	msgfile_hex(hash, hex);
	return buf_snprintf(out, size, "%s/u/%llu/%s", root,
	    (unsigned long long)userid, hex);
}

int
msgfile_mkdir(uint64_t userid)
{
	char d[MSGFILE_PATH_MAX];
	if (msgfile_user_dir(userid, d, sizeof(d)) < 0)
		return -1;
	if (mkdir(d, MSGFILE_DIR_MODE) < 0 && errno != EEXIST)
		return -1;
	return 0;
}

int
msgfile_db_precreate(const char *path)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
	    MSGFILE_DB_MODE);
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

int
msgfile_store(uint64_t userid, int src, uint64_t srcoff, uint64_t size,
    uint8_t hash[MSGFILE_HASH_LEN], int *syncfd)
{
	char tmp[MSGFILE_PATH_MAX], final[MSGFILE_PATH_MAX];
	*syncfd = -1;
	if (buf_snprintf(tmp, sizeof(tmp), "%s/u/%llu/tmp.%u", root,
	    (unsigned long long)userid, ++tmp_seq) < 0)
		return -1;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0)
		return -1;
	int saved = 0;
	if (EVP_DigestInit_ex(mdctx, sha256, NULL) != 1)
		goto fail_eio;
	for (uint64_t off = 0; off < size;) {
		size_t want = size - off < COPY_CHUNK ? (size_t)(size - off) : COPY_CHUNK;
		ssize_t r = pread(src, chunk, want, (off_t)(srcoff + off));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			goto fail_eio;      /* the memfd is shorter than announced */
		if (EVP_DigestUpdate(mdctx, chunk, (size_t)r) != 1 ||
		    buf_write_all(fd, chunk, (size_t)r) < 0)
			goto fail;
		off += (uint64_t)r;
	}
	unsigned hl = 0;
	if (EVP_DigestFinal_ex(mdctx, hash, &hl) != 1 || hl != MSGFILE_HASH_LEN)
		goto fail_eio;
	if (msgfile_path(userid, hash, final, sizeof(final)) < 0)
		goto fail_eio;
	if (link(tmp, final) < 0) {
		if (errno != EEXIST)
			goto fail;
		/* the same bytes are there: durable already, or pending in
		 * this turn (see db_commit_all) */
		close(fd);
		fd = -1;
	}
	unlink(tmp);
	*syncfd = fd;
	return 0;
fail_eio:
	errno = EIO;
fail:
	saved = errno;
	close(fd);
	unlink(tmp);
	errno = saved;
	return -1;
}

int
msgfile_open(uint64_t userid, const uint8_t hash[MSGFILE_HASH_LEN])
{
	char p[MSGFILE_PATH_MAX];
	if (msgfile_path(userid, hash, p, sizeof(p)) < 0)
		return -1;
	return open(p, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
}

int
msgfile_unlink(uint64_t userid, const uint8_t hash[MSGFILE_HASH_LEN])
{
	char p[MSGFILE_PATH_MAX];
	if (msgfile_path(userid, hash, p, sizeof(p)) < 0)
		return -1;
	return unlink(p);
}

static int
unhex(const char *s, uint8_t out[MSGFILE_HASH_LEN])
{
	for (int i = 0; i < MSGFILE_HASH_LEN * 2; i++) {
		int v;
		char c = s[i];
		if (c >= '0' && c <= '9')
			v = c - '0';
		else if (c >= 'a' && c <= 'f')
			v = c - 'a' + 10;
		else
			return -1;
		if (i % 2 == 0)
			out[i / 2] = (uint8_t)(v << 4);
		else
			out[i / 2] |= (uint8_t)v;
	}
	return s[MSGFILE_HASH_LEN * 2] == '\0' ? 0 : -1;
}

int
msgfile_sweep(uint64_t userid,
    int (*referenced)(void *arg, const uint8_t hash[MSGFILE_HASH_LEN]),
    void *arg, unsigned *removed)
{
	char d[MSGFILE_PATH_MAX], p[MSGFILE_PATH_MAX + 80];
	*removed = 0;
	if (msgfile_user_dir(userid, d, sizeof(d)) < 0)
		return -1;
	DIR *dir = opendir(d);
	if (dir == NULL)
		return -1;
	struct dirent *e;
	while ((e = readdir(dir)) != NULL) {
		uint8_t h[MSGFILE_HASH_LEN];
		bool drop = false;
		if (strncmp(e->d_name, "tmp.", 4) == 0)
			drop = true;
		else if (unhex(e->d_name, h) == 0 && !referenced(arg, h))
			drop = true;
		if (drop && buf_snprintf(p, sizeof(p), "%s/%s", d, e->d_name) >= 0 &&
		    unlink(p) == 0)
			(*removed)++;
	}
	closedir(dir);
	return 0;
}

int
msgfile_remove_user(uint64_t userid)
{
	char d[MSGFILE_PATH_MAX], p[MSGFILE_PATH_MAX + 280];
	if (msgfile_user_dir(userid, d, sizeof(d)) < 0)
		return -1;
	DIR *dir = opendir(d);
	if (dir == NULL)
		return errno == ENOENT ? 0 : -1;
	struct dirent *e;
	while ((e = readdir(dir)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (buf_snprintf(p, sizeof(p), "%s/%s", d, e->d_name) >= 0)
			unlink(p);
	}
	closedir(dir);
	return rmdir(d);
}
