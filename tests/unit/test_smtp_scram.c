/* SCRAM-SHA-256 as submitd and keyd compute it together
 * (workers/submit/smtp_scram.h, workers/keyd/keyd_scram_math.h), on RFC
 * 7677's example (user "user", password "pencil"), and the bounds the
 * client enforces on the relay's server-first-message. */
#include "check.h"
#include "keyd_scram_math.h"
#include "smtp_scram.h"

#include <string.h>

#define CNONCE "rOprNGfwEbeRWgbNEkqO"
#define SNONCE CNONCE "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"

static void
b64(const char *msg, char *out, size_t size)
{
	CHECK(smtp_b64_encode((const uint8_t *)msg, strlen(msg), out, size) > 0);
}

/* The server-first-message msg, after our client-first: its verdict. */
static int
server_first(const char *msg)
{
	struct smtp_scram s;
	char out[256], in[1024], why[128];
	CHECK(smtp_scram_first(&s, "user", CNONCE, out, sizeof(out)) == 0);
	b64(msg, in, sizeof(in));
	return smtp_scram_server_first(&s, in, strlen(in), why, sizeof(why));
}

static void
rfc7677_example(void)
{
	struct smtp_scram s;
	char out[512], why[128], in[512];
	uint8_t salted[32], proof[32], sig[32], dec[256];
	CHECK(smtp_scram_first(&s, "user", CNONCE, out, sizeof(out)) == 0);
	int n = smtp_b64_decode(out, strlen(out), dec, sizeof(dec));
	CHECK(n == 32 && memcmp(dec, "n,,n=user,r=" CNONCE, 32) == 0);
	b64("r=" SNONCE ",s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096", in, sizeof(in));
	CHECK(smtp_scram_server_first(&s, in, strlen(in), why, sizeof(why)) == 0);
	CHECK_EQ(s.iter, 4096);
	CHECK_EQ(s.salt_len, 16);
	CHECK(keyd_scram_salted("pencil", 6, s.salt, s.salt_len, s.iter,
	    salted) == 0);
	CHECK(keyd_scram_proof(salted, s.am, s.am_len, proof, sig) == 0);
	CHECK(smtp_scram_final(&s, proof, out, sizeof(out)) == 0);
	n = smtp_b64_decode(out, strlen(out), dec, sizeof(dec) - 1);
	CHECK(n > 0);
	dec[n > 0 ? n : 0] = '\0';
	CHECK(strcmp((char *)dec, "c=biws,r=" SNONCE ",p=dHzbZapWIk4jUhN+Ute9"
	    "ytag9zjfMHgsqmmiz7AndVQ=") == 0);
	b64("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=", in, sizeof(in));
	CHECK(smtp_scram_server_final_ok(in, strlen(in), sig));
	b64("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G5=", in, sizeof(in));
	CHECK(!smtp_scram_server_final_ok(in, strlen(in), sig));
	b64("e=invalid-proof", in, sizeof(in));
	CHECK(!smtp_scram_server_final_ok(in, strlen(in), sig));
}

static void
bounds(void)
{
	CHECK(server_first("r=" SNONCE ",s=QSXCR+Q6sek8bf92,i=4096") == 0);
	CHECK(server_first("r=" SNONCE ",s=QSXCR+Q6sek8bf92,i=100000,x=y") == 0);
	/* a relay that would make keyd spin, or a weak count */
	CHECK(server_first("r=" SNONCE ",s=QSXCR+Q6sek8bf92,i=100001") < 0);
	CHECK(server_first("r=" SNONCE ",s=QSXCR+Q6sek8bf92,i=99999999999999999999") < 0);
	CHECK(server_first("r=" SNONCE ",s=QSXCR+Q6sek8bf92,i=4095") < 0);
	CHECK(server_first("r=" SNONCE ",s=QSXCR+Q6sek8bf92,i=") < 0);
	/* the nonce must extend ours */
	CHECK(server_first("r=" CNONCE ",s=QSXCR+Q6sek8bf92,i=4096") < 0);
	CHECK(server_first("r=xOprNGfwEbeRWgbNEkqOabc,s=QSXCR+Q6sek8bf92,i=4096") < 0);
	/* shape */
	CHECK(server_first("m=ext,r=" SNONCE ",s=QSXCR+Q6sek8bf92,i=4096") < 0);
	CHECK(server_first("r=" SNONCE ",s=,i=4096") < 0);
	CHECK(server_first("r=" SNONCE ",s=QSXCR+Q6sek8bf9!,i=4096") < 0);
	CHECK(server_first("r=" SNONCE) < 0);
	CHECK(server_first("r=" SNONCE ",i=4096,s=QSXCR+Q6sek8bf92") < 0);
	CHECK(!smtp_scram_user_ok("a,b") && !smtp_scram_user_ok("a=b") &&
	    !smtp_scram_user_ok("") && smtp_scram_user_ok("relay@example.org"));
	uint8_t d[8];
	CHECK(smtp_b64_decode("QQ==", 4, d, sizeof(d)) == 1);
	CHECK(smtp_b64_decode("QR==", 4, d, sizeof(d)) < 0);   /* not canonical */
	CHECK(smtp_b64_decode("Q===", 4, d, sizeof(d)) < 0);
	CHECK(smtp_b64_decode("QQ=A", 4, d, sizeof(d)) < 0);
}

int
main(void)
{
	rfc7677_example();
	bounds();
	return check_done("smtp_scram");
}
