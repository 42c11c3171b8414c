// A deflate (RFC 1951) block walker: it decodes codes only to learn where blocks begin and
// end, never the data. libdeflate compresses a whole buffer into a complete stream whose last
// block carries the final bit; pra joins such parts into one gzip member, which needs the
// final block's header (to clear that bit) and the exact end of the part.

#include "pra_deflate_blocks.h"

#include <string.h>

enum {
    kMaxCodeBits = 15,
    kLiteralLengthSymbols = 288,
    kDistanceSymbols = 32,
    kCodeLengthSymbols = 19,
};

// Extra bits of length symbols 257...285 and of distance symbols 0...29.
static const uint8_t kLengthExtraBits[29] = {
    0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
};
static const uint8_t kDistanceExtraBits[30] = {
    0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13,
};
// The order in which a dynamic block lists the code lengths of the code-length alphabet.
static const uint8_t kCodeLengthOrder[kCodeLengthSymbols] = {
    16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15,
};

/// Bits are read least significant first, as deflate packs them. Past the end the reader
/// supplies zero bytes and counts them, so a truncated stream is detected, never overread.
typedef struct {
    const uint8_t *data;
    size_t length;
    size_t position;  // the next byte to load (may pass `length` while supplying zeros)
    uint64_t buffer;
    unsigned count;   // valid bits in `buffer`
} BitReader;

static inline void refill(BitReader *reader) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (reader->position + 8 <= reader->length) {
        // Load eight bytes at once; the bits above the new count are the same bits the next
        // load brings again, so OR-ing them twice is harmless.
        uint64_t word;
        memcpy(&word, reader->data + reader->position, sizeof word);
        reader->buffer |= word << reader->count;
        reader->position += (63 - reader->count) >> 3;
        reader->count |= 56;
        return;
    }
#endif
    while (reader->count <= 56) {
        uint64_t byte = reader->position < reader->length ? reader->data[reader->position] : 0;
        reader->position += 1;
        reader->buffer |= byte << reader->count;
        reader->count += 8;
    }
}

static inline uint32_t peek(const BitReader *reader, unsigned bits) {
    return (uint32_t)(reader->buffer & ((UINT64_C(1) << bits) - 1));
}

static inline void consume(BitReader *reader, unsigned bits) {
    reader->buffer >>= bits;
    reader->count -= bits;
}

/// Reads `bits` (at most 32) after a refill.
static inline uint32_t take(BitReader *reader, unsigned bits) {
    refill(reader);
    uint32_t value = peek(reader, bits);
    consume(reader, bits);
    return value;
}

static inline uint64_t consumed_bits(const BitReader *reader) {
    return (uint64_t)reader->position * 8 - reader->count;
}

/// True once the reader has consumed bits that are not in the data.
static inline int overran(const BitReader *reader) {
    return consumed_bits(reader) > (uint64_t)reader->length * 8;
}

/// A canonical Huffman code. Codes of up to `kFastBits` bits are found with one lookup in
/// `fast` (indexed by the next `kFastBits` input bits; an entry is `symbol << 4 | code
/// length`, 0 for longer codes or bits that start no code); the rare longer codes are decoded
/// one bit at a time from `count` and `symbols`. A table small enough for the L1 cache made
/// the walk twice as fast as one lookup over all 15 bits.
enum { kFastBits = 10 };

typedef struct {
    uint16_t fast[1 << kFastBits];
    uint16_t count[kMaxCodeBits + 1];           // codes of each length
    uint16_t symbols[kLiteralLengthSymbols];     // symbols ordered by code
} Decoder;

