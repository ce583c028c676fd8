#!/usr/bin/env python3
"""The docs tests (run by CTest; see docs/CMakeLists.txt). One check per subcommand:

  build     builds the `docs` target and fails on any Doxygen warning
  pages     every chapter and exercise has its page, in order, with its snippets' code;
            the main page maps every chapter; no exercise page shows its solution
  links     every local href/src in the site (and in the tree view's data) leads to a file,
            and every #fragment into our pages to an anchor there
  browser   headless Chromium opens the main page and a chapter page; both render with their
            title, a code block and the course tree (exit 77, "skipped", without Chromium,
            unless CI is set: CI must run it)
  examples  every C++ \\code example in the named headers of common/ compiles
  promises  every test case docs/promises.md names exists, by its exact name, in the file named
            with it, and every rule on the page names one (no Doxygen needed)
  figures   every measured figure in a chapter's README (a number with a unit of time, rate or
            ratio: 5.36 ns per event, 0.26 ms, 5,000 events per second, 3.6x; or a number in a
            table column whose header names such a unit) is one that bench/RESULTS.md holds;
            fenced code blocks (sample output) are passed over (no Doxygen needed)

Each prints what it checked; a failure prints every problem found, one per line, and exits 1.
"""

import argparse
import glob
import html
import html.parser
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_pages import BENCH_CHARTS, SLOW_CHART, WAITERS_CHART, slow_anchor, slow_folder, slow_rows, waiters_folder  # noqa: E402  (the charts the pages show)

SKIP = 77
FOLDER = re.compile(r"^(\d\d)_[A-Za-z0-9_]+$")
SNIPPET = re.compile(r"^\s*<!--\s*snippet\s+(\S+)\s+(\S+)\s*-->\s*$", re.M)


def fail(problems, what):
    for problem in problems:
        print(f"FAIL: {problem}")
    print(f"{len(problems)} problem(s) with {what}")
    sys.exit(1)


def folders(root, kind):
    base = os.path.join(root, kind)
    if not os.path.isdir(base):
        return []
    return [f for f in sorted(os.listdir(base)) if FOLDER.match(f) and os.path.isdir(os.path.join(base, f))]


class Page(html.parser.HTMLParser):
    """What the checks need from one HTML file: links, anchors, the title, the text of code blocks."""

    def __init__(self, path):
        super().__init__(convert_charrefs=True)
        self.links, self.ids = [], set()
        self.title, self.heading = "", ""
        self._in_title = self._in_heading = False
        self._code_depth = 0
        self._code, self.text = [], []
        with open(path, encoding="utf-8", errors="replace") as f:
            self.feed(f.read())
        self.code_text = "".join(self._code)
        self.all_text = "".join(self.text)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for key in ("href", "src", "data"):
            if a.get(key):
                self.links.append(a[key])
        for key in ("id", "name"):
            if a.get(key):
                self.ids.add(a[key])
        if tag == "title":
            self._in_title = True
        if tag == "div" and a.get("class") == "title":
            self._in_heading = True
        if tag == "div" and "fragment" in (a.get("class") or "").split():
            self._code_depth = 1
        elif tag == "div" and self._code_depth:
            self._code_depth += 1
            if "line" in (a.get("class") or "").split():
                self._code.append("\n")

    def handle_endtag(self, tag):
        if tag == "title":
            self._in_title = False
        if tag == "div":
            self._in_heading = False
            if self._code_depth:
                self._code_depth -= 1

    def handle_data(self, data):
        if self._in_title:
            self.title += data
        if self._in_heading:
            self.heading += data
        if self._code_depth:
            self._code.append(data)
        self.text.append(data)


def squash(text):
    """Code compared without whitespace: Doxygen re-spaces lines and links identifiers."""
    return re.sub(r"\s+", "", html.unescape(text))


