// glibc's malloc tuning (mallopt), where the C library has it; a no-op elsewhere.
// Returns 1 when the C library accepted every setting, 0 where it has no mallopt.
// <malloc.h> comes first: __GLIBC__ is defined by the C library's own headers, so testing it before any is
// included always failed (the settings were never applied until December 2026).
#if __has_include(<malloc.h>)
#include <malloc.h>
#endif
#if defined(__GLIBC__) && defined(M_MMAP_THRESHOLD)
static inline int rietveld_keep_large_blocks(int mmapThreshold, int trimThreshold, int topPad) {
    int a = mallopt(M_MMAP_THRESHOLD, mmapThreshold);
    int b = mallopt(M_TRIM_THRESHOLD, trimThreshold);
    int c = mallopt(M_TOP_PAD, topPad);
    return a == 1 && b == 1 && c == 1;
}
#else
static inline int rietveld_keep_large_blocks(int mmapThreshold, int trimThreshold, int topPad) { (void)mmapThreshold; (void)trimThreshold; (void)topPad; return 0; }
#endif
