/* chan: channels and the reply path (see chan.h). */
#include "chan.h"
#include "budget.h"
#include "db.h"
#include "log.h"
#include "notify.h"
#include "request_slots.h"
#include "rights.h"
#include "slice.h"
#include "user.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* What a channel's reply buffer may hold: a reply made whole (bounded by
 * the request's budget: a few MB at 100,000 messages), or the unsent part
 * of a sliced one (1 MiB plus one entry of at most ~12 MiB). */
#define REPLY_MAX (32u * 1024 * 1024)
#define POOL_KEEP 32
#define POOL_KEEP_BYTES (1024 * 1024)
#define BIG_KEEP 2                       /* and a few large ones, so that */
#define BIG_KEEP_BYTES (4 * 1024 * 1024) /* big fetches do not realloc */

static int epfd = -1;
static struct chan *flush_head;
static unsigned nchans;
static struct buf *pool[POOL_KEEP];
static unsigned npool;
static struct buf *big[BIG_KEEP];
static unsigned nbig;
static struct chan *slice_head;         /* channels with a sliced reply */
static struct chan_hooks hooks;

void
chan_init(int ep)
{
	epfd = ep;
	db_on_ack_lost(chan_fail_reply);
}

void
chan_set_hooks(const struct chan_hooks *h)
{
	hooks = *h;
}

unsigned
chan_count(void)
{
	return nchans;
}

/* ---- reply buffers: reused, so that a request costs no malloc ------------- */

static struct buf *
pool_get(void)
{
	if (nbig > 0)
		return big[--nbig];
	if (npool > 0)
		return pool[--npool];
	struct buf *b = malloc(sizeof(*b));
	if (b == NULL)
		log_fatal("out of memory for a reply");
	buf_init(b, REPLY_MAX);
	return b;
}

static void
pool_put(struct buf *b)
{
	buf_reset(b);
	if (b->cap > POOL_KEEP_BYTES && b->cap <= BIG_KEEP_BYTES &&
	    nbig < BIG_KEEP) {
		big[nbig++] = b;
		return;
	}
	if (npool < POOL_KEEP && b->cap <= POOL_KEEP_BYTES) {
		pool[npool++] = b;
		return;
	}
	buf_free(b);
	free(b);
}

/* ---- epoll interest -------------------------------------------------------- */

static void
want(struct chan *ch, uint32_t events)
{
	if (ch->dead || ch->events == events)
		return;
	struct epoll_event ev = { .events = events, .data.ptr = ch };
	if (epoll_ctl(epfd, EPOLL_CTL_MOD, ch->fd, &ev) < 0)
		log_fatal_errno("epoll_ctl");
	ch->events = events;
}

void
chan_pause(struct chan *ch)
{
	want(ch, ch->events & ~(uint32_t)EPOLLIN);
}

void
chan_resume(struct chan *ch)
{
	if (ch->out == NULL && ch->held == NULL && !(ch->events & EPOLLET))
		want(ch, ch->events | EPOLLIN);
}

/* Below this many bytes in the channel's send queue it counts as read: a
 * record costs far more (its sk_buff), while a record the peer is reading
 * just now may still count 1 byte when its wake-up comes (sock_wfree). */
#define OUTQ_EMPTY_BELOW 64

/* Has the peer CHAN_FD_REPLIES_UNREAD replies carrying fds unread (its
 * queue not seen empty since they went)? */
static bool
fds_unread(struct chan *ch)
{
	if (ch->fd_replies < CHAN_FD_REPLIES_UNREAD)
		return false;
	int queued = 0;
	if (ioctl(ch->fd, SIOCOUTQ, &queued) < 0) {
		/* cannot be on a live socket; the kernel's own limit and
		 * ETOOMANYREFS (send_out) still stand */
		log_err("%s[%llu]: SIOCOUTQ: %s", ch->service,
		    (unsigned long long)ch->instance, strerror(errno));
		queued = 0;
	}
	if (queued >= OUTQ_EMPTY_BELOW)
		return true;
	ch->fd_replies = 0;
	return false;
}

bool
chan_hold_for_fds(struct chan *ch)
{
	if (!fds_unread(ch))
		return false;
	want(ch, (ch->events & ~(uint32_t)EPOLLIN) | EPOLLOUT | EPOLLET);
	return true;
}

