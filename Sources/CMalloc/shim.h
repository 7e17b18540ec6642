// glibc's malloc tuning (mallopt), where the C library has it; a no-op elsewhere.
#if __has_include(<malloc.h>) && defined(__GLIBC__)
#include <malloc.h>
static inline void rietveld_keep_large_blocks(int mmapThreshold, int trimThreshold) {
    mallopt(M_MMAP_THRESHOLD, mmapThreshold);
    mallopt(M_TRIM_THRESHOLD, trimThreshold);
}
#else
static inline void rietveld_keep_large_blocks(int mmapThreshold, int trimThreshold) { (void)mmapThreshold; (void)trimThreshold; }
#endif
