"""OAI-PMH 2.0 at /oai: the published articles for harvesters, as oai_dc and as JATS.

Records are the live articles (Article.objects.published()) and, as deleted records,
the withdrawn ones (Article.objects.withdrawn()). Lists are paged by primary key
(keyset, never OFFSET): the resumption token carries the last key, the cursor, the
complete list size and the moment the harvest started, so that a list stays the same
list while editors publish — what changes meanwhile is picked up by the next
incremental harvest (from = this harvest's responseDate).
"""

import functools
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from email.utils import parseaddr

from django.conf import settings
from django.core import signing
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone
from lxml import etree

from articles.derived import records
from articles.models import Article, Issue, Journal, Section, Topic
from articles.scholarly import jats
from articles.scholarly.doi import journal_of
from articles.scholarly.licence import licence_of
from articles.scholarly.schemas import JATS_NS, OAI_DC_NS, OAI_NS

XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
DC_NS = "http://purl.org/dc/elements/1.1/"
PAGE_SIZE = 100
SCAN_WINDOW = 1000  # keys read at a time while looking for a page's records
GRANULARITY = "YYYY-MM-DDThh:mm:ssZ"
TOKEN_SALT = "articles.oai.resumption"  # noqa: S105 (a signing namespace, not a secret)

FORMATS = {
    "oai_dc": ("http://www.openarchives.org/OAI/2.0/oai_dc.xsd", OAI_DC_NS),
    "jats": (
        # The Archiving schema is the one of JATS_NS; the records (Journal Publishing, a
        # subset of it) are valid against it.
        "https://jats.nlm.nih.gov/archiving/1.3/xsd/JATS-archivearticle1-3-mathml3.xsd",
        JATS_NS,
    ),
}
# Characters outside XML 1.0's Char production (control characters, surrogates, U+FFFE/F).
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
SET_KINDS = {"section": "Sections", "topic": "Topics", "issue": "Issues"}

VERBS = {
    # verb: (required, optional, exclusive)
    "Identify": (set(), set(), None),
    "ListMetadataFormats": (set(), {"identifier"}, None),
    "ListSets": (set(), set(), "resumptionToken"),
    "GetRecord": ({"identifier", "metadataPrefix"}, set(), None),
    "ListIdentifiers": ({"metadataPrefix"}, {"from", "until", "set"}, "resumptionToken"),
    "ListRecords": ({"metadataPrefix"}, {"from", "until", "set"}, "resumptionToken"),
}


