#!/usr/bin/env bash
# Cross-check costpanel's Claude Code import against ccusage 20.0.24 (Rust binary) and 18.0.11 (the
# last pure-JavaScript release) on a generated realistic corpus (tests/corpora/claude_code.py).
#
# Prints, per UTC day: the exact total (the corpus's own truth priced with the independent table
# of tests/test_claude_code_corpus.py), costpanel's (`costpanel import` + `costpanel report --by day`),
# and each ccusage's, with the differences; then each difference split into its known causes
# (web-search fees, the long-context cliff, 1-hour writes at the 5-minute rate, the first streaming
# line kept, lines without requestId never de-duplicated), with what is left unexplained.
#
# Run: bench/crosscheck_ccusage.sh [LINES (default 20000)] [SEED (default 3)]
# Needs npm (the npm registry) and the project's Python (PYTHON, default .venv/bin/python or python3).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
LINES=${1:-20000}
SEED=${2:-3}
PY=${PYTHON:-}
if [ -z "$PY" ]; then
  if [ -x "$ROOT/.venv/bin/python" ]; then PY="$ROOT/.venv/bin/python"; else PY=python3; fi
fi
WORK=$(mktemp -d "${TMPDIR:-/tmp}/costpanel-crosscheck.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/home"  # an empty HOME: no tool reads the real ~/.claude
export PYTHONPATH="$ROOT/src:$ROOT/tests${PYTHONPATH:+:$PYTHONPATH}"

echo "# installing ccusage 20.0.24 and 18.0.11 into $WORK" >&2
npm install --prefix "$WORK/ccusage20" --no-audit --no-fund --loglevel=error ccusage@20.0.24 >&2
npm install --prefix "$WORK/ccusage18" --no-audit --no-fund --loglevel=error ccusage@18.0.11 >&2
RUST="$WORK/ccusage20/node_modules/@ccusage/ccusage-linux-x64/bin/ccusage"
chmod +x "$RUST"  # npm leaves the optional dependency's binary without its x bit until cli.js runs it

CORPUS="$WORK/claude"
echo "# writing a corpus of ~$LINES lines (seed $SEED) to $CORPUS" >&2
"$PY" - "$CORPUS" "$LINES" "$SEED" <<'EOF'
import sys
from pathlib import Path
from corpora.claude_code import write_corpus
# current=False: the shapes both ccusage releases know (no /advisor calls, no /btw forks: neither
# counts an advisor's call, and 18.0.11 counts a fork's replays again; see docs/integrations.md)
truth = write_corpus(Path(sys.argv[1]), seed=int(sys.argv[3]), lines=int(sys.argv[2]), current=False)
print(f"# {sum(truth.lines.values()):,} lines, {truth.bytes / 1e6:.1f} MB, {len(truth.files)} files, "
      f"{len(truth.calls):,} calls", file=sys.stderr)
EOF

ccusage_env=(env CLAUDE_CONFIG_DIR="$CORPUS" HOME="$WORK/home")
"${ccusage_env[@]}" "$RUST" daily --json --offline -z UTC -b > "$WORK/ccusage20-rust.json"
(cd "$WORK/ccusage20" && "${ccusage_env[@]}" npx --no-install ccusage daily --json --offline -z UTC -b) \
  > "$WORK/ccusage20-npx.json"
(cd "$WORK/ccusage18" && "${ccusage_env[@]}" npx --no-install ccusage daily --json --offline -z UTC -b) \
  > "$WORK/ccusage18.json"

# costpanel: import into a fresh ledger, then the per-day report (days in UTC, like -z UTC above).
if COSTPANEL_CACHE_DIR="$WORK/cache" "$PY" -m costpanel import "$CORPUS" --db "$WORK/ledger.sqlite3" --json \
     > "$WORK/import.json" 2> "$WORK/import.err" \
   && TZ=UTC "$PY" -m costpanel report --by day --range all --db "$WORK/ledger.sqlite3" --json \
     > "$WORK/costpanel.json" 2>> "$WORK/import.err"; then
  echo "# costpanel import: $(cat "$WORK/import.json" | tr -d '\n' | cut -c1-300)" >&2
else
  echo "# costpanel import/report failed (shown as n/a): $(head -c 400 "$WORK/import.err")" >&2
  echo '{}' > "$WORK/costpanel.json"
fi

"$PY" - "$CORPUS" "$LINES" "$SEED" "$WORK" <<'EOF'
"""Per-day totals side by side, then each tool's difference from the exact total split by cause."""
import datetime as dt
import json
import sys
from collections import defaultdict
from decimal import Decimal as D
from pathlib import Path

from corpora.claude_code import write_corpus
import test_claude_code_corpus as ref  # the independent price table
from costpanel.integrations import claude_code as cc

corpus, lines, seed, work = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), Path(sys.argv[4])
truth = write_corpus(work / "truth-copy", seed=seed, lines=lines, current=False)  # same seed: the same calls, known exactly
exact = defaultdict(D)
for call in truth.calls:
    exact[call.day] += ref.exact_cost(call)


