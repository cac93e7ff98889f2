/*
 * keyd messages (imapd, jmapd, pushd, submitd <-> cloister-keyd on
 * CLOISTER_FD_KEYD). Fields and rules: docs/keyd.md. Included by
 * ipc_types.h only.
 *
 *   KEY_SIGN       ->  str certificate name, u32 scheme, bytes input
 *                  <-  KEY_SIGNATURE, or ERROR(DENIED) when refused
 *   KEY_SIGNATURE  <-  bytes signature
 *   KEY_VAPID_SIGN ->  str aud, u64 exp (pushd's channel only)
 *                  <-  KEY_VAPID, or ERROR(DENIED) when refused
 *   KEY_VAPID      <-  str authorization ("vapid t=JWT, k=KEY")
 *   KEY_SCRAM_PROOF -> bytes salt, u32 iterations, bytes AuthMessage
 *                      (submitd's channel only: SCRAM-SHA-256 towards
 *                      the relay, RFC 5802/7677)
 *                  <-  KEY_SCRAM, or ERROR(DENIED) when refused
 *   KEY_SCRAM      <-  bytes ClientProof (32), bytes ServerSignature (32)
 *                      (never SaltedPassword, ClientKey or StoredKey)
 *
 * "scheme" is the TLS SignatureScheme (RFC 8446 4.2.3) the handshake chose;
 * "input" is the whole to-be-signed message, never a digest, so that keyd
 * can check its shape (a TLS 1.3 server CertificateVerify or a TLS 1.2
 * ECDHE ServerKeyExchange). One signature per worker instance: the worker's
 * identity is the channel's CTL_PEER, never a field.
 */
#ifndef CLOISTER_IPC_TYPES_KEY_H
#define CLOISTER_IPC_TYPES_KEY_H

#define IPC_KEY_TYPES(X)                                                   \
	X(KEY_SIGN, 500)       /* name, scheme, the to-be-signed input */  \
	X(KEY_SIGNATURE, 501)  /* <- the signature */                     \
	X(KEY_VAPID_SIGN, 502) /* pushd: a VAPID token for aud until exp */ \
	X(KEY_VAPID, 503)      /* <- the Authorization header's value */ \
	X(KEY_SCRAM_PROOF, 504) /* submitd: salt, i, AuthMessage */       \
	X(KEY_SCRAM, 505)      /* <- ClientProof, expected ServerSignature */

#define KEY_NAME_MAX 255       /* a certificate name: "default" or a host */
#define KEY_INPUT_MAX 512      /* the longest TLS-shaped input */
#define KEY_SIG_MAX 1024       /* RSA 8192 */
#define KEY_VAPID_AUD_MAX 300  /* "https://" + a host name + ":port" */
#define KEY_VAPID_MAX 1024     /* the header value keyd returns */
#define KEY_SCRAM_SALT_MAX 128       /* bytes of the relay's salt */
#define KEY_SCRAM_AUTHMSG_MAX 1024   /* client-first-bare,server-first,... */
#define KEY_SCRAM_ITER_MIN 4096      /* RFC 7677's minimum */
#define KEY_SCRAM_ITER_MAX 100000    /* a hostile relay cannot make keyd spin */
#define KEY_SCRAM_LEN 32             /* SHA-256 */

#endif
