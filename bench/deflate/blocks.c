// The compressor comparison and the walker's sanitizer run of bench/deflate_blocks.sh.
//   blocks time FILE BLOCK_KIB LEVEL OUT.gz   compress FILE as pra does (libdeflate blocks
//                                             joined into one gzip member), print CPU and size
//   blocks fuzz FILE ROUNDS                   truncated, bit-flipped and random streams: each
//                                             must be refused or end inside its buffer
#include <libdeflate.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pra_deflate_blocks.h"

static double seconds(void) {
    struct timespec now;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
    return now.tv_sec + now.tv_nsec / 1e9;
}

static uint8_t *read_file(const char *path, size_t *length) {
    FILE *file = fopen(path, "rb");
    if (!file) { perror(path); exit(1); }
    fseek(file, 0, SEEK_END);
    *length = (size_t)ftell(file);
    fseek(file, 0, SEEK_SET);
    uint8_t *data = malloc(*length ? *length : 1);
    if (fread(data, 1, *length, file) != *length) { perror(path); exit(1); }
    fclose(file);
    return data;
}

static int timed(const char *path, size_t block, int level, const char *outPath) {
    size_t length;
    uint8_t *input = read_file(path, &length);
    struct libdeflate_compressor *compressor = libdeflate_alloc_compressor(level);
    size_t capacity = libdeflate_deflate_compress_bound(compressor, block) + 5;
    uint8_t *output = malloc(capacity);
    FILE *out = fopen(outPath, "wb");
    const uint8_t header[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3};
    fwrite(header, 1, sizeof header, out);
    double compressing = 0, walking = 0;
    size_t total = sizeof header;
    uint32_t crc = 0;
    size_t offset = 0;
    for (;;) {
        size_t part = length - offset < block ? length - offset : block;
        int last = offset + part == length;
        double start = seconds();
        size_t written = libdeflate_deflate_compress(compressor, input + offset, part, output, capacity - 5);
        double compressed = seconds();
        if (!last) written = pra_deflate_make_continuable(output, written, capacity);
        walking += seconds() - compressed;
        compressing += compressed - start;
        if (written == 0) { fprintf(stderr, "block at %zu: not joinable\n", offset); return 1; }
        crc = libdeflate_crc32(crc, input + offset, part);
        fwrite(output, 1, written, out);
        total += written;
        offset += part;
        if (last) break;
    }
    const uint8_t trailer[8] = {crc, crc >> 8, crc >> 16, crc >> 24, length, length >> 8, length >> 16, length >> 24};
    fwrite(trailer, 1, sizeof trailer, out);
    fclose(out);
    printf("libdeflate level %d in %zu KiB blocks: compress %.2f s CPU, walk %.2f s CPU, %zu bytes\n",
           level, block / 1024, compressing, walking, total + sizeof trailer);
    return 0;
}

static int fuzz(const char *path, long rounds) {
    size_t length;
    uint8_t *input = read_file(path, &length);
    struct libdeflate_compressor *compressor = libdeflate_alloc_compressor(6);
    long found = 0, refused = 0;
    srand(1);
    for (long round = 0; round < rounds; round++) {
        size_t size;
        uint8_t *bytes;
        if (round % 10 == 9 || length < 2) {
            size = (size_t)(rand() % 400);
            bytes = malloc(size ? size : 1);
            for (size_t index = 0; index < size; index++) bytes[index] = (uint8_t)rand();
        } else {
            size_t part = 1 + (size_t)rand() % (length < 200000 ? length - 1 : 200000);
            size_t offset = (size_t)rand() % (length - part + 1);
            size_t capacity = libdeflate_deflate_compress_bound(compressor, part);
            uint8_t *stream = malloc(capacity);
            size = libdeflate_deflate_compress(compressor, input + offset, part, stream, capacity);
            if (round % 3 == 0) size = (size_t)rand() % size;
            // An exact-size copy, so that a read past the end leaves the allocation.
            bytes = malloc(size ? size : 1);
            memcpy(bytes, stream, size);
            free(stream);
            if (round % 3 == 1) {
                for (int flip = 0; flip <= rand() % 3; flip++) {
                    size_t bit = (size_t)rand() % (size * 8);
                    bytes[bit / 8] ^= (uint8_t)(1u << (bit % 8));
                }
            }
        }
        uint64_t headerBit, endBit;
        if (pra_deflate_find_final_block(bytes, size, &headerBit, &endBit) == 0) {
            if (endBit > (uint64_t)size * 8 || headerBit >= endBit) {
                fprintf(stderr, "round %ld: final block outside the buffer\n", round);
                return 1;
            }
            found++;
        } else {
            refused++;
        }
        free(bytes);
    }
    printf("fuzz: %ld rounds, %ld final blocks found inside their buffer, %ld refused\n", rounds, found, refused);
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 6 && strcmp(argv[1], "time") == 0) return timed(argv[2], (size_t)atoi(argv[3]) * 1024, atoi(argv[4]), argv[5]);
    if (argc == 4 && strcmp(argv[1], "fuzz") == 0) return fuzz(argv[2], atol(argv[3]));
    fprintf(stderr, "usage: blocks time FILE BLOCK_KIB LEVEL OUT.gz | blocks fuzz FILE ROUNDS\n");
    return 2;
}