def days(path, key):
    data = json.loads(path.read_text() or "{}")
    return {row[key]: D(str(row["totalCost"])) for row in data.get("daily", [])}


rust, npx, old = (days(work / "ccusage20-rust.json", "period"), days(work / "ccusage20-npx.json", "period"),
                  days(work / "ccusage18.json", "date"))
ours = {row["day"]: D(row["cost_usd"]) for row in json.loads((work / "costpanel.json").read_text()).get("rows", [])}

print(f"{'day (UTC)':12} {'exact':>10} {'costpanel':>10} {'diff':>8} {'ccusage20':>10} {'diff':>8} {'ccusage18':>10} {'diff':>8}")
def cell(table, day):
    if not table:
        return f"{'n/a':>10} {'':>8}"
    v = table.get(day, D(0))
    return f"{v:>10.2f} {v - exact[day]:>+8.2f}"
for day in sorted(exact):
    print(f"{day:12} {exact[day]:>10.2f} {cell(ours, day)} {cell(rust, day)} {cell(old, day)}")
E = sum(exact.values())
def tot(table):
    if not table:
        return f"{'n/a':>10} {'':>8}"
    v = sum(table.values())
    return f"{v:>10.2f} {100 * (v / E - 1):>+7.2f}%"
print(f"{'total':12} {E:>10.2f} {tot(ours)} {tot(rust)} {tot(old)}")
assert rust == npx, "the npm wrapper and the Rust binary disagree"

# Each known cause, priced with the same table.
def rates(call):
    when = dt.datetime.fromtimestamp(call.ts, dt.timezone.utc).date()
    return [p for p in ref.PRICES[ref.base_model(call.model)] if p[0] <= when][-1][1]
def plain(call, *, one_hour_as_5m=False):
    """Tokens at the standard (below-cliff) rates, no web-search fee."""
    r = rates(call)
    w1h_rate = r[3] if one_hour_as_5m else r[4]
    v = (call.input * r[0] + call.output * r[1] + call.cache_read * r[2] + call.cache_write * r[3]
         + call.cache_write_1h * w1h_rate) * ref.MICRO
    return v * ref.FAST.get(ref.base_model(call.model), 1) if call.variant == "fast" else v

web = sum(D(c.web_search) * ref.WEB_SEARCH_PER_1K / 1000 for c in truth.calls)
cliff = sum(ref.exact_cost(c) - plain(c) - D(c.web_search) * ref.WEB_SEARCH_PER_1K / 1000
            for c in truth.calls if c.prompt > ref.LONG_CONTEXT_ABOVE)
one_hour = sum(plain(c) - plain(c, one_hour_as_5m=True) for c in truth.calls)
by_id = {c.event_id: c for c in truth.calls}
first_line, no_request_id, no_request_id_side = D(0), D(0), D(0)
seen = set()
for path in cc.find_files(corpus):
    for line in cc.Reader(path).read_lines(path.read_bytes().split(b"\n")[:-1]):
        call = by_id[line.event_id]
        u = line.usage
        as_line = call._replace(input=u.input, output=u.output, cache_read=u.cache_read, cache_write=u.cache_write,
                                cache_write_1h=u.cache_write_1h)
        if line.event_id.endswith(":"):  # every line of a call without requestId counts again
            if line.tier == "subagent":
                no_request_id_side += plain(as_line)
            else:
                no_request_id += plain(as_line)
        elif line.event_id not in seen:  # ccusage 18 keeps the first line of a call
            first_line += plain(as_line, one_hour_as_5m=True) - plain(call, one_hour_as_5m=True)
        seen.add(line.event_id)
calls_without = [c for c in truth.calls if c.event_id.endswith(":")]
no_request_id -= sum(plain(c) for c in calls_without if c.tier == "main")
no_request_id_side -= sum(plain(c) for c in calls_without if c.tier == "subagent")

def explain(name, table, parts):
    if not table:
        return
    got = sum(table.values())
    print(f"\n{name}: {got - E:+.2f} USD ({100 * (got / E - 1):+.2f} %) against the exact total")
    for label, value in parts:
        print(f"  {label:64} {value:>+9.2f}  ({100 * value / E:+.2f} %)")
    print(f"  {'left unexplained':64} {got - E - sum(v for _, v in parts):>+9.2f}")

explain("ccusage 20.0.24", rust, [
    ("web-search fees not billed", -web),
    ("long-context cliff ignored (no >200k rates for these models)", -cliff),
    ("lines without requestId never de-duplicated (main sessions)", no_request_id),
])
explain("ccusage 18.0.11", old, [
    ("web-search fees not billed", -web),
    ("long-context cliff ignored", -cliff),
    ("1-hour cache writes priced at the 5-minute rate", -one_hour),
    ("first streaming line kept instead of the final one", first_line),
    ("lines without requestId never de-duplicated (subagents too)", no_request_id + no_request_id_side),
])
if ours:
    worst = max(abs(ours.get(day, D(0)) - exact[day]) for day in exact)
    print(f"\ncostpanel: {sum(ours.values()) - E:+.2f} USD against the exact total; largest daily difference "
          f"{worst} USD (expected: 0 to the report's precision)")
EOF
