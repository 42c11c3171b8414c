#ifndef PRA_CZSTD_SHIM_H
#define PRA_CZSTD_SHIM_H
#include <zstd.h>
#endif
