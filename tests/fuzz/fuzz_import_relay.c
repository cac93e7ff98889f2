/* libFuzzer target: the records an import source's child process sends
 * cloisterctl (ctl/import_relay.h), as a compromised child could write
 * them: the first byte is the record type, the rest its body. A record
 * that decodes is encoded again and must decode to the same values. */
#include <stdlib.h>
#include <string.h>

#include "import_relay.h"

static struct relay_rec a, b;

static void
same(void)
{
	if (a.type == 'F' && (strcmp(a.f.name, b.f.name) != 0 ||
	    a.f.uidvalidity != b.f.uidvalidity || a.f.uidnext != b.f.uidnext ||
	    a.f.special_use != b.f.special_use ||
	    a.f.subscribed != b.f.subscribed))
		abort();
	if (a.type == 'M' && (a.m.uid != b.m.uid || a.m.flags != b.m.flags ||
	    a.m.len != b.m.len || memcmp(a.m.data, b.m.data, a.m.len) != 0 ||
	    a.m.nkeywords != b.m.nkeywords))
		abort();
	for (size_t i = 0; a.type == 'M' && i < a.m.nkeywords; i++)
		if (strcmp(a.m.keywords[i], b.m.keywords[i]) != 0)
			abort();
	if (a.type == 'H' && a.uid != b.uid)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (relay_decode((char)data[0], data + 1, size - 1, &a) < 0)
		return 0;
	struct buf out = BUF_INIT(size + 4096);
	int rc = a.type == 'F' ? relay_put_folder(&out, &a.f) :
	    a.type == 'H' ? relay_put_have(&out, a.uid) :
	    relay_put_msg(&out, &a.m);
	if (rc < 0 || out.len < RELAY_HEAD ||
	    relay_decode((char)out.data[0], out.data + RELAY_HEAD,
	    out.len - RELAY_HEAD, &b) < 0)
		abort();
	same();
	buf_free(&out);
	return 0;
}
