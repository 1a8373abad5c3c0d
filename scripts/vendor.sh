#!/usr/bin/env bash
# Fetch MathJax 3 and the Jupyter widget manager from the npm registry into book/_vendor/,
# so the built pages load them from the site itself and never from a CDN.
set -euo pipefail
dest="$(cd "$(dirname "$0")/.." && pwd)/book/_vendor"
[ -f "$dest/mathjax/tex-chtml.js" ] && [ -f "$dest/widgets/embed.js" ] && exit 0
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
npm pack --silent mathjax@3.2.2 @jupyter-widgets/html-manager@1.0.15 >/dev/null
mkdir -p mathjax widgets
tar -xzf mathjax-3.2.2.tgz -C mathjax --strip-components=1
tar -xzf jupyter-widgets-html-manager-1.0.15.tgz -C widgets --strip-components=1
rm -rf "$dest" && mkdir -p "$dest/mathjax/output/chtml/fonts" "$dest/widgets"
# MathJax: the one combined component and its web fonts (1.6 MB of 24 MB).
cp mathjax/es5/tex-chtml.js "$dest/mathjax/"
cp -r mathjax/es5/output/chtml/fonts/woff-v2 "$dest/mathjax/output/chtml/fonts/"
# The widget manager's self-contained bundle and the icon fonts it loads beside itself.
cp widgets/dist/embed.js widgets/dist/*.woff2 widgets/dist/*.woff widgets/dist/*.ttf "$dest/widgets/"
echo "vendored into $dest: $(du -sh "$dest" | cut -f1)"
