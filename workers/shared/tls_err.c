/* tls_err: an OpenSSL error as words an operator can read. The workers
 * load no error-string tables (each would cost heap in every session), so
 * the reasons a server meets in practice — a client speaking something
 * else, an old or odd client, a client that rejects our certificate — are
 * named here; any other is "OpenSSL error 0A0000XX" for `openssl errstr`. */
#include "tls_err.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdio.h>

static const struct {
	int reason;
	const char *text;
} ssl_reasons[] = {
	{ SSL_R_HTTP_REQUEST, "http request (not TLS)" },
	{ SSL_R_HTTPS_PROXY_REQUEST, "https proxy request (not TLS)" },
	{ SSL_R_WRONG_VERSION_NUMBER, "wrong version number (not TLS?)" },
	{ SSL_R_UNKNOWN_PROTOCOL, "unknown protocol" },
	{ SSL_R_UNSUPPORTED_PROTOCOL, "unsupported protocol (TLS < 1.2)" },
	{ SSL_R_VERSION_TOO_LOW, "version too low (TLS < 1.2)" },
	{ SSL_R_NO_PROTOCOLS_AVAILABLE, "no protocols available" },
	{ SSL_R_NO_SHARED_CIPHER, "no shared cipher" },
	{ SSL_R_NO_SHARED_GROUPS, "no shared groups" },
	{ SSL_R_NO_SUITABLE_SIGNATURE_ALGORITHM,
	  "no suitable signature algorithm" },
	{ SSL_R_INAPPROPRIATE_FALLBACK, "inappropriate fallback" },
	{ SSL_R_PACKET_LENGTH_TOO_LONG, "packet length too long" },
	{ SSL_R_RECORD_LENGTH_MISMATCH, "record length mismatch" },
	{ SSL_R_LENGTH_MISMATCH, "length mismatch" },
	{ SSL_R_BAD_EXTENSION, "bad extension" },
	{ SSL_R_BAD_KEY_SHARE, "bad key share" },
	{ SSL_R_UNEXPECTED_MESSAGE, "unexpected message" },
	{ SSL_R_UNEXPECTED_EOF_WHILE_READING,
	  "unexpected eof (the client closed the connection)" },
	{ SSL_R_DECRYPTION_FAILED_OR_BAD_RECORD_MAC,
	  "decryption failed or bad record mac" },
	{ SSL_R_SSLV3_ALERT_HANDSHAKE_FAILURE, "client alert: handshake failure" },
	{ SSL_R_SSLV3_ALERT_BAD_CERTIFICATE, "client alert: bad certificate" },
	{ SSL_R_SSLV3_ALERT_CERTIFICATE_UNKNOWN,
	  "client alert: certificate unknown (not trusted by the client)" },
	{ SSL_R_SSLV3_ALERT_CERTIFICATE_EXPIRED,
	  "client alert: certificate expired" },
	{ SSL_R_SSLV3_ALERT_UNEXPECTED_MESSAGE,
	  "client alert: unexpected message" },
	{ SSL_R_SSLV3_ALERT_ILLEGAL_PARAMETER, "client alert: illegal parameter" },
	{ SSL_R_TLSV1_ALERT_UNKNOWN_CA,
	  "client alert: unknown CA (not trusted by the client)" },
	{ SSL_R_TLSV1_ALERT_ACCESS_DENIED, "client alert: access denied" },
	{ SSL_R_TLSV1_ALERT_DECODE_ERROR, "client alert: decode error" },
	{ SSL_R_TLSV1_ALERT_DECRYPT_ERROR, "client alert: decrypt error" },
	{ SSL_R_TLSV1_ALERT_PROTOCOL_VERSION, "client alert: protocol version" },
	{ SSL_R_TLSV1_ALERT_INSUFFICIENT_SECURITY,
	  "client alert: insufficient security" },
	{ SSL_R_TLSV1_ALERT_INTERNAL_ERROR, "client alert: internal error" },
	{ SSL_R_TLSV1_UNRECOGNIZED_NAME, "client alert: unrecognized name" },
	{ SSL_R_TLSV13_ALERT_MISSING_EXTENSION,
	  "client alert: missing extension" },
	{ SSL_R_TLSV1_ALERT_NO_APPLICATION_PROTOCOL,
	  "client alert: no application protocol" },
};

const char *
tls_err_text(unsigned long e, char *buf, size_t n)
{
	if (e == 0) {
		snprintf(buf, n, "unknown error");
		return buf;
	}
	/* a process that loaded the strings gets OpenSSL's own words */
	const char *r = ERR_reason_error_string(e);
	if (r != NULL) {
		snprintf(buf, n, "%s", r);
		return buf;
	}
	if (ERR_GET_LIB(e) == ERR_LIB_SSL)
		for (size_t i = 0; i < sizeof(ssl_reasons) / sizeof(ssl_reasons[0]);
		    i++)
			if (ssl_reasons[i].reason == ERR_GET_REASON(e)) {
				snprintf(buf, n, "%s", ssl_reasons[i].text);
				return buf;
			}
	snprintf(buf, n, "OpenSSL error %08lX", e);
	return buf;
}
