// SPDX-License-Identifier: MIT
#include "piped.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
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
