#!/usr/bin/env python3
"""The explainer's command line: build, serve, check, new."""
from __future__ import annotations

import argparse
import datetime as dt
import os
import shlex
import sys
import time
from pathlib import Path

from explainer import freshness
from explainer.parallel import WorkerLost
from explainer.problems import ContentErrors, Problem, report_lines, summary_line
from explainer.project import Project, input_files
from explainer.write import BuildError, live_tree

ROOT = Path(__file__).resolve().parent


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    unusable = _unusable_root(args.root)
    if unusable:
        print(f"build.py: error: {unusable}", file=sys.stderr)
        return 2
    try:
        return args.command(args)
    except ContentErrors as errors:
        _print_problems(errors.problems)
        return 1
    except BuildError as error:
        print(f"build.py: error: {error}", file=sys.stderr)
        return 1
    except WorkerLost as error:
        print(f"build.py: error: {error} (the system may have ended it for want of memory); "
              "nothing was written: run the build again, or free some memory first", file=sys.stderr)
        return 1
    except ModuleNotFoundError as error:
        library = _library_of(error)
        if library is None:
            raise
        print(f'build.py: error: the library "{library}" is missing: {_how_to_install(argv)}', file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="build.py", description="Build, preview and check the explainer site.")
    parser.add_argument("--root", type=Path, default=ROOT, help="the site folder (default: this repository)")
    parser.set_defaults(command=_build, drafts=False, out=None, profile=False, strict=False)
    commands = parser.add_subparsers(title="commands", metavar="{build,serve,check,new}")

    build = commands.add_parser("build", help="build the site into _site/ (the default)")
    build.add_argument("--drafts", action="store_true", help="include events and pages marked draft: true")
    build.add_argument("--out", type=Path, help="output folder (default: _site/ in the site folder)")
    build.add_argument("--profile", action="store_true", help="print where the time went, by stage")
    build.add_argument("--strict", action="store_true",
                       help="stop, writing nothing, on what check --strict stops on (what Netlify runs)")
    build.set_defaults(command=_build)

    serve = commands.add_parser("serve", help="preview with live reload, drafts shown")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1, this machine only)")
    serve.add_argument("--port", type=int, default=8000, help="port (default: 8000)")
    serve.set_defaults(command=_serve)

    check = commands.add_parser("check", help="validate everything, write nothing")
    check.add_argument("--strict", action="store_true", help="treat warnings as errors")
    check.add_argument("--notes", action="store_true", help="list every note, where notes of one kind are otherwise counted in one line")
    check.set_defaults(command=_check)

    new = commands.add_parser("new", help='scaffold content: new event "Title" --date YYYY-MM-DD, new translation FILE LANGUAGE')
    kinds = new.add_subparsers(title="what to scaffold", metavar="{event,translation}", required=True)
    event = kinds.add_parser("event", help='new event "Title" --date YYYY-MM-DD: content/events/<date>-<slug>.md')
    event.add_argument("title")
    event.add_argument("--date", required=True, help="YYYY, YYYY-MM or YYYY-MM-DD, or a range: 2021-10-21/2021-10-31")
    event.set_defaults(command=_new)
    translation = kinds.add_parser("translation", help="new translation FILE LANGUAGE: the file's translation beside it")
    translation.add_argument("original", help="an event's or page's file, e.g. content/events/lyon-picket.md")
    translation.add_argument("language", help="one of the site's other languages, e.g. be")
    translation.set_defaults(command=_new_translation)
    return parser


def _unusable_root(root: Path) -> str | None:
    """Why the site folder cannot be read and built, else None."""
    if not root.exists():
        return f"--root {root}: no such folder"
    if not root.is_dir():
        return f"--root {root} is a file, not the site's folder"
    cache = root / ".cache"
    if cache.exists() and not cache.is_dir():
        return f"{_shown(cache, root)} is a file, not a folder: the build keeps its cache in a folder of that name: move the file aside"
    return None


