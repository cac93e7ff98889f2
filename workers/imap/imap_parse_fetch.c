/* imap_parse_fetch: FETCH arguments -> a list of typed attributes
 * (RFC 9051 6.4.5, BINARY RFC 3516, CONDSTORE/QRESYNC RFC 7162). */
#include "imap_parse_priv.h"

#include <string.h>

static struct imap_fatt *
new_att(struct imap_parser *p, enum imap_fatt_type t)
{
	if (p_item(p) < 0)
		return NULL;
	struct imap_fatt *a = p_alloc(p, sizeof(*a));
	if (a != NULL)
		a->type = t;
	return a;
}

/* header-list = "(" header-fld-name *(SP header-fld-name) ")" */
static int
header_list(struct imap_parser *p, struct imap_section *s)
{
	if (p_sp(p) < 0 || p_char(p, '(') < 0)
		return -1;
	size_t cap = 0;
	for (;;) {
		struct imap_str f;
		if (p_item(p) < 0 || p_astring(p, &f) < 0)
			return -1;
		if (f.len == 0 || memchr(f.s, ':', f.len) != NULL ||
		    memchr(f.s, ' ', f.len) != NULL)
			return p_fail(p, "Invalid header field name");
		if (s->nfields == cap) {
			size_t ncap = cap ? cap * 2 : 8;
			const char **nv = p_alloc(p, ncap * sizeof(*nv));
			if (nv == NULL)
				return -1;
			if (cap > 0)
				memcpy(nv, s->fields, cap * sizeof(*nv));
			s->fields = nv;
			cap = ncap;
		}
		s->fields[s->nfields++] = f.s;
		if (p_try_char(p, ')'))
			return 0;
		if (p_sp(p) < 0)
			return -1;
	}
}

/* section-msgtext = "HEADER" / "HEADER.FIELDS" [".NOT"] SP header-list /
 * "TEXT"; after a part number also "MIME" */
static int
section_text(struct imap_parser *p, struct imap_section *s, bool after_part)
{
	if (p_try_prefix(p, "HEADER.FIELDS.NOT")) {
		s->spec = SEC_HEADER_FIELDS_NOT;
		return header_list(p, s);
	}
	if (p_try_prefix(p, "HEADER.FIELDS")) {
		s->spec = SEC_HEADER_FIELDS;
		return header_list(p, s);
	}
	if (p_try_prefix(p, "HEADER")) {
		s->spec = SEC_HEADER;
		return 0;
	}
	if (p_try_prefix(p, "TEXT")) {
		s->spec = SEC_TEXT;
		return 0;
	}
	if (after_part && p_try_prefix(p, "MIME")) {
		s->spec = SEC_MIME;
		return 0;
	}
	return p_fail(p, "Invalid section");
}

/* "[" [section-spec] "]"; binary: "[" [section-part] "]" */
static int
section(struct imap_parser *p, struct imap_section *s, bool binary)
{
	memset(s, 0, sizeof(*s));
	if (p_try_char(p, ']'))
		return 0;
	int c = p_peek(p);
	if (c >= '1' && c <= '9') {
		for (;;) {
			uint32_t n;
			if (s->nparts >= IMAP_MAX_PART_DEPTH)
				return p_fail(p, "Section too deep");
			if (p_nz_number(p, &n) < 0)
				return -1;
			s->part[s->nparts++] = n;
			if (!p_try_char(p, '.'))
				break;
			c = p_peek(p);
			if (c < '0' || c > '9') {
				if (binary)
					return p_fail(p, "Invalid binary section");
				if (section_text(p, s, true) < 0)
					return -1;
				break;
			}
		}
	} else {
		if (binary)
			return p_fail(p, "Invalid binary section");
		if (section_text(p, s, false) < 0)
			return -1;
	}
	return p_char(p, ']');
}

/* partial = "<" number64 "." nz-number64 ">" */
static int
partial(struct imap_parser *p, struct imap_fatt *a)
{
	if (!p_try_char(p, '<'))
		return 0;
	a->partial = true;
	if (p_number64(p, &a->p_off) < 0 || p_char(p, '.') < 0 ||
	    p_number64(p, &a->p_len) < 0)
		return -1;
	if (a->p_len == 0)
		return p_fail(p, "Partial length must not be zero");
	return p_char(p, '>');
}

