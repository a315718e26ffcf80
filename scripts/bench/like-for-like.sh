#!/usr/bin/env bash
# The side-by-side bench, like for like (docs/benchmark.md, "Fifth pass", set C): a copy of the
# installed bench in which the floor and the peer also carry what this Worker carries and
# `wrangler dev` charges for: one static page, with their API paths in run_worker_first (as in
# wrangler.toml here), and one console.log line per SMS sent. ../shared/ stays untouched.
#
#   ../shared/bench/side-by-side.sh 1          # once: installs the bench in $TMPDIR/side-by-side-bench
#   scripts/bench/like-for-like.sh 3           # 3 rounds of peer → floor → ours, then the table
set -euo pipefail
rounds=${1:-3}
bench=${BENCH_WORK:-${TMPDIR:-/tmp}/side-by-side-bench}
work=${LIKE_FOR_LIKE_WORK:-${TMPDIR:-/tmp}/like-for-like-bench}
[[ -f "$bench/run.mjs" && -d "$bench/node_modules" ]] || { echo "no bench in $bench: run ../shared/bench/side-by-side.sh 1 first" >&2; exit 1; }
project=$PWD

rm -rf "$work" && mkdir -p "$work/results"
(cd "$bench" && tar cf - --exclude=node_modules --exclude=results --exclude=archive .) | (cd "$work" && tar xf -)
ln -s "$bench/node_modules" "$work/node_modules"

# The two edits, each asserted, so a bench that changed shape stops here instead of measuring nothing.
node - "$work" <<'EOF'
const { readFileSync, writeFileSync, mkdirSync } = require("node:fs");
const work = process.argv[2];
function edit(file, anchor, insert) {
  const path = `${work}/${file}`;
  const text = readFileSync(path, "utf8");
  if (!text.includes(anchor)) throw new Error(`${file}: "${anchor.trim()}" not found; the bench changed shape`);
  writeFileSync(path, text.replace(anchor, anchor + insert));
}
const LOG = (phone) => `console.log(JSON.stringify({ event: "code.sent", phone: \`\${${phone}.slice(0, 6)}****\${${phone}.slice(-4)}\` }));`;
for (const [dir, paths] of [["floor", '["/v1/*", "/healthz"]'], ["peer-better-auth", '["/api/*"]']]) {
  edit(`${dir}/wrangler.jsonc`, '"compatibility_flags": ["nodejs_compat"],', `\n  "assets": { "directory": "./public", "binding": "ASSETS", "run_worker_first": ${paths} },`);
  mkdirSync(`${work}/${dir}/public`, { recursive: true });
  writeFileSync(`${work}/${dir}/public/index.html`, "<!doctype html><title>console</title><p>static page</p>\n");
}
edit("floor/src/index.ts", '  if (!sms.ok) return c.json({ error: "sms_send_failed" }, 502);\n', `  ${LOG("phone")}\n`);
edit("peer-better-auth/src/index.ts", "          await postToSink(env.SMS_SINK_URL, phoneNumber, code);\n", `          ${LOG("phoneNumber")}\n`);
EOF

stamp=$(date +%s)
for round in $(seq 1 "$rounds"); do
  for target in peer floor ours; do
    echo "[like-for-like] round $round/$rounds: $target"
    node "$work/run.mjs" --target "$target" --ours-dir "$project" --label "$target" | tail -3
  done
done
node "$work/report.mjs" --base peer --since "$stamp"
