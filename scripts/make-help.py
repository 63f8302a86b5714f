#!/usr/bin/env python3
"""Builds the cmdlets' MAML help (en-US/XenStore.PowerShell.dll-Help.xml) from the cmdlet
sources: the <para type="synopsis"> and <para type="description"> of each cmdlet class, its
<example><code> blocks, and each [Parameter] property's /// summary, position, parameter set,
pipeline input and aliases (the syntax lines come from the parameter sets). Run it after changing a
cmdlet; a test checks the committed file is current."""
import pathlib
import re
import sys
from xml.sax.saxutils import escape

root = pathlib.Path(__file__).resolve().parent.parent
sources = sorted((root / "src" / "Module" / "Cmdlets").glob("*.cs"))

def clean(text):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", text)).strip()

def parameter(name, ptype, summary, attributes):
    """What Get-Help shows of a parameter, read from its [Parameter], [Alias] and summary."""
    declaration = re.search(r"\[Parameter\(([^\]]*)\)\]", attributes)
    arguments = declaration.group(1) if declaration else ""
    position = re.search(r"Position = (\d+)", arguments)
    parameter_set = re.search(r'ParameterSetName = "(\w+)"', arguments)
    aliases = re.search(r"\[Alias\(([^)]*)\)\]", attributes)
    pipeline = [kind for kind, flag in (("ByValue", "ValueFromPipeline = true"), ("ByPropertyName", "ValueFromPipelineByPropertyName = true")) if flag in arguments]
    return {
        "name": name,
        "type": ptype,
        "summary": summary,
        "mandatory": "Mandatory = true" in arguments,
        "position": position.group(1) if position else "named",
        "set": parameter_set.group(1) if parameter_set else None,
        "aliases": ", ".join(re.findall(r'"(\w+)"', aliases.group(1))) if aliases else "none",
        "pipeline": f"true ({', '.join(pipeline)})" if pipeline else "false",
        # A parameter that says it takes wildcards (and not that it takes none) expands them.
        "globbing": "wildcard" in summary.lower() and "no wildcard" not in summary.lower(),
        "hidden": "DontShow = true" in arguments,
    }

def parameter_xml(p, indent):
    required = str(p["mandatory"]).lower()
    lines = [f'{indent}<command:parameter required="{required}" globbing="{str(p["globbing"]).lower()}" pipelineInput="{p["pipeline"]}" position="{p["position"]}" aliases="{escape(p["aliases"])}">',
             f"{indent}  <maml:name>{p['name']}</maml:name><maml:description><maml:para>{escape(p['summary'])}</maml:para></maml:description>"]
    if p["type"] != "SwitchParameter":
        lines.append(f"{indent}  <command:parameterValue required=\"{required}\">{escape(p['type'])}</command:parameterValue>")
    lines.append(f"{indent}  <dev:type><maml:name>{escape(p['type'])}</maml:name></dev:type>")
    lines.append(f"{indent}</command:parameter>")
    return lines

def syntax(name, parameters):
    """One syntax line per parameter set, as Get-Help shows them (a parameter of no set is in every set)."""
    sets = sorted({p["set"] for p in parameters if p["set"]}) or [None]
    out = ["    <command:syntax>"]
    for parameter_set in sets:
        out.append(f"      <command:syntaxItem><maml:name>{name}</maml:name>")
        members = [p for p in parameters if not p["hidden"] and (p["set"] is None or p["set"] == parameter_set)]
        members.sort(key=lambda p: (p["position"] == "named", int(p["position"]) if p["position"] != "named" else 0))
        for p in members:
            out.extend(parameter_xml(p, "        "))
        out.append("      </command:syntaxItem>")
    out.append("    </command:syntax>")
    return out

def class_body(text, start):
    """The text of a class from just after its declaration to its closing brace at the left margin."""
    body = text[start:]
    end = re.search(r"\n}\n", body)
    return body[: end.start()] if end else body

def parameters_of(body):
    found = []
    for p in re.finditer(r"((?:[ \t]*///.*\n)*)((?:[ \t]*\[.*\]\n)+)[ \t]*public ([\w\[\]?<>.]+) (\w+) \{ get; set; \}", body):
        pdoc, attributes, ptype, name = p.groups()
        if "[Parameter" not in attributes:
            continue
        summary = clean(" ".join(l.strip()[3:] for l in pdoc.splitlines()))
        found.append(parameter(name, ptype.rstrip("?"), summary, attributes))
    return found

# Parameters declared by abstract cmdlet bases (EndTransactionCmdlet's -Drive), for the cmdlets that derive from them.
base_parameters = {}
for source in sources:
    text = source.read_text()
    for match in re.finditer(r"public abstract class (\w+)[^\n]*\n", text):
        base_parameters[match.group(1)] = parameters_of(class_body(text, match.end()))

cmdlets = []
for source in sources:
    text = source.read_text()
    for match in re.finditer(r"((?:[ \t]*///.*\n)+)\[Cmdlet\((Verbs\w+)\.(\w+), \"([\w-]+)\"[^\]]*\]\n(?:\[.*\]\n)*public sealed class (\w+)(?: : (\w+))?", text):
        doc, verb_class, verb, noun, cls, base = match.groups()
        doc = "\n".join(line.strip()[3:].strip() for line in doc.splitlines())
        synopsis = re.search(r'<para type="synopsis">(.*?)</para>', doc, re.S)
        description = re.search(r'<para type="description">(.*?)</para>', doc, re.S)
        examples = re.findall(r"<example><code>(.*?)</code></example>", doc, re.S)
        parameters = base_parameters.get(base, []) + parameters_of(class_body(text, match.end()))
        if "SupportsShouldProcess = true" in match.group(0):
            # The engine adds these to every cmdlet that supports ShouldProcess.
            parameters.append(parameter("WhatIf", "SwitchParameter", "Shows what the command would change, and changes nothing.", '[Parameter]\n[Alias("wi")]\n'))
            parameters.append(parameter("Confirm", "SwitchParameter", "Asks before each change.", '[Parameter]\n[Alias("cf")]\n'))
        cmdlets.append((verb, noun, clean(synopsis.group(1)) if synopsis else "", clean(description.group(1)) if description else "", examples, parameters))

out = ['<?xml version="1.0" encoding="utf-8"?>',
       '<helpItems schema="maml" xmlns="http://msh">']
for verb, noun, synopsis, description, examples, parameters in sorted(cmdlets, key=lambda c: (c[1], c[0])):
    name = f"{verb}-{noun}"
    out.append('  <command:command xmlns:maml="http://schemas.microsoft.com/maml/2004/10" xmlns:command="http://schemas.microsoft.com/maml/dev/command/2004/10" xmlns:dev="http://schemas.microsoft.com/maml/dev/2004/10">')
    out.append(f"    <command:details><command:name>{name}</command:name><command:verb>{verb}</command:verb><command:noun>{noun}</command:noun>")
    out.append(f"      <maml:description><maml:para>{escape(synopsis)}</maml:para></maml:description></command:details>")
    out.append(f"    <maml:description><maml:para>{escape(description or synopsis)}</maml:para></maml:description>")
    out.extend(syntax(name, parameters))
    out.append("    <command:parameters>")
    for p in parameters:
        out.extend(parameter_xml(p, "      "))
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
