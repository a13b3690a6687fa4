"""Command line: `python3 -m anneal_post render ...` and the `anneal-render` console script."""

from __future__ import annotations

import argparse
import sys

from .cgs_plot import plot_cgs
from .fields import PostError
from .lpinn_plot import plot_lpinn
from .poisson_plot import plot_poisson
from .render import render
from .turbulence_plot import plot_ftle, plot_tnti

PROG = "anneal_post"


class _Parser(argparse.ArgumentParser):
    """Usage mistakes get the same one-line error and exit status 2 as every other error."""

    def error(self, message: str):
        _fail(message)


def _component(text: str) -> int | str:
    if text == "magnitude":
        return text
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"bad component '{text}': give an integer or 'magnitude'") from None


def _add_render_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", metavar="FILE.h5", help="anneal HDF5 file with /grid and /fields")
    p.add_argument("field", metavar="FIELD", help="name under /fields, or a full dataset path starting with '/'")
    p.add_argument("-o", "--output", required=True, metavar="OUT.png", help="PNG to write (atomically)")
    p.add_argument("--component", type=_component, metavar="N|magnitude",
                   help="vector fields: component index or 'magnitude' (default: magnitude)")
    p.add_argument("--axis", choices=("x", "y", "z"), help="3-D fields: slice normal to this axis (default: z)")
    p.add_argument("--index", type=int, metavar="K",
                   help="3-D fields: plane index along --axis, negative counts from the end (default: middle)")
    p.add_argument("--time", type=int, metavar="STEP", help="time series: step index (default: last)")
    p.add_argument("--cmap", default="viridis", metavar="NAME", help="matplotlib colormap (default: viridis)")
    p.add_argument("--vmin", type=float, help="colour scale minimum (default: data minimum)")
    p.add_argument("--vmax", type=float, help="colour scale maximum (default: data maximum)")
    p.add_argument("--title", metavar="T", help="plot title (default: field and slice)")
    p.add_argument("--dpi", type=float, default=150, help="resolution (default: 150)")


def _run_render(args: argparse.Namespace) -> int:
    try:
        out = render(
            args.file, args.field, args.output,
            axis=args.axis, index=args.index, component=args.component, time=args.time,
            cmap=args.cmap, vmin=args.vmin, vmax=args.vmax, title=args.title, dpi=args.dpi,
        )
    except (PostError, OSError) as e:
        _fail(str(e))
    print(out)
    return 0


def main(argv: list[str] | None = None) -> int:
    """`python3 -m anneal_post <command> ...`; returns the exit status."""
    parser = _Parser(prog=PROG, description="Post-processing for anneal HDF5 outputs.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_render_arguments(commands.add_parser("render", help="draw a 2-D slice of a field to PNG"))
    lpinn = commands.add_parser("lpinn", help="draw an `anneal lpinn train` output (u, error, characteristics, loss)")
    lpinn.add_argument("file", metavar="FILE.h5")
    lpinn.add_argument("-o", "--output", required=True, metavar="OUT.png")
    ftle = commands.add_parser("ftle", help="draw an `anneal ftle` output (the FTLE of one case, or the "
                                            "momentum barriers)")
    ftle.add_argument("file", metavar="FILE.h5")
    ftle.add_argument("-o", "--output", required=True, metavar="OUT.png")
    ftle.add_argument("--case", type=int, default=0, metavar="I", help="which (t0, T) case (default: 0)")
    tnti = commands.add_parser("tnti", help="draw a turbulent/non-turbulent interface output (scalar, clusters, "
                                            "FTLE, conditional averages)")
    tnti.add_argument("file", metavar="FILE.h5")
    tnti.add_argument("-o", "--output", required=True, metavar="OUT.png")
    cgs = commands.add_parser("cgs", help="draw an `anneal cgs eval` output (first graph: exact and predicted; "
                                          "predicted against exact for all nodes)")
    cgs.add_argument("file", metavar="EVAL.h5")
    cgs.add_argument("-o", "--output", required=True, metavar="OUT.png")
    poisson = commands.add_parser("poisson", help="draw `anneal poisson solve` outputs (residual histories of "
                                                  "all files; mid-z slice of the first file's solution)")
    poisson.add_argument("files", nargs="+", metavar="OUT.h5")
    poisson.add_argument("-o", "--output", required=True, metavar="PLOT.png")
    args = parser.parse_args(argv)
    figures = {"cgs": lambda: plot_cgs(args.file, args.output),
               "poisson": lambda: plot_poisson(args.files, args.output),
               "lpinn": lambda: plot_lpinn(args.file, args.output),
               "ftle": lambda: plot_ftle(args.file, args.output, case=args.case),
               "tnti": lambda: plot_tnti(args.file, args.output)}
    if args.command in figures:
        try:
            print(figures[args.command]())
        except (PostError, OSError) as e:
            _fail(str(e))
        return 0
    return _run_render(args)


def render_main(argv: list[str] | None = None) -> int:
    """The `anneal-render` console script: the render command without the command word."""
    parser = _Parser(prog="anneal-render", description="Draw a 2-D slice of an anneal field to PNG.")
    _add_render_arguments(parser)
    return _run_render(parser.parse_args(argv))


def _fail(message: str):
    # One line, no traceback: these are user mistakes, not bugs (DESIGN §5).
    # HDF5 messages can span lines; keep the contract of exactly one.
    one_line = " ".join(message.splitlines())
    print(f"{PROG}: error: {one_line}", file=sys.stderr)
    sys.exit(2)