def snippet_lines(path, tag):
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    marks = [i for i, line in enumerate(lines) if f"[{tag}]" in line]
    if len(marks) < 2:
        return None
    return [line for line in lines[marks[0] + 1:marks[1]] if line.strip()]


# --- build ----------------------------------------------------------------------------------------

def check_build(args):
    result = subprocess.run(["cmake", "--build", args.build_dir, "--target", "docs"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output = result.stdout
    warnings = [line for line in output.splitlines() if re.search(r":\d+: (warning|error):", line)
                or re.match(r"^(warning|error): ", line)]
    problems = [f"doxygen: {w}" for w in warnings]
    if result.returncode != 0:
        problems.append(f"building the docs target failed (exit status {result.returncode}):\n{output}")
    index = os.path.join(args.html, "index.html")
    if result.returncode == 0 and not os.path.isfile(index):
        problems.append(f"the build succeeded but wrote no {index}")
    if problems:
        fail(problems, "the docs build")
    pages = len(glob.glob(os.path.join(args.html, "*.html")))
    print(f"docs built with 0 warnings: {pages} HTML pages in {args.html}")


# --- pages ----------------------------------------------------------------------------------------

def readme_title(path):
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                return re.sub(r"\s*\{#\w+\}\s*$", "", line.strip().lstrip("#").strip())
    return ""


def check_pages(args):
    root, site, problems = args.source, args.html, []
    chapters = [c for c in args.chapters.split(",") if c]
    exercises = folders(root, "exercises")
    if not chapters:
        problems.append("no chapters were registered (chapters/CMakeLists.txt)")
    pages = {}

    def page(anchor):
        path = os.path.join(site, anchor + ".html")
        if anchor not in pages:
            pages[anchor] = Page(path) if os.path.isfile(path) else None
        return pages[anchor]

    index = page("index")
    if index is None:
        fail([f"no main page {site}/index.html"], "the pages")

    for kind, items in (("chapter", chapters), ("exercise", exercises)):
        for i, folder in enumerate(items):
            number = folder[:2]
            readme = os.path.join(root, kind + "s", folder, "README.md")
            anchor = f"{kind}{number}"
            if not os.path.isfile(readme):
                problems.append(f"{kind}s/{folder} has no README.md, so no page")
                continue
            p = page(anchor)
            if p is None:
                problems.append(f"{kind}s/{folder}: no page {anchor}.html")
                continue
            title = readme_title(readme)
            if squash(title.replace("`", "").replace("*", "")) not in squash(p.heading):
                problems.append(f"{anchor}.html: its title is '{p.heading.strip()}', not the README's '{title}'")
            # previous / next, in the talk's order
            for other, word in ((i - 1, "previous"), (i + 1, "next")):
                if 0 <= other < len(items):
                    target = f"{kind}{items[other][:2]}.html"
                    if target not in p.links:
                        problems.append(f"{anchor}.html has no link to the {word} {kind}, {target}")
            if kind == "chapter" and f"{anchor}.html" not in index.links:
                problems.append(f"the main page's map of the chapters has no link to {anchor}.html")
            if kind == "chapter" and number in (e[:2] for e in exercises) and f"exercise{number}.html" not in p.links:
                problems.append(f"{anchor}.html does not link to its exercise, exercise{number}.html")
            if kind == "exercise" and number in (c[:2] for c in chapters) and f"chapter{number}.html" not in p.links:
                problems.append(f"{anchor}.html does not link to its chapter, chapter{number}.html")
            # the key code, from the sources, as compiled
            with open(readme, encoding="utf-8") as f:
                snippets = SNIPPET.findall(f.read())
            if kind == "chapter" and not snippets:
                problems.append(f"chapters/{folder}/README.md shows no code from the chapter: add a line "
                                f"'<!-- snippet FILE TAG -->' (see docs/README.md)")
            code = squash(p.code_text)
            for file, tag in snippets:
                source = os.path.normpath(os.path.join(root, kind + "s", folder, file))
                lines = snippet_lines(source, tag) if os.path.isfile(source) else None
                if not lines:
                    problems.append(f"{kind}s/{folder}/README.md: no code between '[{tag}]' markers in {file}")
                    continue
                missing = [line.strip() for line in lines if squash(line) not in code]
                if missing:
                    problems.append(f"{anchor}.html lacks {len(missing)} line(s) of snippet {file} [{tag}], "
                                    f"e.g. '{missing[0]}'")
            if kind == "exercise":
                problems += solution_leaks(root, folder, p, anchor)

    # A chapter folder that is not registered is not a chapter yet; say so rather than guess.
    for folder in folders(root, "chapters"):
        if folder not in chapters and os.path.isfile(os.path.join(root, "chapters", folder, "README.md")):
            print(f"note: chapters/{folder} has a README but is not registered in chapters/CMakeLists.txt")

    bench = page("benchmark")
    charts = [c for c in BENCH_CHARTS if args.bench and os.path.isfile(os.path.join(args.bench, c))]
    if bench is None:
        problems.append("no benchmark page, benchmark.html")
    elif charts and charts[0] not in bench.links:
        problems.append(f"{os.path.join(args.bench, charts[0])} exists but benchmark.html does not show it")

    # "When each mechanism wins": the crossover chart and a row per chapter measured, each chapter's
    # page linking its row (the build folder's --slow run, or the one recorded in bench/).
    slow = page("slow")
    measured = slow_folder(root, args.bench)
    if slow is None:
        problems.append("no page 'When each mechanism wins', slow.html")
    elif measured:
        if os.path.isfile(os.path.join(measured, SLOW_CHART)) and SLOW_CHART not in slow.links:
            problems.append(f"{os.path.join(measured, SLOW_CHART)} exists but slow.html does not show it")
        for chapter in sorted({row["chapter"] for row in slow_rows(measured)}):
            p = page(f"chapter{int(chapter):02d}")
            if p is not None and f"slow.html#{slow_anchor(chapter)}" not in p.links:
                problems.append(f"chapter{int(chapter):02d}.html does not link its row of slow.html")
    waiters = waiters_folder(root, args.bench)
    if slow is not None and waiters and os.path.isfile(os.path.join(waiters, WAITERS_CHART)) \
            and WAITERS_CHART not in slow.links:
        problems.append(f"{os.path.join(waiters, WAITERS_CHART)} exists but slow.html does not show it")

    if problems:
        fail(problems, "the pages")
    print(f"pages: {len(chapters)} chapters and {len(exercises)} exercises, each with its page, "
          f"previous/next links, and its snippets' code; no solution code on exercise pages")


def solution_leaks(root, folder, page, anchor):
    """Lines that are in the solution but in no file of the exercise are the answer: never on the page."""
    solution_dir = os.path.join(root, "solutions", folder)
    exercise_dir = os.path.join(root, "exercises", folder)
    problems = []
    if any("solutions/" in link for link in page.links):
        problems.append(f"{anchor}.html links into solutions/")
    if not os.path.isdir(solution_dir):
        return problems
    given = []  # what the exercise itself shows: its README, its stub, its tests, its hint
    for path in glob.glob(os.path.join(exercise_dir, "**", "*"), recursive=True):
        if os.path.isfile(path):
            with open(path, encoding="utf-8", errors="replace") as f:
                given.append(squash(f.read()))
    given = "\n".join(given)
    text = squash(page.all_text)
    for path in sorted(glob.glob(os.path.join(solution_dir, "**", "*"), recursive=True)):
        if not os.path.isfile(path):
            continue
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                stripped = line.strip()
                code = squash(line)
                if len(code) >= 20 and code not in given and not stripped.startswith(("//", "#", "*", "/*")) \
                        and code in text:
                    problems.append(f"{anchor}.html shows solution code from {os.path.relpath(path, root)}: "
                                    f"'{stripped}'")
    return problems


# --- links ----------------------------------------------------------------------------------------

EXTERNAL = re.compile(r"^(?:[a-zA-Z][a-zA-Z0-9+.-]*:|//)")
JS_LINK = re.compile(r"""["']([A-Za-z0-9_./-]+\.html)(#[A-Za-z0-9_:.-]*)?["']""")


def check_links(args):
    site, problems, checked = os.path.abspath(args.html), [], 0
    parsed = {}

    def anchors(path):
        if path not in parsed:
            parsed[path] = Page(path).ids
        return parsed[path]

    def check(source, link):
        nonlocal checked
        if EXTERNAL.match(link) or link.startswith("#") and len(link) == 1:
            return
        target, _, fragment = link.partition("#")
        target = target.split("?")[0]
        full = os.path.normpath(os.path.join(os.path.dirname(source), html.unescape(target))) if target else source
        checked += 1
        where = os.path.relpath(source, site)
        if not os.path.isfile(full):
            problems.append(f"{where}: link '{link}' leads to no file")
        elif fragment and os.path.basename(full) in course_pages:
            if fragment not in anchors(full):
                problems.append(f"{where}: link '{link}' leads to no anchor '#{fragment}' in {os.path.relpath(full, site)}")

    # Fragments are checked where our own \ref's lead: the course's pages. (The reference pages'
    # anchors are Doxygen's own business; 1.9.4 links a "Classes" summary to a section it omits when
    # every nested class is hidden.)
    course_pages = {os.path.basename(p) for p in glob.glob(os.path.join(site, "*.html"))
                    if re.match(r"^(index|chapters?\d*|exercises?\d*|control_flow|library|promises|benchmark|slow)\.html$",
                                os.path.basename(p))}
    files = sorted(glob.glob(os.path.join(site, "**", "*.html"), recursive=True))
    if not files:
        fail([f"no HTML files in {site}"], "the links")
    for path in files:
        for link in Page(path).links:
            check(path, link)
    # The tree view and the menu are drawn by JavaScript from these data files.
    for path in sorted(glob.glob(os.path.join(site, "navtree*.js")) + glob.glob(os.path.join(site, "menudata.js"))):
        with open(path, encoding="utf-8") as f:
            for match in JS_LINK.finditer(f.read()):
                check(path, match.group(1) + (match.group(2) or ""))
    if problems:
        fail(problems, "the links")
    print(f"links: {checked} local links in {len(files)} pages and the tree view's data, all lead somewhere")


# --- browser --------------------------------------------------------------------------------------

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
                  "--disable-dev-shm-usage",
                  "--window-size=1280,1000", "--virtual-time-budget=10000"]


def chromium():
    """Debian's chromium, or the browser WORKBOOK_CHROMIUM names (another Chromium build)."""
    chosen = os.environ.get("WORKBOOK_CHROMIUM")
    if chosen:
        return chosen if os.access(chosen, os.X_OK) else None
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    return "/usr/bin/chromium" if os.access("/usr/bin/chromium", os.X_OK) else None


def run_chromium(browser, mode, url):
    with tempfile.TemporaryDirectory(prefix="weightless-chromium-") as profile:
        command = [browser, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", mode, url]
        try:
            result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                    timeout=180, cwd=profile)
        except subprocess.TimeoutExpired:
            return None, "chromium did not finish within 180 seconds"
        if result.returncode != 0:
            return None, f"chromium exited with status {result.returncode}: {result.stderr.strip()[-500:]}"
        return result.stdout, ""


def check_browser(args):
    browser = chromium()
    if not browser:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            fail(["chromium is not installed, and CI must run the browser test (.ci/run installs it)"], "the browser")
        print("SKIPPED: chromium is not installed (apt-get install chromium), so no browser opened the docs")
        sys.exit(SKIP)
    site = os.path.abspath(args.html)
    shots = os.path.join(os.path.dirname(site), "screenshots")
    os.makedirs(shots, exist_ok=True)
    chapter = sorted(glob.glob(os.path.join(site, "chapter[0-9][0-9].html")))
    if not chapter:
        fail([f"no chapter page in {site}"], "the browser")
    problems = []
    for path, expect in ((os.path.join(site, "index.html"), "Weightless"), (chapter[0], "Chapter 01")):
        url = "file://" + path
        name = os.path.basename(path)
        dom, error = run_chromium(browser, "--dump-dom", url)
        if dom is None:
            problems.append(f"{name}: {error}")
            continue
        title = re.search(r"<title>(.*?)</title>", dom, re.S)
        if not title or "Weightless" not in title.group(1):
            problems.append(f"{name}: the rendered page's <title> is {title.group(1) if title else 'missing'!r}")
        heading = re.search(r'<div class="title">(.*?)</div>', dom, re.S)
        heading_text = html.unescape(re.sub(r"<[^>]+>", "", heading.group(1))) if heading else ""
        if expect not in heading_text:
            problems.append(f"{name}: the page's heading is {heading_text!r}, expected it to contain {expect!r}")
        if not re.search(r'<div class="fragment">\s*<div class="line">', dom):
            problems.append(f"{name}: the rendered page has no code block")
        # The tree on the left is built by JavaScript: finding the chapters in it proves the scripts ran.
        tree = dom.split('id="nav-tree-contents"', 1)
        if len(tree) < 2 or "The chapters" not in tree[1]:
            problems.append(f"{name}: the course tree on the left was not drawn (did its JavaScript run?)")
        shot = os.path.join(shots, name.replace(".html", ".png"))
        _, error = run_chromium(browser, f"--screenshot={shot}", url)
        if error or not os.path.isfile(shot) or os.path.getsize(shot) < 10_000:
            problems.append(f"{name}: no screenshot ({error or 'the file is missing or nearly empty'})")
        else:
            print(f"{name}: rendered by {os.path.basename(browser)} with title {title.group(1).strip()!r}, "
                  f"heading {heading_text.strip()!r}, a code block and the course tree; screenshot {shot}")
    if problems:
        fail(problems, "the pages in the browser")


# --- examples -------------------------------------------------------------------------------------

CODE_BLOCK = re.compile(r"^\s*///\s?\\code(\{\.cpp\})?\s*$(.*?)^\s*///\s?\\endcode", re.M | re.S)
NAMESPACE_SCOPE = re.compile(r"^(namespace\b|template\b|struct\b|class\b|[\w:<>]+[\s*&]+[\w:]+\(.*\)\s*\{)", re.M)
PRELUDE = """// Generated by docs/check_docs.py from the \\code examples of common/'s headers.
{includes}
#include <cassert>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>
#include <unistd.h>
"""


def check_examples(args):
    every = sorted(glob.glob(os.path.join(args.source, "common", "include", "workbook", "*.hpp")))
    headers = [h for h in every if os.path.basename(h) in args.headers] if args.headers else every
    missing = set(args.headers or []) - {os.path.basename(h) for h in every}
    if missing:
        fail([f"no header common/include/workbook/{m}" for m in sorted(missing)], "the API examples")
    includes = "\n".join(f'#include "workbook/{os.path.basename(h)}"' for h in every)
    # One translation unit for all of them: parsing the headers once is most of the work.
    source, count = [PRELUDE.format(includes=includes)], 0
    for header in headers:
        name = os.path.basename(header)
        stem = re.sub(r"\W", "_", name[:-len(".hpp")])
        with open(header, encoding="utf-8") as f:
            blocks = [m.group(2) for m in CODE_BLOCK.finditer(f.read()) if not m.group(1) or m.group(1) == "{.cpp}"]
        for i, block in enumerate(blocks, 1):
            code = "\n".join(re.sub(r"^\s*/// ?", "", line) for line in block.strip("\n").splitlines())
            label = f"example {i} of {name}"
            if NAMESPACE_SCOPE.search(code):
                source.append(f"// {label}\n" + re.sub(r"\bmain\(", f"{stem}_example_{i}_main(", code) + "\n")
            else:
                source.append(f"// {label}\n[[maybe_unused]] static void {stem}_example_{i}() {{\n{code}\n}}\n")
        count += len(blocks)
    path = os.path.join(args.out, "api_examples.cpp")
    os.makedirs(args.out, exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(source))
    command = [args.compiler, "-std=c++20", "-fsyntax-only", "-Wall", "-Wextra", "-Wpedantic", "-Werror",
               "-Wno-unused", "-Wno-unused-variable", "-Wno-unused-but-set-variable",
               "-I", os.path.join(args.source, "common", "include"), path]
    result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if result.returncode != 0:
        fail([f"the examples (gathered in {path}, each under a comment naming its header) do not compile:\n"
              + result.stdout.strip()], "the API examples")
    print(f"examples: all {count} \\code examples of {', '.join(os.path.basename(h) for h in headers)} compile")


# --- promises -------------------------------------------------------------------------------------

# On the page, a case is cited as `FILE_test.cpp` "its exact name" (FILE in tests/).
CITATION = re.compile(r'`([A-Za-z0-9_]+_test\.cpp)`\s*"([^"]+)"')
CASE_MACRO = re.compile(r"\b(?:TEST_CASE|TEST_CASE_TEMPLATE|SCENARIO)\s*\(")
STRING_PIECE = re.compile(r'\s*(?://[^\n]*\n\s*)*"((?:[^"\\\n]|\\.)*)"')


def test_case_names(path):
    """The names of a doctest file's cases; adjacent string literals are joined, as C++ joins them."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    names = []
    for match in CASE_MACRO.finditer(text):
        position, pieces = match.end(), []
        while True:
            piece = STRING_PIECE.match(text, position)
            if not piece:
                break
            pieces.append(re.sub(r"\\(.)", r"\1", piece.group(1)))  # the escapes a case name may use: \" \\
            position = piece.end()
        if pieces:
            names.append("".join(pieces))
    return names


def check_promises(args):
    root, problems = args.source, []
    page = os.path.join(root, "docs", "promises.md")
    with open(page, encoding="utf-8") as f:
        lines = f.read().splitlines()
    cases, cited, rules = {}, set(), 0
    for number, line in enumerate(lines, 1):
        citations = CITATION.findall(line)
        # Every row of a rule table, past its header and separator, names the case that proves it.
        if line.startswith("|") and not re.match(r"^\|[\s:|-]+\|\s*$", line):
            following = lines[number] if number < len(lines) else ""
            is_header = re.match(r"^\|[\s:|-]+\|\s*$", following)
            if not is_header:
                rules += 1
                if not citations:
                    problems.append(f"docs/promises.md:{number}: a rule without the test case that proves it "
                                    f"(cite it as `FILE_test.cpp` \"its exact name\")")
        for file, name in citations:
            path = os.path.join(root, "tests", file)
            if file not in cases:
                cases[file] = set(test_case_names(path)) if os.path.isfile(path) else None
            if cases[file] is None:
                problems.append(f"docs/promises.md:{number}: no file tests/{file}")
            elif name not in cases[file]:
                problems.append(f"docs/promises.md:{number}: tests/{file} has no test case \"{name}\"")
            cited.add((file, name))
    if not cited:
        problems.append("docs/promises.md cites no test case")
    if problems:
        fail(problems, "the promises page")
    for file in sorted(f for f in cases if cases[f]):
        for name in sorted(cases[file]):
            if (file, name) not in cited:
                print(f"note: tests/{file}: \"{name}\" is not on the promises page")
    print(f"promises: {rules} rules, {len(cited)} test cases cited, each found by its exact name in "
          f"{', '.join('tests/' + f for f in sorted(cases))}")


# A measured figure: one number, or a range (5,000 to 5,700), then a unit of time, rate or ratio.
FIGURE_NUMBER = r"(?<![\w.,/-])\d[\d,]*(?:\.\d+)?"
FIGURE = re.compile(
    rf"({FIGURE_NUMBER}(?:\s*(?:-|–|to)\s*\d[\d,]*(?:\.\d+)?)*)\s*"
    r"(ns|µs|us|ms|s|seconds?|minutes?|hours?|x|times|events?\s*(?:/|per)\s*s(?:econd)?)(?![\w])")
NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")
FIGURE_UNIT = re.compile(r"(?<![\w])(?:ns|µs|us|ms|seconds?)(?![\w])|per event|events per second|\bvs\b|ratio")
TABLE_RULE = re.compile(r"^\|[\s:|-]+\|\s*$")


def cells(row):
    return [cell.strip() for cell in row.strip().strip("|").split("|")]


def figure_value(text):
    """A figure as a number: 5,590,193 and 5590193 are the same figure, and so are 1.0 and 1.00."""
    return float(text.replace(",", ""))


def check_figures(args):
    root, problems = args.source, []
    results = os.path.join(root, "bench", "RESULTS.md")
    with open(results, encoding="utf-8") as f:
        known = {figure_value(n) for n in NUMBER.findall(f.read())}
    checked = 0
    readmes = [os.path.join(root, "chapters", c, "README.md") for c in folders(root, "chapters")]
    for readme in readmes:
        if not os.path.isfile(readme):
            continue
        with open(readme, encoding="utf-8") as f:
            lines = f.read().splitlines()
        in_fence, unit_columns = False, []
        for number, line in enumerate(lines, 1):
            if line.lstrip().startswith("```"):
                in_fence = not in_fence
                continue
            if in_fence:
                continue
            figures = [m.group(0) for m in FIGURE.finditer(line)]
            # A table's figures may carry their unit in the column's header (| ns per event |).
            if TABLE_RULE.match(line):
                pass  # the rule under a table's header: the columns stay as the header named them
            elif line.startswith("|"):
                if number < len(lines) and TABLE_RULE.match(lines[number]):
                    unit_columns = [i for i, cell in enumerate(cells(line)) if FIGURE_UNIT.search(cell)]
                elif unit_columns:
                    row = cells(line)
                    figures += [row[i] for i in unit_columns
                                if i < len(row) and NUMBER.search(row[i]) and not FIGURE.search(row[i])]
            else:
                unit_columns = []
            for figure in figures:
                checked += 1
                if any(figure_value(n) not in known for n in NUMBER.findall(figure)):
                    problems.append(f"{os.path.relpath(readme, root)}:{number}: '{figure.strip()}' is not "
                                    f"a figure of bench/RESULTS.md")
    if problems:
        fail(problems, "the chapters' measured figures")
    print(f"figures: {checked} measured figures in {len(readmes)} chapter READMEs, each one that "
          f"bench/RESULTS.md holds")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", required=True, help="the workbook's checkout")
    parser.add_argument("--html", help="the site, <build>/docs/html")
    sub = parser.add_subparsers(dest="check", required=True)
    build = sub.add_parser("build")
    build.add_argument("--build-dir", required=True)
    pages = sub.add_parser("pages")
    pages.add_argument("--chapters", required=True, help="registered chapter folders, comma-separated")
    pages.add_argument("--bench", help="where ./workbook bench writes its chart")
    sub.add_parser("links")
    sub.add_parser("browser")
    examples = sub.add_parser("examples")
    examples.add_argument("--compiler", required=True)
    examples.add_argument("--out", required=True)
    examples.add_argument("headers", nargs="*", help="header names (default: every header)")
    sub.add_parser("promises")
    sub.add_parser("figures")
    args = parser.parse_args()
    {"build": check_build, "pages": check_pages, "links": check_links, "browser": check_browser,
     "examples": check_examples, "promises": check_promises, "figures": check_figures}[args.check](args)


if __name__ == "__main__":
    main()
