#!/usr/bin/env bash
# One prepared GPU window (issue 31): resume the named stages from their latest weights, train them side by
# side on one GPU, evaluate each on val/, and leave everything in one tarball. GPU time goes on training only.
#
#   bash scripts/gpu_window.sh STAGE...
#
# A stage is a line "NAME OP ARGS..." of any array *_STAGES in scripts/stages_*.sh (another list of files:
# STAGE_FILES="a.sh b.sh"); its ARGS start it from bundled weights (--init $BUNDLED/...) or from another
# stage ($RUNS/NAME.safetensors). A stage found in PREV (the folder or tarball of an earlier window) resumes
# there instead (--resume: weights, optimiser state and step), and $RUNS points into PREV.
#
# Environment, with defaults:
#   DATA, VAL   .gpu/corpus/{train,val} when present (the resized copies a `run` carries), else ../shared/corpus/...
#   CACHE       .gpu/cache: reference targets, computed once; a dry run here fills it, so carry it along
#   OUT         window-out: NAME.safetensors (+ .json, .state), NAME.log, NAME.eval.json, summary.md, machine.txt,
#               and all of it in window.tar.gz (split into PART_MB=15 MiB parts .part-aa, -ab... when larger: the
#               device returns files of up to 16 MiB); PREV takes either
#   MINUTES     7: training minutes, all stages at once; with start-up and the evaluation the window stays under 9
#   DEVICE      cuda; DEVICE=cpu is a dry run here (MINUTES 0.05 unless given, no compile)
#   COMPILE     1 on a GPU (torch.compile with CUDA graphs), 0 on the CPU
#   JPEG_EVAL   90: also restore after JPEG at this quality in the evaluation
#   TOGETHER    0: one process per stage, side by side; 1: all stages in one process (restorable train-together:
#               stages of one network shape, batch and crop step as one batched computation, other shapes take turns),
#               its log in together.log and each stage's lines in NAME.log
set -uo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1 RESTORABLE_OFFLINE=1 OMP_WAIT_POLICY=PASSIVE
[ $# -ge 1 ] || { echo "usage: bash scripts/gpu_window.sh STAGE... (names of scripts/stages_*.sh lines)" >&2; exit 2; }
DEVICE=${DEVICE:-cuda}
if [ "$DEVICE" = cpu ]; then MINUTES=${MINUTES:-0.05} COMPILE=${COMPILE:-0}; else MINUTES=${MINUTES:-7} COMPILE=${COMPILE:-1}; fi
corpus() { if [ -d ".gpu/corpus/$1" ]; then echo ".gpu/corpus/$1"; else echo "../shared/corpus/$1"; fi; }
DATA=${DATA:-$(corpus train)} VAL=${VAL:-$(corpus val)} CACHE=${CACHE:-.gpu/cache} OUT=${OUT:-window-out}
started=$(date +%s)
mkdir -p "$OUT" "$CACHE"
restorable() { python3 -c 'import sys; from restorable.cli import main; sys.argv[0] = "restorable"; main()' "$@"; }
say() { echo "== $* (+$(( $(date +%s) - started )) s)"; }

# the previous window: a tarball is unpacked beside this window's output
RUNS=$OUT
if [ -n "${PREV:-}" ]; then
  if [ -f "$PREV" ] || [ -f "$PREV.part-aa" ]; then
    mkdir -p "$OUT/prev"
    if [ -f "$PREV" ]; then tar -xzf "$PREV" -C "$OUT/prev"; else cat "$PREV".part-* | tar -xz -C "$OUT/prev"; fi
    RUNS=$OUT/prev
  else
    RUNS=$PREV
  fi
fi
BUNDLED=restorable/weights/bundled

# the stage lines, from every stage file
declare -A LINE=()
for file in ${STAGE_FILES:-scripts/stages_*.sh}; do
  # shellcheck disable=SC1090  # stage files are data
  source "$file"
  for array in $(compgen -A arrayvar | grep '_STAGES'); do
    declare -n lines=$array
    for line in "${lines[@]}"; do LINE[${line%% *}]=$line; done
    unset -n lines
  done
done
for name in "$@"; do
  [ -n "${LINE[$name]:-}" ] || { echo "error: no stage $name in ${STAGE_FILES:-scripts/stages_*.sh}" >&2; exit 2; }
done

say "machine"
{
  python3 -c 'import platform, torch; print(f"python {platform.python_version()}, torch {torch.__version__}"); [print(torch.cuda.get_device_name(i)) for i in range(torch.cuda.device_count())]'
  echo "$(nproc) cores"
  command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
} >"$OUT/machine.txt" 2>&1
cat "$OUT/machine.txt"
command -v nvidia-smi >/dev/null && [ "$DEVICE" != cpu ] && { nvidia-smi dmon -s u -d 5 >"$OUT/dmon.txt" 2>&1 & }

say "training ${*} for $MINUTES min on $DEVICE"
cores=$(nproc) per=$(( $(nproc) / $# )); [ "$per" -ge 1 ] || per=1
compile=(--compile); [ "$COMPILE" = 1 ] || compile=(--no-compile)
pids=() i=0 together=()
cli='import sys; from restorable.cli import main; sys.argv[0] = "restorable"; main()'
limit="timeout --signal=INT --kill-after=30 $(python3 -c "print(int($MINUTES * 60 + 120))")"
: >"$OUT/stages.txt"
for name in "$@"; do
  read -r _ op args <<<"${LINE[$name]}"
  read -ra args <<<"$args"
  ckpt=$OUT/$name.safetensors start=()
  if [ -f "$RUNS/$name.safetensors" ] && [ -f "$RUNS/$name.safetensors.state" ] && [ "$RUNS" != "$OUT" ]; then
    cp "$RUNS/$name.safetensors" "$RUNS/$name.safetensors.json" "$RUNS/$name.safetensors.state" "$OUT/" 2>/dev/null
    start=(--resume) kept=() skip=0
    for arg in "${args[@]}"; do  # a resumed run is the run it was: no new start, no grown blocks
      if [ $skip = 1 ]; then skip=0; continue; fi
      case $arg in --init|--grow-blocks|--grow-fusion) skip=1 ;; *) kept+=("$arg") ;; esac
    done
    args=("${kept[@]}")
  fi
  echo "$name $op ${start[*]:-new}" >>"$OUT/stages.txt"
  run=(--op "$op" --data "$DATA" --val "$VAL" --cache "$CACHE" --out "$ckpt" --aux reference --val-every 500
    "${args[@]}" "${start[@]}" --device "$DEVICE" "${compile[@]}" --minutes "$MINUTES" --save-minutes 1
    --stage "scripts/gpu_window.sh $name")
  if [ "${TOGETHER:-0}" = 1 ]; then  # one process for all: the run's options as one --run value
    together+=(--run "$(printf '%q ' "${run[@]}")")
    continue
  fi
  first=$(( (i * per) % cores )) last=$(( (i * per) % cores + per - 1 ))
  $limit taskset -c "$first-$last" python3 -c "$cli" train "${run[@]}" >"$OUT/$name.log" 2>&1 &
  pids+=($!) i=$((i + 1))
done
status=0
if [ "${TOGETHER:-0}" = 1 ]; then
  $limit python3 -c "$cli" train-together "${together[@]}" >"$OUT/together.log" 2>&1 || status=1
  for name in "$@"; do grep -a "^$name: " "$OUT/together.log" >"$OUT/$name.log"; done
  tail -3 "$OUT/together.log"
fi
for pid in "${pids[@]}"; do wait "$pid" || status=1; done
for name in "$@"; do printf '%s: %s\n' "$name" "$(tr '\r' '\n' <"$OUT/$name.log" | grep -v '^\s*$' | tail -1)"; done

say "evaluation on $VAL"
for name in "$@"; do
  [ -f "$OUT/$name.safetensors" ] || continue
  restorable eval --ckpt "$OUT/$name.safetensors" --data "$VAL" --cache "$CACHE" --jpeg "${JPEG_EVAL:-90}" \
    --device "$DEVICE" --json >"$OUT/$name.eval.json" 2>"$OUT/$name.eval.log" || status=1
done
python3 scripts/window_report.py "$OUT" | tee "$OUT/summary.md"

say "packing"
kill %1 2>/dev/null
files=(machine.txt stages.txt summary.md)
[ -f "$OUT/dmon.txt" ] && files+=(dmon.txt)
[ -f "$OUT/together.log" ] && files+=(together.log)
for name in "$@"; do
  for f in "$name.safetensors" "$name.safetensors.json" "$name.safetensors.state" "$name.log" "$name.eval.json" "$name.eval.log"; do
    [ -f "$OUT/$f" ] && files+=("$f")
  done
done
rm -f "$OUT"/window.tar.gz "$OUT"/window.tar.gz.part-*
tar -czf "$OUT/window.tar.gz" -C "$OUT" "${files[@]}"
part=$(python3 -c "print(int(${PART_MB:-15} * 2**20))")
if [ "$(stat -c %s "$OUT/window.tar.gz")" -gt "$part" ]; then
  split -b "$part" "$OUT/window.tar.gz" "$OUT/window.tar.gz.part-" && rm "$OUT/window.tar.gz"
fi
say "done: $(cd "$OUT" && ls window.tar.gz* | tr '\n' ' ')"
exit $status
