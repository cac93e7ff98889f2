/* imap_thread: THREAD=ORDEREDSUBJECT and THREAD=REFERENCES (RFC 5256) over
 * the matching messages' metadata (imap_thread.h). */
#include "imap_thread.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mime_index.h"

#define NONE (-1)
/* References followed per message: a longer chain adds nothing a client
 * shows, and bounds the work an attacker's header can cause. */
#define MAX_REFS 100
/* Recursion over the tree stops this deep (a chain of replies is walked
 * without it; only nesting of branches counts): below it dummies stay,
 * siblings keep their order and branches are not printed. */
#define MAX_DEPTH 5000

struct node {
	int32_t parent, child, next;   /* tree links, NONE if none */
	int32_t msg;                   /* index into the messages, NONE: dummy */
	const char *id;                /* its message-id (not owned) */
	size_t idlen;
};

struct tree {
	struct node *n;
	size_t len, cap;
	const struct imap_thread_msg *m;
	/* message-id -> node: open addressing, NONE = empty, at most half
	 * full */
	int32_t *slot;
	size_t nslot, nused;
	char **base;                   /* base subject per message */
	bool failed;
};

static int32_t
node_new(struct tree *t, int32_t msg, const char *id, size_t idlen)
{
	if (t->len == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		struct node *n = realloc(t->n, cap * sizeof(*n));
		if (n == NULL) {
			t->failed = true;
			return NONE;
		}
		t->n = n;
		t->cap = cap;
	}
	t->n[t->len] = (struct node){ NONE, NONE, NONE, msg, id, idlen };
	return (int32_t)t->len++;
}

static uint32_t
hash(const char *s, size_t n)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (uint8_t)s[i]) * 16777619u;
	return h;
}

static void
slot_put(int32_t *slot, size_t nslot, const struct node *n, int32_t k)
{
	size_t i = hash(n[k].id, n[k].idlen) & (nslot - 1);
	while (slot[i] != NONE)
		i = (i + 1) & (nslot - 1);
	slot[i] = k;
}

static int
grow(struct tree *t)
{
	size_t nslot = t->nslot * 2;
	int32_t *slot = malloc(nslot * sizeof(*slot));
	if (slot == NULL)
		return -1;
	memset(slot, 0xff, nslot * sizeof(*slot));   /* NONE */
	for (size_t k = 0; k < t->len; k++)
		if (t->n[k].id != NULL)
			slot_put(slot, nslot, t->n, (int32_t)k);
	free(t->slot);
	t->slot = slot;
	t->nslot = nslot;
	return 0;
}

/* The node of a message-id, made (a dummy) if new; NONE on failure. */
static int32_t
node_of(struct tree *t, const char *id, size_t n)
{
	if (2 * (t->nused + 1) > t->nslot && grow(t) < 0) {
		t->failed = true;
		return NONE;
	}
	size_t i = hash(id, n) & (t->nslot - 1);
	for (; t->slot[i] != NONE; i = (i + 1) & (t->nslot - 1)) {
		const struct node *x = &t->n[t->slot[i]];
		if (x->idlen == n && memcmp(x->id, id, n) == 0)
			return t->slot[i];
	}
	int32_t k = node_new(t, NONE, id, n);
	if (k != NONE) {
		t->slot[i] = k;
		t->nused++;
	}
	return k;
}

static bool
descends(const struct tree *t, int32_t a, int32_t b)   /* a under b? */
{
	for (int32_t x = a; x != NONE; x = t->n[x].parent)
		if (x == b)
			return true;
	return false;
}

static void
unlink_node(struct tree *t, int32_t c)
{
	int32_t p = t->n[c].parent;
	if (p == NONE)
		return;
	int32_t *pp = &t->n[p].child;
	while (*pp != c)
		pp = &t->n[*pp].next;
	*pp = t->n[c].next;
	t->n[c].parent = t->n[c].next = NONE;
}

static void
link_node(struct tree *t, int32_t c, int32_t p)   /* c becomes p's last */
{
	int32_t *pp = &t->n[p].child;
	while (*pp != NONE)
		pp = &t->n[*pp].next;
	*pp = c;
	t->n[c].parent = p;
	t->n[c].next = NONE;
}

/* The next "<...>" of a space-separated list at *p. */
static bool
next_id(const char **p, const char **id, size_t *n)
{
	const char *s = *p;
	while (*s == ' ')
		s++;
	if (*s == '\0')
		return false;
	const char *e = strchr(s, ' ');
	*n = e ? (size_t)(e - s) : strlen(s);
	*id = s;
	*p = s + *n;
	return true;
}

/* RFC 5256 REFERENCES steps 1-2: the messages and their references as a
 * forest. */
