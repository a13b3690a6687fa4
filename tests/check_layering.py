"""DESIGN.md §1: includes point downward only.

apps -> generative, physics -> solvers -> nn -> io -> core; generative may use physics; physics
never includes generative; nothing includes apps. Also: the MPI, PETSc, HDF5 and CUDA headers appear
only in the few files whose job is to wrap them (and in .cpp/.cu files)."""
import pathlib
import re
import sys

ORDER = ["core", "io", "nn", "solvers", "physics", "generative", "apps"]
# A module may include itself and the modules allowed below it.
ALLOWED = {m: set(ORDER[: i + 1]) for i, m in enumerate(ORDER)}
ALLOWED["physics"] = {"core", "io", "nn", "solvers", "physics"}
ALLOWED["generative"] = {"core", "io", "nn", "solvers", "physics", "generative"}
# Public headers that may expose the wrapped libraries' types.
WRAPPERS = {"core/mpi_comm.hpp", "io/hdf5_handle.hpp", "solvers/krylov/petsc_krylov.hpp",
            "solvers/krylov/petsc_dcdm.hpp", "solvers/krylov/petsc_fcg_proposer.hpp",
            "physics/poisson/petsc_poisson.hpp"}
# Private headers named *_petsc.hpp hold a module's PETSc-facing internals (never included by other modules).
WRAPPER_SUFFIX = "_petsc.hpp"
WRAPPED = re.compile(r'#include\s*[<"](mpi\.h|petsc[^">]*|hdf5\.h|H5[^">]*|cuda[^">]*|cublas[^">]*|cudnn[^">]*)[">]')
INCLUDE = re.compile(r'#include\s*"([a-z_]+)/[^"]+"')

root = pathlib.Path(sys.argv[1])
problems = []
for module in ORDER:
    for path in sorted((root / module).rglob("*")):
        if path.suffix not in {".hpp", ".cpp", ".cu", ".cuh", ".h"}:
            continue
        rel = path.relative_to(root).as_posix()
        text = path.read_text(errors="replace")
        for target in INCLUDE.findall(text):
            if target in ORDER and target not in ALLOWED[module]:
                problems.append(f"{rel}: includes {target}/, which is above {module}/")
        if path.suffix in {".hpp", ".cuh", ".h"} and rel not in WRAPPERS and not rel.endswith(WRAPPER_SUFFIX):
            for header in WRAPPED.findall(text):
                problems.append(f"{rel}: public header includes <{header}>; wrap it in a .cpp")

for p in problems:
    print(p)
print(f"layering: {len(problems)} problem(s)")
sys.exit(1 if problems else 0)
