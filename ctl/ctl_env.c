/* ctl_env: which installation cloisterctl acts on (see ctl.h). */
#include "ctl.h"
#include "auth_user.h"
#include "buf.h"
#include "policy.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int
ctl_fail(int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("cloisterctl: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	return code;
}

int
ctl_env_load(struct ctl_env *e, const char *config_path)
{
	char err[CONFIG_ERR_MAX];
	if (config_load(config_path, &e->cfg, err, sizeof(err)) < 0)
		return ctl_fail(CTL_CONFIG, "config: %s", err);
	for (size_t i = 0; i < e->cfg.nservices; i++)
		if (e->cfg.services[i].role == ROLE_AUTH)
			e->auth = &e->cfg.services[i];
	if (e->auth == NULL)
		return ctl_fail(CTL_CONFIG, "%s: no service with role auth (authd)",
		    config_path);
	/* the password database is where authd's policy puts its chroot */
	static struct policy p;
	char perr[POLICY_ERR_MAX];
	if (policy_load(e->auth->policy, 0, &p, perr, sizeof(perr)) < 0)
		return ctl_fail(CTL_CONFIG, "policy: %s", perr);
	if (buf_snprintf(e->auth_root, sizeof(e->auth_root), "%s",
	    p.spec.root) < 0 || buf_snprintf(e->sasldb, sizeof(e->sasldb),
	    "%s/sasldb2", p.spec.root) < 0)
		return ctl_fail(CTL_CONFIG, "authd's root is too long");
	const char *realm = config_option(&e->cfg, e->auth, "realm");
	if (realm != NULL && buf_snprintf(e->realm, sizeof(e->realm), "%s",
	    realm) < 0)
		return ctl_fail(CTL_CONFIG, "realm is too long");
	return CTL_OK;
}

int
ctl_user_parse(const struct ctl_env *e, const char *arg, struct ctl_user *u)
{
	memset(u, 0, sizeof(*u));
	size_t n = auth_user_canon_len(arg, strlen(arg), e->realm);
	if (n == 0)
		return ctl_fail(CTL_REFUSED, "'%s' is not a valid user name (1-255"
		    " bytes; no spaces, control characters or '/'; one '@' at"
		    " most)", arg);
	memcpy(u->name, arg, n);
	u->name[n] = '\0';
	const char *at = memchr(u->name, '@', n);
	if (at != NULL) {
		memcpy(u->id, u->name, (size_t)(at - u->name));
		buf_snprintf(u->realm, sizeof(u->realm), "%s", at + 1);
	} else {
		memcpy(u->id, u->name, n + 1);
		buf_snprintf(u->realm, sizeof(u->realm), "%s", e->realm);
	}
	return CTL_OK;
}