def _build(args: argparse.Namespace) -> int:
    project = Project.at(args.root, args.out)
    unusable = _unusable_out(args.out, project) if args.out else _unusable_site_folder(project.root / "_site")
    if unusable:
        print(f"build.py: error: {unusable}", file=sys.stderr)
        return 2
    started = time.perf_counter()
    files = input_files(project.root)
    options = {"drafts": args.drafts, "search": True, "strict": args.strict}
    stamp = freshness.input_stamp(project.root, project.out_dir, options, files)
    last = freshness.last_build_if_current(project, stamp)
    if last is not None:
        for warning in last.warnings:
            print(warning, file=sys.stderr)
        print(f"{_shown(project.out_dir, project.root)}/ is up to date: no input changed since it was built "
              f"({last.events} events), checked in {time.perf_counter() - started:.2f} s")
        return 0
    from explainer import pipeline  # only now: the check above needs none of the build's libraries

    progress = _progress_line(started) if sys.stderr.isatty() else None
    try:
        result = pipeline.build(project, drafts=args.drafts, progress=progress, stamp=stamp, inputs=files,
                                gate=_publishing_gate(project, search=True, strict=True) if args.strict else None)
    finally:
        if progress:
            print("\r\033[K", end="", file=sys.stderr, flush=True)
    report = result.report
    _print_problems(result.warnings, count=False)
    print(f"built {len(result.site.events)} events into {_shown(project.out_dir, project.root)}/: "
          f"{len(report.written)} files written, {report.unchanged} unchanged, {len(report.removed)} removed "
          f"in {time.perf_counter() - started:.2f} s")
    if args.profile:
        print(f"  {'pages rendered':<20} {result.pages_rendered:7d}")
        for stage, seconds in result.timings.items():
            print(f"  {stage:<20} {seconds:7.2f} s")
    return 0


def _unusable_site_folder(out: Path) -> str | None:
    """Why the default output folder, _site/, cannot be built into, else None: a build replaces it whole, so it may
    not be a file, nor a link, which would have the build replace (and delete the files of) the folder it leads to."""
    if out.is_symlink():
        return (f"{out.name} is a link to {os.readlink(out)}: a build replaces its output folder whole, deleting what the "
                f"folder it leads to holds: remove the link (to build elsewhere, pass --out FOLDER)")
    if out.exists() and not out.is_dir():
        return f"{out.name} is a file, not a folder: a build writes the site in a folder of that name: move the file aside"
    return None


def _unusable_out(out: Path, project: Project) -> str | None:
    """Why `--out` cannot be the output folder, else None: a build replaces the whole folder, deleting whatever it
    did not write, so it may not be a file or a link, hold the site or lie among its inputs, nor be a folder of other
    files."""
    if out.is_symlink():
        return f"--out {out} is a link to {os.readlink(out)}: a build replaces its output folder whole: give the folder itself"
    for path in (out, *out.parents):
        if path.exists() and not path.is_dir():
            return f"--out {out} is a file, not a folder" if path == out else f"--out {out}: {path} is a file, not a folder"
    target, root = project.out_dir, project.root
    inputs = [root / name for name in ("data", "content", "templates", "assets", ".cache")]
    inside = inputs + ([root / "_site"] if target != root / "_site" else [])  # the default output, which a build replaces
    if target == root or root.is_relative_to(target) or any(target.is_relative_to(folder) for folder in inside):
        return f"--out {out} would replace the site's own files: choose a folder of its own, such as {root.name}/_preview"
    if target.is_dir() and any(target.iterdir()) and live_tree(target, project.trees) is None:
        return f"--out {out} holds files that no build of this site wrote, which a build would delete: choose a new or empty folder"
    return None


def _publishing_gate(project: Project, *, search: bool, strict: bool):
    from explainer import pipeline
    from explainer.check import publishing_gate

    return publishing_gate(dt.date.today(), pipeline.theme_text(project), project.links, search=search, strict=strict,
                           root=project.root)


def _progress_line(started: float):
    """A line on the terminal that counts the pages rendered, redrawn at most five times a second."""
    shown = [0.0]

    def show(done: int, total: int) -> None:
        now = time.perf_counter()
        if now - shown[0] >= 0.2 or done == total:
            shown[0] = now
            print(f"\rrendering pages: {done:,} of {total:,}, {now - started:.1f} s", end="", file=sys.stderr, flush=True)
    return show


def _serve(args: argparse.Namespace) -> int:
    from explainer import serve

    return serve.serve(Project.at(args.root, args.root / ".cache" / "preview"), host=args.host, port=args.port)


