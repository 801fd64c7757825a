"""The layout's floors, read from the source: who may import whom, and no import circles.

Every module of `interface/` and `adapters/` is parsed, imports inside functions
included (a lazy import is still a dependency), as are `importlib.import_module` calls
with a literal name. The rules (see docs/design.md, "Floors"):

- `interface` imports no framework but TensorFlow and nothing of `adapters`;
- a framework adapter (keras, sonnet, jax, flax) imports no other adapter, nor what sits
  above the adapters (keras_jax, cli, demo, crosscheck, examples); flax may import jax.
  Keras on the JAX backend needs both the Keras and the JAX adapter: it lives above them
  (`keras_jax`), and the Keras adapter finds it as a plugin through an entry point;
- the JAX adapter's TF-free half (`adapters.jax.runtime`, `adapters.jax.errors`: what
  runs on an accelerator host without TensorFlow) imports no TensorFlow-side package and
  nothing of the adapter outside that half;
- the scan's room (`interface.scanner`) judges a SavedModel directory and knows nothing of
  handles or pieces: of the core it imports only itself, `errors` and `compat`;
- no import circles among the project's modules;
- the public surface: nothing outside a package imports a module inside it, except the
  designated public modules (`PUBLIC_MODULES`). A package's names are its `__init__`'s;
  its other modules are internal (`is_internal`), importable only from inside the package
  (its own folder or a folder below). The rule covers the package's modules, and every
  Python snippet and `:::` reference of README.md and docs/; tests/ and benchmarks/
  measure internals and are exempt.

A string literal in the package that is exactly a project module's name (a lazy name's
module, an entry point) counts as an import of it, unless it names the module's own package.
"""

from __future__ import annotations

import ast
import collections
import dataclasses
import importlib.metadata
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = {
    "toplevel": "reusable_savedmodel",
    "interface": "reusable_savedmodel.interface",
    "adapters": "reusable_savedmodel.adapters",
}
INTERFACE = "reusable_savedmodel.interface"
ADAPTERS = "reusable_savedmodel.adapters"

#: Top-level packages of frameworks other than TensorFlow.
FRAMEWORKS = frozenset(
    {"keras", "sonnet", "jax", "jaxlib", "flax", "tf_keras", "tensorflow_hub", "tf2jax", "optax", "orbax", "torch"}
)
FRAMEWORK_ADAPTERS = ("keras", "sonnet", "jax", "flax")
#: The module of each direction every framework adapter has (docs/design.md, "Adding a framework").
ADAPTER_DIRECTIONS = ("_consume", "_produce")
#: Adapter -> the other adapters it may import: Flax is a JAX library.
ALLOWED_ADAPTER_IMPORTS = {"flax": {"jax"}}
#: The scan's room, and the only parts of the core it may import besides itself.
SCANNER = f"{INTERFACE}.scanner"
SCANNER_MAY_IMPORT = (SCANNER, f"{INTERFACE}._errors", f"{INTERFACE}._compat", f"{INTERFACE}._lazy")
#: The JAX adapter's TF-free half, and what it must never import (TensorFlow and its kin).
JAX_RUNTIME = (f"{ADAPTERS}.jax.runtime", f"{ADAPTERS}.jax._errors")
TENSORFLOW_SIDE = frozenset({"tensorflow", "tf2jax", "tf_keras", "tensorflow_hub"})


@dataclasses.dataclass(frozen=True)
class Import:
    """One import statement (or `importlib.import_module("...")` call) of a module."""

    module: str  # the importing module
    target: str  # the imported module, absolute
    line: int

    def __str__(self) -> str:
        return f"{self.module} (line {self.line}) imports {self.target}"


def module_name(path: Path) -> str:
    """`reusable_savedmodel.adapters.jax._consume` for `adapters/jax/_consume.py`."""
    relative = path.relative_to(ROOT).with_suffix("")
    top, *rest = relative.parts
    if rest and rest[-1] == "__init__":
        rest = rest[:-1]
    return ".".join([PACKAGES[top], *rest])


