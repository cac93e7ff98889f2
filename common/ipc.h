/*
 * ipc: the framing of every message between Cloister processes.
 *
 * One message = one SOCK_SEQPACKET record = a fixed 16-byte header
 * (u32 type, u32 payload length, u32 request id, u16 IPC_VERSION, u16 flags;
 * big-endian) + a payload of typed fields, with at most one fd attached
 * (SCM_RIGHTS) — or, only where the receiver asks for it (ipc_recv_fds),
 * a batch of up to IPC_MAX_FDS (the message bodies of one FETCH batch). Message types live in one enum in ipc_types.h. Payloads
 * are written with ipc_put_*() into a bounded buf and read with ipc_get_*()
 * from a buf_cur; every handler ends with ipc_get_end(), which fails on
 * short data *and* on bytes left over.
 */
#ifndef CLOISTER_IPC_H
#define CLOISTER_IPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "ipc_types.h"

#define IPC_HDR_SIZE 16
/* SEQPACKET records are bounded by the socket buffer; replies that could be
 * larger are streamed as several records flagged IPC_F_MORE. */
#define IPC_MAX_PAYLOAD (96 * 1024)
#define IPC_MAX_STR (64 * 1024)

/* Flags are the header's low 16 bits of its last word; the high 16 bits
 * carry IPC_VERSION, so every record says which protocol wrote it. */
enum ipc_flags {
	IPC_F_FD = 1u << 0,    /* exactly one fd is attached */
	IPC_F_MORE = 1u << 1,  /* more records of this reply follow */
	IPC_F_FDS = 1u << 2,   /* 1..IPC_MAX_FDS fds attached (a batch) */
};
#define IPC_F_KNOWN (IPC_F_FD | IPC_F_MORE | IPC_F_FDS)
/* fds of one IPC_F_FDS record: far below the kernel's SCM_MAX_FD (253), and
 * what a worker holds open at once while it writes a batch out */
#define IPC_MAX_FDS 32

/* fds gathered for one IPC_F_FDS record (owned until sent or closed) */
struct ipc_fd_batch {
	int fd[IPC_MAX_FDS];
	unsigned n;
};
void ipc_fd_batch_close(struct ipc_fd_batch *b);

/* Field tags: a reader asking for a u32 where a string was written fails. */
enum ipc_tag {
	IPC_T_U32 = 1,
	IPC_T_U64 = 2,
	IPC_T_STR = 3,   /* u32 length + bytes, no NUL inside */
	IPC_T_BYTES = 4, /* u32 length + bytes */
};

struct ipc_msg {
	uint32_t type;
	uint32_t reqid;
	uint32_t flags;
	uint16_t version;    /* the sender's IPC_VERSION, as its header said */
	int fd;              /* -1 unless IPC_F_FD */
	unsigned nfds;       /* IPC_F_FDS: fds[0..nfds), else 0 */
	int fds[IPC_MAX_FDS];
	size_t len;          /* payload bytes */
	uint8_t *payload;    /* points into raw */
	uint8_t raw[IPC_HDR_SIZE + IPC_MAX_PAYLOAD];
};

/* Send one record; fd < 0 means none. -1 with errno on failure. */
int ipc_send(int sock, uint32_t type, uint32_t reqid, uint32_t flags,
    const struct buf *payload, int fd);
/* Same with a borrowed payload. */
int ipc_send_raw(int sock, uint32_t type, uint32_t reqid, uint32_t flags,
    const void *payload, size_t len, int fd);
/* A borrowed payload with nfds fds (1..IPC_MAX_FDS: IPC_F_FDS; 0: none). */
int ipc_send_fds(int sock, uint32_t type, uint32_t reqid, uint32_t flags,
    const void *payload, size_t len, const int *fds, size_t nfds);

/* A worker's CTL_READY on its control channel (header only, sent with a
 * plain write(2), which every policy allows). */
int ipc_send_ready(int ctl);
/* Whether the n bytes at rec are exactly one CTL_READY record: the
 * supervisor compares, it does not decode. */
bool ipc_is_ready(const void *rec, size_t n);
/* authd's CTL_LOGGED_IN for a worker instance and its user (sent without
 * waiting; -1 if it could not be sent or user is too long), and the
 * supervisor's check of one: header and length byte compared with the n
 * bytes received; *user points into rec, *ulen bytes, opaque. */
