/* glasshouse bench: paced open storm for the saturation ramp.
 * usage: saturate FILE RATE SECONDS WORKERS OUTFILE
 * WORKERS processes together open (and close) FILE at RATE opens/s for SECONDS, pacing
 * themselves on CLOCK_MONOTONIC. Writes "<elapsed_ns> <opens>" to OUTFILE: the wall time
 * of the loop from the first fork to the last worker's exit, and the opens done. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static long worker(const char *file, double rate, long long duration_ns)
{
	long done = 0;
	long long t0 = now_ns();
	for (;;) {
		for (int k = 0; k < 64; k++) {
			int fd = open(file, O_RDONLY);
			if (fd < 0) {
				perror(file);
				exit(1);
			}
			close(fd);
		}
		done += 64;
		long long el = now_ns() - t0;
		if (el >= duration_ns)
			break;
		double ahead_ns = done / rate * 1e9 - (double)el;
		if (ahead_ns > 200000) {
			struct timespec ts = { 0, (long)ahead_ns };
			if (ahead_ns >= 1e9)
				ts = (struct timespec){ (time_t)(ahead_ns / 1e9), (long)((long long)ahead_ns % 1000000000LL) };
			nanosleep(&ts, NULL);
		}
	}
	return done;
}

int main(int argc, char **argv)
{
	if (argc < 6) {
		fprintf(stderr, "usage: saturate FILE RATE SECONDS WORKERS OUTFILE\n");
		return 2;
	}
	double rate = atof(argv[2]);
	long long duration_ns = (long long)(atof(argv[3]) * 1e9);
	int workers = atoi(argv[4]);
	if (workers < 1)
		workers = 1;
	long *counts = mmap(NULL, sizeof(long) * workers, PROT_READ | PROT_WRITE,
			    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (counts == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	long long t0 = now_ns();
	for (int w = 0; w < workers; w++) {
		pid_t p = fork();
		if (p < 0) {
			perror("fork");
			return 1;
		}
		if (p == 0) {
			counts[w] = worker(argv[1], rate / workers, duration_ns);
			_exit(0);
		}
	}
	int failed = 0, st;
	while (wait(&st) > 0)
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			failed = 1;
	long long elapsed = now_ns() - t0;
	long total = 0;
	for (int w = 0; w < workers; w++)
		total += counts[w];
	FILE *out = fopen(argv[5], "w");
	if (!out) {
		perror(argv[5]);
		return 1;
	}
	fprintf(out, "%lld %ld\n", elapsed, total);
	fclose(out);
	return failed;
}
