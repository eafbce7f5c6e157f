/* glasshouse bench: loopback TCP connect storm.
 * usage: connstorm N
 * Listens on 127.0.0.1 (ephemeral port) and makes N connect/accept/close rounds in one process. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: connstorm N\n");
		return 2;
	}
	long n = atol(argv[1]);
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = 0 };
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t len = sizeof addr;
	int ls = socket(AF_INET, SOCK_STREAM, 0);
	if (ls < 0 || bind(ls, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(ls, 128) < 0 ||
	    getsockname(ls, (struct sockaddr *)&addr, &len) < 0) {
		perror("listen");
		return 1;
	}
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
