"""The import structure ARCHITECTURE.md describes, checked on the source.

Every import in `keras_vsr` counts, including those inside functions (a lazy
import still ties two modules). The packages stand in layers; a module may
import its own package and the layers below it, never a layer above or one
beside it. No two modules import each other through any chain, and no module
takes another module's private (`_name`) names.
"""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "keras_vsr"

# Lowest first. A module may import only from its own package and from
# packages of a lower layer.
LAYERS = [
    ["utils"],
    ["trainers", "io", "presets", "layers"],
    ["losses", "metrics", "data"],
    ["models"],
    ["inference"],
    ["evaluation"],
    ["training"],
    ["app"],
    ["cli"],
]
RANK = {package: rank for rank, packages in enumerate(LAYERS) for package in packages}


def _modules():
    modules = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = ("keras_vsr",) + path.relative_to(PACKAGE).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join(parts)] = path
    return modules


MODULES = _modules()


def _imports(name, path):
    """`[(imported module, imported names)]` of one module, keras_vsr only."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(alias.name, ()) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([node.module] if node.module else []))
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                found.append((submodule, ()) if submodule in MODULES else (base, (alias.name,)))
    return [(module, names) for module, names in found if module.split(".")[0] == "keras_vsr"]


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def _package(module):
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None


def test_every_package_has_a_layer():
    packages = {_package(m) for m in MODULES} - {None}
    assert packages <= set(RANK), f"give these packages a layer: {sorted(packages - set(RANK))}"


def test_imports_run_down_the_layers():
    upward = []
    for module, imports in GRAPH.items():
        source = _package(module)
        if source is None:
            continue  # keras_vsr/__init__.py: the public face, lazy by importlib
        for target_module, _ in imports:
            target = _package(target_module)
            if target is not None and target != source and RANK[target] >= RANK[source]:
                upward.append(f"{module} -> {target_module}")
    assert not upward, "imports that do not run down the layers:\n" + "\n".join(upward)


def test_no_import_cycles():
    edges = {m: sorted({t for t, _ in imports if t in GRAPH and t != m}) for m, imports in GRAPH.items()}
    index, low, stack, on_stack, cycles = {}, {}, [], set(), []

    def visit(node):  # Tarjan's strongly connected components
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in edges[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in edges:
        if node not in index:
            visit(node)
    assert not cycles, f"modules that import each other: {cycles}"


def test_no_module_takes_another_modules_private_names():
    private = [
        f"{module} imports {name} from {target}"
        for module, imports in GRAPH.items()
        for target, names in imports
        for name in names
        if name.startswith("_") and target != module
    ]
    assert not private, "\n".join(private)


@pytest.mark.parametrize(
    "module, target",
    [
        ("keras_vsr.layers.x", "keras_vsr.metrics.image_quality"),
        ("keras_vsr.models.x", "keras_vsr.inference.tiling"),
        ("keras_vsr.losses.x", "keras_vsr.metrics.image_quality"),
    ],
)
def test_the_rule_catches_known_bad_imports(module, target):
    source, destination = _package(module), _package(target)
    assert RANK[destination] >= RANK[source]


def test_every_registered_class_has_its_own_name():
    """Keras finds `@register`ed classes by `keras_vsr>ClassName`: two classes
    of one name would load each other's saved models."""
    where = {}
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef) and any(
                getattr(d, "id", None) == "register" for d in node.decorator_list
            ):
                assert node.name not in where, f"{node.name} in {where.get(node.name)} and {path}"
                where[node.name] = path
    assert len(where) > 20
