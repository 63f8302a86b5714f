#!/usr/bin/env python3
"""Builds the cmdlets' MAML help (en-US/XenStore.PowerShell.dll-Help.xml) from the cmdlet
sources: the <para type="synopsis"> and <para type="description"> of each cmdlet class, its
<example><code> blocks, and each [Parameter] property's /// summary, position, parameter set,
pipeline input and aliases (the syntax lines come from the parameter sets). Then the provider's help
(<providerHelp>, for Get-Help XenStore -Category Provider, and the provider-specific cmdlet help
Get-Help <cmdlet> -Path xs: shows): see provider_help() for its sources. Run it after changing a
cmdlet or those sources; a test checks the committed file is current."""
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
    # A parameter may be declared in several sets, one [Parameter] each (mandatory in some).
    sets = re.findall(r'\[Parameter\([^\]]*ParameterSetName = "(\w+)"', attributes)
    aliases = re.search(r"\[Alias\(([^)]*)\)\]", attributes)
    pipeline = [kind for kind, flag in (("ByValue", "ValueFromPipeline = true"), ("ByPropertyName", "ValueFromPipelineByPropertyName = true")) if flag in arguments]
    return {
        "name": name,
        "type": ptype,
        "summary": summary,
        "mandatory": "Mandatory = true" in arguments,
        "position": position.group(1) if position else "named",
        "sets": sets or None,
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
    sets = sorted({s for p in parameters for s in (p["sets"] or [])}) or [None]
    out = ["    <command:syntax>"]
    for parameter_set in sets:
        out.append(f"      <command:syntaxItem><maml:name>{name}</maml:name>")
        members = [p for p in parameters if not p["hidden"] and (p["sets"] is None or parameter_set in p["sets"])]
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


MAML_NS = ('xmlns:maml="http://schemas.microsoft.com/maml/2004/10" xmlns:command="http://schemas.microsoft.com/maml/dev/command/2004/10" '
           'xmlns:dev="http://schemas.microsoft.com/maml/dev/2004/10"')

def paras(text, indent):
    return [f"{indent}<para>{escape(p)}</para>" for p in text] or [f"{indent}<para />"]

def about_sections(path):
    """An about_ topic's top-level sections (SHORT DESCRIPTION...) and the subsections of LONG
    DESCRIPTION (ITEMS, CONTENT...), each as its prose paragraphs and its examples (the lines
    indented by eight spaces; a blank line or prose ends an example)."""
    top, subsections, current = {}, [], None
    for line in path.read_text().splitlines():
        if line and not line.startswith(" "):
            current = top.setdefault(line.strip(), {"prose": [], "examples": []})
            continue
        if re.match(r"^  [A-Z][A-Z ]+$", line):
            current = {"title": line.strip(), "prose": [], "examples": []}
            subsections.append(current)
            continue
        if current is None:
            continue
        if line.startswith("        "):
            if current.get("open") != "example":
                current["examples"].append([])
            current["examples"][-1].append(line[8:].rstrip())
            current["open"] = "example"
        elif line.strip():
            if current.get("open") != "prose":
                current["prose"].append("")
            current["prose"][-1] = (current["prose"][-1] + " " + line.strip()).strip()
            current["open"] = "prose"
        else:
            current["open"] = None
    return top, subsections

def provider_source(path):
    """XenStoreProvider.help.md: ## sections of paragraphs, "- Name <Type>: text" parameters
    and examples indented by four spaces."""
    sections, current = [], None
    for line in path.read_text().splitlines():
        if line.startswith("## "):
            current = {"title": line[3:].strip(), "paras": [], "parameters": [], "examples": [], "fields": {}, "open": None}
            sections.append(current)
            continue
        if current is None:
            continue
        if line.startswith("    "):
            if current["open"] != "example":
                current["examples"].append([])
            current["examples"][-1].append(line[4:].rstrip())
            current["open"] = "example"
        elif m := re.match(r"^- (\w+) <([\w.\[\]]+)>: (.*)$", line):
            current["parameters"].append((m.group(1), m.group(2), m.group(3)))
            current["open"] = None
        elif m := re.match(r"^(Cmdlets|Type): (.*)$", line):
            current["fields"][m.group(1)] = m.group(2).strip()
        elif line.strip():
            if current["open"] != "prose":
                current["paras"].append("")
            current["paras"][-1] = (current["paras"][-1] + " " + line.strip()).strip()
            current["open"] = "prose"
        else:
            current["open"] = None
    return sections

def example_xml(number, code, indent):
    return [f"{indent}<Example>",
            f"{indent}  <Title>-------------------------- Example {number} --------------------------</Title>",
            f"{indent}  <Introduction><para /></Introduction>",
            f"{indent}  <Code>{escape(chr(10).join(code).strip())}</Code>",
            f"{indent}  <Remarks><para /></Remarks>",
            f"{indent}</Example>"]

def provider_help():
    """<providerHelp>: Name, Drives, Synopsis, DetailedDescription and Tasks come from
    about_XenStore_Provider (its sections) and XenStoreProvider.help.md (Drives); Capabilities from
    the provider's [CmdletProvider] attribute; DynamicParameters from DriveParameters.cs (New-PSDrive)
    and XenStoreProvider.help.md; CmdletHelpPaths (the help GetHelpMaml returns) from
    XenStoreProvider.help.md."""
    provider_dir = root / "src" / "Provider"
    top, subsections = about_sections(root / "en-US" / "about_XenStore_Provider.help.txt")
    source = provider_source(provider_dir / "XenStoreProvider.help.md")
    by_title = {s["title"]: s for s in source}
    attribute = re.search(r"\[CmdletProvider\(ProviderName, ([^\]]*)\)\]", (provider_dir / "XenStoreProvider.cs").read_text())
    capabilities = re.findall(r"ProviderCapabilities\.(\w+)", attribute.group(1)) if attribute else []
    out = ["  <providerHelp>",
           "    <Name>XenStore</Name>",
           "    <Drives>", *paras(by_title["Drives"]["paras"], "      "), "    </Drives>",
           f"    <Synopsis>{escape(' '.join(top['SHORT DESCRIPTION']['prose']))}</Synopsis>",
           "    <DetailedDescription>", *paras(top["LONG DESCRIPTION"]["prose"], "      "), "    </DetailedDescription>",
           "    <Capabilities>", *paras([", ".join(capabilities)], "      "), "    </Capabilities>",
           "    <Filters><para>-Filter, -Include and -Exclude take case-sensitive wildcards, matched against node names.</para></Filters>",
           "    <Notes />",
           "    <Tasks>"]
    number = 0
    for task in subsections:
        out.append("      <Task>")
        out.append(f"        <Title>{escape(task['title'].capitalize())}</Title>")
        out.append("        <Description>")
        out.extend(paras(task["prose"], "          "))
        out.append("        </Description>")
        out.append("        <Examples>")
        for code in task["examples"]:
            number += 1
            out.extend(example_xml(number, code, "          "))
        out.append("        </Examples>")
        out.append("      </Task>")
    out.append("    </Tasks>")
    dynamic = []
    for section in source:
        if section["title"].startswith("Dynamic parameter "):
            dynamic.append((section["title"].split()[-1], section["fields"]["Type"], " ".join(section["paras"]), section["fields"]["Cmdlets"]))
    for p in parameters_of((provider_dir / "DriveParameters.cs").read_text()):
        ptype = "System.Management.Automation.SwitchParameter" if p["type"] == "SwitchParameter" else f"System.{p['type'].capitalize()}"
        dynamic.append((p["name"], ptype, p["summary"], "New-PSDrive"))
    out.append("    <DynamicParameters>")
    for name, ptype, description, supported in dynamic:
        out.append("      <DynamicParameter>")
        out.append(f"        <Name>{name}</Name>")
        out.append(f"        <CmdletSupported>{escape(supported)}</CmdletSupported>")
        out.append(f"        <Type><Name>{escape(ptype)}</Name></Type>")
        out.append(f"        <Description>{escape(description)}</Description>")
        out.append("      </DynamicParameter>")
    out.append("    </DynamicParameters>")
    out.append("    <RelatedLinks>")
    for link in ("about_XenStore_Provider", "about_XenStore", "about_Providers"):
        out.append(f"      <navigationLink><linkText>{link}</linkText><uri /></navigationLink>")
    out.append("    </RelatedLinks>")
    out.append("    <CmdletHelpPaths>")
    out.append('      <CmdletHelpPath id="XenStore">')
    for section in source:
        if not section["title"].startswith("Cmdlet "):
            continue
        name = section["title"].split()[-1]
        verb, noun = name.split("-", 1)
        parameters = [{"name": n, "type": t, "summary": s, "mandatory": False, "position": "named", "sets": None,
                       "aliases": "none", "pipeline": "false", "globbing": "wildcard" in s.lower(), "hidden": False}
                      for n, t, s in section["parameters"]]
        out.append(f"        <command:command {MAML_NS}>")
        out.append(f"          <command:details><command:name>{name}</command:name><command:verb>{verb}</command:verb><command:noun>{noun}</command:noun>")
        out.append(f"            <maml:description><maml:para>{escape(section['paras'][0])}</maml:para></maml:description></command:details>")
        out.append("          <maml:description>")
        out.extend(f"            <maml:para>{escape(p)}</maml:para>" for p in section["paras"][1:] or section["paras"][:1])
        out.append("          </maml:description>")
        out.extend("      " + line for line in syntax(name, parameters))
        out.append("          <command:parameters>")
        for p in parameters:
            out.extend(parameter_xml(p, "            "))
        out.append("          </command:parameters>")
        out.append("          <command:examples>")
        for i, code in enumerate(section["examples"], 1):
            out.append(f"            <command:example><maml:title>-------------------------- Example {i} --------------------------</maml:title>")
            out.append(f"              <dev:code>{escape(chr(10).join(code).strip())}</dev:code><dev:remarks><maml:para /></dev:remarks></command:example>")
        out.append("          </command:examples>")
        out.append("          <command:relatedLinks><maml:navigationLink><maml:linkText>about_XenStore_Provider</maml:linkText></maml:navigationLink></command:relatedLinks>")
        out.append("        </command:command>")
    out.append("      </CmdletHelpPath>")
    out.append("    </CmdletHelpPaths>")
    out.append("  </providerHelp>")
    return out

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
out.extend(provider_help())
out.append("</helpItems>")
target = root / "en-US" / "XenStore.PowerShell.dll-Help.xml"
content = "\n".join(out) + "\n"
if len(sys.argv) > 1 and sys.argv[1] == "--check":
    sys.exit(0 if target.exists() and target.read_text() == content else 1)
target.write_text(content)
print(f"{target.relative_to(root)}: {len(cmdlets)} cmdlets")