static int build_decoder(Decoder *decoder, const uint8_t *lengths, unsigned symbols) {
    memset(decoder->count, 0, sizeof decoder->count);
    for (unsigned symbol = 0; symbol < symbols; symbol++) decoder->count[lengths[symbol]] += 1;
    decoder->count[0] = 0;
    // A code may be incomplete (a single distance code is allowed), never over-subscribed.
    int left = 1;
    for (unsigned length = 1; length <= kMaxCodeBits; length++) {
        left = left * 2 - (int)decoder->count[length];
        if (left < 0) return -1;
    }
    unsigned offsets[kMaxCodeBits + 2];
    offsets[1] = 0;
    for (unsigned length = 1; length <= kMaxCodeBits; length++) {
        offsets[length + 1] = offsets[length] + decoder->count[length];
    }
    unsigned next[kMaxCodeBits + 1];
    unsigned code = 0;
    for (unsigned length = 1; length <= kMaxCodeBits; length++) {
        code = (code + decoder->count[length - 1]) << 1;
        next[length] = code;
    }
    memset(decoder->fast, 0, sizeof decoder->fast);
    for (unsigned symbol = 0; symbol < symbols; symbol++) {
        const unsigned length = lengths[symbol];
        if (length == 0) continue;
        decoder->symbols[offsets[length]++] = (uint16_t)symbol;
        unsigned value = next[length]++;
        if (length > kFastBits) continue;
        // Huffman codes are packed most significant bit first: reverse them for lookup.
        unsigned reversed = 0;
        for (unsigned bit = 0; bit < length; bit++) {
            reversed = (reversed << 1) | (value & 1);
            value >>= 1;
        }
        const uint16_t entry = (uint16_t)(symbol << 4 | length);
        for (unsigned index = reversed; index < (1u << kFastBits); index += 1u << length) {
            decoder->fast[index] = entry;
        }
    }
    return 0;
}

/// Decodes one symbol; the caller has refilled. Returns -1 for bits that start no code.
static inline int decode(BitReader *reader, const Decoder *decoder) {
    const uint16_t entry = decoder->fast[peek(reader, kFastBits)];
    if (entry != 0) {
        consume(reader, entry & 15);
        return entry >> 4;
    }
    // Canonical decoding, one bit at a time: `first` is the first code of this length and
    // `index` the position of its symbol.
    unsigned code = 0, first = 0, index = 0;
    for (unsigned length = 1; length <= kMaxCodeBits; length++) {
        code |= (unsigned)(reader->buffer >> (length - 1)) & 1;
        const unsigned count = decoder->count[length];
        if (code - first < count) {
            consume(reader, length);
            return decoder->symbols[index + (code - first)];
        }
        index += count;
        first = (first + count) << 1;
        code <<= 1;
    }
    return -1;
}

/// Reads a dynamic block's code definitions into the two decoders.
static int read_dynamic_codes(BitReader *reader, Decoder *literals, Decoder *distances) {
    const unsigned literalCount = take(reader, 5) + 257;
    const unsigned distanceCount = take(reader, 5) + 1;
    const unsigned codeLengthCount = take(reader, 4) + 4;
    if (literalCount > 286 || distanceCount > 30) return -1;

    uint8_t codeLengthLengths[kCodeLengthSymbols] = {0};
    for (unsigned index = 0; index < codeLengthCount; index++) {
        codeLengthLengths[kCodeLengthOrder[index]] = (uint8_t)take(reader, 3);
    }
    // The code-length code is decoded with the distance decoder's storage (built again below).
    if (build_decoder(distances, codeLengthLengths, kCodeLengthSymbols) != 0) return -1;

    uint8_t lengths[kLiteralLengthSymbols + kDistanceSymbols];
    const unsigned total = literalCount + distanceCount;
    unsigned filled = 0;
    while (filled < total) {
        refill(reader);
        const int symbol = decode(reader, distances);
        if (symbol < 0) return -1;
        if (symbol < 16) {
            lengths[filled++] = (uint8_t)symbol;
            continue;
        }
        uint8_t value = 0;
        unsigned repeat;
        if (symbol == 16) {
            if (filled == 0) return -1;
            value = lengths[filled - 1];
            repeat = 3 + take(reader, 2);
        } else if (symbol == 17) {
            repeat = 3 + take(reader, 3);
        } else {
            repeat = 11 + take(reader, 7);
        }
        if (filled + repeat > total) return -1;
        memset(lengths + filled, value, repeat);
        filled += repeat;
    }
    if (overran(reader) || lengths[256] == 0) return -1;
    if (build_decoder(literals, lengths, literalCount) != 0) return -1;
    return build_decoder(distances, lengths + literalCount, distanceCount);
}

