/* sv_lex: the Sieve lexer (RFC 5228 section 8.1). */
#include "sv_lex.h"

#include <stdbool.h>
#include <string.h>

#include "sv_ast.h"

#define SV_NUM_MAX ((uint64_t)INT64_MAX)

void
sv_lex_init(struct sv_lexer *l, const char *src, size_t len,
    struct imap_arena *a, struct sieve_error *err)
{
	l->src = src;
	l->len = len;
	l->pos = 0;
	l->line = 1;
	l->line_start = 0;
	l->arena = a;
	l->err = err;
}

static uint32_t
col_of(const struct sv_lexer *l, size_t pos)
{
	size_t c = pos - l->line_start + 1;
	return c > UINT32_MAX ? UINT32_MAX : (uint32_t)c;
}

static int
peek(const struct sv_lexer *l, size_t ahead)
{
	return l->pos + ahead < l->len ? (unsigned char)l->src[l->pos + ahead] : -1;
}

/* Moves past one byte, counting lines. */
static void
advance(struct sv_lexer *l)
{
	if (l->src[l->pos] == '\n') {
		l->line++;
		l->line_start = l->pos + 1;
	}
	l->pos++;
}

static enum sv_tok
lex_error(struct sv_lexer *l, uint32_t line, uint32_t col, const char *msg)
{
	sv_error_set(l->err, line, col, "%s", msg);
	return SV_T_ERR;
}

/* White space and comments; -1 on an unterminated bracket comment. */
static int
skip_space(struct sv_lexer *l)
{
	for (;;) {
		int c = peek(l, 0);
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
			advance(l);
		} else if (c == '#') {
			while (l->pos < l->len && l->src[l->pos] != '\n')
				advance(l);
		} else if (c == '/' && peek(l, 1) == '*') {
			uint32_t line = l->line, col = col_of(l, l->pos);
			advance(l);
			advance(l);
			while (!(peek(l, 0) == '*' && peek(l, 1) == '/')) {
				if (l->pos >= l->len) {
					lex_error(l, line, col,
					    "unterminated bracket comment");
					return -1;
				}
				advance(l);
			}
			advance(l);
			advance(l);
		} else {
			return 0;
		}
	}
}

