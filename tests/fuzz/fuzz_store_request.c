/*
 * libFuzzer target: stored's request path — the record decoder, the
 * dispatch table and every handler's field decoder, the search program
 * compiler and the metadata block decoder — against a real shard in a
 * temporary directory (no chroot: the fuzzer is not root).
 *
 * Input: byte 0 picks the channel (an imapd bound to alice, lmtpd, the
 * admin channel, a jmapd with no ticket yet, a jmapd bound to alice: the
 * upload requests); byte 1 bit 0 attaches a
 * memfd holding the bytes after the record; bytes 2-3 (big-endian) are
 * the record's length when an fd follows; the rest is a raw record
 * (16-byte header + payload).
 */
#include "chan.h"
#include "config.h"
#include "db.h"
#include "dispatch.h"
#include "freeze.h"
#include "ipc.h"
#include "log.h"
#include "msgfile.h"
#include "outbox.h"
#include "registry.h"
#include "snooze.h"
#include "stored.h"
#include "ticket.h"

#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef POLICY_SRC_DIR
#error POLICY_SRC_DIR
#endif

enum { CH_IMAPD, CH_LMTPD, CH_ADMIN, CH_JMAPD, CH_JMAPD_ALICE, NCH };
#define FUZZ_MAX_MESSAGES 2000   /* alice's message quota, see setup() */
static struct chan *chans[NCH];
static int worker_end[NCH];
static struct ipc_msg m;

static void
drain(void)
{
	uint8_t tmp[IPC_HDR_SIZE + IPC_MAX_PAYLOAD];
	for (int i = 0; i < NCH; i++) {
		struct msghdr mh = { 0 };
		char cbuf[CMSG_SPACE(sizeof(int) * 4)];
		struct iovec iov = { tmp, sizeof(tmp) };
		for (;;) {
			mh.msg_iov = &iov;
			mh.msg_iovlen = 1;
			mh.msg_control = cbuf;
			mh.msg_controllen = sizeof(cbuf);
			if (recvmsg(worker_end[i], &mh, MSG_DONTWAIT) <= 0)
				break;
			for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
				if (c->cmsg_type == SCM_RIGHTS) {
					int fd;
					memcpy(&fd, CMSG_DATA(c), sizeof(fd));
					close(fd);
				}
		}
	}
}

static int ctl_read_fd;
/* The store works relative to its cwd (the spool); libFuzzer reads its
 * corpus relative to the original one: switch around each input. */
static int home_dir = -1, spool_dir = -1;
static char spool_path[64];

