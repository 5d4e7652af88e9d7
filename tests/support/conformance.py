"""The official validators, run in the suite (see tests/data/ans/README.md and
tests/data/ebrim/README.md for where the files come from).

- CDA: the ANS ``CDA_extended.xsd`` (lxml) and the ANS « structuration minimale » ISO schematron,
  compiled with the ISO skeleton XSLTs shipped next to it and run with Saxon (saxonche, XSLT 3).
- METADATA.XML: the OASIS ebRIM 3.0 schemas (``lcm.xsd`` imports ``rim.xsd`` and ``rs.xsd``).

Failures are reported as readable lines; a schematron assertion counts as an error unless its
role is ``warning`` or ``info`` (the ART-DECOR convention the ANS schematrons follow).
"""

from __future__ import annotations

import functools
import hashlib
import io
import shutil
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lxml import etree
from saxonche import PySaxonProcessor

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
ANS = DATA / "ans"
CDA_XSD = ANS / "infrastructure" / "cda" / "CDA_extended.xsd"
STRUC_MIN = ANS / "schematrons" / "profils" / "structurationMinimale"
SKELETON = ANS / "schematrons" / "moteur"
# Value sets the ANS schematron reads with doc() but that the repository lacks (see README).
EXTRA_VOCABULARIES = DATA / "ans_extra"
EBRIM_LCM_XSD = DATA / "ebrim" / "ebRS30" / "lcm.xsd"

SVRL = "http://purl.oclc.org/dsdl/svrl"
_NOT_ERRORS = {"warning", "info", "information"}


@dataclass
class Report:
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:  # truthy when there is something wrong
        return bool(self.errors)


@functools.cache
def _cda_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(CDA_XSD)))


@functools.cache
def _ebrim_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(EBRIM_LCM_XSD)))


def _xsd_errors(schema: etree.XMLSchema, document: bytes) -> list[str]:
    tree = etree.parse(io.BytesIO(document))
    if schema.validate(tree):
        return []
    return [f"line {e.line}: {e.message}" for e in schema.error_log]


def cda_xsd_errors(cda: bytes) -> list[str]:
    return _xsd_errors(_cda_schema(), cda)


def ebrim_errors(metadata: bytes) -> list[str]:
    return _xsd_errors(_ebrim_schema(), metadata)


@functools.cache
def _processor() -> PySaxonProcessor:
    return PySaxonProcessor(license=False)


@functools.cache
def _compiled_schematron_dir() -> Path:
    """Compiles the schematron once per test session: include -> abstract expansion -> XSLT 2.

    The compiled stylesheet reads value sets with relative doc('include/...') calls, so it is
    written in a directory whose include/ holds the official files plus the extra value sets.
    """
    sources = sorted([*STRUC_MIN.rglob("*.*"), *EXTRA_VOCABULARIES.glob("voc-*.xml")])
    digest = hashlib.sha256(b"".join(p.read_bytes() for p in sources)).hexdigest()[:16]
    # Compiling takes a minute: the result is kept under var/ (ignored by git) between runs.
    work = ROOT / "var" / "conformance" / f"strucmin-{digest}"
    if (work / "StrucMin.xsl").exists():
        return work
    shutil.rmtree(work, ignore_errors=True)
    include = work / "include"
    include.mkdir(parents=True)
    for source in [*(STRUC_MIN / "include").iterdir(), *EXTRA_VOCABULARIES.glob("voc-*.xml")]:
        (include / source.name).symlink_to(source)
    shutil.copy(STRUC_MIN / "ASIP-STRUCT-MIN-StrucMin.sch", work / "StrucMin.sch")
    xslt = _processor().new_xslt30_processor()
    current = work / "StrucMin.sch"
    for step, name in (
        ("iso_dsdl_include.xsl", "1-included.sch"),
        ("iso_abstract_expand.xsl", "2-expanded.sch"),
        ("iso_svrl_for_xslt2.xsl", "StrucMin.xsl"),
    ):
        executable = xslt.compile_stylesheet(stylesheet_file=str(SKELETON / step))
        target = work / name
        executable.transform_to_file(source_file=str(current), output_file=str(target))
        current = target
    return work


@functools.cache
def _schematron_executable() -> Any:
    stylesheet = _compiled_schematron_dir() / "StrucMin.xsl"
    return _processor().new_xslt30_processor().compile_stylesheet(stylesheet_file=str(stylesheet))


def schematron_report(cda: bytes) -> Report:
    with tempfile.NamedTemporaryFile(suffix=".xml") as source:
        source.write(cda)
        source.flush()
        svrl = _schematron_executable().transform_to_string(source_file=source.name)
    report = Report()
    tree = etree.fromstring(svrl.encode("utf-8"))
    for node in tree.iter(f"{{{SVRL}}}failed-assert", f"{{{SVRL}}}successful-report"):
        text = " ".join("".join(node.itertext()).split())
        line = f"{node.get('location')}: {text}"
        if (node.get("role") or "error").lower() in _NOT_ERRORS:
            report.warnings.append(line)
        else:
            report.errors.append(line)
    return report


def cda_problems(cda: bytes) -> list[str]:
    """Every error the ANS XSD and the structuration minimale schematron find (empty: valid)."""
    return [*(f"XSD {e}" for e in cda_xsd_errors(cda)), *schematron_report(cda).errors]


def xdm_problems(xdm_zip: bytes) -> list[str]:
    """METADATA.XML against ebRIM, and every CDA of the package against the ANS validators."""
    problems: list[str] = []
    with zipfile.ZipFile(io.BytesIO(xdm_zip)) as archive:
        names = archive.namelist()
        metadata = archive.read("IHE_XDM/SUBSET01/METADATA.XML")
        problems += [f"ebRIM {e}" for e in ebrim_errors(metadata)]
        for name in names:
            if name.startswith("IHE_XDM/SUBSET01/DOC") and name.endswith(".XML"):
                problems += [f"{name} {p}" for p in cda_problems(archive.read(name))]
    return problems
