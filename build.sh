#!/usr/bin/env bash
# ./build.sh          builds everything (Release) and lays the module out in module/XenStore/<version>/
# ./build.sh test     installs the real peers the tests use (Debian packages, Xen's reference
#                     daemons), builds, publishes the native daemon host, runs every xunit suite
#                     (tests/XenStore.Tests/Daemon/NativeHostTests.cs against the native host),
#                     then the Pester suites under the pinned pwsh, and prints the tests
#                     that failed and "tests: N passed, N failed, N skipped" over both
# ./build.sh native   publishes the daemon host (src/Daemon) as a Native AOT executable, for a
#                     smaller daemon (idle RSS 7 MB against 40 MB under the JIT), to
#                     artifacts/native/xenstored-ps, and prints that path (needs clang and zlib)
# ./build.sh package  builds the module and packs it into artifacts/XenStore.<version>.nupkg
# ./build.sh shell    builds the module and opens pwsh with it imported, in xs:/ (a daemon
#                     embedded in the session unless XENSTORED_PATH or the standard socket
#                     leads to a real xenstored)
set -euo pipefail
cd "$(dirname "$0")"
command=${1:-build}
case $command in
    build | test | native | package | shell) ;;
    *) echo "usage: ./build.sh [test | native | package | shell]" >&2; exit 2 ;;
esac

# The native host. IsAotCompatible (global, so the store compiled into it has it too) turns the
# trim and AOT analyzers on for our code, whose warnings are errors as in every build.
publish_native() {
    dotnet publish src/Daemon/XenStored.csproj -c Release --use-current-runtime --nologo -v quiet \
        -p:NativeHost=true -p:IsAotCompatible=true -o artifacts/native >&2
}

# The pinned PowerShell (.config/dotnet-tools.json), run as `dotnet pwsh`.
pwsh() { dotnet pwsh -NoLogo "$@"; }
[[ $command == build || $command == native ]] || dotnet tool restore >/dev/null

case $command in
    package)
        dotnet build src/Module/XenStore.PowerShell.csproj -c Release --nologo -v quiet
        pwsh -NoProfile -File scripts/package.ps1
        exit 0 ;;
    shell)
        dotnet build src/Module/XenStore.PowerShell.csproj -c Release --nologo -v quiet
        exec dotnet pwsh -NoLogo -NoExit -Command 'Import-Module ./XenStore.psd1; Set-Location xs:/' ;;
    native)
        publish_native
        echo "$PWD/artifacts/native/xenstored-ps"
        exit 0 ;;
esac

[[ $command == test ]] && scripts/install-test-peers.sh
# Before the solution's build: the publish restores the projects for its runtime, and the
# build's own restore then puts them back as every other command expects them.
[[ $command == test ]] && publish_native
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
scripts/failed-tests.py "$results"/*.trx || true
rm -rf "$results"
echo "tests: $passed passed, $failed failed, $skipped skipped"
if (( passed == 0 )); then
    echo "no test ran" >&2
    exit 1
fi
exit $status
