/*
 * cloister-import-imap-dump: the IMAP import source against a sink that
 * prints what it receives (the integration tests compare it with what the
 * server holds), remembering in a state file the UIDs it was handed so
 * that a second run shows what the source skips.
 *
 *   cloister-import-imap-dump [--ca-file F] [--insecure] [--plaintext]
 *       [--password-file F] [--max-message N] [--batch N] [--state F] URL
 *
 * The password is the first line of --password-file, else of stdin.
 * Output: "FOLDER name uidvalidity uidnext use-bits subscribed",
 * "MSG uid flags keywords(,) internal-date length sha256", and a last
 * "DONE rc folders messages bytes present too-big vanished".
 */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "import_imap.h"

struct state {
	FILE *out;                 /* appended to as messages arrive */
	char **seen;               /* "folder uidvalidity uid" lines */
	size_t nseen;
	char folder[2048];         /* "name uidvalidity" of the current one */
};

static bool
have_uid(void *arg, uint32_t uid)
{
	struct state *s = arg;
	char key[2100];
	snprintf(key, sizeof(key), "%s %u", s->folder, uid);
	for (size_t i = 0; i < s->nseen; i++)
		if (strcmp(s->seen[i], key) == 0)
			return true;
	return false;
}

static int
on_folder(void *arg, const struct import_folder *f)
{
	struct state *s = arg;
	printf("FOLDER %s %u %u %u %d\n", f->name, f->uidvalidity, f->uidnext,
	    f->special_use, f->subscribed);
	snprintf(s->folder, sizeof(s->folder), "%s %u", f->name,
	    f->uidvalidity);
	return 0;
}

static int
on_message(void *arg, const struct import_msg *m)
{
	struct state *s = arg;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	EVP_Digest(m->data, m->len, md, &mdlen, EVP_sha256(), NULL);
	printf("MSG %u %u ", m->uid, m->flags);
	for (size_t i = 0; i < m->nkeywords; i++)
		printf("%s%s", i ? "," : "", m->keywords[i]);
	printf("%s %lld %zu ", m->nkeywords ? "" : "-",
	    (long long)m->internal_date, m->len);
	for (unsigned i = 0; i < mdlen; i++)
		printf("%02x", md[i]);
	printf("\n");
	if (s->out != NULL)
		fprintf(s->out, "%s %u\n", s->folder, m->uid);
	return 0;
}

static void
load_state(struct state *s, const char *path)
{
	FILE *f = fopen(path, "r");
	char line[2200];
	while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\n")] = 0;
		char **n = realloc(s->seen, (s->nseen + 1) * sizeof(*n));
		if (n == NULL || (n[s->nseen] = strdup(line)) == NULL)
			exit(70);
		s->seen = n;
		s->nseen++;
	}
	if (f != NULL)
		fclose(f);
	s->out = fopen(path, "a");
}

static int
read_password(const char *path, char *pw, size_t size)
{
	FILE *f = path ? fopen(path, "r") : stdin;
	if (f == NULL || fgets(pw, (int)size, f) == NULL)
		return -1;
	pw[strcspn(pw, "\r\n")] = 0;
	if (f != stdin)
		fclose(f);
	return 0;
}

int
main(int argc, char **argv)
{
	const char *pwfile = NULL, *ca = NULL, *statef = NULL, *url = NULL;
	bool insecure = false, plaintext = false;
	unsigned long maxmsg = 0, batch = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "--insecure") == 0)
			insecure = true;
		else if (strcmp(a, "--plaintext") == 0)
			plaintext = true;
		else if (v && strcmp(a, "--ca-file") == 0 && ++i)
			ca = v;
		else if (v && strcmp(a, "--password-file") == 0 && ++i)
			pwfile = v;
		else if (v && strcmp(a, "--state") == 0 && ++i)
			statef = v;
		else if (v && strcmp(a, "--max-message") == 0 && ++i)
			maxmsg = strtoul(v, NULL, 10);
		else if (v && strcmp(a, "--batch") == 0 && ++i)
			batch = strtoul(v, NULL, 10);
		else if (a[0] != '-' && url == NULL)
			url = a;
		else
			return fprintf(stderr, "usage: see the source\n"), 64;
	}
	struct import_imap_opts o;
	struct import_imap_stats st;
	char store[4096], err[256], pw[1024];
	if (url == NULL ||
	    import_imap_url(url, &o, store, sizeof(store), err, sizeof(err)) < 0)
		return fprintf(stderr, "%s\n", url ? err : "no URL"), 64;
	if (read_password(pwfile, pw, sizeof(pw)) < 0)
		return fprintf(stderr, "no password\n"), 64;
	o.conn.ca_file = ca;
	o.conn.insecure = insecure;
	if (plaintext && o.conn.tls == IMAPC_TLS_STARTTLS)
		o.conn.tls = IMAPC_TLS_NONE;
	if (maxmsg)
		o.conn.max_literal = maxmsg;
	o.batch = (unsigned)batch;
	o.password = pw;
	o.password_len = strlen(pw);
	o.stats = &st;
	struct state s = { 0 };
	if (statef != NULL)
		load_state(&s, statef);
	struct import_sink sink = { on_folder, have_uid, on_message, &s };
	int rc = import_imap_run(&o, &sink);
	printf("DONE %d %u %llu %llu %llu %llu %llu\n", rc, st.folders,
	    (unsigned long long)st.messages, (unsigned long long)st.bytes,
	    (unsigned long long)st.present, (unsigned long long)st.too_big,
	    (unsigned long long)st.vanished);
	if (s.out != NULL)
		fclose(s.out);
	return rc < 0 ? 1 : rc;
}
