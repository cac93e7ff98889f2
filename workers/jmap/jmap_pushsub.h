/*
 * jmap_pushsub: PushSubscription/get and /set (RFC 8620 section 7.2).
 * A user's subscriptions are one per-user document in stored (key
 * JMAP_PUSHSUB_KEY), not tied to an account: /get and /set never take an
 * accountId and only ever see the caller's own. cloister-pushd reads the
 * same document: it sends the PushVerification of a subscription whose
 * verificationCode is still null and StateChange pushes only to those
 * whose verificationCode matches the code it sent (docs/pushd.md).
 *
 * The document: { "<id>": { "deviceClientId", "url", "keys" (null or
 * {"p256dh","auth"}), "code" (the server's verification code),
 * "verificationCode" (the client's echo, null until it gives it),
 * "expires" (unix seconds), "types" (null or [names]) } }.
 */
#ifndef CLOISTER_JMAP_PUSHSUB_H
#define CLOISTER_JMAP_PUSHSUB_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#define JMAP_PUSHSUB_KEY "jmap.pushsub"
#define JMAP_PUSHSUB_MAX 16               /* subscriptions per user */
#define JMAP_PUSHSUB_LIFETIME (7u * 86400) /* longest expires from now */
#define JMAP_PUSHSUB_URL_MAX 1024         /* bytes of a push URL */

/* Accept https://127.0.0.1... and other loopback push URLs (the
 * integration tests' receiver); off unless push-allow-loopback is set. */
void jmap_pushsub_allow_loopback(bool allow);

/* ---- the checks of a client's values (jmap_pushsub_check.c) ---- */

/* An https URL of a public host: no userinfo, no IP literal of a
 * loopback, private, link-local or unspecified address (unless allowed
 * above), at most JMAP_PUSHSUB_URL_MAX bytes. */
bool jmap_pushsub_url_ok(const char *url);
/* keys: null, or {"p256dh": base64url of an uncompressed P-256 point (65
 * bytes, 0x04 first), "auth": base64url of 16 bytes}, nothing else. */
bool jmap_pushsub_keys_ok(json_t *keys);
/* types: null or an array of distinct type names. */
bool jmap_pushsub_types_ok(json_t *types);
/* expires: a UTCDate (or null: the longest) clamped to now + the
 * lifetime; false if it is not a date or already past. */
bool jmap_pushsub_expires(json_t *v, uint64_t now, uint64_t *out);

#endif
