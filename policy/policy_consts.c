/* policy_consts: names for argument tests (see policy_consts.h). */
#include "policy_consts.h"

#include <fcntl.h>
#include <linux/futex.h>
#include <linux/sockios.h>
#include <linux/tls.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>

#ifndef SOL_TLS
#define SOL_TLS 282
#endif

#define C(name) { #name, (uint32_t)(name) }

static const struct {
	const char *name;
	uint32_t value;
} consts[] = {
	/* fcntl commands a service may need (the dangerous ones are named
	 * too, so that the parser can say why it refuses them) */
	C(F_GETFD), C(F_SETFD), C(F_GETFL), C(F_SETFL), C(F_GETLK), C(F_SETLK),
	C(F_SETLKW), C(F_OFD_GETLK), C(F_OFD_SETLK), C(F_OFD_SETLKW),
	C(F_GET_SEALS), C(F_ADD_SEALS), C(F_DUPFD), C(F_DUPFD_CLOEXEC),
	C(F_SETOWN), C(F_GETOWN), C(F_SETOWN_EX), C(F_GETOWN_EX), C(F_SETSIG),
	C(F_GETSIG), C(F_SETLEASE), C(F_GETLEASE), C(F_NOTIFY),
	C(F_SETPIPE_SZ), C(F_GETPIPE_SZ),
	C(FD_CLOEXEC),
	/* ioctl requests */
	C(FIONBIO), C(FIONREAD), C(FIOASYNC), C(FIOSETOWN), C(SIOCSPGRP),
	C(TIOCSTI), C(SIOCOUTQ),
	/* open file status flags (F_SETFL) */
	C(O_ACCMODE), C(O_RDONLY), C(O_WRONLY), C(O_RDWR), C(O_NONBLOCK),
	C(O_ASYNC), C(O_APPEND), C(O_DIRECT), C(O_NOATIME), C(O_LARGEFILE),
	C(O_CLOEXEC), C(O_NOFOLLOW), C(O_DIRECTORY),
	/* memory protections */
	C(PROT_NONE), C(PROT_READ), C(PROT_WRITE), C(PROT_EXEC),
	/* *at() calls */
	C(AT_FDCWD), C(AT_EMPTY_PATH), C(AT_SYMLINK_NOFOLLOW),
	/* setsockopt levels and options */
	C(SOL_SOCKET), C(IPPROTO_TCP), C(IPPROTO_IP), C(IPPROTO_IPV6),
	C(SOL_TCP), C(SOL_TLS), C(TCP_NODELAY), C(TCP_CORK), C(TCP_ULP),
	C(TCP_NOTSENT_LOWAT),
	C(TLS_TX), C(TLS_RX), C(SO_SNDBUF), C(SO_RCVBUF), C(SO_KEEPALIVE),
	C(SO_LINGER), C(SO_ATTACH_FILTER), C(SO_ATTACH_BPF),
	C(SO_ATTACH_REUSEPORT_CBPF), C(SO_ATTACH_REUSEPORT_EBPF),
	C(SO_ERROR),
	/* futex operations (the TLS workers' one-time set-up wake only) */
	C(FUTEX_WAKE_PRIVATE), C(FUTEX_WAIT_PRIVATE), C(FUTEX_WAKE),
	C(FUTEX_WAIT),
	/* socket(): families and types (pushd's TCP clients) */
	C(AF_INET), C(AF_INET6), C(AF_UNIX), C(AF_NETLINK), C(SOCK_STREAM),
	C(SOCK_DGRAM), C(SOCK_RAW), C(SOCK_NONBLOCK), C(SOCK_CLOEXEC),
};

bool
policy_const_by_name(const char *name, uint32_t *value)
{
	for (size_t i = 0; i < sizeof(consts) / sizeof(consts[0]); i++)
		if (strcmp(consts[i].name, name) == 0) {
			*value = consts[i].value;
			return true;
		}
	return false;
}
