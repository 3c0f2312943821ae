#ifndef LOGDASH_CZLIB_SHIM_H
#define LOGDASH_CZLIB_SHIM_H
#include <zlib.h>
// inflateInit2 is a macro; Swift needs a function.
static inline int logdash_inflate_init_gzip(z_stream *s) { return inflateInit2(s, 15 + 32); }
// A gzip stream (header and trailer) at `level` (1-9, or Z_DEFAULT_COMPRESSION): for the archive's .json.gz parts.
static inline int logdash_deflate_init_gzip(z_stream *s, int level) { return deflateInit2(s, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY); }
#endif
