/* glasshouse bench: loopback TCP connect storm.
 * usage: connstorm N
 * Listens on 127.0.0.1 (ephemeral port) and makes N connect/accept/close rounds in one process. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "loopback.h"

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: connstorm N\n");
		return 2;
	}
	long n = atol(argv[1]);
	struct sockaddr_in addr;
	int ls = listen_loopback(&addr, "connstorm");
	if (ls < 0)
		return 1;
	for (long i = 0; i < n; i++) {
		int c = socket(AF_INET, SOCK_STREAM, 0);
		if (c < 0 || connect(c, (struct sockaddr *)&addr, sizeof addr) < 0) {
			perror("connect");
			return 1;
		}
		int a = accept(ls, NULL, NULL);
		if (a < 0) {
			perror("accept");
			return 1;
		}
		/* the accepting side closes first, so TIME_WAIT does not pin client ports */
		close(a);
		close(c);
	}
	close(ls);
	return 0;
}
