#!/usr/bin/env python3
"""Turns the chapters' and exercises' READMEs into Doxygen pages, in the talk's order.

A README is written for GitHub first; this script makes it a course page:

- its first line, `# Title`, becomes the page title with an explicit anchor (`{#chapter05}`,
  `{#exercise05}`), whatever anchor the README had;
- a line `<!-- snippet FILE TAG -->` (invisible on GitHub) becomes `\\snippet`, so the page shows the
  code between the `//! [TAG]` markers of FILE (a path relative to the README), as compiled;
- a line `<!-- diagram NAME: caption -->` shows docs/diagrams/NAME.dot (when Graphviz is there);
- links to other READMEs become links to their pages; links to common/'s headers go to their API
  pages; other relative links (source files) keep their text, since the page shows the code;
- previous/next links and the link between a chapter and its exercise are added.

It also writes the two index pages (`chapters`, `exercises`), the benchmark page, which shows the
chart and table `./workbook bench` wrote, when there are any, and the page "When each mechanism
wins" (docs/slow.md), with the crossover chart and table of `./workbook bench --slow`: the build
folder's, or else the run recorded in bench/ (slow.svg, slow.csv, slow.json).

Usage: make_pages.py --source ROOT --out DIR [--bench DIR]
Errors are one line on stderr and exit status 1.
"""

import argparse
import csv
import datetime
import json
import math
import os
import re
import shutil
import sys

FOLDER = re.compile(r"^(\d\d)_[A-Za-z0-9_]+$")
TITLE = re.compile(r"^#\s+(.*?)\s*(\{#[A-Za-z0-9_]+\})?\s*$")
SNIPPET = re.compile(r"^\s*<!--\s*snippet\s+(\S+)\s+(\S+)\s*-->\s*$")
DIAGRAM = re.compile(r"^\s*<!--\s*diagram\s+([A-Za-z0-9_]+)\s*:\s*(.*?)\s*-->\s*$")
FENCE = re.compile(r"^\s*(```|~~~)")
LINK = re.compile(r"(!?)\[([^\]]*)\]\(([^)\s]+)\)")
CODE_SPAN = re.compile(r"(`+)(.+?)(?<!`)\1(?!`)")
# Outside code, Doxygen reads @word and \word as commands; on GitHub they are plain text.
COMMAND_LIKE = re.compile(r"(?<![\\\w])([@\\])(?=[A-Za-z])")
# Doxygen turns -- into an en dash; before a letter it is a command-line option.
OPTION_DASHES = re.compile(r"(?<![-\\])--(?=[A-Za-z])")
# HTML tags and markdown link targets, which keep their quotes.
PROTECTED = re.compile(r"(<[^>]*>|\]\([^)]*\))")
MECHANISM = re.compile(r'\.mechanism\s*=\s*"((?:[^"\\]|\\.)*)"')
SNIPPET_TYPES = (".cpp", ".hpp", ".py")

# The chart and table ./workbook bench writes (bench/main.cpp), in the order they are looked for.
BENCH_CHARTS = ("chart.svg", "cost_per_event.svg")
BENCH_TABLES = ("bench.csv",)
BENCH_COLUMNS = ("label", "implementation", "mechanism", "ns_per_event", "ratio_to_01", "events", "runs",
                 "target_status")
# What ./workbook bench --slow writes; bench/ holds a recorded run, shown until the build has its own.
SLOW_CHART, SLOW_TABLE, SLOW_JSON = "slow.svg", "slow.csv", "slow.json"
SLOW_RESULTS = re.compile(r"^\s*<!--\s*slow results\s*-->\s*$")
WAITERS_CHART, WAITERS_TABLE, WAITERS_JSON = "waiters.svg", "waiters.csv", "waiters.json"
WAITERS_RESULTS = re.compile(r"^\s*<!--\s*waiters results\s*-->\s*$")
MAP_ROW = re.compile(r"^\|.*\\ref (chapter\d\d)\b")


class PageError(Exception):
    """A README that cannot become a page; the message names the file and the fix."""


