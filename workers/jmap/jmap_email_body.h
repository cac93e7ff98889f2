/*
 * jmap_email_body: the Email properties that need the message itself
 * (RFC 8621 section 4.1.4): bodyStructure, textBody, htmlBody,
 * attachments, bodyValues, and the header fields the store does not
 * index (sender, replyTo). The message is read once from the store as a
 * read-only fd, mapped, and parsed with the workers' MIME parser.
 */
#ifndef CLOISTER_JMAP_EMAIL_BODY_H
#define CLOISTER_JMAP_EMAIL_BODY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Does props (an object of property names) ask for any of them? */
bool jmap_body_wanted(json_t *props);

struct jmap_body_args {
	bool text_values, html_values, all_values;
	size_t max_value_bytes;    /* 0: whole values */
	size_t budget;             /* bytes of values the call may still add */
	json_t *props;             /* the properties asked for */
	const uint8_t *blobid;     /* the message's content id (parts' blobIds
				      are made from it), NULL: none */
	json_t *part_props;        /* bodyProperties (a set), NULL: default */
};

/* Read the fetch*, maxBodyValueBytes and bodyProperties arguments;
 * false if mistyped. The budget starts at the largest response the API
 * builds. ba->part_props is a new reference (jmap_body_args_free). */
bool jmap_body_args_parse(json_t *args, struct jmap_body_args *ba);

void jmap_body_args_free(struct jmap_body_args *ba);

/* Add the body properties of the message in data (len bytes) to obj.
 * -1: out of memory; -2: the values would pass ba->budget. */
int jmap_body_add(json_t *obj, const uint8_t *data, size_t len,
    struct jmap_body_args *ba);

#endif
