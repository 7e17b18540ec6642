#include "cpu_check.h"
#include <unistd.h>

int rietveld_built_for_haswell(void) {
#if defined(RIETVELD_HASWELL)
    return 1;
#else
    return 0;
#endif
}

int rietveld_cpu_runs_build(void) {
#if defined(RIETVELD_HASWELL) && defined(__x86_64__)
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx") && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")
        && __builtin_cpu_supports("bmi") && __builtin_cpu_supports("bmi2") && __builtin_cpu_supports("popcnt")
        && __builtin_cpu_supports("f16c") && __builtin_cpu_supports("movbe");
#else
    return 1;
#endif
}

// Runs before main (this file is compiled for any x86-64, whatever the Swift modules are compiled for).
__attribute__((constructor)) static void rietveld_check_cpu(void) {
    if (rietveld_cpu_runs_build()) return;
    static const char message[] =
        "rietveld: this build of the engine uses AVX2 and FMA instructions (it was compiled for the x86-64 level of the "
        "machine that built it), which this CPU lacks; build it on this machine, or anywhere with RIETVELD_PORTABLE=1 "
        "for any x86-64\n";
    ssize_t written = write(2, message, sizeof message - 1);
    (void)written;
    _exit(1);
}
