/* cloister-mime-dump: print what the MIME helper makes of a message file,
 * one item per line, in IMAP wire form: ENVELOPE, BODY, BODYSTRUCTURE,
 * then the indexed fields and the search text. The corpus test compares
 * the first three with what Dovecot answered for the same file. */
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "charset.h"
#include "mime.h"
#include "mime_imap.h"
#include "mime_index.h"

static const char *const fnames[MIME_F_COUNT] = {
	"from", "to", "cc", "bcc", "subject", "base-subject", "message-id",
	"in-reply-to", "references", "sort-from", "sort-to", "sort-cc",
	"display-from", "display-to",
};

int
main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: cloister-mime-dump FILE\n");
		return 2;
	}
	struct buf in = BUF_INIT(256 << 20);
	if (buf_read_file(&in, argv[1]) < 0) {
		perror(argv[1]);
		return 1;
	}
	charset_preload(NULL);
	charset_seal();
	struct mime_msg m;
	if (mime_parse(&m, in.data ? in.data : (const uint8_t *)"", in.len,
	    NULL) < 0)
		return 1;
	struct buf out = BUF_INIT(256 << 20);
	mime_imap_envelope(&out, &m, 0, 0);
	printf("ENVELOPE %.*s\n", (int)out.len, (const char *)out.data);
	buf_reset(&out);
	mime_imap_bodystructure(&out, &m, 0, false, 0);
	printf("BODY %.*s\n", (int)out.len, (const char *)out.data);
	buf_reset(&out);
	mime_imap_bodystructure(&out, &m, 0, true, 0);
	printf("BODYSTRUCTURE %.*s\n", (int)out.len, (const char *)out.data);
	struct mime_index ix;
	if (mime_index_build(&ix, &m, 65536) == 0) {
		for (int i = 0; i < MIME_F_COUNT; i++) {
			struct mime_str s = mime_index_get(&ix, (enum mime_ifield)i);
			if (s.p != NULL)
				printf("%s: %.*s\n", fnames[i], (int)s.len, s.p);
		}
		if (ix.date != MIME_DATE_NONE)
			printf("date: %lld %+d\n", (long long)ix.date,
			    (int)ix.date_tz);
		mime_index_free(&ix);
	}
	buf_reset(&out);
	mime_text_extract(&m, &out, 1 << 20);
	printf("text: %.*s\n", (int)out.len, (const char *)out.data);
	buf_free(&out);
	mime_free(&m);
	buf_free(&in);
	return 0;
}