class OaiError(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def _oai(parent, tag: str, text: str | None = None, **attrs):
    element = etree.SubElement(parent, f"{{{OAI_NS}}}{tag}", **attrs)
    if text is not None:
        element.text = text
    return element


def _stamp(when: datetime) -> str:
    return timezone.localtime(when, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def repository_id() -> str:
    return (
        getattr(settings, "OAI_REPOSITORY_ID", "")
        or (re.sub(r"^https?://", "", settings.SITE_URL).split("/")[0].split(":")[0])
    )


def identifier_of(article_pk: int) -> str:
    return f"oai:{repository_id()}:article/{article_pk}"


def pk_from_identifier(identifier: str) -> int | None:
    match = re.fullmatch(rf"oai:{re.escape(repository_id())}:article/(\d{{1,18}})", identifier)
    return int(match.group(1)) if match else None


def _dated(articles):
    """Each record's datestamp, and whether it is deleted. A live record changed when
    anything it shows last changed (articles.derived.records) or when it went live (its
    own time or its issue's), whichever is later; a deleted one when it was withdrawn (a
    withdrawal is a write: it dates the record)."""
    live = Article.objects.live_condition()
    return articles.annotate(
        deleted=Case(When(live, then=Value(False)), default=Value(True)),
        datestamp=Case(
            When(live, then=records.record_date_expression()),
            default=F("record_modified_at"),
        ),
    )


def _since(start: datetime) -> Q:
    """datestamp >= start, as a condition each part of which an index can answer."""
    return (
        Q(record_modified_at__gte=start)
        | Q(published_at__gte=start)
        | Q(issue__published_at__gte=start)
    )


def record_sets():
    """The two kinds of record: live articles, and withdrawn ones (reported as deleted).
    Kept as two querysets so each pages on the primary key index."""
    return [_dated(Article.objects.published()), _dated(Article.objects.withdrawn())]


def _parse_date(value: str, *, until: bool) -> tuple[datetime, str]:
    """An OAI date argument as an aware datetime bound, and its granularity."""
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            day = date.fromisoformat(value)
            bound = datetime.combine(day, time.min, tzinfo=UTC)
            return (bound + timedelta(days=1) if until else bound), "day"
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", value):
            bound = datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
            return (bound + timedelta(seconds=1) if until else bound), "seconds"
    except ValueError:
        pass
    name = "until" if until else "from"
    raise OaiError("badArgument", f"'{name}' must be YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ.")


def _set_filter(spec: str) -> Q:
    kind, _, slug = spec.partition(":")
    if kind not in SET_KINDS or ":" in slug:
        raise OaiError("noRecordsMatch", f"There is no set '{spec}'.")
    if kind == "section":
        return Q(section__slug=slug) if slug else Q(section__isnull=False)
    if kind == "issue":
        return Q(issue__slug=slug) if slug else Q(issue__isnull=False)
    tagged = (
        Article.objects.filter(topics__slug=slug)
        if slug
        else Article.objects.filter(topics__isnull=False)
    )
    return Q(pk__in=tagged.values("pk"))


@dataclass
class ListState:
    prefix: str
    set_spec: str
    start: str  # from, as given ("" if none)
    end: str  # until, as given, or the harvest's start when none was given
    after: int = 0
    cursor: int = 0
    total: int | None = None

    def token(self) -> str:
        return signing.dumps(
            [self.prefix, self.set_spec, self.start, self.end, self.after, self.cursor, self.total],
            salt=TOKEN_SALT,
            compress=True,
        )

    @classmethod
    def from_token(cls, token: str) -> "ListState":
        try:
            values = signing.loads(token, salt=TOKEN_SALT)
            return cls(*values)
        except (signing.BadSignature, TypeError, ValueError) as error:
            raise OaiError(
                "badResumptionToken", "The resumptionToken is invalid or has expired."
            ) from error

    def querysets(self):
        """The list's records, as record_sets() filtered by the list's arguments."""
        filters = Q()
        if self.start:
            start = _parse_date(self.start, until=False)[0]
            filters &= _since(start) & Q(datestamp__gte=start)
        if self.end:
            filters &= Q(datestamp__lt=_parse_date(self.end, until=True)[0])
        if self.set_spec:
            filters &= _set_filter(self.set_spec)
        return [rows.filter(filters) for rows in record_sets()]


def _page_ids(kinds, *, after: int, selective: bool) -> list[int]:
    """The keys of the next PAGE_SIZE + 1 records after key `after`, in key order.

    The rows are read in windows of SCAN_WINDOW keys (a range on the primary key), so a
    page costs the same at the start and at the end of 100,000 articles, whatever index
    the database would otherwise pick for the published rule. A harvest from a date is
    selective: there the datestamp decides, and each kind is asked directly.
    """
    wanted = PAGE_SIZE + 1
    if selective:
        found = set()
        for rows in kinds:
            found.update(
                rows.filter(pk__gt=after).order_by("pk").values_list("pk", flat=True)[:wanted]
            )
        return sorted(found)[:wanted]
    found: list[int] = []
    while len(found) < wanted:
        keys = Article.objects.filter(pk__gt=after).order_by("pk").values_list("pk", flat=True)
        last = keys[SCAN_WINDOW - 1 : SCAN_WINDOW].first()
        at_end = last is None  # fewer keys than a window are left: this is the last one
        if at_end and (last := keys.last()) is None:
            break
        for rows in kinds:
            found += rows.filter(pk__gt=after, pk__lte=last).values_list("pk", flat=True)
        if at_end:
            break
        after = last
    return sorted(found)[:wanted]


class Repository:
    """Answers one OAI-PMH request; build() returns the response document."""

    def __init__(self, *, base_url: str, now: datetime | None = None):
        self.base_url = base_url
        self.now = now or timezone.now()

    @functools.cached_property
    def primary(self) -> Journal | None:
        return Journal.objects.primary()

    def build(self, arguments: dict[str, list[str]]) -> etree._Element:
        root = etree.Element(f"{{{OAI_NS}}}OAI-PMH", nsmap={None: OAI_NS, "xsi": XSI_NS})
        root.set(
            f"{{{XSI_NS}}}schemaLocation",
            f"{OAI_NS} http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd",
        )
        _oai(root, "responseDate", _stamp(self.now))
        request = _oai(root, "request", self.base_url)
        try:
            verb, args = self._check(arguments)
            for name, value in sorted(args.items()):
                request.set(name, value)
            request.set("verb", verb)
            getattr(self, verb)(root, args)
        except OaiError as error:
            if error.code in ("badVerb", "badArgument"):
                # The protocol echoes the arguments only when they were valid.
                request.attrib.clear()
            _oai(root, "error", error.message, code=error.code)
        return root

    def _check(self, arguments: dict[str, list[str]]) -> tuple[str, dict[str, str]]:
        texts = [*arguments, *(value for values in arguments.values() for value in values)]
        if any(NOT_XML.search(text) for text in texts):
            # Echoed in the response (and NUL is refused by PostgreSQL): refused unread.
            raise OaiError("badArgument", "An argument has characters XML cannot carry.")
        verbs = arguments.get("verb", [])
        if len(verbs) != 1 or verbs[0] not in VERBS:
            raise OaiError("badVerb", "The verb is missing, repeated or not an OAI-PMH verb.")
        verb = verbs[0]
        required, optional, exclusive = VERBS[verb]
        args = {}
        for name, values in arguments.items():
            if name == "verb":
                continue
            if name not in required | optional and name != exclusive:
                raise OaiError("badArgument", f"{verb} does not take the argument '{name}'.")
            if len(values) != 1:
                raise OaiError("badArgument", f"The argument '{name}' is repeated.")
            if not values[0]:
                raise OaiError("badArgument", f"The argument '{name}' is empty.")
            args[name] = values[0]
        if exclusive and exclusive in args:
            if len(args) > 1:
                raise OaiError("badArgument", f"{exclusive} must be the only argument.")
            return verb, args
        if missing := sorted(required - set(args)):
            raise OaiError("badArgument", f"{verb} needs the argument '{missing[0]}'.")
        return verb, args

    # Verbs ------------------------------------------------------------------
    def Identify(self, root, args):
        journal = self.primary
        element = _oai(root, "Identify")
        _oai(element, "repositoryName", journal.name if journal else settings.SITE_NAME)
        _oai(element, "baseURL", self.base_url)
        _oai(element, "protocolVersion", "2.0")
        for email in admin_emails():
            _oai(element, "adminEmail", email)
        firsts = [
            rows.order_by("datestamp").values_list("datestamp", flat=True).first()
            for rows in record_sets()
        ]
        earliest = min((first for first in firsts if first), default=None)
        _oai(element, "earliestDatestamp", _stamp(earliest or datetime(2000, 1, 1, tzinfo=UTC)))
        # A withdrawn article is reported as deleted for as long as its row is kept.
        _oai(element, "deletedRecord", "transient")
        _oai(element, "granularity", GRANULARITY)

    def ListMetadataFormats(self, root, args):
        if "identifier" in args:
            self._record(args["identifier"])
        element = _oai(root, "ListMetadataFormats")
        for prefix, (schema, namespace) in FORMATS.items():
            fmt = _oai(element, "metadataFormat")
            _oai(fmt, "metadataPrefix", prefix)
            _oai(fmt, "schema", schema)
            _oai(fmt, "metadataNamespace", namespace)

    def ListSets(self, root, args):
        if "resumptionToken" in args:
            raise OaiError("badResumptionToken", "ListSets is answered in one response.")
        element = _oai(root, "ListSets")
        for kind, name in SET_KINDS.items():
            entry = _oai(element, "set")
            _oai(entry, "setSpec", kind)
            _oai(entry, "setName", name)
        for spec, name in self._sets():
            entry = _oai(element, "set")
            _oai(entry, "setSpec", spec)
            _oai(entry, "setName", name)

    def _sets(self):
        for section in Section.objects.order_by("position", "name"):
            yield f"section:{section.slug}", section.name
        for topic in Topic.objects.order_by("name"):
            yield f"topic:{topic.slug}", topic.name
        for issue in Issue.objects.published().select_related("journal"):
            yield f"issue:{issue.slug}", issue.label

    def GetRecord(self, root, args):
        prefix = self._format(args["metadataPrefix"])
        article = self._record(args["identifier"])
        element = _oai(root, "GetRecord")
        self._write_record(element, article, prefix)

    def ListIdentifiers(self, root, args):
        self._list(root, args, verb="ListIdentifiers")

    def ListRecords(self, root, args):
        self._list(root, args, verb="ListRecords")

    # Lists ----------------------------------------------------------------
    def _list(self, root, args, *, verb: str):
        if "resumptionToken" in args:
            state = ListState.from_token(args["resumptionToken"])
        else:
            prefix = self._format(args["metadataPrefix"])
            start, end = args.get("from", ""), args.get("until", "")
            if start and end:
                (low, low_kind), (high, high_kind) = (
                    _parse_date(start, until=False),
                    _parse_date(end, until=True),
                )
                if low_kind != high_kind:
                    raise OaiError(
                        "badArgument", "'from' and 'until' must have the same granularity."
                    )
                if low >= high:
                    raise OaiError("badArgument", "'from' is later than 'until'.")
            elif start:
                _parse_date(start, until=False)
            elif end:
                _parse_date(end, until=True)
            # Without until, the list ends when the harvest starts: it stays the same list.
            state = ListState(prefix, args.get("set", ""), start, end or _stamp(self.now))
            if args.get("set"):
                _set_filter(args["set"])
        kinds = state.querysets()
        if state.total is None:
            state.total = sum(rows.count() for rows in kinds)
        ids = _page_ids(kinds, after=state.after, selective=bool(state.start))
        more = len(ids) > PAGE_SIZE
        page = list(
            self._with_metadata(
                _dated(Article.objects.filter(pk__in=ids[:PAGE_SIZE])), state.prefix, verb
            ).order_by("pk")
        )
        if not page:
            if state.cursor == 0:
                raise OaiError("noRecordsMatch", "No record matches these arguments.")
            raise OaiError("badResumptionToken", "The resumptionToken is no longer valid.")
        element = _oai(root, verb)
        for article in page:
            if verb == "ListRecords":
                self._write_record(element, article, state.prefix)
            else:
                self._write_header(element, article)
        delivered = state.cursor + len(page)
        if more or state.cursor:
            token = ListState(
                state.prefix,
                state.set_spec,
                state.start,
                state.end,
                after=page[-1].pk,
                cursor=delivered,
                total=state.total,
            )
            _oai(
                element,
                "resumptionToken",
                token.token() if more else None,
                completeListSize=str(max(state.total, delivered)),
                cursor=str(state.cursor),
            )

    def _with_metadata(self, rows, prefix: str, verb: str):
        if verb == "ListIdentifiers":  # headers only: the sets
            return rows.select_related("issue", "section").prefetch_related("topics")
        return rows.for_listing().prefetch_related("references")

    def _format(self, prefix: str) -> str:
        if prefix not in FORMATS:
            raise OaiError("cannotDisseminateFormat", f"The metadata format '{prefix}' is unknown.")
        return prefix

    def _record(self, identifier: str) -> Article:
        pk = pk_from_identifier(identifier)
        article = None
        if pk is not None:
            for rows in record_sets():
                article = (
                    article or self._with_metadata(rows, "", "GetRecord").filter(pk=pk).first()
                )
        if article is None:
            raise OaiError("idDoesNotExist", f"There is no record '{identifier}'.")
        return article

    def _write_header(self, parent, article: Article) -> None:
        deleted = article.deleted
        header = _oai(parent, "header", **({"status": "deleted"} if deleted else {}))
        _oai(header, "identifier", identifier_of(article.pk))
        _oai(header, "datestamp", _stamp(article.datestamp))
        if deleted:
            return
        if article.section_id:
            _oai(header, "setSpec", f"section:{article.section.slug}")
        for topic in article.topics.all():
            _oai(header, "setSpec", f"topic:{topic.slug}")
        if article.issue_id:
            _oai(header, "setSpec", f"issue:{article.issue.slug}")

    def _write_record(self, parent, article: Article, prefix: str) -> None:
        record = _oai(parent, "record")
        self._write_header(record, article)
        if article.deleted:
            return
        metadata = _oai(record, "metadata")
        url = settings.SITE_URL + article.get_absolute_url()
        if prefix == "jats":
            tree = jats.article_jats(article, url=url, primary=self.primary).tree
            metadata.append(jats.in_namespace(tree.getroot(), JATS_NS, id_prefix=f"a{article.pk}-"))
        else:
            metadata.append(
                dublin_core(article, url=url, journal=journal_of(article, self.primary))
            )


def admin_emails() -> list[str]:
    emails = [email for _name, email in settings.ADMINS if email]
    if not emails:
        emails = [parseaddr(settings.DEFAULT_FROM_EMAIL)[1]]
    return emails


def dublin_core(article: Article, *, url: str, journal: Journal | None) -> etree._Element:
    """The article as simple Dublin Core (oai_dc)."""
    dc = etree.Element(
        f"{{{OAI_DC_NS}}}dc", nsmap={"oai_dc": OAI_DC_NS, "dc": DC_NS, "xsi": XSI_NS}
    )
    dc.set(
        f"{{{XSI_NS}}}schemaLocation",
        f"{OAI_DC_NS} http://www.openarchives.org/OAI/2.0/oai_dc.xsd",
    )

    def add(tag: str, text: str) -> None:
        if text:
            etree.SubElement(dc, f"{{{DC_NS}}}{tag}").text = text

    add("title", article.title)
    for author in article.ordered_authors:
        add("creator", f"{author.family_name}, {author.given_name}".strip(", "))
    if article.section_id:
        add("subject", article.section.name)
    for topic in article.topics.all():
        add("subject", topic.name)
    for keyword in article.keywords.split(","):
        add("subject", keyword.strip())
    add("description", " ".join(article.standfirst.split()))
    if journal:
        add("publisher", journal.publisher)
    if article.published_at:
        add("date", timezone.localtime(article.published_at).date().isoformat())
    add("type", "Text")
    add("type", "info:eu-repo/semantics/article")
    add("format", "text/html")
    add("identifier", url)
    if article.doi:
        add("identifier", f"https://doi.org/{article.doi}")
    if journal:
        source = journal.name
        if article.issue_id:
            source += f"; {article.issue.label}"
        if article.first_page:
            source += f"; {article.first_page}"
            if article.last_page:
                source += f"-{article.last_page}"
        add("source", source)
        for issn in (journal.issn_print, journal.issn_online):
            add("source", f"ISSN {issn}" if issn else "")
    if licence := licence_of(article, journal):
        add("rights", licence.statement)
        add("rights", licence.url)
    add("language", "en")
    return dc
