#ifndef PRA_CZLIB_SHIM_H
#define PRA_CZLIB_SHIM_H
#include <zlib.h>

/* deflateInit2/inflateInit2 are macros that pass sizeof(z_stream) and the
   version string; Swift cannot import macros with arguments. */
static inline int pra_deflateInit2(z_streamp strm, int level, int windowBits, int memLevel, int strategy) {
    return deflateInit2(strm, level, Z_DEFLATED, windowBits, memLevel, strategy);
}

static inline int pra_inflateInit2(z_streamp strm, int windowBits) {
    return inflateInit2(strm, windowBits);
}
#endif