static void
build(struct tree *t, size_t nm)
{
	for (size_t i = 0; i < nm && !t->failed; i++) {
		const struct imap_thread_msg *m = &t->m[i];
		int32_t me = NONE;
		if (m->msgid != NULL && m->msgid[0] != '\0') {
			me = node_of(t, m->msgid, strlen(m->msgid));
			if (me != NONE && t->n[me].msg != NONE)
				me = NONE;   /* a duplicate id: a message of its own */
		}
		if (me == NONE)
			me = node_new(t, NONE, NULL, 0);
		if (me == NONE)
			return;
		t->n[me].msg = (int32_t)i;
		const char *refs = m->refs != NULL && m->refs[0] != '\0' ?
		    m->refs : m->inreplyto;
		int32_t prev = NONE;
		const char *p = refs ? refs : "", *id;
		size_t n;
		for (int k = 0; k < MAX_REFS && next_id(&p, &id, &n); k++) {
			int32_t r = node_of(t, id, n);
			if (r == NONE)
				return;
			if (prev != NONE && t->n[r].parent == NONE &&
			    r != prev && !descends(t, prev, r))
				link_node(t, r, prev);
			prev = r;
		}
		/* the message's own last reference is its parent: an older link
		 * (from a truncated References) goes, and a loop is not made */
		unlink_node(t, me);
		if (prev != NONE && prev != me && !descends(t, prev, me))
			link_node(t, me, prev);
	}
}

static int64_t
date_of(const struct tree *t, int32_t x)
{
	while (x != NONE && t->n[x].msg == NONE)
		x = t->n[x].child;
	return x == NONE ? 0 : t->m[t->n[x].msg].date;
}

static uint32_t
seq_of(const struct tree *t, int32_t x)
{
	while (x != NONE && t->n[x].msg == NONE)
		x = t->n[x].child;
	return x == NONE ? 0 : t->m[t->n[x].msg].seq;
}

static const struct tree *sort_tree;

static int
cmp_nodes(const void *a, const void *b)
{
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
	int64_t dx = date_of(sort_tree, x), dy = date_of(sort_tree, y);
	if (dx != dy)
		return dx < dy ? -1 : 1;
	uint32_t sx = seq_of(sort_tree, x), sy = seq_of(sort_tree, y);
	return sx < sy ? -1 : sx > sy;
}

/* Sort a sibling list (children first, so that a dummy's date is that of
 * its first child); returns the new head. */
static int32_t
sort_list(struct tree *t, int32_t head, int depth)
{
	size_t n = 0;
	for (int32_t x = head; x != NONE; x = t->n[x].next)
		n++;
	if (n == 0)
		return NONE;
	int32_t *v = malloc(n * sizeof(*v));
	if (v == NULL) {
		t->failed = true;
		return head;
	}
	n = 0;
	for (int32_t x = head; x != NONE; x = t->n[x].next)
		v[n++] = x;
	for (size_t i = 0; i < n && depth < MAX_DEPTH; i++)
		t->n[v[i]].child = sort_list(t, t->n[v[i]].child, depth + 1);
	sort_tree = t;
	qsort(v, n, sizeof(*v), cmp_nodes);
	for (size_t i = 0; i < n; i++)
		t->n[v[i]].next = i + 1 < n ? v[i + 1] : NONE;
	head = v[0];
	free(v);
	return head;
}

/* One thread member and what hangs below it, RFC 5256 section 4 syntax. */
static void
emit(struct buf *o, const struct tree *t, int32_t x, int depth)
{
	for (;;) {
		const struct node *c = &t->n[x];
		bool msg = c->msg != NONE;
		if (msg)
			buf_printf(o, "%u", t->m[c->msg].seq);
		int32_t k = c->child;
		if (k == NONE)
			return;
		if (t->n[k].next == NONE && msg) {   /* a chain goes on */
			buf_append_byte(o, ' ');
			x = k;
			continue;
		}
		if (msg)
			buf_append_byte(o, ' ');
		for (; k != NONE; k = t->n[k].next) {
			buf_append_byte(o, '(');
			if (depth < MAX_DEPTH)
				emit(o, t, k, depth + 1);
			buf_append_byte(o, ')');
		}
		return;
	}
}

static void
emit_roots(struct buf *o, const struct tree *t, int32_t head)
{
	for (int32_t x = head; x != NONE; x = t->n[x].next) {
		buf_append_byte(o, '(');
		emit(o, t, x, 0);
		buf_append_byte(o, ')');
	}
}

/* RFC 5256 3 (5): a reply or forward by its subject ("Re:", "Fwd:",
 * "[fwd: ...]", "... (fwd)"). */
