/*
 * request_slots: JMAP's maxConcurrentRequests across the connections of
 * one user. jmapd runs one process per connection, so only stored, where
 * every connection of the user meets, can count them. A channel takes a
 * slot for an API request (STORE_API_SLOT) and gives it back when the
 * answer is written; a channel holds one slot at most (its connection
 * serves one request at a time), and a closed channel's slot is freed
 * with it, so a jmapd that dies mid-request leaks nothing.
 */
#ifndef CLOISTER_STORE_REQUEST_SLOTS_H
#define CLOISTER_STORE_REQUEST_SLOTS_H

struct chan;
struct req;

int h_api_slot(struct req *r);
/* The channel is closing: its slot, if any, goes back to its user. */
void request_slot_release(struct chan *ch);

#endif
