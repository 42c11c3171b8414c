#define _GNU_SOURCE
#include <fcntl.h>
#include <unistd.h>
#include "pra_posix.h"

int pra_pipe_cloexec(int fds[2]) {
    return pipe2(fds, O_CLOEXEC);
}

int pra_pipe_set_size(int fd, int bytes) {
    return fcntl(fd, F_SETPIPE_SZ, bytes);
}

int pra_pipe_size(int fd) {
    return fcntl(fd, F_GETPIPE_SZ);
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

/* CRC-32C register arithmetic over GF(2) (the reflected polynomial 0x82F63B78), the method of
 * zlib's crc32_combine: multiplying the register by x^(8n) mod P is what feeding n zero bytes
 * does, so the CRC of A followed by B is shift(crc(A), |B|) ^ crc0(B), where crc0 starts from 0.
 * That lets independent pieces be computed apart (three streams at once, or one range per
 * thread) and joined. */
static uint32_t crc32c_multiply(uint32_t a, uint32_t b) {
    uint32_t m = 1u << 31, product = 0;
    for (;;) {
        if (a & m) {
            product ^= b;
            if ((a & (m - 1)) == 0) break;
        }
        m >>= 1;
        b = b & 1 ? (b >> 1) ^ 0x82F63B78u : b >> 1;
    }
    return product;
}

/* x^(8 * length) mod P, by squaring: x^(2^k) for each set bit of 8 * length. */
static uint32_t crc32c_zeros_operator(uint64_t length) {
    uint32_t power = 1u << 30;  /* x^1 */
    uint32_t result = 1u << 31; /* x^0 */
    uint64_t bits = length << 3;
    while (bits) {
        if (bits & 1) result = crc32c_multiply(power, result);
        power = crc32c_multiply(power, power);
        bits >>= 1;
    }
    return result;
}

uint32_t pra_crc32c_shift(uint32_t crc, uint64_t length) {
    return crc32c_multiply(crc32c_zeros_operator(length), crc);
}

#if defined(__x86_64__)
#include <nmmintrin.h>
/* The crc32 instruction takes 3 cycles and can start one per cycle: three independent streams
 * over three stretches of the input run about three times as fast as one, then are joined. */
#define CRC32C_STRETCH 8192
__attribute__((target("sse4.2")))
static uint32_t crc32c_sse42(uint32_t crc, const unsigned char *bytes, size_t length) {
    uint64_t value = crc;
    if (length >= 3 * CRC32C_STRETCH) {
        static uint32_t stretch_operator; /* x^(8 * CRC32C_STRETCH) mod P; a race writes the same value */
        uint32_t shift = __atomic_load_n(&stretch_operator, __ATOMIC_RELAXED);
        if (shift == 0) {
            shift = crc32c_zeros_operator(CRC32C_STRETCH);
            __atomic_store_n(&stretch_operator, shift, __ATOMIC_RELAXED);
        }
        while (length >= 3 * CRC32C_STRETCH) {
            uint64_t second = 0, third = 0;
            const unsigned char *a = bytes, *b = bytes + CRC32C_STRETCH, *c = bytes + 2 * CRC32C_STRETCH;
            for (size_t offset = 0; offset < CRC32C_STRETCH; offset += 8) {
                uint64_t wa, wb, wc;
                memcpy(&wa, a + offset, 8);
                memcpy(&wb, b + offset, 8);
                memcpy(&wc, c + offset, 8);
                value = _mm_crc32_u64(value, wa);
                second = _mm_crc32_u64(second, wb);
                third = _mm_crc32_u64(third, wc);
            }
            uint32_t joined = crc32c_multiply(shift, (uint32_t)value) ^ (uint32_t)second;
            value = crc32c_multiply(shift, joined) ^ (uint32_t)third;
            bytes += 3 * CRC32C_STRETCH;
            length -= 3 * CRC32C_STRETCH;
        }
    }
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

uint32_t pra_crc32c_portable(uint32_t crc, const void *data, size_t length) {
    return crc32c_software(crc, data, length);
}

uint32_t pra_crc32c(uint32_t crc, const void *data, size_t length) {
#if defined(__x86_64__)
    if (__builtin_cpu_supports("sse4.2")) return crc32c_sse42(crc, data, length);
#endif
    return crc32c_software(crc, data, length);
}
