#ifndef PRA_POSIX_H
#define PRA_POSIX_H

/// pipe2(fds, O_CLOEXEC): both ends close-on-exec atomically, so a child spawned by another
/// thread at the same moment cannot inherit them. Glibc's Swift overlay does not export pipe2.
int pra_pipe_cloexec(int fds[2]);

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

#endif
