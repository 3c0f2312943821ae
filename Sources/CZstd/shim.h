#ifndef LOGDASH_CZSTD_SHIM_H
#define LOGDASH_CZSTD_SHIM_H
#include <zstd.h>
// ZSTD_isError and ZSTD_CONTENTSIZE_ERROR are usable as they are; nothing to wrap.
#endif
