"""What a PostgreSQL text-search query asks for, read from its text form.

websearch_to_tsquery turns a reader's query into a tsquery: words ANDed, "a phrase" (and a
hyphenated word) as a chain of <-> (or <2> over a stop word), -word as !, "or" as |.
The GIN index finds articles by their words, not by where the words stand or by words
they lack: it answers a phrase with every article holding all its words, and "a -b" with
every article holding a, each then checked; it cannot answer exclusions alone at all.
The search reads the query's shape to bound those cases (articles.search.EXAMINED_AT_MOST).
"""

import re
from dataclasses import dataclass

TOKEN_RE = re.compile(r"\s*(?:'((?:[^'\\]|''|\\.)*)'|(<->|<\d+>|[&|!()]))")


@dataclass(frozen=True)
class Node:
    op: str  # "lex", "not", "and", "or", "phrase"
    args: tuple = ()
    lexeme: str = ""
    distance: int = 0


class Unreadable(ValueError):
    pass


def parse(text: str) -> Node | None:
    """The tree of a tsquery's text form (None for the empty query)."""
    tokens = []
    position = 0
    text = text.strip()
    while position < len(text):
        match = TOKEN_RE.match(text, position)
        if not match or match.end() == position:
            raise Unreadable(text)
        position = match.end()
        if match.group(1) is not None:
            lexeme = re.sub(r"\\(.)", r"\1", match.group(1).replace("''", "'"))
            tokens.append(("lex", lexeme))
        else:
            tokens.append(("op", match.group(2)))
    if not tokens:
        return None
    parser = _Parser(tokens)
    tree = parser.any_of()
    if parser.at < len(tokens):
        raise Unreadable(text)
    return tree


class _Parser:
    """Precedence as PostgreSQL prints it: ! binds tightest, then <->, then &, then |."""

    def __init__(self, tokens):
        self.tokens, self.at = tokens, 0

    def peek(self):
        return self.tokens[self.at] if self.at < len(self.tokens) else (None, None)

    def take(self):
        token = self.peek()
        self.at += 1
        return token

    def any_of(self) -> Node:
        node = self.all_of()
        while self.peek() == ("op", "|"):
            self.take()
            node = Node("or", (node, self.all_of()))
        return node

    def all_of(self) -> Node:
        node = self.chain()
        while self.peek() == ("op", "&"):
            self.take()
            node = Node("and", (node, self.chain()))
        return node

    def chain(self) -> Node:
        node = self.unary()
        while True:
            kind, value = self.peek()
            if kind != "op" or not value.startswith("<"):
                return node
            self.take()
            distance = 1 if value == "<->" else int(value[1:-1])
            node = Node("phrase", (node, self.unary()), distance=distance)

    def unary(self) -> Node:
        kind, value = self.take()
        if kind == "lex":
            return Node("lex", lexeme=value)
        if value == "!":
            return Node("not", (self.unary(),))
        if value == "(":
            node = self.any_of()
            if self.take() != ("op", ")"):
                raise Unreadable(value)
            return node
        raise Unreadable(str(value))


def _quoted(lexeme: str) -> str:
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


def is_checked(node: Node | None) -> bool:
    """Whether the word index finds more than the query's matches, each then checked: the
    query holds a phrase (quoted, or a hyphenated word) or an exclusion."""
    if node is None or node.op == "lex":
        return False
    return node.op in ("phrase", "not") or any(is_checked(arg) for arg in node.args)


def words_query(node: Node | None) -> str | None:
    """A tsquery without phrases that every match of the query satisfies: each phrase
    relaxed to its words ANDed, exclusions dropped (None: nothing is required)."""
    if node is None or node.op == "not":
        return None
    if node.op == "lex":
        return _quoted(node.lexeme)
    parts = [words_query(arg) for arg in node.args]
    if node.op == "or":
        if None in parts:  # either side may match without a word
            return None
        return " | ".join(f"( {part} )" for part in parts)
    parts = [part for part in parts if part]
    return " & ".join(f"( {part} )" for part in parts) or None


def needs_a_word(node: Node | None) -> bool:
    """Whether every match contains one of the query's words (else: exclusions only, such as
    `-cancer`, which the word index cannot find)."""
    if node is None:
        return True  # the empty query matches nothing
    if node.op == "lex":
        return True
    if node.op == "not":
        return False
    results = [needs_a_word(arg) for arg in node.args]
    return all(results) if node.op == "or" else any(results)