class Unit:
    """One chapter or exercise folder with a README."""

    def __init__(self, kind, root, folder):
        self.kind = kind  # "chapter" or "exercise"
        self.folder = folder  # e.g. "05_feed_counter"
        self.number = folder[:2]
        self.dir = os.path.join(root, kind + "s", folder)
        self.readme = os.path.join(self.dir, "README.md")
        self.anchor = f"{kind}{self.number}"
        with open(self.readme, encoding="utf-8") as f:
            self.lines = f.read().splitlines()
        while self.lines and not self.lines[0].strip():
            self.lines.pop(0)
        match = TITLE.match(self.lines[0]) if self.lines else None
        if not match:
            raise PageError(f"{rel(root, self.readme)}: the first line must be the page title, "
                            f"e.g. '# {kind.capitalize()} {self.number}: ...'")
        self.title = match.group(1)


def rel(root, path):
    return os.path.relpath(path, root)


def units(root, kind):
    base = os.path.join(root, kind + "s")
    if not os.path.isdir(base):
        return []
    found = []
    for folder in sorted(os.listdir(base)):
        if FOLDER.match(folder) and os.path.isfile(os.path.join(base, folder, "README.md")):
            found.append(Unit(kind, root, folder))
    return found


def mechanism(unit):
    """The chapter's `.mechanism = "..."`, as the runner and the tour print it."""
    for name in sorted(os.listdir(unit.dir)):
        if name.endswith(".cpp"):
            with open(os.path.join(unit.dir, name), encoding="utf-8") as f:
                match = MECHANISM.search(f.read())
            if match:
                return match.group(1).replace('\\"', '"')
    return ""


def escape_title(text):
    return text.replace('"', "'")


def ref(target, text=None):
    """A \\ref to a page; always with its text, so that punctuation after it stays out of the name."""
    if isinstance(target, Unit):
        target, text = target.anchor, text or target.title
    return f'\\ref {target} "{escape_title(text)}"'


class Converter:
    def __init__(self, root, by_path):
        self.root = root
        self.by_path = by_path  # README path -> Unit
        self.headers = os.path.join(root, "common", "include", "workbook")

    def link(self, unit, match):
        bang, text, target = match.groups()
        if bang or re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith(("#", "@ref")):
            return match.group(0)  # images, web links and links inside the page stay as they are
        path, _, fragment = target.partition("#")
        full = os.path.normpath(os.path.join(unit.dir, path))
        if full in self.by_path:
            return f"[{text}](@ref {self.by_path[full].anchor})"
        if full == os.path.join(self.root, "README.md"):
            return f"[{text}](@ref index)"
        if os.path.dirname(full) == self.headers and full.endswith(".hpp"):
            return f"[{text}](@ref {os.path.basename(full)})"
        if unit.kind == "exercise" and full.startswith(os.path.join(self.root, "solutions") + os.sep):
            return text  # an exercise page never leads to its solution
        return text  # a source file or folder: the page shows the code that matters

    def snippet(self, unit, file, tag, readme_line):
        full = os.path.normpath(os.path.join(unit.dir, file))
        where = f"{rel(self.root, unit.readme)}:{readme_line}"
        allowed = [os.path.join(self.root, "common", "include")]
        allowed.append(unit.dir if unit.kind == "exercise" else os.path.join(self.root, "chapters"))
        if not any(full.startswith(a + os.sep) for a in allowed):
            raise PageError(f"{where}: snippet file '{file}' is outside "
                            f"{' and '.join(rel(self.root, a) + '/' for a in allowed)}")
        if not full.endswith(SNIPPET_TYPES):
            raise PageError(f"{where}: snippet file '{file}' is not a {'/'.join(SNIPPET_TYPES)} file")
        if not os.path.isfile(full):
            raise PageError(f"{where}: snippet file '{file}' does not exist")
        with open(full, encoding="utf-8") as f:
            markers = sum(1 for line in f if f"[{tag}]" in line)
        if markers != 2:
            raise PageError(f"{where}: '{file}' must hold '[{tag}]' exactly twice, on the marker lines "
                            f"before and after the code to show ('//! [{tag}]'), but holds it {markers} times")
        return f"\\snippet {rel(self.root, full)} {tag}"

    def body(self, unit):
        out, in_fence = [], False
        for number, line in enumerate(unit.lines[1:], start=2):
            if FENCE.match(line):
                in_fence = not in_fence
                out.append(line)
                continue
            if in_fence:
                out.append(line)
                continue
            snippet = SNIPPET.match(line)
            diagram = DIAGRAM.match(line)
            if snippet:
                out.append(self.snippet(unit, snippet.group(1), snippet.group(2), number))
            elif diagram:
                name, caption = diagram.groups()
                if not os.path.isfile(os.path.join(self.root, "docs", "diagrams", name + ".dot")):
                    raise PageError(f"{rel(self.root, unit.readme)}:{number}: no docs/diagrams/{name}.dot")
                out += ["\\if HAVE_DOT", f'\\dotfile {name}.dot "{escape_title(caption)}"',
                        "\\else", "(Install Graphviz and rebuild the docs to see the diagram here.)",
                        "\\endif"]
            else:
                out.append(LINK.sub(lambda m: self.link(unit, m), inline_text(line)))
        if in_fence:
            raise PageError(f"{rel(self.root, unit.readme)}: a code fence is never closed")
        return out