/* A wake-up of a channel held for its files: the peer read a record. */
static void
fds_wake(struct chan *ch)
{
	if (fds_unread(ch))
		return;
	want(ch, EPOLLIN | (ch->nnotify > 0 ? EPOLLOUT : 0));
}

void
chan_queue_flush(struct chan *ch)
{
	if (ch->flush_queued)
		return;
	ch->flush_queued = true;
	ch->flush_next = flush_head;
	flush_head = ch;
}

struct chan *
chan_add(int fd, const char *service, uint64_t instance, bool admin)
{
	struct chan *ch = calloc(1, sizeof(*ch));
	if (ch == NULL) {
		close(fd);
		return NULL;
	}
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
		log_err("peer %s[%llu]: fcntl: %s", service,
		    (unsigned long long)instance, strerror(errno));
		close(fd);
		free(ch);
		return NULL;
	}
	ch->fd = fd;
	ch->out_fd = -1;
	memcpy(ch->service, service, strnlen(service, sizeof(ch->service) - 1));
	ch->instance = instance;
	ch->admin = admin;   /* the supervisor's flag, never the name */
	ch->svc = ch->admin ? 0 : rights_service(service);
	if (!ch->admin && ch->svc == 0)
		log_warn("peer %s[%llu]: no policy names this service; it may "
		    "send nothing", service, (unsigned long long)instance);
	ch->events = EPOLLIN;
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = ch };
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		log_fatal_errno("epoll_ctl add");
	nchans++;
	return ch;
}

static void
slice_drop(struct chan *ch)
{
	if (ch->slice == NULL)
		return;
	for (struct chan **p = &slice_head; *p != NULL; p = &(*p)->slice_next)
		if (*p == ch) {
			*p = ch->slice_next;
			break;
		}
	ch->slice->free(ch->slice);
	ch->slice = NULL;
	ch->out_open = false;
}

void
chan_close(struct chan *ch)
{
	if (ch->dead)
		return;
	ch->dead = true;
	slice_drop(ch);
	epoll_ctl(epfd, EPOLL_CTL_DEL, ch->fd, NULL);
	close(ch->fd);
	if (hooks.closed != NULL)
		hooks.closed(ch);
	notify_push_unwatch(ch);
	if (ch->user != NULL) {
		notify_unwatch(ch);
		request_slot_release(ch);
		ch->user->nref--;
		user_maybe_free(ch->user);
		ch->user = NULL;
	}
	if (ch->out != NULL) {
		pool_put(ch->out);
		ch->out = NULL;
	}
	if (ch->out_fd >= 0) {
		close(ch->out_fd);
		ch->out_fd = -1;
	}
	ipc_fd_batch_close(&ch->out_fds);
	nchans--;
	chan_queue_flush(ch);     /* freed at the end of the turn */
}

/* ---- replies ---------------------------------------------------------------- */

void
chan_reply_begin(struct req *r)
{
	r->rb = pool_get();
	r->rtype = IPC_OK;
	r->stream = false;
	r->rfd = -1;
	r->slice = NULL;
	r->err[0] = '\0';
}

