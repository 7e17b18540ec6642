#!/usr/bin/env bash
# One shard of a sequential refinement as a Slurm array task: the K-th of N contiguous segments of the files,
# K = SLURM_ARRAY_TASK_ID (1-based), N = SLURM_ARRAY_TASK_COUNT. A requeued or restarted task resumes its own
# CSV exactly (--resume); when every task has finished, join the shards in order:
#
#   sbatch --array=1-16 scripts/slurm-sequential.sh OUT_PREFIX PATTERN_DIR --phase … --instrument … [options]
#   rietveld merge OUT_PREFIX-*.csv -o OUT.csv
#
# Every argument after OUT_PREFIX is passed to `rietveld sequential` as it is. Exit code: rietveld's (0 done,
# 3 some patterns flagged, 1 bad input); set RIETVELD to the binary if it is not on PATH.
#SBATCH --job-name=rietveld-seq
#SBATCH --cpus-per-task=2
#SBATCH --time=02:00:00
set -euo pipefail
if [[ $# -lt 2 ]]; then
    echo "usage: slurm-sequential.sh OUT_PREFIX PATTERNS… --phase CIF --instrument FILE [rietveld sequential options]" >&2
    exit 64
fi
: "${SLURM_ARRAY_TASK_ID:?not an array task: submit with sbatch --array=1-N}"
: "${SLURM_ARRAY_TASK_COUNT:?not an array task: submit with sbatch --array=1-N}"
prefix=$1
shift
k=$SLURM_ARRAY_TASK_ID
n=$SLURM_ARRAY_TASK_COUNT
if [[ -n "${SLURM_ARRAY_TASK_MIN:-}" && "$SLURM_ARRAY_TASK_MIN" != 1 ]]; then
    echo "slurm-sequential.sh: the array must be numbered from 1 (--array=1-N), not from $SLURM_ARRAY_TASK_MIN" >&2
    exit 64
fi
csv="$prefix-$k.csv"
resume=()
[[ -f "$csv" ]] && resume=(--resume)
exec "${RIETVELD:-rietveld}" sequential "$@" --shard "$k/$n" --csv "$csv" "${resume[@]}"