def plain_text(text):
    """Text outside code: Doxygen's commands escaped, and straight double quotes made typographic,
    since Doxygen takes "..." as a literal string and renders no markdown or HTML inside it."""
    out = []
    for part in PROTECTED.split(text):
        if PROTECTED.fullmatch(part):
            out.append(part)
            continue
        part = COMMAND_LIKE.sub(r"\\\1", part)
        part = OPTION_DASHES.sub(r"\\--", part)  # `--variant`, not an en dash
        part = re.sub(r'(^|(?<=[\s(\[{—-]))"', "\u201c", part)
        out.append(part.replace('"', "\u201d"))
    return "".join(out)


def inline_text(line):
    """A README line as Doxygen should read it, meaning what it means on GitHub."""
    out, end = [], 0
    for span in CODE_SPAN.finditer(line):
        out.append(plain_text(line[end:span.start()]))
        fence, code = span.groups()
        # Doxygen 1.9 reads `text' as a quotation, so a one-backtick span holding a quote breaks;
        # two backticks mean the same on GitHub and in Doxygen.
        out.append(f"``{code}``" if fence == "`" and "'" in code else span.group(0))
        end = span.end()
    out.append(plain_text(line[end:]))
    return "".join(out)


def nav(items, index, label):
    """Previous / next links, in the talk's order."""
    parts = []
    if index > 0:
        parts.append(f'<span class="course-prev">&larr; {ref(items[index - 1])}</span>')
    parts.append(f'<span class="course-up">{ref(label[0], label[1])}</span>')
    if index + 1 < len(items):
        parts.append(f'<span class="course-next">{ref(items[index + 1])} &rarr;</span>')
    return ['<div class="course-nav">', " ".join(parts), "</div>"]


def write(path, lines):
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")


def chapter_page(conv, chapters, exercises, index, slow_chapters=()):
    unit = chapters[index]
    exercise = exercises.get(unit.number)
    headings = sum(1 for line in unit.lines if line.startswith("## "))
    lines = [f"# {unit.title} {{#{unit.anchor}}}", ""]
    top = [f"Chapter {int(unit.number)} of {len(chapters)}"]
    if exercise:
        top.append(f"its exercise: {ref(exercise)}")
    lines += ['<div class="course-where">', " &middot; ".join(top), "</div>", ""]
    if headings >= 3:
        lines += ["\\tableofcontents", ""]
    lines += conv.body(unit)
    lines += [""]
    if str(int(unit.number)) in slow_chapters:
        lines += [f"Against slow counters, which mechanism wins when: \\ref {slow_anchor(unit.number)} "
                  f"\"this chapter's row\" of \\ref slow.", ""]
    commands = (f"`./workbook check {unit.number}` tells you where you are with it, "
                f"`./workbook hint {unit.number}` gives a hint.")
    if exercise and any(f"exercises/{exercise.folder}/README.md" in line for line in unit.lines):
        lines += [commands, ""]  # the README already introduces its exercise
    elif exercise:
        lines += ["## Your turn", "", f"Try {ref(exercise)}: " + commands, ""]
    lines += nav(chapters, index, ("chapters", "All chapters"))
    return lines


