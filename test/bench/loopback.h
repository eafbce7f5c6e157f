/* glasshouse bench: a TCP listener on 127.0.0.1, for the network workloads. */
#ifndef GLASSHOUSE_BENCH_LOOPBACK_H
#define GLASSHOUSE_BENCH_LOOPBACK_H
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>

/* Listen on 127.0.0.1, port chosen by the kernel (in *addr); the socket, or -1 (said on stderr). */
static int listen_loopback(struct sockaddr_in *addr, const char *who)
{
	socklen_t len = sizeof(*addr);
	int ls = socket(AF_INET, SOCK_STREAM, 0);

	*addr = (struct sockaddr_in){ .sin_family = AF_INET, .sin_port = 0 };
	addr->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (ls < 0 || bind(ls, (struct sockaddr *)addr, sizeof(*addr)) < 0 || listen(ls, 128) < 0 ||
	    getsockname(ls, (struct sockaddr *)addr, &len) < 0) {
		fprintf(stderr, "%s: listen: ", who);
		perror(NULL);
		return -1;
	}
	return ls;
}
#endif
