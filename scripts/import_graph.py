"""The project's import graph: package-level arrows, any cycle between modules, modules outside every layer.

    .venv/bin/python scripts/import_graph.py            # fails (exit 1) on a circle or an unplaced module
    .venv/bin/python scripts/import_graph.py --arrows   # also prints which package imports which

An import inside a function counts: it hides a circle from Python's import machinery, not from a
reader. `lint-imports` (contracts in pyproject.toml) holds the layers; this holds "no circle at all"
and "every module of a layers contract's container is in one of its layers": a module in none is
checked by no layer, so it could import anything of its app.
"""

import sys
import tomllib
from collections import defaultdict
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("fundmgr", "campaigns", "donations", "receipts", "scholarships", "public")


def package_of(module: str) -> str:
    parts = module.split(".")
    return ".".join(parts[:2]) if parts[0] == "fundmgr" and len(parts) > 1 else parts[0]


def module_cycles(graph) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index, low, on_stack, stack, cycles = {}, {}, set(), [], []
    counter = 0
    for root in sorted(graph.modules):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.find_modules_directly_imported_by(child)))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
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
    return cycles


def unplaced_modules(graph) -> list[str]:
    """The children of every container of a layers contract that name none of its layers."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    unplaced = []
    for contract in config["tool"]["importlinter"]["contracts"]:
        if contract["type"] != "layers":
            continue
        names = {
            tail.strip().strip("()")
            for layer in contract["layers"]
            for tail in layer.replace("|", ":").split(":")
        }
        for container in contract.get("containers", []):
            for child in sorted(graph.find_children(container)):
                if child.rsplit(".", 1)[1] not in names:
                    unplaced.append(child)
    return unplaced


def main() -> int:
    sys.path.insert(0, str(ROOT))
    graph = grimp.build_graph(*PACKAGES, cache_dir=None)
    if "--arrows" in sys.argv:
        arrows = defaultdict(set)
        for module in graph.modules:
            for imported in graph.find_modules_directly_imported_by(module):
                if package_of(module) != package_of(imported):
                    arrows[package_of(module)].add(package_of(imported))
        for package in sorted(arrows):
            print(f"{package} -> {', '.join(sorted(arrows[package]))}")
    cycles = module_cycles(graph)
    for cycle in cycles:
        print("import cycle:", " <-> ".join(cycle))
        for module in cycle:
            inside = sorted(set(graph.find_modules_directly_imported_by(module)) & set(cycle))
            print(f"    {module} imports {', '.join(inside)}")
    unplaced = unplaced_modules(graph)
    for module in unplaced:
        print("in no layer:", module, "(place it in a layers contract of pyproject.toml)")
    print(f"{len(graph.modules)} modules, {len(cycles)} import cycles, {len(unplaced)} modules in no layer")
    return 1 if cycles or unplaced else 0


if __name__ == "__main__":
    sys.exit(main())
