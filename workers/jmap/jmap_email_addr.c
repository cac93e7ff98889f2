/* jmap_email_addr: address lists and message-id lists. */
#include "jmap_email_addr.h"

#include <stdbool.h>
#include <string.h>

#define ADDR_MAX 1024   /* bytes of one address or display name kept */

static bool
is_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

/* s[0..n) without surrounding blanks and quotes, into out (cap bytes). */
static size_t
trim_copy(const char *s, size_t n, char *out, size_t cap)
{
	while (n > 0 && is_space(*s)) {
		s++;
		n--;
	}
	while (n > 0 && is_space(s[n - 1]))
		n--;
	if (n >= 2 && s[0] == '"' && s[n - 1] == '"') {
		s++;
		n -= 2;
	}
	size_t o = 0;
	for (size_t i = 0; i < n && o + 1 < cap; i++) {
		if (s[i] == '\\' && i + 1 < n)
			i++;   /* a quoted-pair: the character itself */
		out[o++] = s[i];
	}
	out[o] = '\0';
	return o;
}

/* One address (no top-level comma) appended to list. */
static void
add_addr(json_t *list, const char *s, size_t n)
{
	char name[ADDR_MAX], email[ADDR_MAX];
	const char *lt = NULL, *gt = NULL;
	bool q = false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\\' && q && i + 1 < n)
			i++;   /* a quoted-pair: \" does not end the string */
		else if (s[i] == '"')
			q = !q;
		else if (!q && s[i] == '<' && lt == NULL)
			lt = s + i;
		else if (!q && s[i] == '>' && lt != NULL && gt == NULL)
			gt = s + i;
	}
	size_t nn = 0, ne;
	if (lt != NULL) {
		nn = trim_copy(s, (size_t)(lt - s), name, sizeof(name));
		ne = trim_copy(lt + 1, (size_t)((gt ? gt : s + n) - lt - 1),
		    email, sizeof(email));
	} else {
		ne = trim_copy(s, n, email, sizeof(email));
	}
	if (ne == 0 && nn == 0)
		return;
	json_t *a = json_object();
	json_object_set_new(a, "name", nn ? json_stringn(name, nn) : json_null());
	json_object_set_new(a, "email", json_stringn(email, ne));
	if (json_object_get(a, "email") == NULL)   /* cut inside UTF-8 */
		json_object_set_new(a, "email", json_string(""));
	if (json_object_get(a, "name") == NULL)
		json_object_set_new(a, "name", json_null());
	json_array_append_new(list, a);
}

json_t *
jmap_addr_list(const char *p, size_t n)
{
	json_t *list = json_array();
	size_t start = 0;
	bool q = false;
	int angle = 0;
	if (list == NULL)
		return NULL;
	for (size_t i = 0; i <= n; i++) {
		char ch = i < n ? p[i] : ',';
		if (ch == '\\' && q && i + 1 < n) {
			i++;
			continue;
		}
		if (ch == '"')
			q = !q;
		else if (!q && ch == '<')
			angle = 1;
		else if (!q && ch == '>')
			angle = 0;
		else if (!q && !angle && ch == ':')
			start = i + 1;   /* a group's name: its members follow */
		else if ((!q && !angle && (ch == ',' || ch == ';')) || i == n) {
			add_addr(list, p + start, i - start);
			start = i + 1;
		}
	}
	if (json_array_size(list) == 0) {
		json_decref(list);
		return NULL;
	}
	return list;
}

json_t *
jmap_msgid_list(const char *p, size_t n)
{
	json_t *list = json_array();
	for (size_t i = 0; list != NULL && i < n; i++) {
		if (p[i] != '<')
			continue;
		const char *end = memchr(p + i + 1, '>', n - i - 1);
		if (end == NULL)
			break;
		size_t len = (size_t)(end - (p + i + 1));
		json_t *s = len > 0 && len < ADDR_MAX ?
		    json_stringn(p + i + 1, len) : NULL;
		if (s != NULL)
			json_array_append_new(list, s);
		i = (size_t)(end - p);
	}
	if (json_array_size(list) == 0) {
		json_decref(list);
		return NULL;
	}
	return list;
}
