// Whether this CPU runs the instructions the engine was compiled for (see Package.swift: the numeric modules
// are compiled for the build machine's x86-64 level when it has AVX2 and FMA). A program linking the engine
// checks it before main and, on a CPU without them, says so in one line and exits 1 instead of trapping on
// the first such instruction.
#ifndef RIETVELD_CPU_CHECK_H
#define RIETVELD_CPU_CHECK_H

/// 1 when the engine was compiled for Haswell's instruction set (AVX2, FMA, BMI2, …), 0 for any x86-64 or
/// another architecture.
int rietveld_built_for_haswell(void);

/// 1 when this CPU runs what the engine was compiled for.
int rietveld_cpu_runs_build(void);

#endif
