#!/usr/bin/env python3
"""Builds the cmdlets' MAML help (en-US/XenStore.PowerShell.dll-Help.xml) from the cmdlet
sources: the <para type="synopsis"> and <para type="description"> of each cmdlet class, its
<example><code> blocks, and each [Parameter] property's /// summary. Run it after changing a
cmdlet; a test checks the committed file is current."""
import pathlib
import re
import sys
from xml.sax.saxutils import escape

root = pathlib.Path(__file__).resolve().parent.parent
sources = sorted((root / "src" / "Module" / "Cmdlets").glob("*.cs"))

def clean(text):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", text)).strip()

cmdlets = []
for source in sources:
    text = source.read_text()
    for match in re.finditer(r"((?:[ \t]*///.*\n)+)\[Cmdlet\((Verbs\w+)\.(\w+), \"([\w-]+)\"[^\]]*\]\n(?:\[.*\]\n)*public sealed class (\w+)", text):
        doc, verb_class, verb, noun, cls = match.groups()
        doc = "\n".join(line.strip()[3:].strip() for line in doc.splitlines())
        synopsis = re.search(r'<para type="synopsis">(.*?)</para>', doc, re.S)
        description = re.search(r'<para type="description">(.*?)</para>', doc, re.S)
        examples = re.findall(r"<example><code>(.*?)</code></example>", doc, re.S)
        body = text[match.end():]
        end = re.search(r"\n}\n", body)
        body = body[: end.start()] if end else body
        parameters = []
        for p in re.finditer(r"((?:[ \t]*///.*\n)*)((?:[ \t]*\[.*\]\n)+)[ \t]*public ([\w\[\]?<>.]+) (\w+) \{ get; set; \}", body):
            pdoc, attributes, ptype, name = p.groups()
            if "[Parameter" not in attributes:
                continue
            summary = clean(" ".join(l.strip()[3:] for l in pdoc.splitlines()))
            mandatory = "Mandatory = true" in attributes
            parameters.append((name, ptype.rstrip("?"), summary, mandatory))
        cmdlets.append((verb, noun, clean(synopsis.group(1)) if synopsis else "", clean(description.group(1)) if description else "", examples, parameters))

out = ['<?xml version="1.0" encoding="utf-8"?>',
       '<helpItems schema="maml" xmlns="http://msh">']
for verb, noun, synopsis, description, examples, parameters in sorted(cmdlets, key=lambda c: (c[1], c[0])):
    name = f"{verb}-{noun}"
    out.append('  <command:command xmlns:maml="http://schemas.microsoft.com/maml/2004/10" xmlns:command="http://schemas.microsoft.com/maml/dev/command/2004/10" xmlns:dev="http://schemas.microsoft.com/maml/dev/2004/10">')
    out.append(f"    <command:details><command:name>{name}</command:name><command:verb>{verb}</command:verb><command:noun>{noun}</command:noun>")
    out.append(f"      <maml:description><maml:para>{escape(synopsis)}</maml:para></maml:description></command:details>")
    out.append(f"    <maml:description><maml:para>{escape(description or synopsis)}</maml:para></maml:description>")
    out.append("    <command:parameters>")
    for pname, ptype, summary, mandatory in parameters:
        out.append(f'      <command:parameter required="{str(mandatory).lower()}" globbing="false" pipelineInput="false" position="named">')
        out.append(f"        <maml:name>{pname}</maml:name><maml:description><maml:para>{escape(summary)}</maml:para></maml:description>")
        out.append(f"        <command:parameterValue required=\"{str(mandatory).lower()}\">{escape(ptype)}</command:parameterValue><dev:type><maml:name>{escape(ptype)}</maml:name></dev:type>")
        out.append("      </command:parameter>")
    out.append("    </command:parameters>")
    out.append("    <command:examples>")
    for i, code in enumerate(examples, 1):
        out.append(f"      <command:example><maml:title>-------------------------- Example {i} --------------------------</maml:title>")
        out.append(f"        <dev:code>{escape(code.strip())}</dev:code><dev:remarks><maml:para /></dev:remarks></command:example>")
    out.append("    </command:examples>")
    out.append('    <command:relatedLinks><maml:navigationLink><maml:linkText>about_XenStore</maml:linkText></maml:navigationLink></command:relatedLinks>')
    out.append("  </command:command>")
out.append("</helpItems>")
target = root / "en-US" / "XenStore.PowerShell.dll-Help.xml"
content = "\n".join(out) + "\n"
if len(sys.argv) > 1 and sys.argv[1] == "--check":
    sys.exit(0 if target.exists() and target.read_text() == content else 1)
target.write_text(content)
print(f"{target.relative_to(root)}: {len(cmdlets)} cmdlets")
