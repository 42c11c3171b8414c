#ifndef PRA_POSIX_H
#define PRA_POSIX_H

/// pipe2(fds, O_CLOEXEC): both ends close-on-exec atomically, so a child spawned by another
/// thread at the same moment cannot inherit them. Glibc's Swift overlay does not export pipe2.
int pra_pipe_cloexec(int fds[2]);

#endif
