#!/usr/bin/env bash
# The consumer job (a step of .ci/run): the package as a hospital developer gets it. npm pack,
# install the tarball into an empty folder outside the repository, build a bundle with the
# installed CLI, run the README's Node example with plain node after type-checking it with tsc
# (module/moduleResolution nodenext, strict), bundle the README's browser example with Vite and
# open it in Chromium on a page whose CSP is script-src 'self'. Prints the runtime install size
# and one line "consumer: N passed, N failed".
set -uo pipefail
REPO=$(cd "$(dirname "$0")/../.." && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/guideline-consumer-XXXXXX")
trap 'rm -rf "$WORK"' EXIT
GUIDELINE="$REPO/guideline/klca-ncc-2022"
passed=0; failed=0
ok() { echo "  ok   $1"; passed=$((passed + 1)); }
ko() { echo "  FAIL $1"; failed=$((failed + 1)); }
check() { local name=$1; shift; if "$@" >"$WORK/last.log" 2>&1; then ok "$name"; else ko "$name"; sed 's/^/       /' "$WORK/last.log" | tail -30; fi; }
finish() { echo "consumer: $passed passed, $failed failed"; [ "$failed" -eq 0 ]; exit $?; }

echo "-- npm pack (prepack builds dist/)"
if ! (cd "$REPO" && npm pack --silent --pack-destination "$WORK" >"$WORK/pack.log" 2>&1); then ko "npm pack"; cat "$WORK/pack.log"; finish; fi
TARBALL=$(ls "$WORK"/klca-guidelines-engine-*.tgz | head -1)
ok "npm pack: $(basename "$TARBALL") ($(du -k "$TARBALL" | cut -f1) kB)"
check "the tarball has no goldens, screenshots, editor or test sources" bash -c "! tar tzf '$TARBALL' | grep -E '^package/(test|editor|guideline)/|\\.png$'"

mkdir -p "$WORK/app" && cd "$WORK/app" || finish
npm init -y >/dev/null
mv "$TARBALL" .
check "npm install the tarball" npm install "./$(basename "$TARBALL")" --no-audit --no-fund --prefer-offline
size_kb=$(du -sk node_modules | cut -f1)
pkgs=$( (ls -d node_modules/[!@.]* node_modules/@*/* 2>/dev/null) | sed 's|node_modules/||' | tr '\n' ' ')
echo "  runtime install: $((size_kb / 1024)) MB ($size_kb kB), $(echo $pkgs | wc -w) packages: $pkgs"
check "runtime install under 15 MB" test "$size_kb" -lt 15360
check "no React, Monaco, Vite, tsx or esbuild installed" bash -c '! ls -d node_modules/react node_modules/react-dom node_modules/monaco-editor node_modules/vite node_modules/tsx node_modules/esbuild node_modules/@esbuild 2>/dev/null | grep .'

check "installed CLI (plain node): guideline --version" npx --no-install guideline --version
check "installed CLI: guideline bundle" npx --no-install guideline bundle --dir "$GUIDELINE" --out .
BUNDLE=$(ls ./*.bundle.json | head -1)
check "installed CLI: guideline verify (no key: not verified)" bash -c "npx --no-install guideline verify '$BUNDLE' | grep -q 'not verified: no key given'"

cp "$REPO/test/consumer/consumer.ts" "$REPO/test/consumer/tsconfig.json" .
check "install typescript and @types/node for the consumer" npm install -D typescript@^5.9 @types/node@^20 --no-audit --no-fund --prefer-offline
check "tsc (module/moduleResolution nodenext, strict) type-checks the README's Node example" npx --no-install tsc -p tsconfig.json
check "plain node runs the README's Node example" bash -c "node consumer.js '$BUNDLE' '$GUIDELINE/examples/sample-patient.json' > node.out && grep -q '^APPLIES ' node.out && grep -q '^VALUE child_pugh_class' node.out && head -1 node.out | grep -q 'engine 0.1.0, guideline-result/1'"
echo '{"albumin": 35, "no_such_fact": 1}' > bad.json
check "the Node example reports invalid facts as data and exits 2" bash -c "node consumer.js '$BUNDLE' bad.json 2> bad.err; test \$? -eq 2 && grep -q '^INVALID albumin' bad.err"
check "a tampered bundle is refused with a code (exit 2)" bash -c "sed 's/\"Serum albumin\"/\"Serum albumen\"/' '$BUNDLE' > tampered.json; node consumer.js tampered.json '$GUIDELINE/examples/sample-patient.json' 2> t.err; test \$? -eq 2 && grep -q 'REFUSED (hash-mismatch)' t.err"

mkdir -p web/public && cp "$REPO/test/consumer/index.html" web/ && cp "$BUNDLE" web/public/guideline.bundle.json
check "Vite bundles the README's browser example" node "$REPO/node_modules/vite/bin/vite.js" build web --logLevel warn --emptyOutDir
check "no inline script in the built page (CSP script-src 'self')" bash -c "! grep -Pzo '<script(?![^>]*src=)[^>]*>' web/dist/index.html | grep -q ."
check "Chromium evaluates a patient under CSP script-src 'self'" node "$REPO/test/consumer/browser.mjs" "$WORK/app/web/dist" "$WORK/app"
finish
