"""The README's "what each load carries" block, generated from the systems' carried-fields tables.

    .venv/bin/python -m scripts.systems_readme           # print the block
    .venv/bin/python -m scripts.systems_readme --write   # replace it in README.md

The block sits between ``<!-- carried:start -->`` and ``<!-- carried:end -->``; a unit test fails
when it differs from what this prints, so the README cannot drift from the tables.
"""

from __future__ import annotations

import sys
from pathlib import Path

from pipeline.mapping import load_mappings
from pipeline.systems import SYSTEMS

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
START, END = "<!-- carried:start -->", "<!-- carried:end -->"


def render(mappings_dir: Path = ROOT / "mappings") -> str:
    """Per system and loaded entity, each canonical field and where it goes; then the connections."""
    out = [START, ""]
    for name, system in SYSTEMS.items():
        table = getattr(system, "CARRIES", None)
        if not table:
            continue
        out.append(f"**`{name}` loads**")
        out.append("")
        out.append("| entity | field | goes to |")
        out.append("| --- | --- | --- |")
        for entity, fields in table.items():
            for field, where in fields.items():
                out.append(f"| {entity} | `{field}` | {where} |")
        out.append("")
    out.append("**Connections of the shipped mappings** (`PIPELINE_<CONNECTION>_...`)")
    out.append("")
    out.append("| mapping | source | target |")
    out.append("| --- | --- | --- |")
    for name, spec in sorted(load_mappings(mappings_dir).items()):
        out.append(f"| `{name}` | {spec.source.system} `{spec.source.connection}` | "
                   f"{spec.target.system} `{spec.target.connection}` |")
    out += ["", END]
    return "\n".join(out)


def replace(text: str, block: str) -> str:
    start, end = text.index(START), text.index(END) + len(END)
    return text[:start] + block + text[end:]


if __name__ == "__main__":
    block = render()
    if "--write" in sys.argv[1:]:
        README.write_text(replace(README.read_text(encoding="utf-8"), block), encoding="utf-8")
    else:
        print(block)
