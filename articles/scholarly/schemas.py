"""The official schemas, loaded once per process, offline, and validation against them.

Production reads the vendored copies in schemas/ (or SCHOLARLY_SCHEMA_DIR), and so do the
tests (one checks they equal the reference set in ../shared/refdata). Two official files
import a schema by its web address; a resolver answers those from the local copies, so nothing
depends on XML_CATALOG_FILES (which libxml2 reads only once per process) or the network.

Compiling the MathML 3 module is 97 % of the cost of loading a schema (libxml2 builds an
automaton for each of its content models, most of them a choice among ~200 elements): about
2.3 s per schema on an idle core, against 0.05-0.08 s for all the rest. The site's documents
never hold MathML (the body sanitizer keeps no math), so a document without a MathML element
or attribute is validated against the same official files with the MathML import answered by
a one-declaration stub (`<mml:math>`, the only MathML name JATS and Crossref refer to): with
no MathML in the document, no content model can tell the difference. A document with MathML
gets the full schema, compiled when first needed.
"""

import functools
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from lxml import etree

VENDORED = Path(__file__).resolve().parent / "schemas"

CROSSREF = "crossref/crossref5.3.1.xsd"
JATS = "jats/1.3-publishing-mathml3/JATS-journalpublishing1-3-mathml3.xsd"
OAI_PMH = "oai-pmh/OAI-PMH.xsd"
OAI_DC = "oai-pmh/oai_dc.xsd"
DOAJ = "doaj/doajArticles.xsd"

OAI_NS = "http://www.openarchives.org/OAI/2.0/"
OAI_DC_NS = "http://www.openarchives.org/OAI/2.0/oai_dc/"
# JATS itself has no namespace; inside OAI-PMH's <metadata> it is served in the
# namespace PubMed Central's OAI service uses for it.
JATS_NS = "https://jats.nlm.nih.gov/ns/archiving/1.3/"

_REMOTE = {
    "http://www.w3.org/Math/XMLSchema/mathml3/mathml3.xsd": (
        "crossref/standard-modules/mathml3/mathml3.xsd"
    ),
    "http://www.w3.org/2001/03/xml.xsd": "oai-pmh/xml.xsd",
    "http://www.doaj.org/static/doaj/iso_639-2b.xsd": "doaj/iso_639-2b.xsd",
}
_XS = "http://www.w3.org/2001/XMLSchema"
MATHML_NS = "http://www.w3.org/1998/Math/MathML"
KINDS = ("crossref", "jats", "oai", "doaj")
PUBMED_DTD = "pubmed/PubMed.dtd"
_MATHML_STUB = (
    f'<xs:schema xmlns:xs="{_XS}" targetNamespace="{MATHML_NS}" elementFormDefault="qualified">'
    '<xs:element name="math"/></xs:schema>'
).encode()


def schema_dir() -> Path:
    return Path(getattr(settings, "SCHOLARLY_SCHEMA_DIR", "") or VENDORED)


class _LocalResolver(etree.Resolver):
    def __init__(self, root: Path, generated: dict[str, bytes], *, mathml: bool):
        super().__init__()
        self.root = root
        self.generated = generated
        self.mathml = mathml

    def resolve(self, url, pubid, context):
        if not self.mathml and url.endswith("/mathml3/mathml3.xsd"):
            return self.resolve_string(_MATHML_STUB, context, base_url=url)
        if url in _REMOTE:
            return self.resolve_filename(str(self.root / _REMOTE[url]), context)
        if url in self.generated:
            return self.resolve_string(self.generated[url], context, base_url=url)
        return None


def _driver(imports: list[tuple[str | None, str]], *, target: str | None = None, include=()):
    schema = etree.Element(
        f"{{{_XS}}}schema", nsmap={"xs": _XS}, **({"targetNamespace": target} if target else {})
    )
    for namespace, location in imports:
        attrs = {"schemaLocation": location}
        if namespace:
            attrs["namespace"] = namespace
        etree.SubElement(schema, f"{{{_XS}}}import", **attrs)
    for location in include:
        etree.SubElement(schema, f"{{{_XS}}}include", schemaLocation=location)
    return etree.tostring(schema)


