#ifndef LOGDASH_CPREFETCH_SHIM_H
#define LOGDASH_CPREFETCH_SHIM_H
// A hint that memory at `p` will be read soon (the compiler's prefetch builtin, which Swift has no
// spelling for): hash-table probes issue it rows ahead so that their cache misses overlap.
static inline void logdash_prefetch(const void *p) { __builtin_prefetch(p, 0, 3); }
#endif