def _check(args: argparse.Namespace) -> int:
    from explainer import pipeline
    from explainer.check import strictly

    project = Project.at(args.root)
    site, problems = pipeline.load_and_validate(project)
    if site is not None and not any(problem.is_error for problem in problems):
        # A build of its own, kept in .cache/check/: the next check renders, and reads the links of, only what changed.
        checked = Project.at(project.root, project.cache_dir / "check")
        problems += pipeline.build(checked, search=False, gate=_publishing_gate(checked, search=False, strict=False)).warnings
    if args.strict:
        problems = strictly(problems)
    problems = list(dict.fromkeys(problems))
    if problems:
        _print_problems(problems, every_note=args.notes)
    if not any(problem.is_error for problem in problems):
        print(f"ok: {len(site.events)} events, {len(site.pages)} pages, {len(site.sources)} sources")
        return 0
    return 1


def _new(args: argparse.Namespace) -> int:
    from explainer import scaffold
    from explainer.dates import DateError

    try:
        path = scaffold.new_event(args.root, args.title, args.date)
    except (DateError, scaffold.TitleError) as error:
        print(f"build.py new: error: {error}", file=sys.stderr)
        return 2
    except FileExistsError as error:
        print(f"build.py new: error: {_shown(Path(str(error)), args.root)} already exists", file=sys.stderr)
        return 1
    except BuildError as error:
        print(f"build.py new: error: {error}", file=sys.stderr)
        return 1
    print(f"created {_shown(path, args.root)}: fill in its summary, sources and body, then run .venv/bin/python build.py check")
    return 0


def _new_translation(args: argparse.Namespace) -> int:
    from explainer import pipeline, scaffold

    project = Project.at(args.root)
    original = scaffold.site_path(project.root, args.original)
    settings, items = pipeline.load_original(project, original)
    try:
        path, count, new = scaffold.new_translation(project.root, settings, items, original, args.language)
    except scaffold.TranslationError as error:
        print(f"build.py new: error: {error}", file=sys.stderr)
        return 2
    except FileExistsError as error:
        print(f"build.py new: error: {_shown(Path(str(error)), args.root)} already exists", file=sys.stderr)
        return 1
    except BuildError as error:
        print(f"build.py new: error: {error}", file=sys.stderr)
        return 1
    if not count:
        print(f"{_shown(path, args.root)}: every event of {args.original} has its translation already")
        return 0
    print(f"{'created' if new else f'added {count} events to'} {_shown(path, args.root)}: translate the commented text into each empty "
          "field (and the body), remove the comments, then run .venv/bin/python build.py check")
    return 0


def _print_problems(problems: list[Problem], count: bool = True, every_note: bool = False) -> None:
    """Errors first, then warnings, then notes (those of one kind in one line, unless `every_note`)."""
    for line in report_lines(problems, every_note):
        print(line, file=sys.stderr)
    if problems and count:
        print(summary_line(problems), file=sys.stderr)


_LIBRARIES = {"yaml": "PyYAML", "PIL": "Pillow"}  # imported by another name than requirements.txt gives them


def _library_of(error: ModuleNotFoundError) -> str | None:
    """The library of requirements.txt whose module could not be imported, or None for one of Python's or ours."""
    module = (error.name or "").partition(".")[0]
    if not module or module == "explainer" or module in sys.stdlib_module_names:
        return None
    return _LIBRARIES.get(module, module)


def _how_to_install(argv: list[str] | None) -> str:
    """What to run to have the libraries: into this Python if it is a virtual environment, else the project's own."""
    requirements = _typed(ROOT / "requirements.txt")
    if sys.prefix != sys.base_prefix:
        return f"run {_typed(Path(sys.executable))} -m pip install -r {requirements}"
    venv = _typed(ROOT / ".venv")
    command = shlex.join([_typed(Path(sys.argv[0])), *(sys.argv[1:] if argv is None else argv)])
    if (ROOT / ".venv" / "bin" / "python").exists():
        return f"this Python is not the project's: run {venv}/bin/python {command} (or activate it: source {venv}/bin/activate)"
    return (f"set up the project's Python: python3 -m venv {venv} && {venv}/bin/pip install -r {requirements}, "
            f"then run {venv}/bin/python {command}")


def _typed(path: Path) -> str:
    """The path as one types it here: relative to the current folder when in it, its links not followed."""
    absolute, here = Path(os.path.abspath(path)), Path.cwd()
    return absolute.relative_to(here).as_posix() if absolute.is_relative_to(here) else str(absolute)


def _shown(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


if __name__ == "__main__":
    sys.exit(main())
