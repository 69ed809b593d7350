/* connload: loopback connect/request/close load for the tracer benchmark.
 * N client threads each loop: connect to 127.0.0.1:PORT, send a 32-byte request, read the 32-byte reply, wait for
 * the server's close, close. Server threads accept, answer, close first (so TIME_WAIT sits on the server side and
 * client ports are not exhausted). Runs for a fixed time, prints one line: "connects=N seconds=S rate=R errors=E".
 * Bounded: loopback only, fixed duration, fixed thread counts. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int listen_fd;
static int port;
static atomic_long connects, errors;
static atomic_int stop_clients, stop_servers;

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *server(void *arg)
{
	char buf[32];
	(void)arg;
	while (!atomic_load(&stop_servers)) {
		int c = accept(listen_fd, NULL, NULL);
		if (c < 0)
			continue;
		if (read(c, buf, sizeof buf) == sizeof buf)
			(void)!write(c, buf, sizeof buf);
		close(c);
	}
	return NULL;
}

static void *client(void *arg)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	char req[32] = "GET /nettrace-bench HTTP/1.0\r\n\r", rep[32];
	struct timeval tv = { .tv_sec = 1, .tv_usec = 0 };
	(void)arg;
	while (!atomic_load(&stop_clients)) {
		int s = socket(AF_INET, SOCK_STREAM, 0);
		/* A reply that never comes (it should not) must not hang the run. */
		if (s >= 0)
			setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
		if (s < 0 || connect(s, (struct sockaddr *)&to, sizeof to) < 0 ||
		    write(s, req, sizeof req) != sizeof req || read(s, rep, sizeof rep) != sizeof rep) {
			atomic_fetch_add(&errors, 1);
			if (s >= 0)
				close(s);
			usleep(1000);
			continue;
		}
		(void)!read(s, rep, sizeof rep); /* EOF: the server closed first */
		close(s);
		atomic_fetch_add(&connects, 1);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? atof(argv[1]) : 10;
	int clients = argc > 2 ? atoi(argv[2]) : 4;
	int servers = argc > 3 ? atoi(argv[3]) : 2;
	if (seconds <= 0 || seconds > 120 || clients < 1 || clients > 64 || servers < 1 || servers > 64) {
		fprintf(stderr, "usage: connload [seconds<=120] [client threads<=64] [server threads<=64]\n");
		return 64;
	}
	listen_fd = socket(AF_INET, SOCK_STREAM, 0);
	int one = 1;
	setsockopt(listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	if (bind(listen_fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(listen_fd, 4096) < 0) {
		perror("bind/listen");
		return 2;
	}
	socklen_t len = sizeof a;
	getsockname(listen_fd, (struct sockaddr *)&a, &len);
	port = ntohs(a.sin_port);

	/* accept() must wake up at the end: a timeout on the listener does that. */
	struct timeval tv = { .tv_sec = 0, .tv_usec = 200000 };
	setsockopt(listen_fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);

	pthread_t t[128];
	int n = 0;
	for (int i = 0; i < servers; i++)
		pthread_create(&t[n++], NULL, server, NULL);
	double start = now();
	for (int i = 0; i < clients; i++)
		pthread_create(&t[n++], NULL, client, NULL);
	while (now() - start < seconds)
		usleep(10000);
	atomic_store(&stop_clients, 1);
	double elapsed = now() - start;
	long c = atomic_load(&connects);
	/* Clients first: servers keep answering until every client has finished its last request. */
	for (int i = servers; i < n; i++)
		pthread_join(t[i], NULL);
	atomic_store(&stop_servers, 1);
	for (int i = 0; i < servers; i++)
		pthread_join(t[i], NULL);
	printf("connects=%ld seconds=%.2f rate=%.0f errors=%ld\n", c, elapsed, c / elapsed, atomic_load(&errors));
	return 0;
}
