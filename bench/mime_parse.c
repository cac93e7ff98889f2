/* cloister-bench-mime FILE...: microseconds per message for the MIME
 * helper's stages (parse; + ENVELOPE and BODYSTRUCTURE; + index fields and
 * search text), the cost imapd and lmtpd pay per message. */
#include <stdio.h>
#include <time.h>

#include "buf.h"
#include "charset.h"
#include "mime.h"
#include "mime_imap.h"
#include "mime_index.h"

static double
now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	charset_preload(NULL);
	for (int a = 1; a < argc; a++) {
		struct buf in = BUF_INIT(64 << 20), out = BUF_INIT(64 << 20);
		if (buf_read_file(&in, argv[a]) < 0) {
			perror(argv[a]);
			return 1;
		}
		const int n = 20000;
		double t[4];
		t[0] = now();
		for (int i = 0; i < n; i++) {
			struct mime_msg m;
			mime_parse(&m, in.data, in.len, NULL);
			mime_free(&m);
		}
		t[1] = now();
		for (int i = 0; i < n; i++) {
			struct mime_msg m;
			mime_parse(&m, in.data, in.len, NULL);
			buf_reset(&out);
			mime_imap_envelope(&out, &m, 0, 0);
			mime_imap_bodystructure(&out, &m, 0, true, 0);
			mime_free(&m);
		}
		t[2] = now();
		for (int i = 0; i < n; i++) {
			struct mime_msg m;
			struct mime_index ix;
			mime_parse(&m, in.data, in.len, NULL);
			mime_index_build(&ix, &m, 65536);
			mime_index_free(&ix);
			buf_reset(&out);
			mime_text_extract(&m, &out, 1 << 20);
			mime_free(&m);
		}
		t[3] = now();
		printf("%-40s %6zu bytes: parse %6.2f us, +ENVELOPE+BODYSTRUCTURE "
		    "%6.2f us, +index+text %6.2f us\n", argv[a], in.len,
		    (t[1] - t[0]) / n * 1e6, (t[2] - t[1]) / n * 1e6,
		    (t[3] - t[2]) / n * 1e6);
		buf_free(&in);
		buf_free(&out);
	}
	return 0;
}
