/*
 * mta_proto: the client side of Dovecot's authentication protocol, as an
 * MTA speaks it (Postfix smtpd_sasl_type = dovecot, Exim's dovecot
 * authenticator): the line reader and the parser of the lines an MTA
 * sends. Pure: no I/O, no allocation, so that the fuzz target
 * (tests/fuzz/fuzz_mta_proto.c) runs exactly what the worker runs.
 *
 * Lines are tab-separated and end in "\n". The MTA sends
 *   VERSION <major> <minor>        once, first (major 1)
 *   CPID <pid>                     once, second
 *   AUTH <id> <mech> [params...]   service=..., resp=<base64>, secured,
 *                                  rip=, lip=, nologin, ... (others ignored)
 *   CONT <id> <base64>             the answer to our CONT <id> <base64>
 * Anything else, or any bound exceeded, is a violation: the worker closes
 * the connection.
 */
#ifndef CLOISTER_MTA_PROTO_H
#define CLOISTER_MTA_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ipc_types_auth.h"

/* The longest line: an AUTH whose resp= carries a whole SASL response
 * (AUTH_DATA_MAX bytes, base64: 4/3) plus its other parameters. */
#define MTA_LINE_MAX 24576
/* Fields of one line (command, id, mechanism and parameters). */
#define MTA_FIELDS_MAX 32
/* An address in rip=/lip= (IPv6 text is at most 45 characters). */
#define MTA_ADDR_MAX 45
#define MTA_SERVICE_MAX 32

enum mta_cmd {
	MTA_CMD_VERSION,
	MTA_CMD_CPID,
	MTA_CMD_AUTH,
	MTA_CMD_CONT,
};

struct mta_req {
	enum mta_cmd cmd;
	uint32_t id;                      /* AUTH, CONT: never 0 */
	unsigned major, minor;            /* VERSION */
	char mech[AUTH_MECH_NAME_MAX + 1];    /* AUTH, upper case */
	char service[MTA_SERVICE_MAX + 1];    /* AUTH service= ("" absent) */
	char rip[MTA_ADDR_MAX + 1];       /* AUTH rip= ("" absent) */
	char lip[MTA_ADDR_MAX + 1];       /* AUTH lip= ("" absent) */
	bool secured;                     /* AUTH: TLS (or local) per the MTA */
	bool has_data;                    /* AUTH resp= present; CONT always */
	const char *data;                 /* base64 text, points into the line */
	size_t data_len;
};

/* One connection's input: at most one line, MTA_LINE_MAX bytes. */
struct mta_reader {
	char buf[MTA_LINE_MAX + 1];
	size_t len;                       /* bytes held */
	size_t line_len;                  /* the line handed out, "\n" incl. */
};

void mta_reader_init(struct mta_reader *r);
/* Where the next read may go, and how much room is left there. */
char *mta_reader_space(struct mta_reader *r, size_t *room);
/* n bytes were read into that space. */
void mta_reader_added(struct mta_reader *r, size_t n);
/* 1: *line (NUL-terminated, without "\n") of *len bytes, valid until
 * mta_reader_next(); 0: need more input; -1: a line longer than
 * MTA_LINE_MAX, or a NUL byte (a violation). */
int mta_reader_line(struct mta_reader *r, char **line, size_t *len);
/* Drop the line handed out (wiping it: it may hold a password). */
void mta_reader_next(struct mta_reader *r);
/* Zero everything held. */
void mta_reader_wipe(struct mta_reader *r);

/* Parse one line (modified in place: tabs become NULs). 0, or -1 with a
 * short reason in *why. */
int mta_parse(char *line, size_t len, struct mta_req *q, const char **why);

/* rip= is a loopback address (127.0.0.0/8, ::1). */
bool mta_addr_loopback(const char *a);

#endif