static const struct {
	const char *word;
	enum imap_fatt_type type;
} plain[] = {
	{ "ENVELOPE", FA_ENVELOPE },
	{ "FLAGS", FA_FLAGS },
	{ "INTERNALDATE", FA_INTERNALDATE },
	{ "RFC822.HEADER", FA_RFC822_HEADER },
	{ "RFC822.SIZE", FA_RFC822_SIZE },
	{ "RFC822.TEXT", FA_RFC822_TEXT },
	{ "RFC822", FA_RFC822 },
	{ "BODYSTRUCTURE", FA_BODYSTRUCTURE },
	{ "BODY", FA_BODY },
	{ "UID", FA_UID },
	{ "MODSEQ", FA_MODSEQ },
};

static int
att(struct imap_parser *p, struct imap_fatt **out)
{
	struct imap_fatt *a;
	static const struct {
		const char *prefix;
		enum imap_fatt_type type;
		bool peek;
	} sect[] = {
		{ "BODY.PEEK[", FA_SECTION, true },
		{ "BODY[", FA_SECTION, false },
		{ "BINARY.PEEK[", FA_BINARY, true },
		{ "BINARY.SIZE[", FA_BINARY_SIZE, true },
		{ "BINARY[", FA_BINARY, false },
	};
	for (size_t i = 0; i < sizeof(sect) / sizeof(sect[0]); i++) {
		if (!p_try_prefix(p, sect[i].prefix))
			continue;
		if ((a = new_att(p, sect[i].type)) == NULL)
			return -1;
		a->peek = sect[i].peek;
		if (section(p, &a->sec, sect[i].type != FA_SECTION) < 0)
			return -1;
		if (sect[i].type != FA_BINARY_SIZE && partial(p, a) < 0)
			return -1;
		*out = a;
		return 0;
	}
	for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
		if (!p_try_word(p, plain[i].word))
			continue;
		if ((a = new_att(p, plain[i].type)) == NULL)
			return -1;
		*out = a;
		return 0;
	}
	return p_fail(p, p_at_end(p) ? "Missing fetch attribute" :
	    "Unknown fetch attribute");
}

/* ALL / FAST / FULL */
static int
macro(struct imap_parser *p, struct imap_fatt **out)
{
	static const enum imap_fatt_type fast[] = { FA_FLAGS, FA_INTERNALDATE,
		FA_RFC822_SIZE, FA_ENVELOPE, FA_BODY };
	size_t n;
	if (p_try_word(p, "ALL"))
		n = 4;
	else if (p_try_word(p, "FAST"))
		n = 3;
	else if (p_try_word(p, "FULL"))
		n = 5;
	else
		return 0;
	struct imap_fatt **tail = out;
	for (size_t i = 0; i < n; i++) {
		struct imap_fatt *a = new_att(p, fast[i]);
		if (a == NULL)
			return -1;
		*tail = a;
		tail = &a->next;
	}
	return 1;
}

/* SP "(" CHANGEDSINCE n [SP VANISHED] ")" in any order */
static int
modifiers(struct imap_parser *p, struct imap_fetch_args *a)
{
	if (p_char(p, '(') < 0)
		return -1;
	bool first = true;
	while (!p_try_char(p, ')')) {
		if (!first && p_sp(p) < 0)
			return -1;
		first = false;
		if (p_try_word(p, "CHANGEDSINCE")) {
			if (a->changedsince_set)
				return p_fail(p, "Duplicate CHANGEDSINCE");
			if (p_sp(p) < 0 || p_mod_seq(p, &a->changedsince) < 0)
				return -1;
			a->changedsince_set = true;
		} else if (p_try_word(p, "VANISHED")) {
			a->vanished = true;
		} else {
			return p_fail(p, "Unknown FETCH modifier");
		}
	}
	if (a->vanished && !a->changedsince_set)
		return p_fail(p, "VANISHED requires CHANGEDSINCE");
	return 0;
}

int
p_fetch(struct imap_parser *p, struct imap_fetch_args *a)
{
	memset(a, 0, sizeof(*a));
	if (p_sp(p) < 0 || p_seqset(p, &a->set) < 0 || p_sp(p) < 0)
		return -1;
	int m = macro(p, &a->atts);
	if (m < 0)
		return -1;
	if (m == 0) {
		struct imap_fatt **tail = &a->atts;
		if (p_try_char(p, '(')) {
			for (;;) {
				if (att(p, tail) < 0)
					return -1;
				tail = &(*tail)->next;
				if (p_try_char(p, ')'))
					break;
				if (p_sp(p) < 0)
					return -1;
			}
		} else if (att(p, tail) < 0) {
			return -1;
		}
	}
	if (p_try_char(p, ' ') && modifiers(p, a) < 0)
		return -1;
	return 0;
}
