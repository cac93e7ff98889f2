/* import_mbox: the mbox source (import.h): one file, one folder (INBOX,
 * or --folder). Flags from Status/X-Status, keywords from X-Keywords,
 * the internal date from the From_ line; where Dovecot or UW-IMAP kept
 * UIDs in it (X-IMAPbase, X-UID), they are kept too. */
#include "import.h"
#include "import_mbox_parse.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* The folder's UIDVALIDITY and UIDNEXT, if its first message says. */
static void
folder_uids(const char *p, size_t n, struct import_folder *f,
    struct mbox_msg *m)
{
	size_t pos = 0;
	struct mbox_raw raw;
	if (mbox_next(p, n, &pos, &raw) && mbox_clean(&raw, m) == 0 &&
	    m->uidvalidity != 0) {
		f->uidvalidity = m->uidvalidity;
		f->uidnext = m->uidnext;
	}
}

static int
send_all(const char *p, size_t n, bool uids, struct mbox_msg *m,
    const struct import_sink *s)
{
	size_t pos = 0;
	struct mbox_raw raw;
	uint32_t last = 0;
	while (mbox_next(p, n, &pos, &raw)) {
		if (mbox_clean(&raw, m) < 0) {
			fprintf(stderr, "cloisterctl: import: a message too large"
			    " for the store\n");
			return IMPORT_E_SOURCE;
		}
		if (m->pseudo)
			continue;
		/* UIDs only while they rise: a copied-in message may carry a
		 * stale X-UID */
		uint32_t uid = uids && m->uid > last ? m->uid : 0;
		if (uid != 0)
			last = uid;
		struct import_msg im = { .uid = uid, .flags = m->flags,
			.keywords = m->kw, .nkeywords = m->nkw,
			.internal_date = mbox_from_date(raw.from, raw.fromlen),
			.data = (const char *)m->out.data, .len = m->out.len };
		int rc = s->message(s->arg, &im);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int
import_mbox(const char *spec, const struct import_args *a,
    const struct import_sink *s)
{
	static struct mbox_msg m = { .out = BUF_INIT(STORE_MSG_MAX) };
	struct stat sb;
	/* opened before confinement (import_local.c), or here */
	int fd = a->local.source_fd >= 0 ? a->local.source_fd :
	    open(spec, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		int rc = import_source_err("opening", spec);
		if (fd >= 0)
			close(fd);
		return rc;
	}
	const char *p = "";
	if (sb.st_size > 0) {
		p = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (p == MAP_FAILED) {
			close(fd);
			return import_source_err("reading", spec);
		}
	}
	close(fd);
	size_t n = (size_t)sb.st_size;
	struct import_folder f = { .name = a->folder ? a->folder : "INBOX",
		.subscribed = true };
	folder_uids(p, n, &f, &m);
	int rc = s->folder(s->arg, &f);
	if (rc == 0)
		rc = send_all(p, n, f.uidvalidity != 0, &m, s);
	if (n > 0)
		munmap((void *)p, n);
	return rc;
}
