#!/usr/bin/env python3
"""Sizes the code keeps to: no Rust file over 600 lines outside tests, no
function over 120 lines anywhere. Lines are counted as they stand in the
file (comments and blank lines included); a function runs from its `fn` to
its closing brace. Prints what is over and exits 1, else prints the largest.

    python3 scripts/sizes.py            # the workspace
"""
import os
import re
import sys

FILE_MAX = 600
FN_MAX = 120
ROOTS = ["src", "crates", "fuzz/fuzz_targets", "benches"]


def is_test(path):
    parts = path.split(os.sep)
    return "tests" in parts or parts[-1] == "tests.rs"


def blank_out(src):
    """The source with comments, strings and char literals turned to spaces
    (newlines kept), so braces can be matched."""
    out, i, n = [], 0, len(src)
    while i < n:
        if src.startswith("//", i):
            j = src.find("\n", i)
            j = n if j < 0 else j
        elif src.startswith("/*", i):
            depth, j = 1, i + 2
            while j < n and depth:
                if src.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif src.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
        elif src[i] == "r" and (i == 0 or not (src[i - 1].isalnum() or src[i - 1] == "_")) and re.match(r'r#*"', src[i:i + 10]):
            hashes = re.match(r'r(#*)"', src[i:]).group(1)
            end = src.find('"' + hashes, i + 2 + len(hashes))
            j = n if end < 0 else end + 1 + len(hashes)
        elif src[i] == '"':
            j = i + 1
            while j < n and src[j] != '"':
                j += 2 if src[j] == "\\" else 1
            j += 1
        elif src[i] == "'" and re.match(r"'(\\.[^']*|[^\\'])'", src[i:i + 12]):
            j = i + len(re.match(r"'(\\.[^']*|[^\\'])'", src[i:i + 12]).group(0))
        else:
            out.append(src[i])
            i += 1
            continue
        out.append(re.sub(r"[^\n]", " ", src[i:j]))
        i = j
    return "".join(out)


def functions(text):
    """(name, first line, lines) of every function with a body."""
    for m in re.finditer(r"\bfn\s+(\w+)", text):
        brace, semi = text.find("{", m.end()), text.find(";", m.end())
        if brace < 0 or 0 <= semi < brace:
            continue
        depth, j = 0, brace
        while j < len(text):
            if text[j] == "{":
                depth += 1
            elif text[j] == "}":
                depth -= 1
                if depth == 0:
                    break
            j += 1
        first = text.count("\n", 0, m.start()) + 1
        yield m.group(1), first, text.count("\n", 0, j) + 2 - first


def main():
    over, largest_file, largest_fn = [], (0, ""), (0, "")
    for root in ROOTS:
        for dirpath, dirs, names in os.walk(root):
            dirs[:] = [d for d in dirs if d not in ("target", "node_modules")]
            for name in sorted(names):
                if not name.endswith(".rs"):
                    continue
                path = os.path.join(dirpath, name)
                src = open(path, encoding="utf-8").read()
                lines = src.count("\n")
                if not is_test(path):
                    largest_file = max(largest_file, (lines, path))
                    if lines > FILE_MAX:
                        over.append(f"{path}: {lines} lines (at most {FILE_MAX})")
                for fn, first, n in functions(blank_out(src)):
                    largest_fn = max(largest_fn, (n, f"{path}:{first} {fn}"))
                    if n > FN_MAX:
                        over.append(f"{path}:{first}: fn {fn} is {n} lines (at most {FN_MAX})")
    for o in over:
        print(o)
    if over:
        return 1
    print(f"sizes: largest file {largest_file[1]} ({largest_file[0]} lines), "
          f"largest function {largest_fn[1]} ({largest_fn[0]} lines)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
