#!/usr/bin/env python3
"""Records XenStore.dll's public API in src/Store/PublicAPI.Unshipped.txt.

The build checks the declared API (PublicAPI.Shipped.txt plus PublicAPI.Unshipped.txt) against
the code with Microsoft.CodeAnalysis.PublicApiAnalyzers: a public symbol that is not declared
(RS0016) or a declared one that is gone (RS0017) fails it. After a deliberate change to the
public API, run this script and commit the file with the change, so the review shows the API
difference. It empties the unshipped file, builds the library once and writes back every symbol
RS0016 names (the exact lines the analyzer expects), plus a *REMOVED* line for each shipped
symbol RS0017 says is gone; then it builds again to check.

On a release, move the unshipped lines into PublicAPI.Shipped.txt by hand."""
import pathlib
import re
import subprocess
import sys

root = pathlib.Path(__file__).resolve().parent.parent
project = root / "src" / "Store" / "XenStore.csproj"
unshipped = project.parent / "PublicAPI.Unshipped.txt"
header = "#nullable enable\n"


def build(*extra):
    result = subprocess.run(
        ["dotnet", "build", str(project), "-c", "Release", "--nologo", "--no-incremental", *extra],
        cwd=root, capture_output=True, text=True)
    return result.returncode, result.stdout + result.stderr


def symbols(output, rule, text):
    pattern = re.compile(rf"{rule}: Symbol '(.+)' {re.escape(text)}")
    return {m.group(1) for m in pattern.finditer(output)}


unshipped.write_text(header)
_, output = build("-p:TreatWarningsAsErrors=false")
added = symbols(output, "RS0016", "is not part of the declared public API")
removed = symbols(output, "RS0017", "is part of the declared API, but is either not public or could not be found")
unshipped.write_text(header + "".join(line + "\n" for line in sorted(added) + sorted("*REMOVED*" + s for s in removed)))
print(f"{unshipped.relative_to(root)}: {len(added)} symbols" + (f", {len(removed)} removed" if removed else ""))

code, output = build()
if code != 0:
    print("\n".join(sorted({line for line in output.splitlines() if ": error " in line})), file=sys.stderr)
    sys.exit("the library does not build with the recorded API")
