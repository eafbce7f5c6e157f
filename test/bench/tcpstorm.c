/* glasshouse bench: loopback TCP bulk transfer + short connects (issue 13).
 * usage: tcpstorm MIB CONNS
 * Listens on 127.0.0.1 (ephemeral port), then forks a server side and a client side:
 *  1. bulk: the client sends MIB MiB on one connection in 64 KiB writes; the server reads it in
 *     64 KiB reads and checks the count;
 *  2. short: CONNS times, the client connects, sends 16 bytes and closes; the server accepts, reads
 *     the 16 bytes and closes first (the client waits for that EOF before its own close), so
 *     TIME_WAIT stays on the server's side and does not pin client ports, as in connstorm.c.
 * Prints nothing unless something fails; exit 0 only when both sides succeed. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "loopback.h"

#define CHUNK (64 * 1024)
#define SHORT 16

static char buf[CHUNK];

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* reads until EOF; returns the byte count, -1 on error */
static long long read_to_eof(int fd)
{
	long long total = 0;
	for (;;) {
		ssize_t r = read(fd, buf, sizeof buf);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0)
			return total;
		total += r;
	}
}

static int server(int ls, long long bytes, long conns)
{
	int a = accept(ls, NULL, NULL);
	if (a < 0) {
		perror("tcpstorm: server: accept");
		return 1;
	}
	long long got = read_to_eof(a);
	close(a);
	if (got != bytes) {
		fprintf(stderr, "tcpstorm: server: bulk: got %lld bytes, expected %lld\n", got, bytes);
		return 1;
	}
	for (long i = 0; i < conns; i++) {
		a = accept(ls, NULL, NULL);
		if (a < 0) {
			perror("tcpstorm: server: accept");
			return 1;
		}
		size_t have = 0;
		while (have < SHORT) {
			ssize_t r = read(a, buf + have, SHORT - have);
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0) {
				fprintf(stderr, "tcpstorm: server: connection %ld: short read\n", i);
				return 1;
			}
			have += (size_t)r;
		}
		close(a);
	}
	return 0;
}

static int client(const struct sockaddr_in *addr, long long bytes, long conns)
{
	int c = socket(AF_INET, SOCK_STREAM, 0);
	if (c < 0 || connect(c, (const struct sockaddr *)addr, sizeof *addr) < 0) {
		perror("tcpstorm: client: connect");
		return 1;
	}
	memset(buf, 'x', sizeof buf);
	for (long long sent = 0; sent < bytes; sent += CHUNK) {
		size_t n = bytes - sent < CHUNK ? (size_t)(bytes - sent) : CHUNK;
		if (write_all(c, buf, n) < 0) {
			perror("tcpstorm: client: write");
			return 1;
		}
	}
	close(c);
	static const char msg[SHORT] = "glasshouse-tcp!";
	for (long i = 0; i < conns; i++) {
		c = socket(AF_INET, SOCK_STREAM, 0);
		if (c < 0 || connect(c, (const struct sockaddr *)addr, sizeof *addr) < 0) {
			perror("tcpstorm: client: connect");
			return 1;
		}
		if (write_all(c, msg, SHORT) < 0) {
			perror("tcpstorm: client: write");
			return 1;
		}
		char eof;
		if (read(c, &eof, 1) != 0) { /* the server closes first */
			fprintf(stderr, "tcpstorm: client: connection %ld: no EOF\n", i);
			return 1;
		}
		close(c);
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: tcpstorm MIB CONNS\n");
		return 2;
	}
	long long bytes = atoll(argv[1]) * 1024 * 1024;
	long conns = atol(argv[2]);
	struct sockaddr_in addr;
	int ls = listen_loopback(&addr, "tcpstorm");
	if (ls < 0)
		return 1;
	pid_t srv = fork();
	if (srv < 0) {
		perror("tcpstorm: fork");
		return 1;
	}
	if (srv == 0)
		_exit(server(ls, bytes, conns));
	close(ls);
	pid_t cli = fork();
	if (cli < 0) {
		perror("tcpstorm: fork");
		kill(srv, SIGKILL);
		return 1;
	}
	if (cli == 0)
		_exit(client(&addr, bytes, conns));
	int failed = 0;
	for (int i = 0; i < 2; i++) {
		int st;
		pid_t p = wait(&st);
		if (p < 0) {
			perror("tcpstorm: wait");
			return 1;
		}
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
			/* one side failed: the other, if still running, may wait forever for it */
			if (!failed && i == 0)
				kill(p == srv ? cli : srv, SIGKILL);
			failed = 1;
		}
	}
	return failed;
}