void
chan_reply_finish(struct req *r, int rc)
{
	struct chan *ch = r->ch;
	if (rc == 0 && (r->rb->failed ||
	    (!r->stream && r->rb->len > IPC_MAX_PAYLOAD)))
		rc = req_fail(r, IPC_ERR_LIMIT, "reply too large");
	if (rc < 0) {
		uint32_t code = (uint32_t)-rc;
		if (code == 0 || code > IPC_ERR_NOSPACE)
			code = IPC_ERR_INTERNAL;
		buf_reset(r->rb);
		ipc_put_u32(r->rb, code);
		ipc_put_str(r->rb, r->err[0] ? r->err : "failed");
		r->rtype = IPC_ERROR;
		r->stream = false;
		if (r->rfd >= 0)
			close(r->rfd);
		r->rfd = -1;
		ipc_fd_batch_close(&r->rfds);
		if (r->slice != NULL)
			r->slice->free(r->slice);
		r->slice = NULL;
	}
	if (ch->dead || ch->out != NULL) {
		if (ch->out != NULL)
			log_err("%s[%llu]: a second reply while one is pending",
			    ch->service, (unsigned long long)ch->instance);
		pool_put(r->rb);
		if (r->rfd >= 0)
			close(r->rfd);
		ipc_fd_batch_close(&r->rfds);
		if (r->slice != NULL)
			r->slice->free(r->slice);
		return;
	}
	ch->out = r->rb;
	ch->out_type = r->rtype;
	ch->out_reqid = r->m->reqid;
	ch->out_stream = r->stream;
	ch->out_off = 0;
	ch->out_fd = r->rfd;
	ch->out_fds = r->rfds;
	r->rfds.n = 0;
	if (r->slice != NULL) {
		ch->slice = r->slice;
		ch->out_open = true;
		ch->slice_next = slice_head;
		slice_head = ch;
		/* turns go by before it ends: read nothing more meanwhile
		 * (send_out resumes reading when the last record is sent) */
		chan_pause(ch);
	}
	/* one record per channel per turn, and the reply goes at the end of
	 * this turn: no need to stop reading unless the socket is full
	 * (send_out) — two epoll_ctl calls per request saved */
	chan_queue_flush(ch);
}

void
chan_fail_reply(struct chan *ch, uint32_t reqid, uint32_t code,
    const char *msg)
{
	if (ch->dead || ch->out == NULL || ch->out_reqid != reqid ||
	    ch->out_off != 0)
		return;
	buf_reset(ch->out);
	ipc_put_u32(ch->out, code);
	ipc_put_str(ch->out, msg);
	ch->out_type = IPC_ERROR;
	ch->out_stream = false;
	if (ch->out_fd >= 0) {
		close(ch->out_fd);
		ch->out_fd = -1;
	}
	ipc_fd_batch_close(&ch->out_fds);
}

/* Send what we can of ch's reply; true when it is all sent. */
static bool
send_out(struct chan *ch)
{
	struct buf *b = ch->out;
	for (;;) {
		size_t left = b->len - ch->out_off, chunk = left;
		bool more = false;
		if (ch->out_open) {
			/* a sliced reply: what is made so far, more to come */
			if (left == 0) {
				buf_reset(b);
				ch->out_off = 0;
				want(ch, ch->events & ~(uint32_t)EPOLLOUT);
				return false;
			}
			more = true;
			if (chunk > IPC_MAX_PAYLOAD)
				chunk = IPC_MAX_PAYLOAD;
		} else if (ch->out_stream && left > IPC_MAX_PAYLOAD) {
			chunk = IPC_MAX_PAYLOAD;
			more = true;
		}
		const void *p = b->data ? b->data + ch->out_off : NULL;
		uint32_t fl = more ? IPC_F_MORE : 0;
		int sent = ch->out_fds.n > 0 ?
		    ipc_send_fds(ch->fd, ch->out_type, ch->out_reqid,
		    fl | IPC_F_FDS, p, chunk, ch->out_fds.fd, ch->out_fds.n) :
		    ipc_send_raw(ch->fd, ch->out_type, ch->out_reqid, fl, p, chunk,
		    ch->out_fd);
		if (sent < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				/* backpressure: no new request until it drains */
				want(ch, (ch->events | EPOLLOUT) & ~(uint32_t)EPOLLIN);
				return false;
			}
			/* the kernel caps the fds in flight per sending user
			 * (RLIMIT_NOFILE): past it this request fails, the
			 * channel stays (another peer that reads nothing must
			 * not cost this one its connection) */
			if (errno == ETOOMANYREFS && ch->out_off == 0 &&
			    (ch->out_fd >= 0 || ch->out_fds.n > 0)) {
				log_warn("%s[%llu]: too many files in flight",
				    ch->service, (unsigned long long)ch->instance);
				chan_fail_reply(ch, ch->out_reqid, IPC_ERR_LIMIT,
				    "too many files in flight");
				continue;
			}
			chan_close(ch);
			return false;
		}
		ch->out_off += chunk;
		if (ch->out_fd >= 0 || ch->out_fds.n > 0)
			ch->fd_replies++;
		if (ch->out_fd >= 0) {
			close(ch->out_fd);
			ch->out_fd = -1;
		}
		ipc_fd_batch_close(&ch->out_fds);
		if (!more)
			break;
	}
	pool_put(ch->out);
	ch->out = NULL;
	want(ch, ch->events & ~(uint32_t)EPOLLOUT);
	chan_resume(ch);
	return true;
}