static bool
is_reply(const char *s)
{
	if (s == NULL)
		return false;
	while (*s == ' ' || *s == '\t' || *s == '[') {
		if (*s == '[') {
			if (strncasecmp(s, "[fwd:", 5) == 0)
				return true;
			const char *e = strchr(s, ']');
			if (e == NULL)
				break;
			s = e;
		}
		s++;
	}
	size_t l = strncasecmp(s, "re", 2) == 0 ? 2 :
	    strncasecmp(s, "fwd", 3) == 0 ? 3 :
	    strncasecmp(s, "fw", 2) == 0 ? 2 : 0;
	if (l > 0) {
		const char *p = s + l;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '[') {
			const char *e = strchr(p, ']');
			p = e ? e + 1 : p;
			while (*p == ' ' || *p == '\t')
				p++;
		}
		if (*p == ':')
			return true;
	}
	size_t n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	return n >= 5 && strncasecmp(s + n - 5, "(fwd)", 5) == 0;
}

static const char *
subject_of(const struct tree *t, int32_t x)
{
	if (t->n[x].msg == NONE)
		x = t->n[x].child;
	return x == NONE || t->n[x].msg == NONE ? "" : t->base[t->n[x].msg];
}

/* RFC 5256 REFERENCES (4)-(5): prune dummies, then gather roots that
 * share a base subject. Returns the head of the new root list. */
static int32_t
prune(struct tree *t, int32_t head, bool root, int depth)
{
	if (depth > MAX_DEPTH)
		return head;   /* deeper dummies stay: bounded stack */
	int32_t out = NONE, *tail = &out;
	for (int32_t x = head, nx; x != NONE; x = nx) {
		nx = t->n[x].next;
		t->n[x].next = NONE;
		t->n[x].child = prune(t, t->n[x].child, false, depth + 1);
		for (int32_t k = t->n[x].child; k != NONE; k = t->n[k].next)
			t->n[k].parent = x;
		if (t->n[x].msg == NONE) {
			int32_t k = t->n[x].child;
			if (k == NONE)
				continue;   /* an empty dummy goes */
			if (!root || t->n[k].next == NONE) {
				/* its children take its place */
				*tail = k;
				for (; k != NONE; k = t->n[k].next) {
					t->n[k].parent = root ? NONE :
					    t->n[x].parent;
					tail = &t->n[k].next;
				}
				continue;
			}
		}
		*tail = x;
		tail = &t->n[x].next;
	}
	return out;
}

static const struct tree *gather_tree;
static const int32_t *gather_roots;

static int
cmp_subject(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	int c = strcasecmp(subject_of(gather_tree, gather_roots[x]),
	    subject_of(gather_tree, gather_roots[y]));
	return c != 0 ? c : x < y ? -1 : x > y;
}

static bool
reply_node(const struct tree *t, int32_t x)
{
	return t->n[x].msg != NONE && is_reply(t->m[t->n[x].msg].subject);
}

/* (C): cur joins keeper's thread; a new dummy may become the keeper
 * (written back to *keeper). */
static void
merge(struct tree *t, int32_t *keeper, int32_t cur)
{
	int32_t keep = *keeper;
	bool kd = t->n[keep].msg == NONE, cd = t->n[cur].msg == NONE;
	if (kd && cd) {
		while (t->n[cur].child != NONE) {
			int32_t k = t->n[cur].child;
			unlink_node(t, k);
			link_node(t, k, keep);
		}
	} else if (kd || (!cd && reply_node(t, cur) && !reply_node(t, keep))) {
		link_node(t, cur, keep);
	} else {
		int32_t d = node_new(t, NONE, NULL, 0);
		if (d == NONE)
			return;
		link_node(t, keep, d);
		link_node(t, cur, d);
		*keeper = d;
	}
}

/* RFC 5256 REFERENCES (5): roots with one base subject become one thread.
 * The subject table is a sort of the roots by subject. */
static int32_t
gather(struct tree *t, int32_t head)
{
	size_t n = 0;
	for (int32_t x = head; x != NONE; x = t->n[x].next)
		n++;
	int32_t *roots = malloc((n + 1) * sizeof(*roots));
	size_t *order = malloc((n + 1) * sizeof(*order));
	if (roots == NULL || order == NULL) {
		free(roots);
		free(order);
		t->failed = true;
		return head;
	}
	n = 0;
	for (int32_t x = head; x != NONE; x = t->n[x].next)
		roots[n++] = x;
	for (size_t i = 0; i < n; i++)
		order[i] = i;
	gather_tree = t;
	gather_roots = roots;
	qsort(order, n, sizeof(*order), cmp_subject);
	for (size_t g = 0, e; g < n && !t->failed; g = e) {
		const char *subj = subject_of(t, roots[order[g]]);
		for (e = g + 1; e < n && strcasecmp(subject_of(t,
		    roots[order[e]]), subj) == 0; e++)
			;
		if (subj[0] == '\0' || e - g < 2)
			continue;
		/* (B): the keeper, in root order: a dummy, else a non-reply */
		size_t ki = order[g];
		for (size_t k = g + 1; k < e; k++) {
			int32_t old = roots[ki], cur = roots[order[k]];
			if ((t->n[cur].msg == NONE && t->n[old].msg != NONE) ||
			    (t->n[old].msg != NONE && t->n[cur].msg != NONE &&
			    reply_node(t, old) && !reply_node(t, cur)))
				ki = order[k];
		}
		int32_t keeper = roots[ki];
		for (size_t k = g; k < e; k++) {
			if (order[k] == ki)
				continue;
			merge(t, &keeper, roots[order[k]]);
			roots[order[k]] = NONE;
		}
		roots[ki] = keeper;
	}
	int32_t out = NONE, *tail = &out;
	for (size_t i = 0; i < n; i++) {
		if (roots[i] == NONE)
			continue;
		*tail = roots[i];
		t->n[roots[i]].parent = NONE;
		tail = &t->n[roots[i]].next;
	}
	*tail = NONE;
	free(roots);
	free(order);
	return out;
}

