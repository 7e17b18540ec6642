// glibc's malloc tuning (mallopt), where the C library has it; a no-op elsewhere.
// Returns 1 when the C library accepted both settings (always 1 where there is nothing to set).
#if __has_include(<malloc.h>) && defined(__GLIBC__)
#include <malloc.h>
static inline int rietveld_keep_large_blocks(int mmapThreshold, int trimThreshold, int topPad) {
    int a = mallopt(M_MMAP_THRESHOLD, mmapThreshold);
    int b = mallopt(M_TRIM_THRESHOLD, trimThreshold);
    int c = mallopt(M_TOP_PAD, topPad);
    return a == 1 && b == 1 && c == 1;
}
#else
static inline int rietveld_keep_large_blocks(int mmapThreshold, int trimThreshold, int topPad) { (void)mmapThreshold; (void)trimThreshold; (void)topPad; return 1; }
#endif
