/* authd_rcpt: is a recipient in the password database (AUTH_RCPT, asked
 * by delivery workers only: authd_serve checks the channel). Looked up
 * through libsasl2 with the login's name rules, so that the name a
 * delivery finds is the name a login gets. */
#include "authd_sasl.h"
#include "auth_user.h"
#include "log.h"

#include <string.h>

#define SASL_CB_FN(f) ((int (*)(void))(void (*)(void))(f))

enum authd_rcpt_result
authd_rcpt_lookup(const char *in, size_t n, char *user, size_t usersize)
{
	size_t k = auth_user_canon_len(in, n, authd_sasl_realm());
	if (k == 0 || k >= usersize)
		return AUTHD_RCPT_NONE;
	memcpy(user, in, k);
	user[k] = '\0';
	/* the login's name rules, without a rate gate: no secret is read */
	static struct authd_exchange names;
	sasl_callback_t cb[2] = {
		{ SASL_CB_CANON_USER, SASL_CB_FN(authd_sasl_canon), &names },
		{ SASL_CB_LIST_END, NULL, NULL },
	};
	sasl_conn_t *conn = NULL;
	int r = sasl_server_new("lmtp", authd_sasl_realm(), NULL, NULL, NULL,
	    cb, 0, &conn);
	if (r != SASL_OK) {
		log_warn("rcpt lookup: sasl_server_new: %s",
		    sasl_errstring(r, NULL, NULL));
		return AUTHD_RCPT_TEMPORARY;
	}
	r = sasl_user_exists(conn, NULL, NULL, user);
	sasl_dispose(&conn);
	if (r == SASL_OK)
		return AUTHD_RCPT_FOUND;
	if (r == SASL_NOUSER || r == SASL_BADAUTH || r == SASL_NOAUTHZ)
		return AUTHD_RCPT_NONE;
	log_warn("rcpt lookup of %s: %s", user, sasl_errstring(r, NULL, NULL));
	return AUTHD_RCPT_TEMPORARY;
}