static int
tree_init(struct tree *t, const struct imap_thread_msg *m, size_t n)
{
	memset(t, 0, sizeof(*t));
	t->m = m;
	t->nslot = 64;
	while (t->nslot < 4 * (n + 1))
		t->nslot *= 2;
	t->slot = malloc(t->nslot * sizeof(*t->slot));
	t->base = calloc(n + 1, sizeof(*t->base));
	/* room for a node per message from the start: ORDEREDSUBJECT keeps
	 * pointers into the array while it adds them */
	t->cap = n + 64;
	t->n = malloc(t->cap * sizeof(*t->n));
	if (t->slot == NULL || t->base == NULL || t->n == NULL)
		return -1;
	memset(t->slot, 0xff, t->nslot * sizeof(*t->slot));   /* NONE */
	for (size_t i = 0; i < n; i++) {
		const char *s = m[i].subject ? m[i].subject : "";
		struct buf b = BUF_INIT(strlen(s) + 1);
		mime_base_subject(&b, (const uint8_t *)s, strlen(s));
		buf_append_byte(&b, 0);
		if (b.failed) {
			buf_free(&b);
			return -1;
		}
		t->base[i] = (char *)b.data;
	}
	return 0;
}

static void
tree_free(struct tree *t, size_t n)
{
	for (size_t i = 0; t->base != NULL && i < n; i++)
		free(t->base[i]);
	free(t->base);
	free(t->slot);
	free(t->n);
}

int
imap_thread_references(const struct imap_thread_msg *m, size_t n,
    struct buf *out)
{
	struct tree t;
	int rc = -1;
	if (tree_init(&t, m, n) == 0) {
		build(&t, n);
		int32_t head = NONE, *tail = &head;
		for (size_t x = 0; x < t.len; x++) {
			if (t.n[x].parent != NONE)
				continue;
			*tail = (int32_t)x;
			tail = &t.n[x].next;
		}
		*tail = NONE;
		head = prune(&t, head, true, 0);
		head = gather(&t, head);
		head = sort_list(&t, head, 0);
		emit_roots(out, &t, head);
		rc = t.failed || out->failed ? -1 : 0;
	}
	tree_free(&t, n);
	return rc;
}

static const struct imap_thread_msg *os_msgs;
static char **os_base;

static int
cmp_os(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	int c = strcasecmp(os_base[x], os_base[y]);
	if (c != 0)
		return c;
	if (os_msgs[x].date != os_msgs[y].date)
		return os_msgs[x].date < os_msgs[y].date ? -1 : 1;
	return os_msgs[x].seq < os_msgs[y].seq ? -1 : 1;
}

int
imap_thread_orderedsubject(const struct imap_thread_msg *m, size_t n,
    struct buf *out)
{
	struct tree t;
	size_t *v = malloc((n + 1) * sizeof(*v));
	if (v == NULL || tree_init(&t, m, n) < 0) {
		if (v != NULL)
			tree_free(&t, n);
		free(v);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		v[i] = i;
	os_msgs = m;
	os_base = t.base;
	qsort(v, n, sizeof(*v), cmp_os);
	/* each run of one base subject: the first (by date) is the parent,
	 * the others its children */
	int32_t head = NONE, *tail = &head, top = NONE;
	for (size_t i = 0; i < n; i++) {
		int32_t x = node_new(&t, (int32_t)v[i], NULL, 0);
		if (x == NONE)
			break;
		if (i > 0 && strcasecmp(t.base[v[i]], t.base[v[i - 1]]) == 0) {
			link_node(&t, x, top);
			continue;
		}
		top = x;
		*tail = x;
		tail = &t.n[x].next;
	}
	head = sort_list(&t, head, 0);
	emit_roots(out, &t, head);
	int rc = t.failed || out->failed ? -1 : 0;
	tree_free(&t, n);
	free(v);
	return rc;
}
