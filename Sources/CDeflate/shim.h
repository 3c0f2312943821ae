#ifndef LOGDASH_CDEFLATE_SHIM_H
#define LOGDASH_CDEFLATE_SHIM_H
// libdeflate: whole-buffer DEFLATE/gzip, about 1.6 times zlib's speed at the same level with
// smaller output (BENCHMARKS.md). Used for the gzip parts archives and sinks write.
#include <libdeflate.h>
#endif
