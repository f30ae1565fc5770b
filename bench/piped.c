// SPDX-License-Identifier: MIT
#include "piped.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

int spawn_piped(char *const argv[], pid_t *pid, int *err)
{
	posix_spawn_file_actions_t fa;
	int fds[2];

	if (pipe2(fds, O_CLOEXEC)) {
		*err = errno;
		return -1;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
	posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	*err = posix_spawnp(pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	if (*err) {
		close(fds[0]);
		return -1;
	}
	return fds[0];
}

double piped_now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

double piped_time_to(char *const argv[], const char *mark, double deadline_s,
		     struct piped_output *o, char *why, size_t len)
{
	double start = piped_now_s(), t = -1;
	int fd, err, status;
	pid_t pid;
	ssize_t n;

	o->len = 0;
	fd = spawn_piped(argv, &pid, &err);
	if (fd < 0) {
		snprintf(why, len, "%s: %s", argv[0], strerror(err));
		return -1;
	}
	while (t < 0 && o->len < sizeof(o->buf) - 1 && piped_now_s() - start < deadline_s) {
		struct pollfd p = { .fd = fd, .events = POLLIN };

		if (poll(&p, 1, 1000) == 0)
			continue;
		n = read(fd, o->buf + o->len, sizeof(o->buf) - 1 - o->len);
		if (n <= 0) {
			if (!mark)
				t = piped_now_s() - start;
			break;
		}
		o->len += (size_t)n;
		if (mark && memmem(o->buf, o->len, mark, strlen(mark)))
			t = piped_now_s() - start;
	}
	o->buf[o->len] = 0;
	if (mark)
		kill(pid, SIGKILL);
	wait4(pid, &status, 0, &o->ru);
	close(fd);
	if (t < 0)
		snprintf(why, len, "%s never %s%s", argv[0], mark ? "printed " : "ended",
			 mark ? mark : "");
	return t;
}
