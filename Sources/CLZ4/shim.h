#ifndef PRA_CLZ4_SHIM_H
#define PRA_CLZ4_SHIM_H
#include <lz4frame.h>

/* LZ4F_VERSION is a macro; Swift imports it, but keep the version in one named place. */
static inline unsigned pra_lz4f_version(void) { return LZ4F_VERSION; }
#endif
