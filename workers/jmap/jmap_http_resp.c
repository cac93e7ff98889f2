/* jmap_http_resp: HTTP/1.1 responses (see jmap_http_resp.h). */
#include "jmap_http_resp.h"

#include <stdarg.h>
#include <string.h>
#include <time.h>

const char *
http_reason(int status)
{
	static const struct { int st; const char *text; } t[] = {
		{ 100, "Continue" }, { 200, "OK" }, { 201, "Created" },
		{ 204, "No Content" }, { 301, "Moved Permanently" },
		{ 307, "Temporary Redirect" }, { 400, "Bad Request" },
		{ 401, "Unauthorized" }, { 403, "Forbidden" },
		{ 404, "Not Found" }, { 405, "Method Not Allowed" },
		{ 408, "Request Timeout" }, { 411, "Length Required" },
		{ 413, "Content Too Large" }, { 414, "URI Too Long" },
		{ 415, "Unsupported Media Type" }, { 417, "Expectation Failed" },
		{ 429, "Too Many Requests" },
		{ 431, "Request Header Fields Too Large" },
		{ 500, "Internal Server Error" }, { 501, "Not Implemented" },
		{ 503, "Service Unavailable" },
		{ 505, "HTTP Version Not Supported" },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (t[i].st == status)
			return t[i].text;
	return "Unknown";
}

void
http_resp_start(struct buf *b, int status, int close)
{
	/* IMF-fixdate (RFC 9110 section 5.6.7); gmtime needs no zone file */
	char date[64] = "";
	time_t now = time(NULL);
	struct tm tm;
	if (gmtime_r(&now, &tm) != NULL)
		strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
	buf_printf(b, "HTTP/1.1 %d %s\r\nDate: %s\r\nServer: Cloister\r\n"
	    "Cache-Control: no-store\r\n", status, http_reason(status), date);
	if (close)
		buf_append_str(b, "Connection: close\r\n");
}

void
http_resp_header(struct buf *b, const char *name, const char *fmt, ...)
{
	va_list ap;
	buf_append_str(b, name);
	buf_append_str(b, ": ");
	va_start(ap, fmt);
	buf_vprintf(b, fmt, ap);
	va_end(ap);
	buf_append_str(b, "\r\n");
}

void
http_resp_body(struct buf *b, const char *ctype, const void *body, size_t len)
{
	if (ctype != NULL)
		http_resp_header(b, "Content-Type", "%s", ctype);
	http_resp_header(b, "Content-Length", "%zu", len);
	buf_append_str(b, "\r\n");
	if (len > 0 && body != NULL)
		buf_append(b, body, len);
}