def project_modules() -> dict[str, Path]:
    """Every module of the distribution: name -> file."""
    return {
        module_name(path): path
        for top in PACKAGES
        for path in sorted((ROOT / top).rglob("*.py"))
        if "__pycache__" not in path.parts
    }


MODULES = project_modules()


def _absolute(module: str, path: Path, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for _ in range(node.level - 1):
        package = package.rpartition(".")[0]
    return f"{package}.{node.module}" if node.module else package


def _names_module(module: str, text: str) -> bool:
    """Whether a string literal of `module` names another project module (its own
    packages' names, as in messages, are no import)."""
    target = text.partition(":")[0]
    return target in MODULES and not module.startswith(target + ".")


def imports_of(module: str, path: Path) -> Iterator[Import]:
    """Every import in the module's source, wherever it is (functions included)."""
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(module, alias.name, node.lineno)
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(module, path, node)
            for alias in node.names:
                # `from pkg import sub` imports the submodule `pkg.sub` when there is one.
                candidate = f"{base}.{alias.name}"
                yield Import(module, candidate if candidate in MODULES else base, node.lineno)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and _names_module(module, node.value):
            # A lazy name's module, an entry point ("module:attr"): a dependency all the same.
            yield Import(module, node.value.partition(":")[0], node.lineno)
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", getattr(node.func, "id", None)) == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            yield Import(module, node.args[0].value, node.lineno)


IMPORTS = list(dict.fromkeys(imp for name, path in MODULES.items() for imp in imports_of(name, path)))


def _top(target: str) -> str:
    return target.split(".")[0]


def _adapter_of(module: str) -> str | None:
    """The adapter sub-package a module belongs to (`keras`, `cli`, `examples`...), or None."""
    if not module.startswith(ADAPTERS + "."):
        return None
    return module[len(ADAPTERS) + 1 :].split(".")[0]


def interface_violations(imports: list[Import]) -> list[Import]:
    """Imports by `interface` modules of another framework or of `adapters`."""
    return [
        imp
        for imp in imports
        if (imp.module == INTERFACE or imp.module.startswith(INTERFACE + "."))
        and (_top(imp.target) in FRAMEWORKS or imp.target == ADAPTERS or imp.target.startswith(ADAPTERS + "."))
    ]


def adapter_violations(imports: list[Import]) -> list[Import]:
    """Imports by a framework adapter of another part of `adapters` it may not use."""
    found = []
    for imp in imports:
        own, target = _adapter_of(imp.module), _adapter_of(imp.target)
        if own not in FRAMEWORK_ADAPTERS or target is None or target == own:
            continue
        if target not in ALLOWED_ADAPTER_IMPORTS.get(own, set()):
            found.append(imp)
    return found


def _in(module: str, roots: tuple[str, ...]) -> bool:
    return any(module == root or module.startswith(root + ".") for root in roots)


def jax_runtime_violations(imports: list[Import]) -> list[Import]:
    """Imports by the JAX adapter's TF-free half of TensorFlow, or of the adapter's other half.

    The core's `interface.errors` is allowed (it imports nothing); the rest of `interface`
    is not, as most of it needs TensorFlow.
    """
    return [
        imp
        for imp in imports
        if _in(imp.module, JAX_RUNTIME)
        and (
            _top(imp.target) in TENSORFLOW_SIDE
            or (_in(imp.target, (f"{ADAPTERS}.jax",)) and not _in(imp.target, JAX_RUNTIME) and imp.target != f"{ADAPTERS}.jax")
            or (_in(imp.target, (INTERFACE,)) and imp.target not in (INTERFACE, f"{INTERFACE}._errors"))
        )
    ]


#: Modules outside their package's `__init__` that other packages may import: the one
#: surface the adapters use, the bundled example models (the guides build on them) and
#: the CLI's `python -m` entry.
PUBLIC_MODULES = frozenset({f"{INTERFACE}.kit", f"{ADAPTERS}.examples", f"{ADAPTERS}.cli.__main__"})
PACKAGE_NAMES = frozenset(name for name, path in MODULES.items() if path.name == "__init__.py")


def is_internal(module: str) -> bool:
    """Whether `module` is internal to its package: its name starts with `_` (a dunder name,
    `__main__`, does not)."""
    last = module.rpartition(".")[2]
    return last.startswith("_") and not last.startswith("__")


def owner(target: str) -> str | None:
    """The package whose internal `target` is (None when public): the parent of its first
    internal prefix. Only modules inside that package may import `target`."""
    parts = target.split(".")
    for end in range(2, len(parts) + 1):
        if is_internal(".".join(parts[:end])):
            return ".".join(parts[: end - 1])
    return None


def surface_violations(imports: list[Import]) -> list[Import]:
    """Imports of a project module's internals from outside the package that owns them."""
    found = []
    for imp in imports:
        package = owner(imp.target) if imp.target in MODULES else None
        if package is not None and not _in(imp.module, (package,)):
            found.append(imp)
    return found


_FENCE = re.compile(r"^```python\n(.*?)^```", re.S | re.M)
_REFERENCE = re.compile(r"^::: *([\w.]+)", re.M)


def _project_module(dotted: str) -> str | None:
    """The longest prefix of a dotted name that is a project module (`a.b.Name` -> `a.b`)."""
    parts = dotted.split(".")
    return next((m for end in range(len(parts), 0, -1) if (m := ".".join(parts[:end])) in MODULES), None)


def documentation_imports() -> list[Import]:
    """The project modules README.md and docs/ import in their Python snippets or name in
    their mkdocstrings `:::` references, as imports by `<page snippet N>` (outside every package)."""
    found = []
    for page in [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]:
        text, name = page.read_text(), page.relative_to(ROOT).as_posix()
        for n, code in enumerate(_FENCE.findall(text), start=1):
            for node in ast.walk(ast.parse(code)):
                if isinstance(node, ast.Import):
                    targets = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module:
                    targets = [f"{node.module}.{alias.name}" for alias in node.names]
                else:
                    continue
                found += [Import(f"<{name} snippet {n}>", m, node.lineno) for t in targets if (m := _project_module(t))]
        for match in _REFERENCE.finditer(text):
            if module := _project_module(match.group(1)):
                found.append(Import(f"<{name}>", module, text.count("\n", 0, match.start()) + 1))
    return found


def cycles(imports: list[Import]) -> list[list[str]]:
    """Import circles among project modules, each as the modules around it (first repeated)."""
    graph: dict[str, set[str]] = {name: set() for name in MODULES}
    for imp in imports:
        if imp.target in MODULES and imp.target != imp.module:
            graph[imp.module].add(imp.target)
    found, state, stack = [], {}, []

    def visit(node: str) -> None:
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                found.append([*stack[stack.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = "done"

    for name in sorted(graph):
        if name not in state:
            visit(name)
    return found


def test_the_layout_is_read():
    """The scan sees the modules and the lazy imports it is meant to judge."""
    assert f"{INTERFACE}._piece" in MODULES and f"{ADAPTERS}.jax._consume" in MODULES
    lazy = [imp for imp in IMPORTS if imp.module == f"{ADAPTERS}.cli._crosscheck"]
    assert any(imp.target == f"{ADAPTERS}.crosscheck" for imp in lazy), lazy


def scanner_violations(imports: list[Import]) -> list[Import]:
    """Imports by the scanner room of any part of the core but itself, `errors` and `compat`."""

    def within(module: str, roots: tuple[str, ...]) -> bool:
        return any(module == root or module.startswith(root + ".") for root in roots)

    return [
        imp
        for imp in imports
        if within(imp.module, (SCANNER,))
        and within(imp.target, (INTERFACE,))
        and not within(imp.target, SCANNER_MAY_IMPORT)
    ]


def test_the_scanner_knows_nothing_of_handles_or_pieces():
    bad = scanner_violations(IMPORTS)
    assert not bad, "the scanner imports the core outside its room:\n" + "\n".join(map(str, bad))


def test_interface_imports_only_tensorflow_and_itself():
    bad = interface_violations(IMPORTS)
    assert not bad, "interface must import no other framework and nothing of adapters:\n" + "\n".join(map(str, bad))


def test_framework_adapters_do_not_import_one_another():
    bad = adapter_violations(IMPORTS)
    assert not bad, "a framework adapter imports another part of adapters:\n" + "\n".join(map(str, bad))


def test_the_jax_runtime_imports_no_tensorflow():
    bad = jax_runtime_violations(IMPORTS)
    assert not bad, "the JAX adapter's TF-free half imports TensorFlow's side:\n" + "\n".join(map(str, bad))


def test_nothing_outside_a_package_imports_its_internals():
    bad = surface_violations(IMPORTS)
    assert not bad, "internal modules imported from outside their package:\n" + "\n".join(map(str, bad))

def test_every_module_is_a_package_internal_or_public():
    # What is public is read from the tree: a package's `__init__`, the designated public
    # modules, and nothing else (every other module's name starts with `_`).
    unmarked = [
        name
        for name in MODULES
        if name not in PACKAGE_NAMES
        and name not in PUBLIC_MODULES
        and not is_internal(name)
        and not name.endswith(".__main__")
    ]
    assert not unmarked, f"modules neither `_`-prefixed nor designated public: {unmarked}"


def test_the_documentation_uses_only_the_public_surface():
    found = documentation_imports()
    assert any(imp.target == f"{ADAPTERS}.keras" for imp in found), "the snippets are read"
    bad = surface_violations(found)
    assert not bad, "README.md or docs/ show internal modules:\n" + "\n".join(map(str, bad))


def test_every_framework_adapter_has_both_directions():
    missing = [
        f"{ADAPTERS}.{adapter}.{direction}"
        for adapter in FRAMEWORK_ADAPTERS
        for direction in ADAPTER_DIRECTIONS
        if f"{ADAPTERS}.{adapter}.{direction}" not in MODULES
    ]
    assert not missing, f"framework adapters without a direction's module: {missing}"


def test_no_import_circles():
    found = cycles(IMPORTS)
    assert not found, "import circles:\n" + "\n".join(" -> ".join(c) for c in found)


@pytest.mark.parametrize(
    ("imports", "rule"),
    [
        ([Import(f"{INTERFACE}._piece", "keras", 3)], interface_violations),
        ([Import(f"{INTERFACE}.handles._cache", "tensorflow_hub.resolver", 3)], interface_violations),
        ([Import(f"{INTERFACE}.check", f"{ADAPTERS}.crosscheck", 9)], interface_violations),
        ([Import(f"{SCANNER}._allowlist_scan", f"{INTERFACE}._piece", 5)], scanner_violations),
        ([Import(f"{SCANNER}._allowlist_scan", f"{INTERFACE}.handles._resolve", 5)], scanner_violations),
        ([Import(f"{ADAPTERS}.keras._consume", f"{ADAPTERS}.sonnet", 5)], adapter_violations),
        ([Import(f"{ADAPTERS}.jax._consume", f"{ADAPTERS}.flax._consume", 5)], adapter_violations),
        ([Import(f"{ADAPTERS}.sonnet._produce", f"{ADAPTERS}.examples", 5)], adapter_violations),
        ([Import(f"{ADAPTERS}.keras._consume", f"{ADAPTERS}.jax", 5)], adapter_violations),
        ([Import(f"{ADAPTERS}.keras", f"{ADAPTERS}.keras_jax._consume", 5)], adapter_violations),
        ([Import(f"{ADAPTERS}.jax.runtime._jax_piece", "tensorflow", 5)], jax_runtime_violations),
        ([Import(f"{ADAPTERS}.jax.runtime._loading", f"{ADAPTERS}.jax.conversion._convert", 5)], jax_runtime_violations),
        ([Import(f"{ADAPTERS}.jax._errors", f"{INTERFACE}._piece", 5)], jax_runtime_violations),
        ([Import(f"{ADAPTERS}.cli", f"{INTERFACE}._errors", 5)], surface_violations),
        ([Import(INTERFACE, f"{INTERFACE}.scanner._allowlist_scan", 5)], surface_violations),
        ([Import(f"{ADAPTERS}.jax._consume", f"{ADAPTERS}.jax.runtime._wide", 5)], surface_violations),
        ([Import("<README.md snippet 1>", f"{INTERFACE}._piece", 5)], surface_violations),
    ],
)
def test_each_rule_catches_its_violation(imports, rule):
    assert rule(imports) == imports


def test_each_rule_allows_what_the_floors_allow():
    allowed = [
        Import(f"{INTERFACE}._piece", "tensorflow", 1),
        Import(f"{ADAPTERS}.flax._consume", f"{ADAPTERS}.jax.runtime._jax_piece", 1),
        Import(f"{ADAPTERS}.crosscheck._consumers_jax", f"{ADAPTERS}.flax", 1),
        Import(f"{ADAPTERS}.keras_jax._consume", f"{ADAPTERS}.jax", 1),
        Import(f"{ADAPTERS}.keras_jax._produce", f"{ADAPTERS}.keras._produce", 1),
        Import(f"{ADAPTERS}.keras._consume", f"{INTERFACE}.kit", 1),
    ]
    assert interface_violations(allowed) == [] and adapter_violations(allowed) == []
    scanner = [
        Import(f"{SCANNER}._allowlist_scan", f"{SCANNER}._graph_walk", 1),
        Import(f"{SCANNER}._allowlist_scan", f"{INTERFACE}._compat", 1),
        Import(f"{SCANNER}._contained_files", f"{INTERFACE}._errors", 1),
        Import(f"{INTERFACE}._scanning", f"{INTERFACE}._piece", 1),
    ]
    assert scanner_violations(scanner) == []
    runtime = [
        Import(f"{ADAPTERS}.jax.runtime._jax_piece", "jax", 1),
        Import(f"{ADAPTERS}.jax.runtime._jax_piece", f"{ADAPTERS}.jax._errors", 1),
        Import(f"{ADAPTERS}.jax._errors", f"{INTERFACE}._errors", 1),
        Import(f"{ADAPTERS}.jax.conversion._convert", "tensorflow", 1),
    ]
    assert jax_runtime_violations(runtime) == []
    surface = [
        Import(f"{ADAPTERS}.keras._consume", f"{INTERFACE}.kit", 1),  # a public module
        Import(f"{ADAPTERS}.cli", f"{INTERFACE}.handles", 1),  # a package
        Import(f"{ADAPTERS}.cli", f"{ADAPTERS}.cli.__main__", 1),
        Import(f"{INTERFACE}.handles._cache", f"{INTERFACE}._errors", 1),  # inside `interface`
        Import(f"{ADAPTERS}.jax.runtime._traces", f"{ADAPTERS}.jax.runtime._wide", 1),
        Import("<README.md snippet 1>", "tensorflow", 1),  # not the project's
    ]
    assert surface_violations(surface) == []


def test_the_keras_adapter_finds_its_jax_backend_through_the_installed_entry_point():
    # The Keras adapter names no module above it: the installed distribution registers
    # `keras_jax` as the "jax" backend's implementation (pyproject.toml, entry points).
    (plugin,) = importlib.metadata.entry_points(group="reusable_savedmodel.keras_backends", name="jax")
    assert plugin.value == f"{ADAPTERS}.keras_jax"
    assert plugin.value in MODULES


def test_a_lazy_circle_is_found():
    a, b = f"{ADAPTERS}.jax.runtime._jax_piece", f"{ADAPTERS}.jax.runtime._saving"
    found = cycles([Import(a, b, 1), Import(b, a, 40)])
    assert found == [[a, b, a]] or found == [[b, a, b]]


def test_no_two_test_modules_share_a_name():
    # pytest imports test modules by base name (the tests folders are not packages): two
    # files of one name fail the whole collection on a clean run.
    tests = Path(__file__).resolve().parent
    names = collections.Counter(p.name for p in tests.rglob("test_*.py"))
    assert [name for name, count in names.items() if count > 1] == []