/* The peers answered early this turn (bounded: past it, not waited for). */
#define EARLY_MAX 64
static struct chan *early[EARLY_MAX];
static unsigned nearly;

void
chan_send_early(struct chan *ch)
{
	if (ch->dead || ch->out == NULL || ch->out_open || !send_out(ch))
		return;
	if (!ch->early_out && nearly < EARLY_MAX) {
		ch->early_out = true;
		early[nearly++] = ch;
	}
}

unsigned
chan_early_waiting(void)
{
	unsigned n = 0;
	for (unsigned i = 0; i < nearly; i++)
		n += early[i]->early_out && !early[i]->dead;
	return n;
}

void
chan_early_reset(void)
{
	for (unsigned i = 0; i < nearly; i++)
		early[i]->early_out = false;
	nearly = 0;
}

bool
chan_send_now(struct chan *ch, uint32_t type, const struct buf *b)
{
	if (ch->dead)
		return true;
	if (ipc_send(ch->fd, type, 0, 0, b, -1) == 0)
		return true;
	if (errno == EAGAIN || errno == EWOULDBLOCK) {
		want(ch, ch->events | EPOLLOUT);
		return false;
	}
	chan_close(ch);
	return true;
}

void
chan_writable(struct chan *ch)
{
	if (ch->out != NULL && !send_out(ch))
		return;
	if (!ch->dead && ch->nnotify > 0 && hooks.drained != NULL)
		hooks.drained(ch);
	if (!ch->dead && (ch->events & EPOLLET)) {
		fds_wake(ch);
		return;
	}
	if (!ch->dead && ch->out == NULL && ch->nnotify == 0)
		want(ch, ch->events & ~(uint32_t)EPOLLOUT);
}

static void
slice_error(struct chan *ch, int rc, const char *err)
{
	uint32_t code = (uint32_t)-rc;
	if (code == 0 || code > IPC_ERR_NOSPACE)
		code = IPC_ERR_INTERNAL;
	/* what is unsent is void; an ERROR record ends the stream */
	buf_reset(ch->out);
	ch->out_off = 0;
	ipc_put_u32(ch->out, code);
	ipc_put_str(ch->out, err[0] ? err : "failed");
	ch->out_type = IPC_ERROR;
	ch->out_stream = false;
}

bool
chan_slices_runnable(void)
{
	for (struct chan *ch = slice_head; ch != NULL; ch = ch->slice_next)
		if (ch->out->len - ch->out_off < SLICE_OUT_CAP)
			return true;
	return false;
}

void
chan_run_slices(void)
{
	struct chan *ch = slice_head, *next;
	for (; ch != NULL; ch = next) {
		next = ch->slice_next;
		size_t unsent = ch->out->len - ch->out_off;
		if (unsent >= SLICE_OUT_CAP)
			continue;        /* the reader is behind: EPOLLOUT */
		struct slice *k = ch->slice;
		slice_begin(k, ch->out, unsent);
		budget_begin();
		int rc = k->step(k, ch->out);
		budget_end();
		const char *spent = budget_exceeded();
		if (spent != NULL)
			rc = slice_fail(k, IPC_ERR_LIMIT, "request too expensive "
			    "(%s): narrow it", spent);
		if (rc < 0)
			slice_error(ch, rc, k->err);
		if (rc <= 0)
			slice_drop(ch);
		chan_queue_flush(ch);
	}
}

void
chan_flush_all(void)
{
	struct chan *ch = flush_head;
	flush_head = NULL;
	while (ch != NULL) {
		struct chan *next = ch->flush_next;
		ch->flush_queued = false;
		if (ch->dead) {
			free(ch);
		} else {
			if (ch->out != NULL)
				send_out(ch);
			if (!ch->dead && ch->out == NULL && ch->nnotify > 0 &&
			    hooks.drained != NULL)
				hooks.drained(ch);
			if (ch->dead && !ch->flush_queued)
				free(ch);
		}
		ch = next;
	}
}
