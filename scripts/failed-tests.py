#!/usr/bin/env python3
"""Names each failed test of the given .trx files with the first lines of its message.

The test command prints this after every suite has run, so a log cut to its tail still says
which tests failed and why."""
import sys
import xml.etree.ElementTree as ET

NS = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}

for path in sys.argv[1:]:
    for result in ET.parse(path).getroot().iterfind(".//t:UnitTestResult", NS):
        if result.get("outcome") != "Failed":
            continue
        message = result.findtext("t:Output/t:ErrorInfo/t:Message", "", NS).strip()
        print(f"failed: {result.get('testName')}")
        for line in message.splitlines()[:6]:
            print(f"    {line[:300]}")
