#ifndef PRA_POSIX_H
#define PRA_POSIX_H

/// pipe2(fds, O_CLOEXEC): both ends close-on-exec atomically, so a child spawned by another
/// thread at the same moment cannot inherit them. Glibc's Swift overlay does not export pipe2.
int pra_pipe_cloexec(int fds[2]);
/// fcntl(fd, F_SETPIPE_SZ, bytes): the pipe's capacity (64 KiB by default); the new size or -1.
int pra_pipe_set_size(int fd, int bytes);
/// fcntl(fd, F_GETPIPE_SZ): the pipe's capacity, or -1.
int pra_pipe_size(int fd);

#include <stddef.h>
#include <stdint.h>

/// CRC-32C (Castagnoli), as PostgreSQL's backup manifests use it: `crc` is the running value
/// (start with 0xFFFFFFFF, finish by XOR with 0xFFFFFFFF). SSE 4.2 when the CPU has it.
uint32_t pra_crc32c(uint32_t crc, const void *data, size_t length);
/* The bit-by-bit CRC-32C, for tests of the fast one. */
uint32_t pra_crc32c_portable(uint32_t crc, const void *data, size_t length);
/* The register `crc` after `length` zero bytes (no pre- or post-inversion): the CRC of A then B
 * is pra_crc32c_shift(crc(A), |B|) ^ pra_crc32c(0, B). */
uint32_t pra_crc32c_shift(uint32_t crc, uint64_t length);

/// PostgreSQL's data page checksum (`pg_checksum_page`) of a page of `page_size` bytes (a
/// multiple of 128, PostgreSQL's `block_size`) that is block `block_number` of its relation
/// fork; the page's own checksum field (bytes 8-9) is left out of the sum. Little-endian hosts.
uint16_t pra_page_checksum(const void *page, size_t page_size, uint32_t block_number);

#endif
