/* Unit tests for workers/shared/tls_err: an OpenSSL error code as words an
 * operator can read, in a process that loaded no error strings (as every
 * imapd): the common handshake failures by name, any other as its code in
 * hex, never a bare decimal; OpenSSL's own words once it has them. */
#include "check.h"
#include "tls_err.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <string.h>

int
main(void)
{
	OPENSSL_init_ssl(OPENSSL_INIT_NO_LOAD_SSL_STRINGS |
	    OPENSSL_INIT_NO_LOAD_CRYPTO_STRINGS, NULL);
	char b[160];
	CHECK(strcmp(tls_err_text(ERR_PACK(ERR_LIB_SSL, 0, SSL_R_HTTP_REQUEST),
	    b, sizeof(b)), "http request (not TLS)") == 0);
	CHECK(strcmp(tls_err_text(ERR_PACK(ERR_LIB_SSL, 0,
	    SSL_R_UNSUPPORTED_PROTOCOL), b, sizeof(b)),
	    "unsupported protocol (TLS < 1.2)") == 0);
	CHECK(strstr(tls_err_text(ERR_PACK(ERR_LIB_SSL, 0,
	    SSL_R_TLSV1_ALERT_UNKNOWN_CA), b, sizeof(b)), "unknown CA") != NULL);
	/* a reason we do not name: its code, in the form `openssl errstr`
	 * takes */
	unsigned long other = ERR_PACK(ERR_LIB_SSL, 0, SSL_R_BAD_PACKET);
	char want[64];
	snprintf(want, sizeof(want), "OpenSSL error %08lX", other);
	CHECK(strcmp(tls_err_text(other, b, sizeof(b)), want) == 0);
	CHECK(strcmp(tls_err_text(0, b, sizeof(b)), "unknown error") == 0);
	/* a small buffer is cut, never overrun */
	char small[8];
	tls_err_text(ERR_PACK(ERR_LIB_SSL, 0, SSL_R_HTTP_REQUEST), small,
	    sizeof(small));
	CHECK(strlen(small) == sizeof(small) - 1);
	return check_done("test_tls_err");
}