static void fixed_codes(Decoder *literals, Decoder *distances) {
    uint8_t lengths[kLiteralLengthSymbols];
    unsigned symbol = 0;
    for (; symbol < 144; symbol++) lengths[symbol] = 8;
    for (; symbol < 256; symbol++) lengths[symbol] = 9;
    for (; symbol < 280; symbol++) lengths[symbol] = 7;
    for (; symbol < kLiteralLengthSymbols; symbol++) lengths[symbol] = 8;
    build_decoder(literals, lengths, kLiteralLengthSymbols);
    uint8_t distanceLengths[kDistanceSymbols];
    memset(distanceLengths, 5, sizeof distanceLengths);
    build_decoder(distances, distanceLengths, kDistanceSymbols);
}

/// Skips a Huffman-coded block's symbols up to and including its end-of-block code.
static int skip_symbols(BitReader *reader, const Decoder *literals, const Decoder *distances) {
    for (;;) {
        // One refill gives at least 56 bits: a length code with its extra bits and a
        // distance code with its extra bits take at most 15 + 5 + 15 + 13 = 48.
        refill(reader);
        // Past the end the reader supplies zeros, which may decode as codes forever.
        if (reader->position > reader->length + 8) return -1;
        const int symbol = decode(reader, literals);
        if (symbol < 256) {
            if (symbol < 0) return -1;
            continue;
        }
        if (symbol == 256) return overran(reader) ? -1 : 0;
        if (symbol > 285) return -1;
        consume(reader, kLengthExtraBits[symbol - 257]);
        const int distance = decode(reader, distances);
        if (distance < 0 || distance > 29) return -1;
        consume(reader, kDistanceExtraBits[distance]);
    }
}

/// Skips a stored block after its 3-bit header: padding to a byte, LEN, NLEN, LEN bytes.
static int skip_stored(BitReader *reader) {
    consume(reader, (unsigned)((8 - consumed_bits(reader) % 8) % 8));
    const uint32_t length = take(reader, 16);
    const uint32_t complement = take(reader, 16);
    if ((length ^ 0xffff) != complement || overran(reader)) return -1;
    const uint64_t start = consumed_bits(reader) / 8;
    if (start + length > reader->length) return -1;
    reader->position = (size_t)(start + length);
    reader->buffer = 0;
    reader->count = 0;
    return 0;
}

int pra_deflate_find_final_block(const uint8_t *data, size_t length,
                                 uint64_t *final_header_bit, uint64_t *end_bit) {
    // Two decoders of about 2.6 KiB each: small enough for any thread's stack.
    Decoder literalDecoder;
    Decoder distanceDecoder;
    Decoder *literals = &literalDecoder;
    Decoder *distances = &distanceDecoder;
    BitReader reader = {.data = data, .length = length, .position = 0, .buffer = 0, .count = 0};
    for (;;) {
        const uint64_t header = consumed_bits(&reader);
        const uint32_t isFinal = take(&reader, 1);
        const uint32_t type = take(&reader, 2);
        int status;
        switch (type) {
        case 0:
            status = skip_stored(&reader);
            break;
        case 1:
            fixed_codes(literals, distances);
            status = skip_symbols(&reader, literals, distances);
            break;
        case 2:
            status = read_dynamic_codes(&reader, literals, distances);
            if (status == 0) status = skip_symbols(&reader, literals, distances);
            break;
        default:
            status = -1;
        }
        if (status != 0 || overran(&reader)) return -1;
        if (isFinal) {
            *final_header_bit = header;
            *end_bit = consumed_bits(&reader);
            return 0;
        }
    }
}

size_t pra_deflate_make_continuable(uint8_t *data, size_t length, size_t capacity) {
    uint64_t header = 0;
    uint64_t end = 0;
    if (capacity < length + 5) return 0;
    if (pra_deflate_find_final_block(data, length, &header, &end) != 0) return 0;
    if ((end + 7) / 8 != length) return 0;
    data[header / 8] &= (uint8_t)~(1u << (header % 8));
    const unsigned used = (unsigned)(end % 8);
    if (used != 0) data[length - 1] &= (uint8_t)((1u << used) - 1);
    size_t size = length;
    // The empty stored block's three header bits (all zero) fit in the last byte when at
    // least three bits of it are free; otherwise they start a new byte.
    if (used == 0 || used > 5) data[size++] = 0;
    data[size++] = 0x00;
    data[size++] = 0x00;
    data[size++] = 0xff;
    data[size++] = 0xff;
    return size;
}
