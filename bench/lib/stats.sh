# bench/lib/stats.sh: how the benchmarks read xsload's reports and sum up their repetitions.
# Sourced by bench/run.sh, restart.sh, boot-storm-report.sh and lib/measure.sh.

# field NAME: the value of NAME=<number> in the text on stdin (xsload's report lines).
field() { grep -oE "(^| )$1=[0-9.]+" | cut -d= -f2; }

# median VALUES...: their median (the mean of the middle two for an even count).
# (printf, not print: awk prints a fraction with six digits, a rate of 1234567.5 as 1.23457e+06.)
median() { printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { printf "%.12g\n", (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
