/* keyd_certs: the certN options of the keyd service (keyd_certs.h). */
#include "keyd_certs.h"
#include "buf.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

const struct config_service *
keyd_certs_service(const struct config *c)
{
	for (size_t i = 0; i < c->nservices; i++)
		if (c->services[i].role == ROLE_KEY)
			return &c->services[i];
	return NULL;
}

static unsigned
option_line(const struct config_service *s, const char *key)
{
	for (size_t i = 0; i < s->noptions; i++)
		if (strcmp(s->options[i].key, key) == 0)
			return s->options[i].line;
	return s->line;
}

/* A host name or "default": letters, digits, '-', '.', nothing else. */
static bool
name_ok(const char *n)
{
	if (n[0] == '\0' || n[0] == '.' || n[0] == '-')
		return false;
	for (const char *p = n; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '.'))
			return false;
	return true;
}

/* "NAME CHAIN KEY" into e; -1 when it is not three words, absolute paths. */
static int
split_entry(const char *v, struct keyd_cert_entry *e)
{
	const char *sp1 = strchr(v, ' ');
	const char *sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
	if (sp1 == NULL || sp2 == NULL || strchr(sp2 + 1, ' ') != NULL)
		return -1;
	if (buf_strlcpy(e->name, sizeof(e->name), v, (size_t)(sp1 - v)) < 0 ||
	    buf_strlcpy(e->chain, sizeof(e->chain), sp1 + 1,
	    (size_t)(sp2 - sp1 - 1)) < 0 ||
	    buf_strlcpy(e->key, sizeof(e->key), sp2 + 1, strlen(sp2 + 1)) < 0)
		return -1;
	return name_ok(e->name) && e->chain[0] == '/' && e->key[0] == '/' ?
	    0 : -1;
}

int
keyd_certs_parse(const struct config *c, const struct config_service *s,
    struct keyd_cert_entry *out, char *err, size_t errlen)
{
	int n = 0;
	bool has_default = false;
	for (int i = 1; i <= KEYD_CERTS_MAX; i++) {
		char key[16];
		snprintf(key, sizeof(key), "cert%d", i);
		const char *v = config_option(c, s, key);
		if (v == NULL)
			continue;
		struct keyd_cert_entry *e = &out[n];
		if (split_entry(v, e) < 0) {
			buf_snprintf(err, errlen, "%s:%u: %s is NAME CHAIN-FILE"
			    " KEY-FILE (absolute paths)", c->path,
			    option_line(s, key), key);
			return -1;
		}
		for (int k = 0; k < n; k++)
			if (strcasecmp(out[k].name, e->name) == 0) {
				buf_snprintf(err, errlen, "%s:%u: certificate name %s"
				    " given twice", c->path, option_line(s, key),
				    e->name);
				return -1;
			}
		has_default = has_default || strcmp(e->name, "default") == 0;
		n++;
	}
	if (!has_default) {
		buf_snprintf(err, errlen, "%s:%u: service %s: no certN option names"
		    " the 'default' certificate", c->path, s->line, s->name);
		return -1;
	}
	return n;
}
