#!/usr/bin/env python3
"""Every relative link in README.md and docs/ resolves, anchors included, and every
`docs/….md#anchor` the template names (alarm runbooks) is a heading that exists.
Usage: tools/check-doc-links.py [REPO_ROOT]; exits 1 and lists what is broken."""
import os
import re
import sys

root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..")


def slug(heading):
    """GitHub's anchor for a heading: lower case, punctuation but - and _ dropped, spaces to -."""
    heading = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return heading.replace(" ", "-")


def anchors(path):
    found, fenced = set(), False
    for line in open(path, encoding="utf-8"):
        if line.startswith("```"):
            fenced = not fenced
            continue
        match = None if fenced else re.match(r"^(#+)\s+(.*)", line)
        if match:
            found.add(slug(match.group(2)))
    return found


def check(source, link, problems):
    path, _, anchor = link.partition("#")
    target = os.path.normpath(os.path.join(os.path.dirname(source), path)) if path else source
    if not os.path.exists(target):
        problems.append(f"{source}: {link}: no such file")
    elif anchor and target.endswith(".md") and anchor not in anchors(target):
        problems.append(f"{source}: {link}: no such heading")


problems = []
docs = os.path.join(root, "docs")
pages = [os.path.join(root, "README.md")] + sorted(
    os.path.join(docs, f) for f in os.listdir(docs) if f.endswith(".md")
)
for page in pages:
    text = re.sub(r"```.*?```", "", open(page, encoding="utf-8").read(), flags=re.S)
    for match in re.finditer(r"\]\(([^)\s]+)\)", text):
        if not re.match(r"[a-z]+:", match.group(1)):
            check(page, match.group(1), problems)
template = os.path.join(root, "infra", "template.yaml")
for match in re.finditer(r"(docs/[\w\-./]+\.md(?:#[\w\-]+)?)", open(template, encoding="utf-8").read()):
    check(os.path.join(root, "README.md"), match.group(1), problems)

for problem in problems:
    print(problem)
print(f"doc links: {len(pages)} pages checked, {len(problems)} broken")
sys.exit(1 if problems else 0)
