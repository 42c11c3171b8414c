#define _GNU_SOURCE
#include <fcntl.h>
#include <unistd.h>
#include "pra_posix.h"

int pra_pipe_cloexec(int fds[2]) {
    return pipe2(fds, O_CLOEXEC);
}

#include <stdint.h>
#include <string.h>

/* Bit by bit: only for CPUs without SSE 4.2 (no shared table to initialise across threads). */
static uint32_t crc32c_software(uint32_t crc, const unsigned char *bytes, size_t length) {
    while (length--) {
        crc ^= *bytes++;
        for (int bit = 0; bit < 8; bit++) crc = (crc >> 1) ^ (0x82F63B78u & (0u - (crc & 1u)));
    }
    return crc;
}

#if defined(__x86_64__)
#include <nmmintrin.h>
__attribute__((target("sse4.2")))
static uint32_t crc32c_sse42(uint32_t crc, const unsigned char *bytes, size_t length) {
    uint64_t value = crc;
    while (length >= 8) {
        uint64_t word;
        memcpy(&word, bytes, 8);
        value = _mm_crc32_u64(value, word);
        bytes += 8;
        length -= 8;
    }
    uint32_t small = (uint32_t)value;
    while (length--) small = _mm_crc32_u8(small, *bytes++);
    return small;
}
#endif

uint32_t pra_crc32c(uint32_t crc, const void *data, size_t length) {
#if defined(__x86_64__)
    if (__builtin_cpu_supports("sse4.2")) return crc32c_sse42(crc, data, length);
#endif
    return crc32c_software(crc, data, length);
}
