#!/usr/bin/env bash
# Fetch what the book's pages and its browser tests load from the npm registry, so that
# nothing is ever loaded from a CDN:
#   book/_vendor/mathjax       MathJax 3 (the pages' maths), served by the site itself
#   build/vendor/axe-core      axe-core, the accessibility audit the browser tests inject
# Each part is fetched only when it is missing.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
site="$root/book/_vendor"
tools="$root/build/vendor"
MATHJAX=mathjax@3.2.2
AXE=axe-core@4.14.1
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
if [ ! -f "$site/mathjax/tex-chtml.js" ]; then
  npm pack --silent "$MATHJAX" >/dev/null
  mkdir -p mathjax && tar -xzf mathjax-*.tgz -C mathjax --strip-components=1
  rm -rf "$site" && mkdir -p "$site/mathjax/output/chtml/fonts"
  # MathJax: the one combined component and its web fonts (1.6 MB of 24 MB).
  cp mathjax/es5/tex-chtml.js "$site/mathjax/"
  cp -r mathjax/es5/output/chtml/fonts/woff-v2 "$site/mathjax/output/chtml/fonts/"
  echo "vendored MathJax into $site: $(du -sh "$site" | cut -f1)"
fi
if [ ! -f "$tools/axe-core/axe.min.js" ]; then
  npm pack --silent "$AXE" >/dev/null
  mkdir -p axe && tar -xzf axe-core-*.tgz -C axe --strip-components=1
  mkdir -p "$tools/axe-core"
  cp axe/axe.min.js axe/LICENSE "$tools/axe-core/"
  echo "vendored axe-core into $tools/axe-core"
fi
