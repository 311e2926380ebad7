"""JATS4R's own Schematron rules (vendored in articles/scholarly/schemas/jats4r/), compiled
with SchXslt2 under Saxon-HE once per test session, and run on a JATS document."""

import functools
from dataclasses import dataclass
from pathlib import Path

from lxml import etree
from saxonche import PySaxonProcessor

from articles.scholarly import schemas

SVRL_NS = "http://purl.oclc.org/dsdl/svrl"
RULES = Path(schemas.VENDORED) / "jats4r" / "jats4r.sch"
TRANSPILER = Path(schemas.VENDORED) / "schxslt2" / "transpile.xsl"


@dataclass(frozen=True)
class Finding:
    role: str  # "error", "warning" or "info", as JATS4R grades it
    message: str
    location: str

    def __str__(self):
        return f"{self.role}: {self.message} (at {self.location})"


@functools.cache
def _validator():
    processor = PySaxonProcessor(license=False)
    xslt = processor.new_xslt30_processor()
    transpiler = xslt.compile_stylesheet(stylesheet_file=str(TRANSPILER))
    # Every pattern, errors and warnings alike (the rules' phases split them in two).
    transpiler.set_parameter(
        "Q{http://dmaus.name/ns/2023/schxslt}phase", processor.make_string_value("#ALL")
    )
    compiled = transpiler.transform_to_string(source_file=str(RULES))
    # The rules read lists beside them (countries.xml, credit-roles.xml …): keep their base.
    xslt.set_cwd(str(RULES.parent))
    return processor, xslt.compile_stylesheet(
        stylesheet_text=compiled, base_output_uri=RULES.parent.as_uri() + "/"
    )


def jats4r_findings(document: bytes) -> list[Finding]:
    """What JATS4R's rules report on a JATS document."""
    processor, validator = _validator()
    source = processor.parse_xml(xml_text=document.decode())
    report = etree.fromstring(validator.transform_to_string(xdm_node=source).encode())
    return [
        Finding(
            role=node.get("role") or "error",
            message=" ".join("".join(node.itertext()).split()),
            location=node.get("location", ""),
        )
        for node in report.iter(f"{{{SVRL_NS}}}failed-assert", f"{{{SVRL_NS}}}successful-report")
    ]
