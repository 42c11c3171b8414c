#ifndef PRA_DEFLATE_BLOCKS_H
#define PRA_DEFLATE_BLOCKS_H

#include <stddef.h>
#include <stdint.h>

/// Walks the raw deflate stream in `data[0..<length]` block by block, decoding every
/// Huffman code without producing output. On success stores the bit offset of the final
/// block's header and the bit offset just past the final block's end (its end-of-block code,
/// or its last stored byte) and returns 0. Returns -1 when the bytes are not a complete,
/// well-formed deflate stream.
int pra_deflate_find_final_block(const uint8_t *data, size_t length,
                                 uint64_t *final_header_bit, uint64_t *end_bit);

/// Turns a complete raw deflate stream that ends exactly at `length` into the first part of a
/// longer stream, as zlib's Z_SYNC_FLUSH ends a part: the final-block bit is cleared, the
/// padding bits after the last block are zeroed, and an empty stored block (`00 00 ff ff`)
/// brings the stream to a byte boundary, so that another part's bytes can follow as they are.
/// `capacity` must be at least `length + 5`. Returns the new length, or 0 when the stream is
/// not well formed or does not end at `length`.
size_t pra_deflate_make_continuable(uint8_t *data, size_t length, size_t capacity);

#endif