def exercise_page(conv, exercises, chapters, index):
    unit = exercises[index]
    chapter = chapters.get(unit.number)
    lines = [f"# {unit.title} {{#{unit.anchor}}}", ""]
    top = [f"Exercise {int(unit.number)} of {len(exercises)}"]
    if chapter:
        top.append(f"after {ref(chapter)}")
    lines += ['<div class="course-where">', " &middot; ".join(top), "</div>", ""]
    lines += conv.body(unit)
    lines += [""]
    lines += nav(exercises, index, ("exercises", "All exercises"))
    return lines


def index_pages(chapters, exercises):
    chapter_list = ["# The chapters {#chapters}", "",
                    "The talk's program, rewritten once per chapter, in the talk's order. Each page says which "
                    "step of the talk it retells, shows the C++ next to the Python idea, pulls the key code "
                    "from the chapter's own source, and gives what the mechanism costs per event, measured.",
                    ""]
    for unit in chapters:
        what = mechanism(unit)
        chapter_list.append(f"- \\subpage {unit.anchor}" + (f" &mdash; {what}" if what else ""))
    exercise_list = ["# The exercises {#exercises}", "",
                     "One exercise per chapter, each a real step beyond it. Every exercise is a folder "
                     "`exercises/NN_name/` with a statement, a stub that compiles and tests that start red; "
                     "`./workbook check` runs the tests and shows your progress, `./workbook hint NN` gives a "
                     "hint. Reference solutions are kept apart, in `solutions/`, and are not shown here.",
                     ""]
    if not exercises:
        exercise_list.append("No exercises yet.")
    for unit in exercises:
        exercise_list.append(f"- \\subpage {unit.anchor}")
    return chapter_list, exercise_list


