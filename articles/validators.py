"""Format checks for identifiers editors type: DOI, PMID, ORCID iD, ISSN, DOI prefix."""

import re

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.utils.deconstruct import deconstructible

validate_doi = RegexValidator(
    r"^10\.\d{4,9}/\S+$",
    'Enter a DOI such as 10.1158/1078-0432.CCR-21-1234, without "https://doi.org/".',
)
validate_doi_prefix = RegexValidator(
    r"^10\.\d{4,9}$", "Enter a DOI prefix such as 10.12345 (no suffix, no slash)."
)
DOI_SUFFIX_FIELDS = ("journal", "year", "volume", "issue", "id", "slug")


def validate_doi_suffix_pattern(value: str) -> None:
    """A suffix pattern that always yields a unique, well-formed DOI suffix."""
    fields = re.findall(r"\{([^{}]*)\}", value)
    unknown = [f for f in fields if f not in DOI_SUFFIX_FIELDS]
    if unknown:
        raise ValidationError(
            "Unknown part {%(part)s}: use %(known)s.",
            code="doi_pattern_unknown",
            params={"part": unknown[0], "known": ", ".join(f"{{{f}}}" for f in DOI_SUFFIX_FIELDS)},
        )
    if "id" not in fields and "slug" not in fields:
        raise ValidationError(
            "Include {id} or {slug} so that no two articles get the same DOI.",
            code="doi_pattern_not_unique",
        )
    literal = re.sub(r"\{[^{}]*\}", "", value)
    if re.search(r"[^A-Za-z0-9._;()/:\-]", literal):
        raise ValidationError(
            "Use only letters, digits and . - _ ; ( ) / : between the parts.",
            code="doi_pattern_characters",
        )


def validate_copyright_pattern(value: str) -> None:
    """A copyright line whose only parts are {year} and {holder}."""
    unknown = [f for f in re.findall(r"\{([^{}]*)\}", value) if f not in ("year", "holder")]
    if unknown or re.search(r"\{[^}]*$|^[^{]*\}", value):
        raise ValidationError(
            "Use only {year} and {holder} as parts, e.g. “© {year} {holder}”.",
            code="copyright_pattern_unknown",
        )


validate_pmid = RegexValidator(r"^[1-9]\d{0,8}$", "A PubMed ID is a number, e.g. 34724978.")


@deconstructible
class ChecksumValidator:
    """A code with a check character: ORCID iD (ISO 7064 11,2) or ISSN (mod 11)."""

    def __init__(self, kind: str):
        self.kind = kind

    def __call__(self, value: str):
        check = {"orcid": orcid_is_valid, "issn": issn_is_valid}[self.kind]
        if not check(value):
            raise ValidationError(self.message(value), code=f"invalid_{self.kind}")

    def message(self, value: str) -> str:
        if self.kind == "orcid":
            if not re.fullmatch(r"\d{4}-\d{4}-\d{4}-\d{3}[\dX]", value):
                return "Enter an ORCID iD as 0000-0002-1825-0097 (the number only, no URL)."
            return f"{value} is not a valid ORCID iD: its check digit does not match."
        if not re.fullmatch(r"\d{4}-\d{3}[\dX]", value):
            return "Enter an ISSN as 2164-1153."
        return f"{value} is not a valid ISSN: its check digit does not match."

    def __eq__(self, other):
        return isinstance(other, ChecksumValidator) and other.kind == self.kind


def orcid_is_valid(value: str) -> bool:
    if not re.fullmatch(r"\d{4}-\d{4}-\d{4}-\d{3}[\dX]", value):
        return False
    digits = value.replace("-", "")
    total = 0
    for d in digits[:-1]:
        total = (total + int(d)) * 2
    check = (12 - total % 11) % 11
    return digits[-1] == ("X" if check == 10 else str(check))


def issn_is_valid(value: str) -> bool:
    if not re.fullmatch(r"\d{4}-\d{3}[\dX]", value):
        return False
    digits = value.replace("-", "")
    total = sum(int(d) * w for d, w in zip(digits[:7], range(8, 1, -1), strict=True))
    check = (11 - total % 11) % 11
    return digits[-1] == ("X" if check == 10 else str(check))


validate_orcid = ChecksumValidator("orcid")
validate_issn = ChecksumValidator("issn")


MAX_PDF_BYTES = 50 * 1024 * 1024


def validate_pdf(file) -> None:
    """A real PDF (by its first bytes, not only its name), at most 50 MB."""
    if getattr(file, "_committed", False):
        return
    if not file.name.lower().endswith(".pdf"):
        raise ValidationError("Upload the article as a .pdf file.", code="pdf_extension")
    if file.size > MAX_PDF_BYTES:
        raise ValidationError(
            "This PDF is %(size)s MB; the limit is 50 MB.",
            code="pdf_too_large",
            params={"size": round(file.size / 1024 / 1024, 1)},
        )
    position = file.tell() if hasattr(file, "tell") else 0
    file.seek(0)
    head = file.read(1024)
    file.seek(position)
    if b"%PDF-" not in head:
        raise ValidationError("This file is not a PDF.", code="not_a_pdf")