static bool
is_ident_start(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool
is_ident_char(int c)
{
	return is_ident_start(c) || (c >= '0' && c <= '9');
}

static enum sv_tok
lex_number(struct sv_lexer *l, struct sv_token *t)
{
	uint64_t v = 0;
	while (peek(l, 0) >= '0' && peek(l, 0) <= '9') {
		unsigned d = (unsigned)(peek(l, 0) - '0');
		if (v > (SV_NUM_MAX - d) / 10)
			return lex_error(l, t->line, t->col, "number too large");
		v = v * 10 + d;
		advance(l);
	}
	int q = peek(l, 0);
	unsigned shift = 0;
	if (q == 'K' || q == 'k')
		shift = 10;
	else if (q == 'M' || q == 'm')
		shift = 20;
	else if (q == 'G' || q == 'g')
		shift = 30;
	if (shift) {
		if (v > (SV_NUM_MAX >> shift))
			return lex_error(l, t->line, t->col, "number too large");
		v <<= shift;
		advance(l);
	}
	if (is_ident_char(peek(l, 0)))
		return lex_error(l, l->line, col_of(l, l->pos),
		    "unexpected character after number");
	t->num = v;
	return t->t = SV_T_NUM;
}

/* Room for a decoded string of n bytes and its NUL. */
static char *
alloc_string(struct sv_lexer *l, const struct sv_token *t, size_t n)
{
	char *s = n > SIEVE_MAX_STRING ? NULL :
	    imap_arena_alloc(l->arena, n + 1);
	if (s == NULL)
		lex_error(l, t->line, t->col, n > SIEVE_MAX_STRING ?
		    "string too long" : "script too large");
	return s;
}

/* "..." with \x meaning x; the decoded string is never longer. */
static enum sv_tok
lex_quoted(struct sv_lexer *l, struct sv_token *t)
{
	advance(l);
	size_t start = l->pos, n = 0;
	/* first pass: find the end and the decoded length */
	for (size_t i = start;; i++) {
		if (i >= l->len)
			return lex_error(l, t->line, t->col,
			    "unterminated quoted string");
		if (l->src[i] == '"')
			break;
		if (l->src[i] == '\\') {
			i++;
			if (i >= l->len)
				return lex_error(l, t->line, t->col,
				    "unterminated quoted string");
		}
		n++;
	}
	char *s = alloc_string(l, t, n);
	if (s == NULL)
		return SV_T_ERR;
	size_t k = 0;
	while (l->src[l->pos] != '"') {
		if (l->src[l->pos] == '\\')
			advance(l);
		s[k++] = l->src[l->pos];
		advance(l);
	}
	advance(l);
	t->s = s;
	t->n = (uint32_t)k;
	return t->t = SV_T_STR;
}

/* The end of the line at pos (past its LF), or len. */
static size_t
line_end(const struct sv_lexer *l, size_t pos)
{
	const char *nl = memchr(l->src + pos, '\n', l->len - pos);
	return nl ? (size_t)(nl - l->src) + 1 : l->len;
}

/* A line of a multi-line string that is "." alone ends it. */
static bool
is_end_line(const struct sv_lexer *l, size_t pos, size_t end)
{
	size_t body = end - pos;
	if (body && l->src[end - 1] == '\n')
		body--;
	else
		return false;  /* the last line of the script, unterminated */
	if (body && l->src[pos + body - 1] == '\r')
		body--;
	return body == 1 && l->src[pos] == '.';
}

/* text: [spaces] [# comment] CRLF, lines, "." CRLF; a line's leading
 * dot of a pair is removed (dot-stuffing). */
static enum sv_tok
lex_multiline(struct sv_lexer *l, struct sv_token *t)
{
	for (int i = 0; i < 5; i++)
		advance(l);
	while (peek(l, 0) == ' ' || peek(l, 0) == '\t')
		advance(l);
	if (peek(l, 0) == '#') {
		while (l->pos < l->len && l->src[l->pos] != '\n')
			advance(l);
	}
	if (peek(l, 0) == '\r')
		advance(l);
	if (peek(l, 0) != '\n')
		return lex_error(l, l->line, col_of(l, l->pos),
		    "expected end of line after text:");
	advance(l);
	size_t start = l->pos, n = 0, pos = start;
	for (;;) {
		if (pos >= l->len)
			return lex_error(l, t->line, t->col,
			    "unterminated multi-line string");
		size_t end = line_end(l, pos);
		if (is_end_line(l, pos, end))
			break;
		n += end - pos - (l->src[pos] == '.' ? 1 : 0);
		pos = end;
	}
	char *s = alloc_string(l, t, n);
	if (s == NULL)
		return SV_T_ERR;
	size_t k = 0;
	for (;;) {
		size_t end = line_end(l, l->pos);
		size_t from = l->pos + (l->src[l->pos] == '.' ? 1 : 0);
		if (is_end_line(l, l->pos, end))
			break;
		memcpy(s + k, l->src + from, end - from);
		k += end - from;
		while (l->pos < end)
			advance(l);
	}
	size_t end = line_end(l, l->pos);
	while (l->pos < end)
		advance(l);
	t->s = s;
	t->n = (uint32_t)k;
	return t->t = SV_T_STR;
}

static enum sv_tok
lex_word(struct sv_lexer *l, struct sv_token *t, enum sv_tok kind)
{
	size_t start = l->pos;
	while (is_ident_char(peek(l, 0)))
		advance(l);
	if (l->pos - start > 128)
		return lex_error(l, t->line, t->col, "identifier too long");
	t->s = imap_arena_strndup(l->arena, l->src + start, l->pos - start);
	if (t->s == NULL)
		return lex_error(l, t->line, t->col, "script too large");
	t->n = (uint32_t)(l->pos - start);
	return t->t = kind;
}

enum sv_tok
sv_lex_next(struct sv_lexer *l, struct sv_token *t)
{
	memset(t, 0, sizeof(*t));
	if (skip_space(l) < 0)
		return t->t = SV_T_ERR;
	t->line = l->line;
	t->col = col_of(l, l->pos);
	int c = peek(l, 0);
	static const char punct[] = "[](){},;";
	static const enum sv_tok ptok[] = { SV_T_LBRACKET, SV_T_RBRACKET,
		SV_T_LPAREN, SV_T_RPAREN, SV_T_LBRACE, SV_T_RBRACE,
		SV_T_COMMA, SV_T_SEMI };
	if (c < 0)
		return t->t = SV_T_EOF;
	const char *p = c ? strchr(punct, c) : NULL;
	if (p != NULL) {
		advance(l);
		return t->t = ptok[p - punct];
	}
	if (c >= '0' && c <= '9')
		return lex_number(l, t);
	if (c == '"')
		return lex_quoted(l, t);
	if (c == ':') {
		advance(l);
		if (!is_ident_start(peek(l, 0)))
			return lex_error(l, t->line, t->col, "invalid tag");
		return lex_word(l, t, SV_T_TAG);
	}
	if (l->len - l->pos >= 5 && memcmp(l->src + l->pos, "text:", 5) == 0)
		return lex_multiline(l, t);
	if (is_ident_start(c))
		return lex_word(l, t, SV_T_IDENT);
	return lex_error(l, t->line, t->col, "unexpected character");
}

const char *
sv_tok_name(enum sv_tok t)
{
	switch (t) {
	case SV_T_EOF: return "end of script";
	case SV_T_IDENT: return "identifier";
	case SV_T_TAG: return "tag";
	case SV_T_NUM: return "number";
	case SV_T_STR: return "string";
	case SV_T_LBRACKET: return "'['";
	case SV_T_RBRACKET: return "']'";
	case SV_T_LPAREN: return "'('";
	case SV_T_RPAREN: return "')'";
	case SV_T_LBRACE: return "'{'";
	case SV_T_RBRACE: return "'}'";
	case SV_T_COMMA: return "','";
	case SV_T_SEMI: return "';'";
	default: return "invalid token";
	}
}