def bench_page(bench, out):
    lines = ["# What each mechanism costs {#benchmark}", "",
             "`./workbook bench` runs every chapter on the same book, several times, and measures the time "
             "per event; the chart and the table below come from its last run in this build folder. "
             "(Each chapter's page gives the figure its author measured, and how.)", ""]
    chart = next((c for c in BENCH_CHARTS if bench and os.path.isfile(os.path.join(bench, c))), None)
    table = next((t for t in BENCH_TABLES if bench and os.path.isfile(os.path.join(bench, t))), None)
    if not chart and not table:
        lines += ["No benchmark has run in this build folder yet. Run `./workbook bench`, then "
                  "`./workbook docs`, and its chart of the cost per event of every chapter appears here."]
        return lines
    machine = bench_machine(os.path.join(bench, "bench.json"))
    if machine:
        lines += [machine, ""]
    if chart:
        shutil.copy(os.path.join(bench, chart), os.path.join(out, chart))
        caption = "Cost per event of each chapter (log scale)"
        if not machine:
            when = datetime.datetime.fromtimestamp(os.path.getmtime(os.path.join(bench, chart)))
            caption += f", measured {when:%Y-%m-%d %H:%M}"
        lines += [f'\\image html {chart} "{caption}"', ""]
    if table:
        with open(os.path.join(bench, table), newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        columns = [c for c in BENCH_COLUMNS if rows and c in rows[0]]
        if columns:
            lines += ["", "| " + " | ".join(c.replace("_", " ") for c in columns) + " |",
                      "|" + "---|" * len(columns)]
            for row in rows:
                cells = [number_cell(row.get(c) or "") for c in columns]
                lines.append("| " + " | ".join(cells) + " |")
    return lines


def slow_folder(root, bench):
    """Where the crossover chart and table come from: the build folder's run, else bench/'s."""
    if bench and os.path.isfile(os.path.join(bench, SLOW_TABLE)):
        return bench
    recorded = os.path.join(root, "bench")
    return recorded if os.path.isfile(os.path.join(recorded, SLOW_TABLE)) else None


def slow_anchor(chapter):
    return f"slow_{int(chapter):02d}"


def slow_rows(folder):
    if not folder:
        return []
    with open(os.path.join(folder, SLOW_TABLE), newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def slow_results(folder, out):
    """The chart and a table of the --slow run in `folder`: a line per mechanism, a column per
    counter, each cell the events per second and, in brackets, the share of its bound."""
    if not folder:
        return ["No `./workbook bench --slow` has run yet: run it, then `./workbook docs`."]
    lines = []
    machine = bench_machine(os.path.join(folder, SLOW_JSON))
    if machine:
        lines += [machine, ""]
    if os.path.isfile(os.path.join(folder, SLOW_CHART)):
        shutil.copy(os.path.join(folder, SLOW_CHART), os.path.join(out, SLOW_CHART))
        lines += [f'\\image html {SLOW_CHART} "Events per second against the wait, log-log; dashed: each bound"', ""]
    rows = slow_rows(folder)
    counters, labels, cells, chapters = [], [], {}, {}
    for row in rows:
        if row["counter"] not in counters:
            counters.append(row["counter"])
        if row["label"] not in labels:
            labels.append(row["label"])
            chapters.setdefault(row["chapter"], row["label"])
        cell = "failed" if row.get("error") else rate_cell(row.get("events_per_second") or "")
        ratio = row.get("ratio_to_bound") or ""
        if not row.get("error") and ratio:
            cell += f" ({float(ratio) * 100:.0f}%)"
        cells[(row["label"], row["counter"])] = cell
    if labels:
        lines += ["Events per second (in brackets: the share of the row's bound; each row counted a prefix "
                  "of the book sized to take about a second, its count in `slow.csv`):", "",
                  "| mechanism | " + " | ".join(counters) + " |", "|---|" + "---:|" * len(counters)]
        for label in labels:
            chapter = next(r["chapter"] for r in rows if r["label"] == label)
            anchor = f"\\anchor {slow_anchor(chapter)} " if chapters.get(chapter) == label else ""
            lines.append(f"| {anchor}{number_cell(label)} | " +
                         " | ".join(cells.get((label, c), "") for c in counters) + " |")
        targets = [r for r in rows if r.get("target")]
        if targets:
            lines += ["", "The targets, judged within this run:", ""]
            for r in targets:
                lines.append(f"- {number_cell(r['label'])}, {r['counter']}: {r['target_status']} "
                             f"({number_cell(r['target'])})")
    return lines


def rate_cell(text):
    """Events per second to three significant digits, thousands separated: 1,230 or 45.6."""
    try:
        value = float(text)
    except ValueError:
        return ""
    if not math.isfinite(value) or value <= 0:
        return ""
    rounded = float(f"{value:.3g}")
    return f"{rounded:,.0f}" if rounded >= 100 else f"{rounded:g}"


def waiters_folder(root, bench):
    """Where the waiters' chart and table come from: the build folder's run, else bench/'s."""
    if bench and os.path.isfile(os.path.join(bench, WAITERS_TABLE)):
        return bench
    recorded = os.path.join(root, "bench")
    return recorded if os.path.isfile(os.path.join(recorded, WAITERS_TABLE)) else None


def bytes_cell(text):
    """Bytes as B, KiB or MiB to three significant digits."""
    try:
        value = float(text)
    except ValueError:
        return ""
    if not math.isfinite(value):
        return ""
    for unit, size in (("MiB", 1 << 20), ("KiB", 1 << 10)):
        if value >= size:
            return f"{value / size:.3g} {unit}"
    return f"{value:.0f} B"


def waiters_results(folder, out):
    """The chart and the table of the --waiters run in `folder`: a row per mechanism and N."""
    if not folder:
        return ["No `./workbook bench --waiters` has run yet: run it, then `./workbook docs`."]
    lines = []
    try:
        with open(os.path.join(folder, WAITERS_JSON), encoding="utf-8") as f:
            run = json.load(f)
        lines += [inline_text(f"Measured {run.get('date', '')} on {run['machine']['cpu']} "
                              f"({run['machine']['cores']} cores), each call waiting {run['wait_us'] // 1000} ms; "
                              f"chapter 12's greenlet stacks {bytes_cell(run['greenlet_stack_bytes'])} reserved each, "
                              f"a thread's {bytes_cell(run['thread_stack_bytes'])}; the machine's limits: "
                              f"{run['limits']['open_files']:,} open files, {run['limits']['pids']:,} pids, "
                              f"{run['limits']['maps']:,} memory maps."), ""]
    except (OSError, ValueError, KeyError, TypeError):
        pass
    if os.path.isfile(os.path.join(folder, WAITERS_CHART)):
        shutil.copy(os.path.join(folder, WAITERS_CHART), os.path.join(out, WAITERS_CHART))
        lines += [f'\\image html {WAITERS_CHART} "Memory per waiter against the number of waiters, log-log"', ""]
    with open(os.path.join(folder, WAITERS_TABLE), newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    if rows:
        lines += ["| mechanism | N | held at once | memory per waiter | start all N | all completed | limit, or target |",
                  "|---|---:|---:|---:|---:|---|---|"]
        for row in rows:
            done = row["completed"] == "yes"
            last = "" if row["status"] == "measured" else f"{row['status']}: {row['reason']}"
            if row.get("target"):
                last += ("; " if last else "") + f"{row['target_status']} ({row['target']})"
            start = row.get("start_seconds") or ""
            start = "" if not start else (f"{float(start) * 1e3:.0f} ms" if float(start) < 1 else f"{float(start):.2f} s")
            held = f"{int(row['held']):,}" if done else ""
            lines.append(f"| {number_cell(row['label'] + ': ' + row['what'])} | {int(row['waiters']):,} | "
                         f"{held} | {bytes_cell(row['bytes_per_waiter'])} | {start} | "
                         f"{('yes' if done else 'no') if row['status'] in ('measured', 'failed') else ''} | "
                         f"{number_cell(last)} |")
    return lines


def slow_page(root, bench, out, units_with_pages):
    """docs/slow.md, its `<!-- slow results -->` line replaced by the crossover chart and table, its
    `<!-- waiters results -->` line by the waiters' chart and table."""
    lines = own_page(root, "slow.md", units_with_pages)
    results = slow_results(slow_folder(root, bench), out)
    waiters = waiters_results(waiters_folder(root, bench), out)
    return [x for line in lines
            for x in (results if SLOW_RESULTS.match(line) else waiters if WAITERS_RESULTS.match(line) else [line])]


def bench_machine(path):
    """One sentence on when and where the bench ran, from its bench.json (empty when unreadable)."""
    try:
        with open(path, encoding="utf-8") as f:
            run = json.load(f)
        machine, book = run.get("machine", {}), run.get("book", {})
        parts = [f"Measured {run['date']}" if run.get("date") else "Measured"]
        if machine.get("cpu"):
            parts.append(f"on {machine['cpu']}" + (f" ({machine['cores']} cores)" if machine.get("cores") else ""))
        if machine.get("compiler"):
            parts.append(f"with {machine['compiler']}")
        if book.get("name"):
            parts.append(f"on the book `{book['name']}`" + (f", {book['events']} events" if book.get("events") else ""))
        return inline_text(" ".join(parts) + ("; a quick pass (`--quick`)" if run.get("quick") else "") + ".")
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return ""


def number_cell(text):
    """Figures to three significant digits; text as it is, safe inside a table."""
    try:
        value = float(text)
    except ValueError:
        if re.search(r"__|\*|`", text):  # e.g. `__call__`: code, not emphasis
            return "``" + text.replace("`", "'").replace("|", "/") + "``"
        return inline_text(text.replace("<", "&lt;").replace(">", "&gt;").replace("|", "/"))
    if not math.isfinite(value):
        return ""
    return str(int(value)) if value == int(value) else f"{value:.3g}"


UNIT_REF = re.compile(r'\\ref ((?:chapter|exercise)\d\d) "([^"]*)"')


def unit_refs(line, anchors):
    """A \\ref to a chapter or exercise that has no page (yet) keeps only its text."""
    return UNIT_REF.sub(lambda m: m.group(0) if m.group(1) in anchors else m.group(2), line)


def own_page(root, name, units_with_pages):
    """One of docs/'s own pages, its references to chapters and exercises matching what exists."""
    anchors = {u.anchor for u in units_with_pages}
    with open(os.path.join(root, "docs", name), encoding="utf-8") as f:
        return [unit_refs(line, anchors) for line in f.read().splitlines()]


def main_page(root, chapters):
    """docs/mainpage.md with its map of the chapters matching the chapters that exist: a row for
    a chapter that has no page is left out, and a chapter missing from the map gets a plain row."""
    with open(os.path.join(root, "docs", "mainpage.md"), encoding="utf-8") as f:
        lines = f.read().splitlines()
    anchors = {u.anchor: u for u in chapters}
    out, mapped, last_row = [], set(), None
    for line in lines:
        match = MAP_ROW.match(line)
        if match:
            if match.group(1) not in anchors:
                continue
            mapped.add(match.group(1))
            last_row = len(out)
        out.append(line)
    out = [unit_refs(line, anchors) for line in out]
    missing = [u for u in chapters if u.anchor not in mapped]
    if missing and last_row is None:
        raise PageError("docs/mainpage.md has no map of the chapters (rows with \\ref chapterNN)")
    for u in missing:
        print(f"make_pages: note: docs/mainpage.md's map has no row for {u.anchor}; a plain one is added")
    rows = [f"| {u.number} | {ref(u)} | {mechanism(u)} | (see its page) | (see its page) |" for u in missing]
    return out[:last_row + 1] + rows + out[last_row + 1:] if rows else out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--bench")
    args = parser.parse_args()
    root = os.path.abspath(args.source)

    chapters = units(root, "chapter")
    exercises = units(root, "exercise")
    by_path = {u.readme: u for u in chapters + exercises}
    conv = Converter(root, by_path)

    # Written to a fresh folder, so a removed chapter leaves no page behind.
    if os.path.isdir(args.out):
        shutil.rmtree(args.out)
    os.makedirs(args.out)
    exercise_by_number = {u.number: u for u in exercises}
    chapter_by_number = {u.number: u for u in chapters}
    slow_chapters = {row["chapter"] for row in slow_rows(slow_folder(root, args.bench))}
    for i, unit in enumerate(chapters):
        write(os.path.join(args.out, unit.anchor + ".md"),
              chapter_page(conv, chapters, exercise_by_number, i, slow_chapters))
    for i, unit in enumerate(exercises):
        write(os.path.join(args.out, unit.anchor + ".md"), exercise_page(conv, exercises, chapter_by_number, i))
    chapter_list, exercise_list = index_pages(chapters, exercises)
    write(os.path.join(args.out, "chapters.md"), chapter_list)
    write(os.path.join(args.out, "exercises.md"), exercise_list)
    write(os.path.join(args.out, "benchmark.md"), bench_page(args.bench, args.out))
    write(os.path.join(args.out, "slow.md"), slow_page(root, args.bench, args.out, chapters + exercises))
    write(os.path.join(args.out, "mainpage.md"), main_page(root, chapters))
    for name in ("control_flow.md", "library.md", "promises.md"):
        write(os.path.join(args.out, name), own_page(root, name, chapters + exercises))
    print(f"make_pages: {len(chapters)} chapter pages, {len(exercises)} exercise pages")


if __name__ == "__main__":
    try:
        main()
    except (PageError, OSError, UnicodeDecodeError) as error:
        print(f"make_pages: {error}", file=sys.stderr)
        sys.exit(1)
