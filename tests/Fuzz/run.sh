#!/usr/bin/env bash
# Coverage-guided fuzzing of XenStore.dll with afl-fuzz (Debian's afl++) and SharpFuzz.
#
#   tests/Fuzz/run.sh smoke                  every target, 45 s each side by side, fixed seed;
#                                            exits non-zero on any crash or hang (CI runs this
#                                            through FuzzSmokeTests)
#   tests/Fuzz/run.sh long [SECONDS] [TARGET...]
#                                            a longer campaign (default 1200 s, every target);
#                                            findings stay in tests/Fuzz/work/<target>/findings
#
# Each run builds the harness, copies its output to tests/Fuzz/work/bin and instruments the
# XenStore.dll there with `dotnet sharpfuzz`: the dll the tests use is never touched.
# Seeds are tests/Fuzz/corpus/<target> (recorded client sessions: make-corpus.sh). A crash
# is copied to tests/Fuzz/work/new-crashes/<target>; move it to tests/Fuzz/crashes/<target>
# and the replay test runs it from then on. Reproduce one with
#   tests/Fuzz/work/bin/XenStore.Fuzz <target> FILE
# One line per target ends the run:
#   "fuzz <target>: execs=N paths=N found=N edges=N crashes=N hangs=N seconds=N"
# (paths: the queue, seeds included; found: paths afl found beyond the seeds; edges: branch
# pairs covered in the instrumented XenStore.dll).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
mode=${1:-smoke}
case $mode in
    smoke) seconds=${FUZZ_SECONDS:-45}; shift || true ;;
    long)  shift; seconds=${1:-1200}; shift || true ;;
    *) echo "usage: $0 smoke | long [SECONDS] [TARGET...]" >&2; exit 2 ;;
esac
targets=("$@")
(( ${#targets[@]} )) || targets=(codec daemon journal)

command -v afl-fuzz >/dev/null || { echo "afl-fuzz is not installed (scripts/install-test-peers.sh installs afl++)" >&2; exit 1; }

work=${FUZZ_WORK:-$here/work}
mkdir -p "$work"
cd "$repo"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet tool restore >/dev/null
dotnet build tests/Fuzz/XenStore.Fuzz.csproj -c Release --nologo -v quiet >/dev/null
rm -rf "$work/bin"
cp -r tests/Fuzz/bin/Release/net10.0 "$work/bin"
dotnet sharpfuzz "$work/bin/XenStore.dll" >/dev/null

# The harness is a .NET program, not a binary afl-clang built: skip afl's binary and CPU
# checks, let it run on any core (CI runs other tests beside it), and treat a run that
# exceeds 10 s as a hang (after start-up, a run takes well under a millisecond).
export AFL_SKIP_BIN_CHECK=1 AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_NO_AFFINITY=1 \
       AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_FORKSRV_INIT_TMOUT=60000
# One afl-fuzz campaign of target $1. Seen under heavy load: the forkserver's very first run
# of a seed reports an empty coverage map and afl-fuzz gives up at its dry run ("No
# instrumentation detected") before fuzzing anything. That is start-up, not a finding: the
# campaign is started again, up to three times in all.
campaign() {
    local t=$1 attempt
    for attempt in 1 2 3; do
        rm -rf "$work/$t/findings"
        # -s: a fixed seed, so a smoke run mutates the same way each time; -V: the time budget.
        afl-fuzz -s 1 -V "$seconds" -t 10000 -m none -i "tests/Fuzz/corpus/$t" -o "$work/$t/findings" \
            -- "$work/bin/XenStore.Fuzz" "$t" >"$work/$t/afl.log" 2>&1 && return 0
        grep -q "No instrumentation detected" "$work/$t/afl.log" || return 1
        echo "fuzz $t: afl-fuzz saw no coverage at its dry run; starting it again" >&2
    done
    return 1
}

pids=()
for t in "${targets[@]}"; do
    [[ -d tests/Fuzz/corpus/$t ]] || { echo "no corpus for target '$t'" >&2; exit 2; }
    rm -rf "$work/$t"
    mkdir -p "$work/$t"
    campaign "$t" &
    pids+=($!)
done
status=0
for pid in "${pids[@]}"; do wait "$pid" || status=1; done

stat() { sed -nE "s/^$2 *: *([0-9]+).*/\1/p" "$1"; }
for t in "${targets[@]}"; do
    stats=$work/$t/findings/default/fuzzer_stats
    if [[ ! -f $stats ]]; then
        echo "fuzz $t: afl-fuzz did not start; the end of its log:" >&2
        tail -n 30 "$work/$t/afl.log" >&2
        status=1
        continue
    fi
    # A hang does not reach saved_hangs: on the timeout afl-fuzz kills the harness, which is
    # SharpFuzz's in-process forkserver itself, and aborts. The input it was running is kept.
    if grep -q "PROGRAM ABORT" "$work/$t/afl.log"; then
        mkdir -p "$work/new-crashes/$t"
        cur=$work/$t/findings/default/.cur_input
        name=aborted-$(sha1sum "$cur" | cut -c1-16)
        cp "$cur" "$work/new-crashes/$t/$name"
        echo "fuzz $t: afl-fuzz aborted (the harness died or hung); last input -> $work/new-crashes/$t/$name" >&2
        grep -a "PROGRAM ABORT" -A1 "$work/$t/afl.log" >&2
        status=1
    fi
    execs=$(stat "$stats" execs_done) paths=$(stat "$stats" corpus_count)
    found=$(stat "$stats" corpus_found) edges=$(stat "$stats" edges_found)
    crashes=$(stat "$stats" saved_crashes) hangs=$(stat "$stats" saved_hangs)
    echo "fuzz $t: execs=$execs paths=$paths found=$found edges=$edges crashes=$crashes hangs=$hangs seconds=$seconds"
    if (( crashes + hangs > 0 )); then
        status=1
        mkdir -p "$work/new-crashes/$t"
        for f in "$work/$t/findings/default/crashes"/id:* "$work/$t/findings/default/hangs"/id:*; do
            [[ -f $f ]] || continue
            cp "$f" "$work/new-crashes/$t/$(sha1sum "$f" | cut -c1-16)"
            echo "  $(basename "$f") -> $work/new-crashes/$t/$(sha1sum "$f" | cut -c1-16)"
        done
    fi
done
exit $status
