#!/usr/bin/env bash
# ./build.sh          builds everything (Release) and lays the module out in ./module
# ./build.sh test     installs the real peers the tests use (Debian packages, Xen's reference
#                     daemons), builds, runs every test suite and prints "N passed, N failed"
set -euo pipefail
cd "$(dirname "$0")"
[[ "${1:-}" == test ]] && scripts/install-test-peers.sh
dotnet build XenStorePS.sln -c Release --nologo -v quiet
[[ "${1:-}" == test ]] || exit 0

results=$(mktemp -d /tmp/xsps-results-XXXXXX)
status=0
dotnet test XenStorePS.sln -c Release --no-build --nologo \
    --logger "trx" --logger "console;verbosity=minimal" --results-directory "$results" || status=$?

# One closing line over every test project, from the result files.
passed=0 failed=0 skipped=0
for trx in "$results"/*.trx; do
    [[ -f $trx ]] || continue
    counters=$(grep -o '<Counters [^>]*>' "$trx")
    p=$(sed -E 's/.* passed="([0-9]+)".*/\1/' <<<"$counters")
    f=$(sed -E 's/.* failed="([0-9]+)".*/\1/' <<<"$counters")
    t=$(sed -E 's/.* total="([0-9]+)".*/\1/' <<<"$counters")
    e=$(sed -E 's/.* executed="([0-9]+)".*/\1/' <<<"$counters")
    passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + t - e))
done
rm -rf "$results"
echo "tests: $passed passed, $failed failed, $skipped skipped"
if (( passed == 0 )); then
    echo "no test ran" >&2
    exit 1
fi
exit $status
