#!/usr/bin/env bash
# ./build.sh          builds everything (Release) and lays the module out in module/XenStore/<version>/
# ./build.sh test     installs the real peers the tests use (Debian packages, Xen's reference
#                     daemons), builds, runs every xunit suite, then the Pester suites under the
#                     pinned pwsh, and prints "tests: N passed, N failed, N skipped" over both
# ./build.sh package  builds the module and packs it into artifacts/XenStore.<version>.nupkg
# ./build.sh shell    builds the module and opens pwsh with it imported, in xs:/ (a daemon
#                     embedded in the session unless XENSTORED_PATH or the standard socket
#                     leads to a real xenstored)
set -euo pipefail
cd "$(dirname "$0")"
command=${1:-build}
case $command in
    build | test | package | shell) ;;
    *) echo "usage: ./build.sh [test | package | shell]" >&2; exit 2 ;;
esac

# The pinned PowerShell (.config/dotnet-tools.json), run as `dotnet pwsh`.
pwsh() { dotnet pwsh -NoLogo "$@"; }
[[ $command == build ]] || dotnet tool restore >/dev/null

case $command in
    package)
        dotnet build src/Module/XenStore.PowerShell.csproj -c Release --nologo -v quiet
        pwsh -NoProfile -File scripts/package.ps1
        exit 0 ;;
    shell)
        dotnet build src/Module/XenStore.PowerShell.csproj -c Release --nologo -v quiet
        exec dotnet pwsh -NoLogo -NoExit -Command 'Import-Module ./XenStore.psd1; Set-Location xs:/' ;;
esac

[[ $command == test ]] && scripts/install-test-peers.sh
dotnet build XenStorePS.sln -c Release --nologo -v quiet
[[ $command == test ]] || exit 0

results=$(mktemp -d /tmp/xsps-results-XXXXXX)
status=0
dotnet test XenStorePS.sln -c Release --no-build --nologo \
    --logger "trx" --logger "console;verbosity=minimal" --results-directory "$results" || status=$?
# The Pester suites run in a real pwsh, after xunit so the two never compete for the machine.
pwsh -NoProfile -File tests/Pester/run.ps1 \
    -CountsFile "$results/pester.counts" -TestResultPath "$results/pester.xml" || status=$?

# One closing line over every test project and the Pester suites, from the result files.
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
if [[ -f $results/pester.counts ]]; then
    read -r p f s <"$results/pester.counts"
    passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
else
    echo "the Pester suites did not run" >&2
    failed=$((failed + 1)); status=1
fi
rm -rf "$results"
echo "tests: $passed passed, $failed failed, $skipped skipped"
if (( passed == 0 )); then
    echo "no test ran" >&2
    exit 1
fi
exit $status
