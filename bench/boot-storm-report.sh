#!/usr/bin/env bash
# bench/boot-storm-report.sh CSV: the Markdown table of medians of a boot storm's raw rows
# (as bench/boot-storm.sh writes them), per number of domains and target, and how our
# daemon's time compares with the better reference daemon's. Medians are over the storms
# that finished; a target none of whose storms of a size finished shows the one that timed
# out, as far as it got. bench/boot-storm.sh ends with it; run it alone on a CSV of an
# earlier or interrupted run.
set -euo pipefail
CSV=$1

# shellcheck source=lib/stats.sh
source "$(dirname "$0")/lib/stats.sh"
col() {  # col DOMAINS TARGET COLUMN-NAME [COMPLETED=1]: that column's values, one per repetition
    awk -F, -v n="$1" -v t="$2" -v c="$3" -v done="${4:-1}" '
        NR==1 { for (i = 1; i <= NF; i++) { if ($i == c) k = i; if ($i == "completed") d = i } next }
        $1 == n && $3 == t && $d == done { print $k }' "$CSV"
}
med() { median $(col "$@"); }   # med DOMAINS TARGET COLUMN-NAME [COMPLETED=1]: their median
# Sizes and targets in the order they first appear.
mapfile -t SIZES < <(awk -F, 'NR > 1 && !seen[$1]++ { print $1 }' "$CSV")
mapfile -t TARGETS < <(awk -F, 'NR > 1 && !seen[$3]++ { print $3 }' "$CSV")

echo "| domains | daemon | guests on | repetitions | seconds until all Connected | EAGAIN retries | requests | daemon CPU (s) | daemon CPU per request (µs) | client CPU (s) | found by poll |"
echo "|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"
for n in "${SIZES[@]}"; do
    for t in "${TARGETS[@]}"; do
        reps=$(col "$n" "$t" seconds | wc -l)
        done=1
        if (( reps == 0 )); then
            # No storm of this size finished on this target: the one that timed out, as far as it got.
            reps=$(col "$n" "$t" seconds 0 | wc -l)
            (( reps > 0 )) || continue
            done=0
        fi
        cpu=$(med "$n" "$t" daemon_cpu_s $done)
        reqs=$(med "$n" "$t" requests $done)
        secs=$(printf '%.2f' "$(med "$n" "$t" seconds $done)")
        (( done )) || secs="did not finish in $secs"
        printf '| %s | %s | %s | %s | %s | %.0f | %.0f | %.2f | %.1f | %.2f | %.0f |\n' "$n" "$t" \
            "$(col "$n" "$t" guests $done | head -1)" "$reps" "$secs" "$(med "$n" "$t" eagain $done)" \
            "$reqs" "$cpu" "$(awk -v c="$cpu" -v r="$reqs" 'BEGIN { print 1e6 * c / r }')" \
            "$(med "$n" "$t" client_cpu_s $done)" "$(med "$n" "$t" found_by_poll $done)"
    done
done
echo
for n in "${SIZES[@]}"; do
    # The better reference daemon: the lower median time of those that finished.
    best=$(for t in cxenstored oxenstored; do
               [[ -n $(col "$n" "$t" seconds) ]] && echo "$(med "$n" "$t" seconds) $t" || true
           done | sort -g | head -1)
    if [[ -z $best ]]; then
        # No reference daemon finished: their timeout bounds the ratio from above.
        limit=$(for t in cxenstored oxenstored; do col "$n" "$t" seconds 0; done | sort -g | head -1)
        [[ -n $limit ]] || continue
        for t in ours ours-ring; do
            [[ -n $(col "$n" "$t" seconds) ]] || continue
            printf '%s domains: no reference daemon finished within %.0f s; %s took %.2f s, at most %.2f× their time (target: at most 0.5×).  \n' \
                "$n" "$limit" "$t" "$(med "$n" "$t" seconds)" "$(awk -v a="$(med "$n" "$t" seconds)" -v b="$limit" 'BEGIN { print a / b }')"
        done
        continue
    fi
    read -r bs bt <<<"$best"
    for t in ours ours-ring; do
        [[ -n $(col "$n" "$t" seconds) ]] || continue
        printf '%s domains: %s took %.2f× the time of %s (target: at most 0.5×).  \n' "$n" "$t" \
            "$(awk -v a="$(med "$n" "$t" seconds)" -v b="$bs" 'BEGIN { print a / b }')" "$bt"
    done
done
