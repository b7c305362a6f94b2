"""Reads the Rasa NLU project (nlu/data/<lang>/*.yml): examples with annotations removed."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

# [text](entity) or [text]{"entity": "x", "value": "y"}
ANNOTATION = re.compile(r"\[(?P<text>[^\]]+)\](?:\((?P<name>[a-z_]+)(?::[^)]*)?\)|\{[^}]*\})")


@dataclass(frozen=True)
class Example:
    text: str
    intent: str
    language: str


def strip_annotations(example: str) -> str:
    return ANNOTATION.sub(lambda m: m.group("text"), example)


def project_files(project: Path) -> list[Path]:
    return sorted(p for p in (project / "data").rglob("*.yml") if p.is_file())


def fingerprint(project: Path, *extra: bytes) -> str:
    """A hash of every training file, so a model is retrained exactly when data change."""
    digest = hashlib.sha256()
    for path in project_files(project):
        digest.update(str(path.relative_to(project)).encode())
        digest.update(path.read_bytes())
    for chunk in extra:
        digest.update(chunk)
    return digest.hexdigest()[:16]


def load_examples(project: Path) -> list[Example]:
    examples = []
    for path in project_files(project):
        language = path.parent.name
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for block in document.get("nlu", []):
            if "intent" not in block:
                continue  # synonyms, regexes and lookup tables
            for line in str(block.get("examples", "")).splitlines():
                line = line.strip()
                if line.startswith("- "):
                    text = strip_annotations(line[2:].strip())
                    examples.append(Example(text, block["intent"], language))
    return examples
