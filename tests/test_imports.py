"""Imports run one way (see /work/shared/STYLE.md "Which way imports run"):

- `articles` never imports `subscriptions`: subscriptions contributes what content shows of it;
- the apps never import the project package `jhop`;
- within an app, no two modules import each other, directly or round a circle, counting
  imports inside functions (an import moved into a function to dodge a cycle is still one).

Read from the source with `ast`, so a wrong-way import fails here before anything runs it.
"""

import ast
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
APPS = ("articles", "subscriptions")
FORBIDDEN = {
    "articles": ("subscriptions", "jhop"),
    "subscriptions": ("jhop",),
}
# What the other apps may use of articles: its models, its signals (to say that something
# pages show changed), its shared admin helpers and its public face (articles.reader.public: the
# public-page decorator, page metadata, the sitemap registry); never the page cache's
# internals.
ARTICLES_PUBLIC = (
    "articles.models",
    "articles.signals",
    "articles.admin.shared",
    "articles.reader.public",
)


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def all_modules() -> dict[str, Path]:
    return {
        module_name(path): path
        for package in (*APPS, "jhop")
        for path in sorted((ROOT / package).rglob("*.py"))
    }


MODULES = all_modules()


def imports_of(name: str, path: Path) -> set[str]:
    """The modules `name` imports, anywhere in it (top level or inside a function)."""
    found = set()
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = name.split(".")
                package = package[: len(package) - node.level + (1 if is_package else 0)]
                base = ".".join([*package, base] if base else package)
            for alias in node.names:
                # "from articles import services" imports the module articles.services.
                submodule = f"{base}.{alias.name}"
                found.add(submodule if submodule in MODULES else base)
    return found


GRAPH = {name: imports_of(name, path) for name, path in MODULES.items()}


def test_the_walk_sees_the_code_it_checks():
    assert "articles.models.article" in MODULES and "subscriptions.services" in MODULES
    # An import inside a function counts (a module may read the models when it first needs them).
    assert "articles.models.journal" in GRAPH["articles.models.article"]
    assert "articles" in GRAPH["jhop.urls"] or any(
        target.startswith("articles.") for target in GRAPH["jhop.urls"]
    )


def test_imports_run_one_way_between_the_packages():
    wrong = sorted(
        f"{module} imports {target}"
        for module, targets in GRAPH.items()
        for target in targets
        for forbidden in FORBIDDEN.get(module.split(".")[0], ())
        if target == forbidden or target.startswith(forbidden + ".")
    )
    assert wrong == []


def test_other_apps_use_only_what_articles_makes_public():
    wrong = sorted(
        f"{module} imports {target}"
        for module, targets in GRAPH.items()
        if module.split(".")[0] == "subscriptions"
        for target in targets
        if target.split(".")[0] == "articles"
        and not any(target == p or target.startswith(p + ".") for p in ARTICLES_PUBLIC)
    )
    assert wrong == []


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan), or a module importing itself."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1 or node in graph.get(node, ()):
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_circles_within_an_app():
    for app in (*APPS, "jhop"):
        graph = {
            module: {t for t in targets if t in MODULES and t.split(".")[0] == app}
            for module, targets in GRAPH.items()
            if module.split(".")[0] == app
        }
        assert circles(graph) == [], app


def test_the_circle_finder_finds_a_circle_through_a_function_level_import():
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert circles({"a": {"b"}, "b": set()}) == []
