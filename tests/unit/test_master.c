/* domains.master parsing in every form PowerDNS accepts. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "master.h"
#include "unit.h"

static const char *
fmt(const char *text, int idx)
{
	static char		 buf[128];
	struct master_addr	 ma[MASTER_MAX];
	char			 err[128];
	int			 n = master_parse(text, ma, MASTER_MAX, err, sizeof(err));

	if (n <= idx)
		return n == -1 ? "ERR" : "NONE";
	master_fmt(&ma[idx], buf, sizeof(buf));
	return buf;
}

static int
count(const char *text)
{
	struct master_addr	 ma[MASTER_MAX];
	char			 err[128];

	return master_parse(text, ma, MASTER_MAX, err, sizeof(err));
}

/* Does the address a fall inside the block m? -1: the block does not parse. */
static int
in_mask(const char *m, const char *a)
{
	struct master_mask	 mm;
	struct sockaddr_in	 s4 = { .sin_family = AF_INET };
	struct sockaddr_in6	 s6 = { .sin6_family = AF_INET6 };
	char			 err[128];

	if (master_parse_mask(m, &mm, err, sizeof(err)) == -1)
		return -1;
	if (inet_pton(AF_INET, a, &s4.sin_addr) == 1)
		return master_mask_match(&mm, (struct sockaddr *)&s4);
	inet_pton(AF_INET6, a, &s6.sin6_addr);
	return master_mask_match(&mm, (struct sockaddr *)&s6);
}

int
main(void)
{
	CHECK(in_mask("0.0.0.0/0", "203.0.113.9") == 1 && in_mask("::/0", "2001:db8::1") == 1,
	    "mask: /0 takes every address of its family");
	CHECK(in_mask("0.0.0.0/0", "::1") == 0 && in_mask("::/0", "127.0.0.1") == 0,
	    "mask: never the other family");
	CHECK(in_mask("192.0.2.0/25", "192.0.2.127") == 1 && in_mask("192.0.2.0/25", "192.0.2.128") == 0,
	    "mask: a /25 ends where it should");
	CHECK(in_mask("2001:db8::/35", "2001:db8:1fff::1") == 1 &&
	    in_mask("2001:db8::/35", "2001:db8:2000::1") == 0, "mask: an IPv6 /35");
	CHECK(in_mask("192.0.2.7", "192.0.2.7") == 1 && in_mask("192.0.2.7", "192.0.2.8") == 0,
	    "mask: a bare address is a /32");
	CHECK(in_mask("192.0.2.0/33", "192.0.2.1") == -1 && in_mask("::/129", "::1") == -1 &&
	    in_mask("192.0.2.0/", "192.0.2.1") == -1 && in_mask("192.0.2.0/x", "192.0.2.1") == -1 &&
	    in_mask("ns1.example", "192.0.2.1") == -1, "mask: bad lengths and names refused");
	CHECK_STR(fmt("192.0.2.1", 0), "192.0.2.1:53", "v4 default port 53");
	CHECK_STR(fmt("192.0.2.1:5300", 0), "192.0.2.1:5300", "v4 with port");
	CHECK_STR(fmt("2001:db8::1", 0), "[2001:db8::1]:53", "bare v6");
	CHECK_STR(fmt("[2001:db8::1]", 0), "[2001:db8::1]:53", "bracketed v6");
	CHECK_STR(fmt("[2001:db8::1]:5300", 0), "[2001:db8::1]:5300", "bracketed v6 with port");
	CHECK_STR(fmt("::1", 0), "[::1]:53", "v6 loopback");
	CHECK(count("192.0.2.1, 192.0.2.2") == 2, "comma and space separated");
	CHECK(count("192.0.2.1\t192.0.2.2 192.0.2.3,192.0.2.4") == 4, "tab, space, comma mixed");
	CHECK_STR(fmt("192.0.2.1,  [::1]:54", 1), "[::1]:54", "second master kept in order");
	CHECK(count("") == -1, "empty refused");
	CHECK(count(NULL) == -1, "NULL refused");
	CHECK(count(" , ,\t") == -1, "only separators refused");
	CHECK(count("192.0.2.1:0") == -1, "port 0 refused");
	CHECK(count("192.0.2.1:65536") == -1, "port 65536 refused");
	CHECK(count("192.0.2.1:53x") == -1, "port with junk refused");
	CHECK(count("192.0.2.256") == -1, "bad v4 refused");
	CHECK(count("ns1.example.com") == -1, "host name refused (pdns takes addresses)");
	CHECK(count("[2001:db8::1") == -1, "unclosed bracket refused");
	CHECK(count("[2001:db8::1]x") == -1, "junk after bracket refused");
	CHECK(count("[192.0.2.1]:53") == -1, "bracketed v4 refused");
	CHECK(count("192.0.2.1:") == -1, "empty port refused");
	CHECK(count("192.0.2.1;DROP TABLE records") == -1, "garbage refused");
	CHECK(count("192.0.2.1\x01") == -1, "control byte refused");
	char big[6000];
	memset(big, '1', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	CHECK(count(big) == -1, "over-long list refused");
	char many[2000] = "";
	for (int i = 0; i < 40; i++)
		snprintf(many + strlen(many), sizeof(many) - strlen(many), "192.0.2.%d ", i + 1);
	CHECK(count(many) == MASTER_MAX, "more than %d masters: the first %d kept", MASTER_MAX, MASTER_MAX);

	struct master_addr a, b;
	char err[64];
	master_parse("192.0.2.9:99", &a, 1, err, sizeof(err));
	master_parse("192.0.2.9:99", &b, 1, err, sizeof(err));
	struct master *m1 = master_get(&a), *m2 = master_get(&b);
	CHECK(m1 == m2 && m1->refs == 2 && master_count() == 1, "registry: one entry per address");
	master_put(m1);
	master_put(m2);
	CHECK(master_count() == 0, "registry: freed with its last reference");
	UNIT_DONE();
}