#define IPC_LOGGED_IN_MAX (IPC_HDR_SIZE + 9 + IPC_LOGGED_IN_USER_MAX)
int ipc_send_logged_in(int ctl, uint64_t instance, const char *user);
bool ipc_is_logged_in(const void *rec, size_t n, uint64_t *instance,
    const uint8_t **user, size_t *ulen);
/* The IPC_VERSION of the n bytes at rec if they are a CTL_READY record of
 * any version, else -1: how the supervisor tells a worker built for
 * another protocol from a broken one, decoding nothing else. */
int ipc_ready_version(const void *rec, size_t n);
/* Whether the n bytes at rec are exactly a record of type with no
 * payload, request id 0, no flags, this IPC_VERSION (CTL_RELAY_ASK). */
bool ipc_is_bare(const void *rec, size_t n, uint32_t type);
/* Likewise with exactly len payload bytes equal to payload's: a short
 * record compared whole, never decoded. */
bool ipc_is_exact(const void *rec, size_t n, uint32_t type, const void *payload,
    size_t len);

enum ipc_recv_result {
	IPC_RECV_OK = 0,
	IPC_RECV_EOF = 1,      /* peer closed */
	IPC_RECV_AGAIN = 2,    /* non-blocking socket, nothing there */
	IPC_RECV_BAD = -1,     /* malformed record (dropped; any fd closed) */
	IPC_RECV_ERR = -2,     /* socket error, see errno */
	IPC_RECV_VERSION = -3, /* another IPC_VERSION (dropped; any fd closed;
	                        * m->version holds the peer's) */
};

/* Receive one record into m. A record whose header names another
 * IPC_VERSION is IPC_RECV_VERSION; one that is truncated, has a header that
 * disagrees with its size, unknown flags, more than one fd, or an fd the
 * header did not announce is IPC_RECV_BAD. Either way its fds are closed. */
enum ipc_recv_result ipc_recv(int sock, struct ipc_msg *m);
/* The same, never blocking (MSG_DONTWAIT): IPC_RECV_AGAIN when no record
 * is waiting, so a reader drains its socket without a poll() per record. */
enum ipc_recv_result ipc_recv_nowait(int sock, struct ipc_msg *m);
/* ipc_recv that also takes an IPC_F_FDS record (m->fds, m->nfds), for a
 * reader that asked for one; every other reader refuses such a record and
 * closes its fds, so a peer cannot park descriptors in it. */
enum ipc_recv_result ipc_recv_fds(int sock, struct ipc_msg *m);
/* Validate a raw record (header + payload) already in memory: the decoder
 * that ipc_recv() and the fuzz target share. 0, IPC_PARSE_VERSION (another
 * IPC_VERSION; m->version set) or IPC_PARSE_BAD. */
#define IPC_PARSE_BAD (-1)
#define IPC_PARSE_VERSION (-2)
int ipc_parse_record(struct ipc_msg *m, size_t got, int nfds);
/* Why a receive failed, for one log line: "malformed record", "IPC version
 * 4 from peer, expected 3", "peer closed" or the errno text. Written into
 * buf (size bytes) and returned. */
const char *ipc_recv_strerror(enum ipc_recv_result r, const struct ipc_msg *m,
    char *buf, size_t size);
/* Close m->fd and m->fds if still owned. */
void ipc_msg_close_fd(struct ipc_msg *m);
/* A cursor over m's payload. */
void ipc_msg_cursor(const struct ipc_msg *m, struct buf_cur *c);

int ipc_put_u32(struct buf *b, uint32_t v);
int ipc_put_u64(struct buf *b, uint64_t v);
int ipc_put_str(struct buf *b, const char *s);
int ipc_put_strn(struct buf *b, const char *s, size_t n);
int ipc_put_bytes(struct buf *b, const void *p, size_t n);

int ipc_get_u32(struct buf_cur *c, uint32_t *v);
int ipc_get_u64(struct buf_cur *c, uint64_t *v);
/* Copy a string field into dst (NUL-terminated); fails if it does not fit
 * or holds a NUL byte. */
int ipc_get_str(struct buf_cur *c, char *dst, size_t dstsize);
/* Borrow a string field (not NUL-terminated) of at most max bytes. */
int ipc_get_strp(struct buf_cur *c, const char **p, size_t *len, size_t max);
int ipc_get_bytes(struct buf_cur *c, const uint8_t **p, size_t *len, size_t max);
/* Kind of the next field without consuming it, or 0 at the end. */
int ipc_peek_tag(const struct buf_cur *c);
int ipc_get_end(const struct buf_cur *c);

#endif
