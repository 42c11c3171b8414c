#include <string.h>
#include "pra_posix.h"

/* PostgreSQL's data page checksum (storage/checksum_impl.h describes the algorithm): the page is
 * read as rows of 32 little 32-bit words; each of the 32 columns is folded into its own FNV-1a
 * style sum (xor, multiply by the FNV prime, xor in the value shifted right by 17), then two
 * rounds of zeros, then the 32 sums are xor-ed together, the block number mixed in, and the
 * result reduced to 1..65535. The checksum field itself (bytes 8 and 9) counts as zero. The 32
 * independent columns let the compiler vectorise the loop. */

enum { COLUMNS = 32 };
static const uint32_t fnv_prime = 16777619u;

/* The 32 starting values, part of the on-disk format. */
static const uint32_t column_seeds[COLUMNS] = {
    0x5B1F36E9, 0xB8525960, 0x02AB50AA, 0x1DE66D2A, 0x79FF467A, 0x9BB9F8A3, 0x217E7CD2, 0x83E13D2C,
    0xF8D4474F, 0xE39EB970, 0x42C6AE16, 0x993216FA, 0x7B093B5D, 0x98DAFF3C, 0xF718902A, 0x0B1C9CDB,
    0xE58F764B, 0x187636BC, 0x5D7B3BB1, 0xE73DE7DE, 0x92BEC979, 0xCCA6C0B2, 0x304A0979, 0x85AA43D4,
    0x783125BB, 0x6CA8EAA2, 0xE407EAC6, 0x4B5CFC3E, 0x9FBF8C76, 0x15CA20BE, 0xF2CA9FD3, 0x959BD756,
};

static inline uint32_t mix(uint32_t sum, uint32_t value) {
    uint32_t folded = sum ^ value;
    return folded * fnv_prime ^ (folded >> 17);
}

uint16_t pra_page_checksum(const void *page, size_t page_size, uint32_t block_number) {
    uint32_t sums[COLUMNS];
    memcpy(sums, column_seeds, sizeof sums);
    const unsigned char *bytes = page;
    const size_t rows = page_size / (sizeof(uint32_t) * COLUMNS);

    /* The first row without the checksum field: word 2 holds pd_checksum in its low half. */
    uint32_t first[COLUMNS];
    memcpy(first, bytes, sizeof first);
    first[2] &= 0xFFFF0000u;
    for (size_t column = 0; column < COLUMNS; column++) sums[column] = mix(sums[column], first[column]);

    for (size_t row = 1; row < rows; row++) {
        uint32_t words[COLUMNS];
        memcpy(words, bytes + row * sizeof words, sizeof words);
        for (size_t column = 0; column < COLUMNS; column++) sums[column] = mix(sums[column], words[column]);
    }
    for (int round = 0; round < 2; round++)
        for (size_t column = 0; column < COLUMNS; column++) sums[column] = mix(sums[column], 0);

    uint32_t result = 0;
    for (size_t column = 0; column < COLUMNS; column++) result ^= sums[column];
    result ^= block_number;
    return (uint16_t)(result % 65535u + 1u);
}
