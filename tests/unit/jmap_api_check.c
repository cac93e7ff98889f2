/*
 * jmap-api-check: the JMAP API side (workers/jmap/jmap_api.h) against a
 * live stored, without HTTP. tests/integration/test_jmap_methods.py starts
 * stored, hands over a jmapd channel and drives it line by line:
 *
 *   jmap-api-check FD TICKET_HEX
 *
 * stdin, one per line: a JMAP request (JSON), answered "STATUS BODY"
 * ("LOST STATUS BODY" when the store channel failed under it); or
 * "!append MAILBOX FLAGS FILE" (FLAGS a store_flag mask), which stores the
 * message in FILE as imapd's APPEND would, answered "OK" or "ERR rc".
 */
#include "jmap_api.h"
#include "mime.h"
#include "msgmeta.h"
#include "store_client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define LINE_MAX_BYTES (1u << 20)

static int
append(struct store_conn *sc, const char *mbox, uint32_t flags,
    const char *path)
{
	static char data[1u << 20];
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return -1;
	size_t n = fread(data, 1, sizeof(data), f);
	fclose(f);
	struct mime_msg m;
	struct msgmeta mm;
	if (mime_parse(&m, (const uint8_t *)data, n, NULL) < 0)
		return -1;
	if (msgmeta_build(&mm, &m, NULL) < 0) {
		mime_free(&m);
		return -1;
	}
	mm.meta.internaldate = (uint64_t)time(NULL);
	mm.meta.flags = flags;
	int fd = memfd_create("msg", 0);
	int rc = -1;
	struct store_append_result res;
	if (fd >= 0 && write(fd, data, n) == (ssize_t)n)
		rc = store_append(sc, 0, mbox, fd, n, &mm.meta, &res);
	if (fd >= 0)
		close(fd);
	msgmeta_free(&mm);
	mime_free(&m);
	return rc;
}

static void
answer_append(struct store_conn *sc, char *line)
{
	char mbox[256], path[512];
	unsigned flags;
	int rc = sscanf(line, "!append %255s %u %511s", mbox, &flags, path) == 3 ?
	    append(sc, mbox, flags, path) : -1;
	if (rc == 0)
		printf("OK\n");
	else
		printf("ERR %d %s\n", rc, store_client_errmsg(sc));
}

int
main(int argc, char **argv)
{
	if (argc != 3)
		return 2;
	struct store_conn *sc = store_client_open(atoi(argv[1]));
	uint8_t ticket[512];
	size_t tlen = strlen(argv[2]) / 2;
	char user[STORE_USER_MAX + 1];
	if (sc == NULL || tlen > sizeof(ticket))
		return 2;
	for (size_t i = 0; i < tlen; i++)
		sscanf(argv[2] + 2 * i, "%2hhx", &ticket[i]);
	if (store_hello(sc, ticket, tlen, user, sizeof(user)) != STORE_OK) {
		fprintf(stderr, "hello: %s\n", store_client_errmsg(sc));
		return 1;
	}
	struct jmap_limits limits;
	jmap_limits_default(&limits);
	struct jmap_account a = { user, "a1", sc, &limits };
	char *line = malloc(LINE_MAX_BYTES);
	while (line != NULL && fgets(line, LINE_MAX_BYTES, stdin) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (strncmp(line, "!append ", 8) == 0) {
			answer_append(sc, line);
		} else {
			struct jmap_response r;
			jmap_api_handle(&a, line, strlen(line), &r);
			printf("%s%d %.*s\n", r.store_lost ? "LOST " : "",
			    r.status, (int)r.len, r.body ? r.body : "");
			free(r.body);
		}
		fflush(stdout);
	}
	free(line);
	store_client_close(sc);
	return 0;
}
