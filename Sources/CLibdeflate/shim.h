#ifndef PRA_CLIBDEFLATE_SHIM_H
#define PRA_CLIBDEFLATE_SHIM_H
#include <libdeflate.h>
#endif
