#!/usr/bin/env python3
"""The two pictures of docs/integrations.md: ``costpanel watch`` on realistic logs dated today.

    xvfb-run -a python tools/watch_screenshots.py            # writes docs/watch-claude-code.png, docs/watch-sources.png
    xvfb-run -a python tools/watch_screenshots.py --keep DIR  # also keeps the generated logs in DIR

Inputs, written to a temporary folder (nothing of yours is read: HOME and the ledger are temporary too):
a Claude Code config dir from ``tests/corpora/claude_code.py`` (main sessions and subagent files,
cache reads, 5-minute and 1-hour writes, streaming partials, synthetic and error lines), its week
squeezed into today from 07:00 UTC to two minutes ago and its March models renamed to today's; two
Codex CLI sessions (cumulative ``token_count`` events, a ``/model`` switch); a Gemini CLI chat
recording; and an orchestrator's costpanel event lines (Tier 1-3). The figures the page quotes
(450 calls, $37.32; 599 calls, $42.94) come from seed 3 and do not depend on the day.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.corpora import claude_code as corpus  # noqa: E402 - the repository's own generator

STAMP = re.compile(rb'"timestamp":"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)"')
TODAYS_MODELS = {b"claude-opus-4-6": b"claude-opus-4-8", b"claude-opus-4-5-20251101": b"claude-opus-4-7",
                 b"claude-opus-4-1-20250805": b"claude-opus-4-7", b"claude-sonnet-4-5-20250929": b"claude-sonnet-4-6",
                 b"claude-sonnet-4-20250514": b"claude-sonnet-4-6"}


def iso(t: dt.datetime) -> str:
    return f"{t:%Y-%m-%dT%H:%M:%S}.{t.microsecond // 1000:03d}Z"


def parse(stamp: bytes) -> dt.datetime:
    return dt.datetime.strptime(stamp.decode(), "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.timezone.utc)


def claude(root: Path, lo: dt.datetime, hi: dt.datetime) -> None:
    corpus.write_corpus(root, seed=3, lines=1500)
    files = sorted(root.rglob("*.jsonl"))
    stamps = [parse(m) for f in files for m in STAMP.findall(f.read_bytes())]
    first, last = min(stamps), max(stamps)

    def today(m: re.Match[bytes]) -> bytes:  # order and relative spacing kept
        new = lo + (parse(m.group(1)) - first) / (last - first) * (hi - lo)
        return b'"timestamp":"' + iso(new).encode() + b'"'

    for f in files:
        data = STAMP.sub(today, f.read_bytes())
        for old, new in TODAYS_MODELS.items():
            data = data.replace(b'"model":"' + old + b'"', b'"model":"' + new + b'"')
        f.write_bytes(data)


def codex(home: Path, lo: dt.datetime, rng: random.Random) -> None:
    def line(t: dt.datetime, kind: str, payload: dict[str, object]) -> str:
        return json.dumps({"timestamp": iso(t), "type": kind, "payload": payload})

    day = home / "sessions" / f"{lo:%Y/%m/%d}"
    day.mkdir(parents=True)
    sessions = [("/home/dev/shop-api", ["gpt-5.3-codex", "gpt-5.4"], lo + dt.timedelta(hours=1)),
                ("/home/dev/infra_tools", ["gpt-5.4"], lo + dt.timedelta(hours=4))]
    for k, (cwd, models, start) in enumerate(sessions):
        sid = f"0199d3f1-6c2a-7b80-9e41-2f5a8c7d1e0{k}"
        t = start
        out = [line(t, "session_meta", {"id": sid, "timestamp": iso(t), "cwd": cwd, "originator": "codex_cli_rs",
                                        "cli_version": "0.98.0", "source": "cli", "model_provider": "openai"})]
        total = [0, 0, 0, 0]  # input (cached inside), cached, output (reasoning inside), reasoning
        for turn in range(8):
            model = models[0] if turn < 5 else models[-1]
            out.append(line(t, "turn_context", {"turn_id": f"t{turn}", "cwd": cwd, "model": model, "effort": "medium"}))
            out.append(line(t, "event_msg", {"type": "user_message", "message": "fix the failing test"}))
            for _ in range(rng.randint(2, 6)):
                t += dt.timedelta(seconds=rng.randint(20, 200))
                prompt = 20_000 + 4_000 * turn + rng.randint(0, 8_000)
                cached = int(prompt * rng.uniform(0.6, 0.9))
                output = rng.randint(200, 3_000)
                total = [total[0] + prompt, total[1] + cached, total[2] + output, total[3] + int(output * 0.6)]
                usage = {"input_tokens": total[0], "cached_input_tokens": total[1], "output_tokens": total[2],
                         "reasoning_output_tokens": total[3], "total_tokens": total[0] + total[2]}
                out.append(line(t, "response_item", {"type": "function_call", "name": "shell", "arguments": "{}",
                                                     "call_id": "c"}))
                out.append(line(t, "event_msg", {"type": "token_count", "info": {
                    "total_token_usage": usage, "last_token_usage": usage, "model_context_window": 258400}}))
        (day / f"rollout-{iso(start)[:19].replace(':', '-')}-{sid}.jsonl").write_text("\n".join(out) + "\n")


def orchestrator(path: Path, lo: dt.datetime, rng: random.Random) -> None:
    tiers = [("Tier 1", "claude-opus-4-8"), ("Tier 2", "claude-sonnet-4-6"), ("Tier 3", "gpt-5.4-mini"),
             ("Tier 3", "gemini-3.5-flash")]
    path.parent.mkdir(parents=True)
    t, rows = lo + dt.timedelta(hours=2), []
    for i in range(60):
        tier, model = tiers[0] if i % 10 == 0 else rng.choice(tiers[1:])
        t += dt.timedelta(seconds=rng.randint(30, 240))
        rows.append(json.dumps({"ts": iso(t), "session": "run-42", "tier": tier, "model": model,
                                "project": "billing-bot", "id": f"run-42/call-{i}",
                                "usage": {"input": rng.randint(500, 4000), "cache_read": rng.randint(0, 30000),
                                          "output": rng.randint(100, 2000)}}))
    path.write_text("\n".join(rows) + "\n")


def gemini(home: Path, lo: dt.datetime, rng: random.Random) -> None:
    project = home / "tmp" / "ml-pipeline"
    (project / "chats").mkdir(parents=True)
    (project / ".project_root").write_text("/srv/work/ml-pipeline")
    sid = "6f1c2d3e-4a5b-4c6d-8e7f-901a2b3c4d5e"
    t = lo + dt.timedelta(hours=3)
    records: list[dict[str, object]] = [{"sessionId": sid, "projectHash": "x", "startTime": iso(t), "lastUpdated": iso(t)}]
    for i in range(24):
        t += dt.timedelta(seconds=rng.randint(40, 400))
        records.append({"id": f"u{i}", "timestamp": iso(t), "type": "user", "content": [{"text": "next step"}]})
        prompt = 12_000 + 2_500 * i + rng.randint(0, 3_000)
        cached, output, thoughts = int(prompt * rng.uniform(0.5, 0.85)), rng.randint(200, 1_500), rng.randint(0, 800)
        records.append({"id": f"g{i}", "timestamp": iso(t), "type": "gemini", "content": "Done.",
                        "model": "gemini-3.5-flash" if i < 16 else "gemini-3.1-pro-preview",
                        "tokens": {"input": prompt, "output": output, "cached": cached, "thoughts": thoughts, "tool": 0,
                                   "total": prompt + output + thoughts}})
    (project / "chats" / f"session-{iso(lo)[:16].replace(':', '-')}-{sid[:8]}.jsonl").write_text(
        "\n".join(json.dumps(r) for r in records) + "\n")


def write_inputs(root: Path) -> dict[str, Path]:
    now = dt.datetime.now(dt.timezone.utc)
    lo = now.replace(hour=7, minute=0, second=0, microsecond=0)
    if now - lo < dt.timedelta(hours=1):
        sys.exit("run it after 08:00 UTC: the logs are dated between 07:00 and now")
    rng = random.Random(7)
    paths = {"claude": root / "claude", "codex": root / "codex", "gemini": root / "gemini",
             "events": root / "orchestrator" / "events.jsonl"}
    claude(paths["claude"], lo, now - dt.timedelta(minutes=2))
    codex(paths["codex"], lo, rng)
    orchestrator(paths["events"], lo, rng)
    gemini(paths["gemini"], lo, rng)
    return paths


def watch(args: list[str], png: Path, home: Path) -> None:
    env = {**os.environ, "HOME": str(home), "PYTHONPATH": str(ROOT / "src")}
    env.pop("CLAUDE_CONFIG_DIR", None)
    env.pop("CODEX_HOME", None)
    db = home / f"{png.stem}.sqlite3"
    subprocess.run([sys.executable, "-m", "costpanel", "watch", *args, "--db", str(db), "--screenshot", str(png)],
                   env=env, check=True)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--keep", type=Path, help="write the generated logs here (default: a temporary folder)")
    p.add_argument("--out", type=Path, default=ROOT / "docs", help="folder for the PNGs (default docs/)")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        home.mkdir()
        root = args.keep or Path(tmp) / "logs"
        if root.exists() and any(root.iterdir()):
            p.error(f"--keep {root}: the folder is not empty")
        paths = write_inputs(root)
        watch([str(paths["claude"])], args.out / "watch-claude-code.png", home)
        watch([str(paths[k]) for k in ("claude", "codex", "gemini", "events")], args.out / "watch-sources.png", home)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
