/*
 * The NOTIFY listener's pure parts: the PROXY protocol v2 header dnsdist
 * puts before a datagram (useProxyProtocol), and the blocks of
 * allow-notify-from are in test_master.
 */
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "notify.h"
#include "unit.h"

static const uint8_t sig[12] = { 0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55,
    0x49, 0x54, 0x0a };

/* A header: version/command, family/transport, address block (alen bytes), tlv bytes. */
static size_t
hdr(uint8_t *b, uint8_t vc, uint8_t ft, const uint8_t *addr, size_t alen, size_t tlv)
{
	memcpy(b, sig, 12);
	b[12] = vc;
	b[13] = ft;
	b[14] = (uint8_t)((alen + tlv) >> 8);
	b[15] = (uint8_t)(alen + tlv);
	memcpy(b + 16, addr, alen);
	memset(b + 16 + alen, 0x04, tlv);	/* TLVs: skipped, whatever they say */
	memcpy(b + 16 + alen + tlv, "\x12\x34", 2);	/* the DNS message starts */
	return 16 + alen + tlv + 2;
}

int
main(void)
{
	uint8_t			 b[256], v4[12], v6[36];
	struct sockaddr_in	 proxy = { .sin_family = AF_INET, .sin_port = htons(40000) };
	struct sockaddr_storage	 real;
	struct sockaddr_in	*r4 = (struct sockaddr_in *)&real;
	struct sockaddr_in6	*r6 = (struct sockaddr_in6 *)&real;
	socklen_t		 rlen;
	char			 t[64];
	size_t			 n;
	int			 h;

	inet_pton(AF_INET, "127.0.0.1", &proxy.sin_addr);
	inet_pton(AF_INET, "192.0.2.7", v4);
	inet_pton(AF_INET, "192.0.2.53", v4 + 4);
	memcpy(v4 + 8, "\x9c\x40\x00\x35", 4);		/* ports 40000, 53 */
	inet_pton(AF_INET6, "2001:db8::7", v6);
	inet_pton(AF_INET6, "2001:db8::53", v6 + 16);
	memcpy(v6 + 32, "\x9c\x41\x00\x35", 4);

	n = hdr(b, 0x21, 0x12, v4, 12, 0);
	h = notify_proxy_header(b, n, (struct sockaddr *)&proxy, sizeof(proxy), &real, &rlen);
	CHECK(h == 28 && r4->sin_family == AF_INET && ntohs(r4->sin_port) == 40000 &&
	    strcmp(inet_ntop(AF_INET, &r4->sin_addr, t, sizeof(t)), "192.0.2.7") == 0 &&
	    b[h] == 0x12, "proxy v2, UDP over IPv4: the client's address and port, the message after it");
	n = hdr(b, 0x21, 0x22, v6, 36, 7);
	h = notify_proxy_header(b, n, (struct sockaddr *)&proxy, sizeof(proxy), &real, &rlen);
	CHECK(h == 16 + 36 + 7 && r6->sin6_family == AF_INET6 && ntohs(r6->sin6_port) == 40001 &&
	    strcmp(inet_ntop(AF_INET6, &r6->sin6_addr, t, sizeof(t)), "2001:db8::7") == 0 &&
	    rlen == sizeof(*r6), "proxy v2, IPv6 with TLVs: TLVs skipped");
	n = hdr(b, 0x20, 0x00, v4, 0, 0);
	h = notify_proxy_header(b, n, (struct sockaddr *)&proxy, sizeof(proxy), &real, &rlen);
	CHECK(h == 16 && r4->sin_family == AF_INET && r4->sin_port == proxy.sin_port &&
	    r4->sin_addr.s_addr == proxy.sin_addr.s_addr,
	    "LOCAL (dnsdist's health check): the proxy speaks for itself");
	n = hdr(b, 0x21, 0x12, v4, 12, 0);
	b[3] ^= 1;
	CHECK(notify_proxy_header(b, n, (struct sockaddr *)&proxy, sizeof(proxy), &real, &rlen) == -1,
	    "a bad signature: no header");
	n = hdr(b, 0x11, 0x12, v4, 12, 0);
	CHECK(notify_proxy_header(b, n, (struct sockaddr *)&proxy, sizeof(proxy), &real, &rlen) == -1,
	    "version 1 in a v2 signature: refused");
	n = hdr(b, 0x22, 0x12, v4, 12, 0);
	CHECK(notify_proxy_header(b, n, (struct sockaddr *)&proxy, sizeof(proxy), &real, &rlen) == -1,
	    "an unknown command: refused");
	n = hdr(b, 0x21, 0x32, v4, 12, 0);
	CHECK(notify_proxy_header(b, n, (struct sockaddr *)&proxy, sizeof(proxy), &real, &rlen) == -1,
	    "AF_UNIX or worse: refused");
	n = hdr(b, 0x21, 0x22, v4, 12, 0);
	CHECK(notify_proxy_header(b, n, (struct sockaddr *)&proxy, sizeof(proxy), &real, &rlen) == -1,
	    "IPv6 with an IPv4-sized address block: refused");
	n = hdr(b, 0x21, 0x12, v4, 12, 0);
	b[15] = 200;
	CHECK(notify_proxy_header(b, n, (struct sockaddr *)&proxy, sizeof(proxy), &real, &rlen) == -1,
	    "a length past the datagram: refused, nothing read beyond it");
	CHECK(notify_proxy_header(b, 15, (struct sockaddr *)&proxy, sizeof(proxy), &real, &rlen) == -1,
	    "a runt: refused");
	memcpy(b, "\x12\x34\x20\x00\x00\x01", 6);
	CHECK(notify_proxy_header(b, 40, (struct sockaddr *)&proxy, sizeof(proxy), &real, &rlen) == -1,
	    "a bare DNS message from the proxy: no header");
	UNIT_DONE();
}