def _oai_driver(root: Path) -> bytes:
    """OAI-PMH with oai_dc, and JATS's declarations in JATS_NS for the jats format.

    JATS is brought into JATS_NS by a "chameleon" include of the official file; the
    no-namespace driver is imported too, since its NISO ALI module refers back to
    no-namespace JATS groups (and only a schema with a target namespace may import one).
    """
    jats = root / JATS
    modules = jats.parent / "standard-modules"
    return _driver(
        [
            (OAI_NS, str(root / OAI_PMH)),
            (OAI_DC_NS, str(root / OAI_DC)),
            ("http://www.w3.org/1999/xlink", str(modules / "xlink.xsd")),
            ("http://www.w3.org/1998/Math/MathML", str(modules / "mathml3/mathml3.xsd")),
            ("http://www.niso.org/schemas/ali/1.0/", str(modules / "module-ali.xsd")),
            (None, str(jats)),
        ],
        target=JATS_NS,
        include=[str(jats.parent / "JATS-journalpublishing1-3-mathml3-elements.xsd")],
    )


def load(kind: str, root: Path | None = None, *, mathml: bool = True) -> etree.XMLSchema:
    """The schema for kind ("crossref", "jats", "oai" or "doaj"), parsed once per process and root.

    mathml=False: the same schema for documents that hold no MathML (see the module's doc).
    """
    return _compiled(kind, Path(root or schema_dir()).resolve(), mathml)


@functools.cache
def _compiled(kind: str, root: Path, mathml: bool) -> etree.XMLSchema:
    return _compile(kind, root, mathml)


def _compile(kind: str, root: Path, mathml: bool) -> etree.XMLSchema:
    generated: dict[str, bytes] = {}
    if kind == "crossref":
        source = str(root / CROSSREF)
    elif kind == "jats":
        source = str(root / JATS)
    elif kind == "doaj":
        source = str(root / DOAJ)
    elif kind == "oai":
        # OAI-PMH's <metadata> is a strict wildcard: it needs the schemas of what it holds.
        source = str(root / "oai-pmh" / "oai-pmh-driver.xsd")
        generated[source] = _oai_driver(root)
    else:
        raise ValueError(f"unknown schema {kind!r}")
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    parser.resolvers.add(_LocalResolver(root, generated, mathml=mathml))
    if source in generated:
        document = etree.fromstring(generated[source], parser, base_url=source).getroottree()
    else:
        document = etree.parse(source, parser)
    return etree.XMLSchema(document)


def warm(root: Path | None = None) -> None:
    """Load every schema now, so that no request waits for one.

    gunicorn's master calls it before it forks (deploy/gunicorn.conf.py): the workers
    inherit the compiled schemas. Only a document holding MathML, which the site never
    produces, would need the full MathML schemas: they are left to first use.
    """
    for kind in KINDS:
        load(kind, root, mathml=False)
    pubmed_dtd(root)


def pubmed_dtd(root: Path | None = None) -> etree.DTD:
    """NLM's PubMed DTD (3.0), parsed once per process; its modules are local files."""
    return _pubmed_dtd(Path(root or schema_dir()).resolve())


@functools.cache
def _pubmed_dtd(root: Path) -> etree.DTD:
    return etree.DTD(str(root / PUBMED_DTD))


def _has_mathml(tree) -> bool:
    return bool(tree.xpath("boolean(//mml:* | //@mml:*)", namespaces={"mml": MATHML_NS}))


@dataclass(frozen=True)
class SchemaError:
    """One validation error: where (an XPath into the document) and what."""

    path: str
    message: str
    line: int

    def __str__(self):
        return f"line {self.line}: {self.message}"


def validate(kind: str, document, *, root: Path | None = None) -> list[SchemaError]:
    """The document's errors against the official schema for kind (empty when valid)."""
    tree = document.getroottree() if hasattr(document, "getroottree") else document
    schema = load(kind, root, mathml=_has_mathml(tree))
    if schema.validate(tree):
        return []
    return [SchemaError(e.path or "", e.message, e.line) for e in schema.error_log]