static int
rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* libFuzzer leaves through exit(): take the temporary spool along */
static void
cleanup(void)
{
	if (spool_path[0] != '\0')
		nftw(spool_path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void
setup(void)
{
	static struct config cfg;
	char err[CONFIG_ERR_MAX], dir[] = "/tmp/cloister-fuzz-store-XXXXXX";
	home_dir = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (mkdtemp(dir) == NULL || chdir(dir) < 0 || mkdir("data", 0700) < 0)
		abort();
	spool_dir = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	memcpy(spool_path, dir, sizeof(dir));
	atexit(cleanup);
	char text[2048];
	snprintf(text, sizeof(text),
	    "policy-dir %s\n"
	    "service imapd {\n role connection\n binary /bin/true\n"
	    " policy imapd.policy\n listen l unix %s/i.sock plain\n}\n"
	    "service jmapd {\n role connection\n binary /bin/true\n"
	    " policy jmapd.policy\n listen l unix %s/j.sock plain\n}\n"
	    "service lmtpd {\n role connection\n binary /bin/true\n"
	    " policy lmtpd.policy\n listen l unix %s/l.sock plain\n}\n",
	    POLICY_SRC_DIR, dir, dir, dir);
	if (config_parse("fuzz.conf", text, strlen(text), &cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		abort();
	}
	log_open("fuzz_store_request", true);
	dispatch_init(&cfg);
	msgfile_init();
	registry_open(0, 1);
	outbox_open(registry_db(), msgfile_root());   /* as stored does */
	db_init(8);
	int ep = epoll_create1(EPOLL_CLOEXEC);
	snooze_due_init(ep);    /* as stored: the turn's end writes its index */
	chan_init(ep);

	int ctl[2];
	socketpair(AF_UNIX, SOCK_SEQPACKET, 0, ctl);
	ctl_read_fd = ctl[1];
	uint8_t key[TICKET_KEY_LEN] = { 7 };
	struct buf b = BUF_INIT(IPC_MAX_PAYLOAD);
	ipc_put_u32(&b, IPC_VERSION);
	ipc_put_bytes(&b, key, sizeof(key));
	ipc_send(ctl[0], IPC_CTL_KEY, 0, 0, &b, -1);
	chan_control_read(ctl[1]);
	static const char *const svc[NCH] = { "imapd", "lmtpd", "admin", "jmapd",
		"jmapd" };
	for (int i = 0; i < NCH; i++) {
		int sv[2];
		socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv);
		worker_end[i] = sv[0];
		chans[i] = chan_add(sv[1], svc[i], (uint64_t)i + 1,
		    strcmp(svc[i], "admin") == 0);
	}
	/* alice exists and the imapd channel and a jmapd one hold her
	 * tickets */
	size_t tl, jtl;
	uint8_t t[TICKET_MAX], jt[TICKET_MAX];
	ticket_mint(key, "alice", "imapd", 1, UINT64_MAX / 2, t, sizeof(t), &tl);
	ticket_mint(key, "alice", "jmapd", (uint64_t)CH_JMAPD_ALICE + 1,
	    UINT64_MAX / 2, jt, sizeof(jt), &jtl);
	struct {
		uint32_t type;
		struct chan *ch;
		const void *p;
		size_t n;
	} boot[4];
	struct buf user = BUF_INIT(64), hello = BUF_INIT(1024);
	struct buf jhello = BUF_INIT(1024);
	struct buf quota = BUF_INIT(64);
	ipc_put_str(&user, "alice");
	ipc_put_bytes(&hello, t, tl);
	ipc_put_bytes(&jhello, jt, jtl);
	/* a message quota: without one, COPY of 1:* doubles a mailbox at
	 * every input and later inputs time out on sheer size (not a bug) */
	ipc_put_str(&quota, "alice");
	ipc_put_u64(&quota, 0);
	ipc_put_u64(&quota, FUZZ_MAX_MESSAGES);
	boot[0].type = IPC_STORE_ADM_USER_CREATE;
	boot[0].ch = chans[CH_ADMIN];
	boot[0].p = user.data;
	boot[0].n = user.len;
	boot[1].type = IPC_STORE_HELLO;
	boot[1].ch = chans[CH_IMAPD];
	boot[1].p = hello.data;
	boot[1].n = hello.len;
	boot[2].type = IPC_STORE_ADM_QUOTA_SET;
	boot[2].ch = chans[CH_ADMIN];
	boot[2].p = quota.data;
	boot[2].n = quota.len;
	boot[3].type = IPC_STORE_HELLO;
	boot[3].ch = chans[CH_JMAPD_ALICE];
	boot[3].p = jhello.data;
	boot[3].n = jhello.len;
	for (int i = 0; i < 4; i++) {
		m.type = boot[i].type;
		m.reqid = 1;
		m.flags = 0;
		m.fd = -1;
		m.payload = m.raw + IPC_HDR_SIZE;
		memcpy(m.payload, boot[i].p, boot[i].n);
		m.len = boot[i].n;
		dispatch(boot[i].ch, &m);
		stored_turn_end();
	}
	drain();
	buf_free(&b);
	buf_free(&user);
	buf_free(&hello);
	buf_free(&jhello);
	buf_free(&quota);
}

static int one_input(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	if (!ready) {
		setup();
		ready = true;
	} else if (fchdir(spool_dir) < 0) {
		abort();
	}
	int rc = one_input(data, size);
	if (fchdir(home_dir) < 0)
		abort();
	return rc;
}

static int
one_input(const uint8_t *data, size_t size)
{
	if (size < 4)
		return 0;
	struct chan *ch = chans[data[0] % NCH];
	bool withfd = data[1] & 1;
	size_t split = ((size_t)data[2] << 8) | data[3];
	data += 4;
	size -= 4;
	size_t reclen = size, fdlen = 0;
	if (withfd && split < size) {
		reclen = split;
		fdlen = size - reclen;
	}
	if (reclen > sizeof(m.raw))
		return 0;
	memcpy(m.raw, data, reclen);
	/* the seeds outlive IPC_VERSION bumps: stamp the current one, so that
	 * inputs reach dispatch (fuzz_ipc covers the version check) */
	if (reclen >= 14) {
		m.raw[12] = (uint8_t)(IPC_VERSION >> 8);
		m.raw[13] = (uint8_t)IPC_VERSION;
	}
	int fd = -1;
	if (withfd) {
		fd = memfd_create("fuzz", MFD_CLOEXEC);
		if (fd < 0 || write(fd, data + reclen, fdlen) != (ssize_t)fdlen)
			abort();
	}
	/* freeze would hold every later input; deleting alice or lifting her
	 * quota would end or defeat the set-up (quota set's two u64s are
	 * covered by the integration tests) */
	if (ipc_parse_record(&m, reclen, fd >= 0 ? 1 : 0) < 0 ||
	    m.type == IPC_STORE_ADM_FREEZE || m.type == IPC_STORE_ADM_USER_DELETE ||
	    m.type == IPC_STORE_ADM_QUOTA_SET) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	m.fd = fd;
	dispatch(ch, &m);
	ipc_msg_close_fd(&m);
	stored_turn_end();
	drain();
	return 0;
}
