/* sv_vars: the syntax of variable references (sv_vars.h). */
#include "sv_vars.h"

static bool
ident_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool
digit(char c)
{
	return c >= '0' && c <= '9';
}

bool
sv_var_name_ok(const char *s, size_t n)
{
	if (n == 0 || n > 128 || !ident_start(s[0]))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!ident_start(s[i]) && !digit(s[i]))
			return false;
	return true;
}

bool
sv_var_is_match(const char *name, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!digit(name[i]))
			return false;
	return n > 0;
}

size_t
sv_var_ref(const char *s, size_t n, const char **name, size_t *namelen)
{
	if (n < 4 || s[0] != '$' || s[1] != '{')
		return 0;
	size_t i = 2;
	if (digit(s[i])) {
		while (i < n && digit(s[i]))
			i++;
	} else {
		for (;;) {
			if (i >= n || !ident_start(s[i]))
				return 0;
			while (i < n && (ident_start(s[i]) || digit(s[i])))
				i++;
			if (i < n && s[i] == '.')
				i++;
			else
				break;
		}
	}
	if (i >= n || s[i] != '}')
		return 0;
	*name = s + 2;
	*namelen = i - 2;
	return i + 1;
}
