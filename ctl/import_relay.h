/*
 * import_relay: an import source in a process of its own. The IMAP source
 * parses a remote server's bytes; it runs in a child that holds nothing
 * but a socket to its parent (not the store's admin socket, not the
 * password database) and is nobody. Its sink is this relay: each folder,
 * question (have_uid) and message goes to the parent as a record, and the
 * parent, which holds the real sink, answers each with one number.
 *
 * Record (child to parent): type byte, u32 body length, body; integers
 * big-endian. 'F' folder: u32 uidvalidity, u32 uidnext, u32 special_use,
 * u8 subscribed, the name (the rest). 'H' have_uid: u32 uid. 'M' message:
 * u32 uid, u32 flags, u64 internal date, u16 keyword count, per keyword a
 * u8 length and its bytes, then the message (the rest). Reply: u32, the
 * sink's return value (have_uid: 1 or 0).
 *
 * The parent trusts nothing in a record: the decoder (import_relay_codec.c,
 * fuzzed) checks every length, flag bit and name byte.
 */
#ifndef CLOISTER_IMPORT_RELAY_H
#define CLOISTER_IMPORT_RELAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "import_source.h"
#include "store_proto.h"

#define RELAY_HEAD 5u
#define RELAY_KEYWORDS_MAX 256u
#define RELAY_KEYWORD_LEN 255u

/* One decoded record; its strings point into it or into the body. */
struct relay_rec {
	char type;                 /* 'F', 'H', 'M' */
	struct import_folder f;
	struct import_msg m;
	uint32_t uid;              /* 'H' */
	char name[STORE_MBOX_NAME_MAX + 1];
	const char *kw[RELAY_KEYWORDS_MAX];
	char kwbuf[RELAY_KEYWORDS_MAX * (RELAY_KEYWORD_LEN + 1)];
};

/* Encoders (the child): append a whole record to out; -1 if it does not
 * fit the buffer's limit. */
int relay_put_folder(struct buf *out, const struct import_folder *f);
int relay_put_have(struct buf *out, uint32_t uid);
int relay_put_msg(struct buf *out, const struct import_msg *m);

/* Decode one record's body (type from its head); 0, or -1 if it is not
 * a valid record. */
int relay_decode(char type, const uint8_t *body, size_t len,
    struct relay_rec *r);

/* The child's sink: records to fd, replies from it. */
struct relay_child {
	int fd;
	struct buf out;
};
void relay_child_sink(struct relay_child *c, int fd, size_t max_message,
    struct import_sink *out);
void relay_child_free(struct relay_child *c);

/* The parent: read records from fd until EOF, hand each to sink, reply.
 * 0 at a clean EOF, the sink's first negative value (after which the
 * child's records are answered with it and ignored), or -1 if the child
 * broke the protocol or a record is over max_message. */
int relay_serve(int fd, const struct import_sink *sink, size_t max_message);

#endif
