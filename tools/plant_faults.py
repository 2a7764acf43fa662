#!/usr/bin/env python3
"""Plant known faults in a copy of costpanel, one at a time, and check the tests catch each one.

Each fault is an exact text substitution in one source file: the behaviour a test claims to
protect, broken the way a careless edit would break it. For each fault the script copies the
repository's ``src/``, ``tests/``, ``pricing/`` (and the few files tests read) into a temporary
folder, makes the substitution there (the checkout is never touched), and runs pytest on the test
files that cover that behaviour, with ``PYTHONPATH`` pointing at the copy's ``src``:

    CAUGHT   pytest failed (exit 1): some test noticed
    MISSED   pytest passed (exit 0): no test noticed; the suite has a hole
    ERROR    anything else: the anchor text moved (update FAULTS below), the planted code does not
             compile, pytest could not run, or the run timed out

A baseline run with no fault planted comes first; if it is red the faults are not run (a red
suite catches everything and proves nothing). Exit status 0 only when the baseline is green and
every fault is CAUGHT.

    python tools/plant_faults.py             # every fault, 2 at a time
    python tools/plant_faults.py --list      # the faults, their files and test files
    python tools/plant_faults.py --list --markdown   # the table in docs/testing.md
    python tools/plant_faults.py --only 3 --only d1 -j 1
    python tools/plant_faults.py --full      # each fault against the whole suite (slow)
    python tools/plant_faults.py --all-failures --only 6   # every test that catches it, not just the first

Standard library only. Run it with the interpreter that runs the tests (it is reused for pytest).
When the source moves, a fault whose anchor is gone (or no longer unique) is reported as
``fault N: anchor not found — update tools/plant_faults.py`` and counted as an error: keep anchors
small and distinctive, and re-anchor them after a refactor.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import dataclasses
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# What the tests need from the checkout: the package, the tests and their data, the price files,
# and the files some tests read (pyproject's pytest settings, the README's documented figures).
COPIED = ("src", "tests", "pricing", "pyproject.toml", "README.md", "docs")
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache", ".hypothesis")
RUN_TIMEOUT_S = 900  # one pytest run; a planted fault that hangs a test ends in pytest-timeout first


@dataclasses.dataclass(frozen=True)
class Fault:
    id: str
    title: str
    file: str  # relative to the repository root
    old: str  # must occur exactly once in ``file``
    new: str
    tests: tuple[str, ...]  # pytest arguments: the test files covering this behaviour
    catches: tuple[str, ...] = ()  # tests known to catch it (documentation; see docs/testing.md)


TRACKER = "src/costpanel/tracker.py"
RATES = "src/costpanel/pricing/rates.py"
CATALOG = "src/costpanel/pricing/catalog.py"
STORE = "src/costpanel/ledger/store.py"
ROWS = "src/costpanel/ledger/rows.py"
CLAUDE = "src/costpanel/integrations/claude_code.py"
GUARDS = "src/costpanel/guards.py"
INGEST = "src/costpanel/integrations/ingest.py"
QUERIES = "src/costpanel/ledger/queries.py"
VIEWMODEL = "src/costpanel/gui/viewmodel.py"

T_TRACKER = "tests/test_tracker.py"
T_CATALOG = "tests/test_catalog.py"
T_DATA = "tests/test_pricing_data.py"
T_VIEW = "tests/test_viewmodel.py"
T_VARIANTS = "tests/test_variants.py"
T_FALLBACK = "tests/test_fallback.py"
FALLBACK = "src/costpanel/pricing/fallback.py"

FAULTS: tuple[Fault, ...] = (
    # -- 1-12: the faults issue 9 names ---------------------------------------------------------------
    Fault("1", "cache reads priced at the input rate (compiled rates)", RATES,
          "if price is None and bucket.name in FALLBACK:",
          'if (price is None or bucket.name == "cache_read") and bucket.name in FALLBACK:',
          (T_CATALOG, T_TRACKER, T_DATA),
          ("tests/test_catalog.py::test_cliff_threshold_counts_every_prompt_bucket_and_not_output",
           "tests/test_tracker.py::test_each_row_carries_every_bucket_calls_cost_and_share",
           "tests/test_pricing_data.py::test_long_context_and_cached_cost_agree_with_genai_prices")),
    Fault("1b", "cache reads priced at the input rate (record() hot path)", TRACKER,
          "cache_read * rate[READ]", "cache_read * rate[IN]",
          (T_TRACKER,),
          ("tests/test_tracker.py::test_each_row_carries_every_bucket_calls_cost_and_share",
           "tests/test_tracker.py::test_long_context_cliff_reprices_the_whole_request")),
    Fault("2", "1-hour cache writes priced at the 5-minute rate (compiled rates)", RATES,
          "if price is None and bucket.name in FALLBACK:",
          'if (price is None or bucket.name == "cache_write_1h") and bucket.name in FALLBACK:',
          (T_CATALOG, T_TRACKER, T_DATA),
          ("tests/test_catalog.py::test_cliff_threshold_counts_every_prompt_bucket_and_not_output",
           "tests/test_tracker.py::test_each_row_carries_every_bucket_calls_cost_and_share")),
    Fault("2b", "1-hour cache writes priced at the 5-minute rate (record() hot path)", TRACKER,
          "cache_write_1h * rate[WRITE_1H]", "cache_write_1h * rate[WRITE]",
          (T_TRACKER,),
          ("tests/test_tracker.py::test_each_row_carries_every_bucket_calls_cost_and_share",)),
    Fault("3", "long-context cliff off by one: applied AT the threshold, not only above it", RATES,
          "if prompt > threshold:", "if prompt >= threshold:",
          (T_CATALOG, T_TRACKER, T_DATA),
          ("tests/test_catalog.py::test_cliff_tier_applies_only_strictly_above_the_threshold",
           "tests/test_pricing_data.py::test_the_cliff_starts_one_token_above_the_threshold_as_in_genai_prices",
           "tests/test_tracker.py::test_long_context_cliff_reprices_the_whole_request")),
    Fault("3b", "long-context cliff off by one: not applied one token above the threshold", RATES,
          "if prompt > threshold:", "if prompt > threshold + 1:",
          (T_CATALOG, T_TRACKER, T_DATA),
          ("tests/test_catalog.py::test_cliff_tier_applies_only_strictly_above_the_threshold",
           "tests/test_pricing_data.py::test_the_cliff_starts_one_token_above_the_threshold_as_in_genai_prices",
           "tests/test_tracker.py::test_long_context_cliff_reprices_the_whole_request")),
    Fault("4", "unknown names matched by longest prefix (gpt-4o-mini-foo -> gpt-4o-mini)", CATALOG,
          "                return entry, implied\n        return None, None\n",
          "                return entry, implied\n"
          "        prefixes = [k for k in index if n.startswith(k)]\n"
          "        return (index[max(prefixes, key=len)] if prefixes else None), None\n",
          (T_CATALOG, T_TRACKER),
          ("tests/test_catalog.py::test_model_names_match_deliberately",
           "tests/test_catalog.py::test_an_unknown_model_is_unpriced_not_zero")),
    Fault("5", "a tier dropped from the session total", "src/costpanel/snapshot.py",
          "c = _sum_cells(self._cells.values())\n",
          "c = _sum_cells(v for (t, _), v in self._cells.items() if t != max(t for t, _ in self._cells))\n",
          (T_TRACKER,),
          ("tests/test_tracker.py::test_the_session_total_is_the_sum_of_every_tier",
           "tests/test_tracker.py::test_rows_and_total_agree_to_the_last_unit")),
    Fault("6", "event_id ignored: a duplicate is counted twice", TRACKER,
          "earlier = state.seen_ids.get(event_id)\n                if earlier is None or",
          "earlier = None\n                if earlier is None or",
          (T_TRACKER,),
          ("tests/test_tracker.py::test_idempotent_event_id_counts_once",
           "tests/test_tracker.py::test_version_changes_with_every_counted_call_only")),
    Fault("7", "a discarded attempt counted in the totals", TRACKER,
          "state.discarded[pair] = add_to_cell(state.discarded.get(pair, ZERO_CELL), h.usage, h.cost)",
          "state.discarded[pair] = add_to_cell(state.discarded.get(pair, ZERO_CELL), h.usage, h.cost); "
          "state.retired.cells[pair] = add_to_cell(state.retired.cells.get(pair, ZERO_CELL), h.usage, h.cost)",
          (T_TRACKER,),
          ("tests/test_tracker.py::test_attempt_commit_counts_and_discard_is_shown_apart",
           "tests/test_tracker.py::test_attempt_explicit_discard_and_finished_attempt_refuses_more")),
    Fault("8", "the ledger writer's flush interval raised to seconds", STORE,
          "self._wake.wait(backoff)", "self._wake.wait(max(backoff, 5.0))",
          ("tests/test_ledger_crash.py",),
          ("tests/test_ledger_crash.py::test_kill_9_loses_only_calls_of_the_last_flush_interval",)),
    Fault("9", "day buckets in UTC instead of local time (report by day)", QUERIES,
          "        return dt.datetime.fromtimestamp(ts).date()\n",
          "        return dt.datetime.fromtimestamp(ts, dt.timezone.utc).date()\n",
          ("tests/test_ledger.py",),
          ("tests/test_ledger.py::test_days_and_date_ranges_follow_the_local_time_zone",)),
    Fault("9b", "day boundaries at UTC midnight instead of local midnight (ranges, budgets)", QUERIES,
          "dt.datetime(day.year, day.month, day.day).astimezone().timestamp()",
          "dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc).timestamp()",
          ("tests/test_ledger.py",),
          ("tests/test_ledger.py::test_days_and_date_ranges_follow_the_local_time_zone",)),
    Fault("10", "CSV formula neutralisation removed", "src/costpanel/export.py",
          """return "'" + value if value.startswith(_FORMULA_STARTS) else value""", "return value",
          ("tests/test_export.py", "tests/test_history_cli.py"),
          ("tests/test_export.py::test_csv_neutralises_formulas_in_user_controlled_names",
           "tests/test_export.py::test_safe_cell_prefixes_only_formula_starts",
           "tests/test_history_cli.py::test_report_csv_neutralises_formulas_in_names")),
    Fault("11", "`at` ignored for price periods: priced at today's period (record() hot path)", TRACKER,
          "if flat is not None and variant is None and ts >= start:\n            rate = flat",
          "if flat is not None and variant is None:\n            rate = flat",
          (T_TRACKER, T_CATALOG),
          ("tests/test_tracker.py::test_at_picks_the_price_period_in_effect",
           "tests/test_catalog.py::test_tracker_prices_history_like_quote")),
    Fault("11d", "`ts` ignored for price periods by price_event (costpanel import bills history at today's prices)",
          TRACKER, "if flat is not None and variant is None and ts >= start:\n            # the usual call",
          "if flat is not None and variant is None:\n            # the usual call",
          ("tests/test_price_event.py",),
          ("tests/test_price_event.py::test_a_call_before_a_price_change_is_billed_at_the_prices_then",)),
    Fault("11c", "`at` ignored for a model with cliff tiers or a variant (record()'s slower branch)", TRACKER,
          "(variant is not None or ts < start)", "(variant is not None)",
          (T_TRACKER, T_CATALOG, T_VARIANTS),
          ("tests/test_variants.py::test_a_variant_is_billed_as_the_catalog_states_it",)),
    Fault("11b", "`at` ignored for price periods: priced at today's period (catalog: attempts, quote)", CATALOG,
          "if ts >= periods[-1].start_ts:", "if True:",
          (T_CATALOG, T_TRACKER),
          ("tests/test_catalog.py::test_a_call_is_priced_with_the_period_in_effect_at_its_time",
           "tests/test_tracker.py::test_an_attempt_is_priced_with_the_period_in_force_at_its_time")),
    Fault("12", "OpenAI cached tokens not subtracted from input", "src/costpanel/adapters.py",
          "input=_within(_named(u, prompt), cached, written)", "input=_within(_named(u, prompt), written)",
          ("tests/test_adapters.py",),
          ("tests/test_adapters.py::test_recorded_payload_normalises_to_disjoint_buckets",
           "tests/test_adapters.py::test_openai_cached_and_uncached_input_always_add_up_to_the_prompt")),
    # -- a-d: the six a check of the suite before issue 9 missed ---------------------------------------
    Fault("a", "the ledger's default flush interval raised from 0.25 s to 5 s", STORE,
          "DEFAULT_FLUSH_INTERVAL = 0.25", "DEFAULT_FLUSH_INTERVAL = 5.0",
          ("tests/test_ledger_crash.py",),
          ("tests/test_ledger_crash.py::test_the_default_flush_interval_is_the_documented_quarter_second",)),
    Fault("a2", "a Ledger() made without flush_interval ignores the default (5 s)", STORE,
          "flush_interval: float = DEFAULT_FLUSH_INTERVAL", "flush_interval: float = 5.0",
          ("tests/test_ledger_crash.py",),
          ("tests/test_ledger_crash.py::test_the_default_flush_interval_is_the_documented_quarter_second",
           "tests/test_ledger_crash.py::test_kill_9_loses_only_calls_of_the_last_flush_interval")),
    Fault("b", "record() drops the per-request fee", TRACKER,
          "cost += requests * rate[PER_REQUEST]", "cost += 0",
          (T_TRACKER,),
          ("tests/test_tracker.py::test_record_adds_the_per_request_fee_to_the_token_cost",)),
    Fault("c", "the daily budget sums the last 7 days instead of today", "src/costpanel/ledger/budgets.py",
          "parse_range(period, now=now)", 'parse_range("7d" if period == "today" else period, now=now)',
          ("tests/test_history_cli.py",),
          ("tests/test_history_cli.py::test_the_daily_budget_counts_only_todays_calls",)),
    Fault("d1", "the panel's 1-hour projection uses the session-average rate, not the last 5 minutes", VIEWMODEL,
          "Decimal(str(round(burn_5m, 6)))", "Decimal(str(round(s.burn_rate_usd_per_hour(None), 6)))",
          (T_VIEW, "tests/test_panel_headless.py"),
          ("tests/test_viewmodel.py::test_header_rates_and_projection_are_the_hand_computed_figures",)),
    Fault("d2", "the discarded notice shows the wrong amount (the session total)", VIEWMODEL,
          "fmt.usd(s.discarded.cost_usd)} not in the total", "fmt.usd(s.total_usd)} not in the total",
          (T_VIEW, "tests/test_panel_headless.py"),
          ("tests/test_viewmodel.py::test_discarded_and_pending_notices_name_their_own_amounts",
           "tests/test_panel_headless.py::test_tier_by_model_and_discarded_tables")),
    Fault("d3", "a tier whose calls are all unpriced is not flagged", VIEWMODEL,
          "return RowView(name, sort, cells, unpriced=row.cost_usd is None, names=names)",
          "return RowView(name, sort, cells, unpriced=False, names=names)",
          (T_VIEW, "tests/test_panel_headless.py"),
          ("tests/test_viewmodel.py::test_a_tier_with_unpriced_calls_is_flagged",)),
    Fault("d4", "a tier with some unpriced calls shows its priced cost without the +? mark", VIEWMODEL,
          'text += " +?"', 'text += ""',
          (T_VIEW, "tests/test_panel_headless.py"),
          ("tests/test_viewmodel.py::test_a_tier_with_unpriced_calls_is_flagged",
           "tests/test_panel_headless.py::test_tier_table_has_tiers_1_to_4_always_and_shows_fixed_figures")),
    # -- more ---------------------------------------------------------------------------------------------
    Fault("e", "the tracker keeps every call it records (memory grows with the session)", TRACKER,
          "shard.writes += 1\n\n        if approximate:",
          'shard.writes += 1\n        self.__dict__.setdefault("_calls", []).append(usage)\n\n        if approximate:',
          ("tests/test_series.py",),
          ("tests/test_series.py::test_a_long_session_keeps_one_cell_per_tier_and_model_not_one_per_call",)),
    Fault("f", "record() stops feeding the ledger (its inline append to the writer's queue dropped)", TRACKER,
          "# Ledger.append, inlined: a deque append, no disk\n            queue.append(event)\n",
          "# Ledger.append, inlined: a deque append, no disk\n            pass\n",
          ("tests/test_ledger.py",),
          ("tests/test_ledger.py::test_every_call_lands_with_its_exact_cost_and_rollups_equal_the_snapshot",)),
    Fault("g", "the ledger reads an Event field by position: a reordered Event stores the wrong column", ROWS,
          '_USAGE, _COST, _TS, _EVENT_ID, _STATUS = map(attrgetter, ("usage", "cost_units", "ts", "event_id", "status"))',
          "_USAGE, _COST, _TS, _EVENT_ID, _STATUS = map(itemgetter, (5, 6, 7, 8, 9))",
          ("tests/test_buckets.py",),
          ("tests/test_buckets.py::test_the_ledger_reads_events_by_name_so_a_reordered_event_is_stored_the_same",)),
    # -- h-j: price variants and web searches (issue 10) ----------------------------------------------------
    Fault("h", "a variant's multiplier ignored: fast mode billed at the standard price", RATES,
          "factor *= rule.factor", "factor *= 1",
          (T_VARIANTS,),
          ("tests/test_variants.py::test_a_variant_is_billed_as_the_catalog_states_it",)),
    Fault("h2", "a variant the model does not offer billed at the standard price", RATES,
          "        if rule is None or (rule.name or name) in own:\n            return None",
          "        if rule is None:\n            continue\n        if (rule.name or name) in own:\n            return None",
          (T_VARIANTS,),
          ("tests/test_variants.py::test_a_variant_or_fee_the_catalog_does_not_state_is_unpriced_never_standard_or_zero",)),
    Fault("h3", "stacked variants: only the last multiplier applies", RATES,
          "factor *= rule.factor", "factor = rule.factor",
          (T_VARIANTS,),
          ("tests/test_variants.py::test_a_variant_is_billed_as_the_catalog_states_it",)),
    Fault("i", "record() drops the web-search fee", TRACKER,
          "cost += (1 if period.search_once else web_search) * rate[WEB_SEARCH]", "cost += 0",
          (T_VARIANTS,),
          ("tests/test_variants.py::test_a_variant_is_billed_as_the_catalog_states_it",
           "tests/test_variants.py::test_the_ledger_keeps_each_calls_variant_source_and_searches")),
    Fault("i2", "web searches of a model without a stated search fee billed at $0", RATES,
          "elif price is None and bucket.name in UNSTATED_WHEN_MISSING:", "elif False:",
          (T_VARIANTS,),
          ("tests/test_variants.py::test_a_variant_or_fee_the_catalog_does_not_state_is_unpriced_never_standard_or_zero",)),
    Fault("j", "the ledger drops each call's variant", ROWS,
          'provider or "", variant or "", priced_by or ""', 'provider or "", "", priced_by or ""',
          (T_VARIANTS, "tests/test_ledger_rows.py"),
          ("tests/test_variants.py::test_the_ledger_keeps_each_calls_variant_source_and_searches",
           "tests/test_ledger_rows.py::test_any_two_batches_land_exactly_as_computed_here")),
    # -- k: the genai-prices fallback (issue 10 section 4) ------------------------------------------------
    Fault("k", "the fallback trusts genai-prices' loose match onto a model the catalog prices", FALLBACK,
          "    if any(catalog.match(n) is not None for n in found.names):\n        return None\n",
          "    pass\n",
          (T_FALLBACK,),
          ("tests/test_fallback.py::test_never_a_loose_match_onto_a_catalog_model",)),
    Fault("k2", "the fallback prices models of the providers the catalog covers", FALLBACK,
          "        if owner in COVERED_PROVIDERS:", "        if False:",
          (T_FALLBACK,),
          ("tests/test_fallback.py::test_what_the_fallback_leaves_unpriced",)),
    Fault("l", "the ledger stores every call under no project (report --by project wrong)", ROWS,
          'priced_by or "", source, project,\n', 'priced_by or "", source, "",\n',
          ("tests/test_source_project.py",),
          ("tests/test_source_project.py::test_the_ledger_keeps_source_and_project_and_reports_group_by_them",)),
    Fault("u1", "a final line does not replace its streaming partial in the tracker (output under-counted)",
          TRACKER, "(earlier and usage.total_tokens > earlier[1].total_tokens)", "(earlier and False)",
          ("tests/test_upsert.py",),
          ("tests/test_upsert.py::test_a_final_line_replaces_its_partial_and_a_repeat_is_a_duplicate",)),
    Fault("u2", "the ledger keeps the first of an id's calls (no upsert)", ROWS,
          "            if e.usage.total_tokens > tokens or (e.usage.total_tokens == tokens and row[-1] is None",
          "            if False and (e.usage.total_tokens == tokens and row[-1] is None",
          ("tests/test_upsert.py",),
          ("tests/test_upsert.py::test_a_backfill_counts_added_replaced_and_duplicates_and_twice_adds_nothing",)),
    Fault("u3", "a replaced call's old usage stays in the roll-ups (reports count it twice)", ROWS,
          "    _ROLLUP.run_rows(conn, taken_back)\n", "",
          ("tests/test_upsert.py",),
          ("tests/test_upsert.py::test_a_backfill_counts_added_replaced_and_duplicates_and_twice_adds_nothing",)),
    Fault("u4", "imported sessions stay open (resume=True continues a Claude Code session)", ROWS,
          "[(session, first, last_ts) for session, (first, last_ts) in spans.items()]",
          "[(session, first, None) for session, (first, last_ts) in spans.items()]",
          ("tests/test_upsert.py",),
          ("tests/test_upsert.py::test_resume_never_continues_an_imported_or_watched_session",)),
    Fault("c1", "Codex cached tokens billed as input too (the classic double count)", "src/costpanel/integrations/codex.py",
          "usage = Usage(input=inp - cached - written,", "usage = Usage(input=inp - written,",
          ("tests/test_codex.py",),
          ("tests/test_codex.py::test_each_call_is_the_difference_of_cumulative_totals_with_cached_inside_input",)),
    Fault("l1", "LiteLLM: the request's costpanel_tier metadata ignored", "src/costpanel/integrations/litellm.py",
          'self._label(meta, TIER_KEY, self.tier, lambda v: check_label("tier", v))', "self.tier",
          ("tests/test_litellm_logger.py",),
          ("tests/test_litellm_logger.py::test_request_metadata_names_the_tier_session_and_project",)),
    Fault("l2", "LiteLLM: a failed call counted in the totals instead of discarded",
          "src/costpanel/integrations/litellm.py", "events = attempt.discard()", "events = attempt.commit()",
          ("tests/test_litellm_logger.py",),
          ("tests/test_litellm_logger.py::test_a_failed_call_is_a_discarded_attempt_with_no_tokens",)),
    Fault("o1", "OpenTelemetry: invoke_agent / execute_tool spans (summed usage) counted again",
          "src/costpanel/integrations/genai.py",
          "    if operation in SUMMARY_OPERATIONS or (operation is None and", "    if False and (operation is None and",
          ("tests/test_otel.py",), ("tests/test_otel.py::test_agent_and_tool_spans_carry_summed_usage_and_are_skipped",)),
    Fault("o2", "OpenTelemetry: the requested model priced instead of the one that answered",
          "src/costpanel/integrations/genai.py",
          'text(attributes, "gen_ai.response.model") or text(attributes, "gen_ai.request.model")',
          'text(attributes, "gen_ai.request.model") or text(attributes, "gen_ai.response.model")',
          ("tests/test_otel.py",), ("tests/test_otel.py::test_the_response_model_wins_over_the_requested_one",)),
    Fault("o3", "OTLP: a Claude Code session the log watcher owns is counted again from telemetry",
          "src/costpanel/integrations/otlp.py",
          "if call.session is not None and self.skip_session(call.session):", "if False:",
          ("tests/test_otlp.py",), ("tests/test_otlp.py::test_sessions_a_log_watcher_owns_are_skipped",)),
    Fault("a1", "Agents SDK: every agent's calls in one tier (not per agent name)",
          "src/costpanel/integrations/openai_agents.py",
          "        return name\n\n    def _skip(", "        return DEFAULT_TIER\n\n    def _skip(",
          ("tests/test_openai_agents.py",),
          ("tests/test_openai_agents.py::test_async_run_records_the_response_in_disjoint_buckets_at_the_exact_catalog_price",)),
    Fault("cc1", "Claude Code: 1-hour cache writes read as 5-minute ones (ccusage 18's under-count)",
          "src/costpanel/integrations/claude_code.py",
          "return _new_usage(Usage, (i, r, total - w1h, w1h, o, 1, ws))",
          "return _new_usage(Usage, (i, r, total, 0, o, 1, ws))",
          ("tests/test_claude_code.py", "tests/test_claude_code_corpus.py"),
          ("tests/test_claude_code.py::test_an_assistant_line_becomes_the_call_it_logs",)),
    Fault("cc2", "Claude Code: subagent calls shown under the main tier", "src/costpanel/integrations/claude_code.py",
          "            tier = SUBAGENT\n", "            tier = MAIN\n",
          ("tests/test_claude_code.py",), ("tests/test_claude_code.py::test_subagent_lines_and_files_get_the_subagent_tier",)),
    Fault("im1", "import keeps a call's first streaming line, not the one with the most tokens",
          "src/costpanel/integrations/ingest.py",
          "elif call.usage.total_tokens > best.usage.total_tokens:", "elif False:",
          ("tests/test_import.py",), ("tests/test_import.py::test_json_output_has_the_documented_keys_and_types",)),
    Fault("w1", "watch reads a line before its newline is written (a torn line lost or half-read)",
          "src/costpanel/integrations/tail.py",
          "        end = chunk.rfind(b\"\\n\")\n", "        end = len(chunk)\n",
          ("tests/test_tail.py", "tests/test_watch.py"), ("tests/test_tail.py::test_a_torn_last_line_waits_for_its_newline",)),
    Fault("w2", "watch counts calls from before today in today's panel", "src/costpanel/integrations/watch.py",
          "if since is not None and call.ts < since:", "if False:",
          ("tests/test_watch.py",),
          ("tests/test_watch.py::test_catch_up_counts_today_skips_older_lines_and_garbage_then_follows_appends",)),
    Fault("u5", "roll-ups made from every call inserted, also those the unique index kept out", ROWS,
          "        batch, clashed = _inserted(conn, batch, last)\n        columns = None\n",
          "        batch, clashed = _inserted(conn, batch, last)\n",
          ("tests/test_upsert.py",),
          ("tests/test_upsert.py::test_a_batch_of_new_calls_and_replacements_rolls_up_both",)),
    Fault("cc3", "Claude Code fast path: sidechain lines shown under the main tier", CLAUDE,
          "tier = SUBAGENT if self.subagent_file or obj.isSidechain is True or obj.agentId else MAIN",
          "tier = SUBAGENT if self.subagent_file else MAIN",
          ("tests/test_claude_code.py",),
          ("tests/test_claude_code.py::test_subagent_lines_and_files_get_the_subagent_tier",)),
    Fault("cc4", "Claude Code fast path: 1-hour cache writes priced as 5-minute ones", CLAUDE,
          "used = _new_usage(Usage, (0 if i == _ABSENT else i, usage.cache_read_input_tokens, total - w1h, w1h,",
          "used = _new_usage(Usage, (0 if i == _ABSENT else i, usage.cache_read_input_tokens, total, 0,",
          ("tests/test_claude_code.py", "tests/test_claude_code_corpus.py"),
          ("tests/test_claude_code.py::test_reset_changes_nothing_a_reread_would_double",)),
    Fault("cc5", "Claude Code fast path: a line with invalid UTF-8 read where the full parse refuses it", CLAUDE,
          "            except UnicodeDecodeError:\n                return None\n",
          "            except UnicodeDecodeError:\n                pass\n",
          ("tests/test_claude_code.py",),
          ("tests/test_claude_code.py::test_the_fast_path_agrees_with_the_full_parse_on_odd_lines[raw26]",)),
    Fault("im2", "a shared listing takes in a sibling folder whose name starts the same", "src/costpanel/integrations/logs.py",
          "if folder == key or folder.startswith(inside)]", "if folder.startswith(key)]",
          ("tests/test_import.py",),
          ("tests/test_import.py::test_a_shared_listing_gives_each_folder_what_its_own_walk_would",)),
    Fault("im3", "an import's last transaction never committed (its calls lost at close)", INGEST,
          "            self._writer.submit(self._backfill.commit).result()\n", "            pass\n",
          ("tests/test_import.py",),
          ("tests/test_import.py::test_import_prints_its_counts_and_a_second_run_adds_nothing",)),
    Fault("im4", "a large batch's rows put in event-id order, all but the ids (each id stored with another's usage)",
          ROWS, "columns = [list(pick(column)) for column in columns]",
          "columns = [columns[0]] + [list(pick(column)) for column in columns[1:]]",
          ("tests/test_import.py", "tests/test_import_parallel.py", "tests/test_ledger_rows.py", "tests/test_upsert.py"),
          ("tests/test_import_parallel.py::test_workers_store_what_one_process_stores[1]",)),
    Fault("n1", "a desktop notice no notification service took counted as shown", "src/costpanel/notify.py",
          "if _send(self.app_name, title, message):", "if _send(self.app_name, title, message) or True:",
          ("tests/test_notify.py",),
          ("tests/test_notify.py::test_without_a_notification_server_the_notice_is_dropped_and_the_problem_said_once",)),
    Fault("g1", "a guard's threshold fires only once the spend is strictly above it", GUARDS,
          "while self._next < len(marks) and self._units >= marks[self._next]:",
          "while self._next < len(marks) and self._units > marks[self._next]:",
          ("tests/test_guards.py",),
          ("tests/test_guards.py::test_session_guard_fires_each_threshold_once_in_order",)),
    Fault("g2", "reset() leaves a session guard's thresholds fired (never warns again)", GUARDS,
          "                    g._next, g._units = 0, 0\n", "                    g._units = 0\n",
          ("tests/test_guards.py",),
          ("tests/test_guards.py::test_a_session_guard_rearms_on_reset",)),
    Fault("g3", "a float budget limit accepted (inexact money)", GUARDS,
          "if isinstance(value, bool) or isinstance(value, float) or not isinstance(value, (Decimal, int, str)):",
          "if isinstance(value, bool) or not isinstance(value, (Decimal, int, float, str)):",
          ("tests/test_guards.py",),
          ("tests/test_guards.py::test_bad_input_names_the_value_and_makes_no_guard[kwargs0-TypeError-1.5]",)),
    Fault("g4", "guard.remaining() goes negative past the limit", GUARDS,
          "        return max(Decimal(0), self.limit - self.spent())\n", "        return self.limit - self.spent()\n",
          ("tests/test_guards.py",),
          ("tests/test_guards.py::test_session_guard_fires_each_threshold_once_in_order",)),
    Fault("g5", "desktop notices sent from 50 % (interrupts at every first threshold)", "src/costpanel/guard_alerts.py",
          "    if c.threshold < NOTIFY_FROM:\n", "    if c.threshold < Decimal(\"0.5\"):\n",
          ("tests/test_guard_alerts.py",),
          ("tests/test_guard_alerts.py::test_crossings_become_lines_and_notices_from_80_percent",)),
    Fault("wi1", "what-if difference taken the wrong way round (savings shown as costs)", "src/costpanel/whatif/rows.py",
          "return self.what_if_units - self.actual_units if self.comparable else None",
          "return self.actual_units - self.what_if_units if self.comparable else None",
          ("tests/test_whatif.py", "tests/test_whatif_cli.py"),
          ("tests/test_whatif.py::test_a_whole_session_repriced_on_one_model",)),
    Fault("wi2", "what-if keeps cache prices a target does not state (cache tokens priced at $0, not as input)",
          "src/costpanel/whatif/engine.py",
          "cache = tuple(b for b in _CACHE_BUCKETS if used[b] and b in t.no_cache)", "cache = ()",
          ("tests/test_whatif.py",),
          ("tests/test_whatif.py::test_cache_tokens_carry_over_where_the_target_prices_caching_else_are_billed_as_input",)),
    Fault("c2", "Codex: rollouts compressed after a week (.jsonl.zst) left out of the import", "src/costpanel/integrations/codex.py",
          "return name.startswith(PREFIX) and (name.endswith(SUFFIX) or name.endswith(SUFFIX + COMPRESSED))",
          "return name.startswith(PREFIX) and name.endswith(SUFFIX)",
          ("tests/test_codex.py",), ("tests/test_codex.py::test_find_files_walks_sessions_and_archived_sessions",)),
    Fault("i3", "the import's ledger keeps statement journals in temporary files (~29x its size written)",
          "src/costpanel/ledger/sqlite_storage.py",
          '            conn.execute("PRAGMA temp_store = MEMORY")', "            pass",
          ("tests/test_upsert.py",), ("tests/test_upsert.py::test_a_backfill_keeps_statement_journals_off_the_disk",)),
    Fault("i4", "the import summary sends a file name's control characters to the terminal", "src/costpanel/cli/output.py",
          "    if text.isprintable():\n        return text", "    if True:\n        return text",
          ("tests/test_import.py",),
          ("tests/test_import.py::test_printed_summary_escapes_control_characters_and_falls_back_to_ascii",)),
    Fault("i5", "malformed lines counted but never named in the import's errors", "src/costpanel/integrations/jsonl.py",
          '                self.errors.add(f"{self.path}:{self.lines}: {not_json(exc)}")\n', "",
          ("tests/test_import.py",),
          ("tests/test_import.py::test_bad_lines_are_named_with_file_and_line_the_first_few_of_each_file",)),
    Fault("d5", "the cumulative-cost chart drawn with slopes between calls (spending that did not happen)",
          "src/costpanel/gui/chart.py", "            xs, ys = steps([x - origin for x in xs], ys)\n",
          "            xs = [x - origin for x in xs]\n",
          ("tests/test_panel_headless.py",),
          ("tests/test_panel_headless.py::test_the_chart_counts_seconds_from_a_whole_hour_and_stacks_on_demand",)),
    Fault("i6", "a --db in a folder that does not exist makes the folders (a typo leaves them behind)",
          "src/costpanel/cli/ledger_arg.py", "        if folder.is_dir():\n            return None\n",
          "        if True:\n            return None\n",
          ("tests/test_import.py",),
          ("tests/test_import.py::test_a_db_in_a_folder_that_does_not_exist_is_refused_and_no_folder_is_made",)),
    Fault("i7", "the import's 'added' summary sums the range of rows before its writes too (another writer's)",
          "src/costpanel/ledger/backfill.py", "            before = _last_call(conn)  # the write lock is held: rows past it are this write's\n",
          "            before = 0\n",
          ("tests/test_import.py",),
          ("tests/test_import.py::test_the_summary_says_what_the_ledger_gained_its_cost_and_days",)),
    Fault("gm1", "Gemini CLI: a .jsonl chat read whole again at every change while watched", "src/costpanel/integrations/gemini_cli.py",
          '    return LINES if path.name.endswith(".jsonl") else DOCUMENT', "    return DOCUMENT",
          ("tests/test_gemini_cli.py",), ("tests/test_gemini_cli.py::test_watch_reads_only_what_was_appended_to_a_jsonl_chat",)),
    Fault("gm2", "Gemini CLI: the header and rewind lines counted nowhere (lines no longer calls + skipped)",
          "src/costpanel/integrations/gemini_cli.py",
          '                self._meta.update(record)\n            self.skipped[NO_USAGE] += 1\n',
          "                self._meta.update(record)\n",
          ("tests/test_gemini_cli.py",),
          ("tests/test_gemini_cli.py::test_replies_with_tokens_are_calls_in_our_buckets",)),
    Fault("i8", "Claude Code blocks: whitespace-only lines between usage lines counted as 'no usage' skips", CLAUDE,
          "    return len(lines), lines.count(b\"\") + sum(map(bytes.isspace, lines))\n",
          "    return len(lines), lines.count(b\"\")\n",
          ("tests/test_claude_code.py",), ("tests/test_claude_code.py::test_a_block_is_read_as_its_lines_are",)),
    Fault("i9", "the end of a line cut by a read is dropped when its block is put together", INGEST,
          "                    parts.append(chunk[:cut])\n                    block = b\"\".join(parts)\n",
          "                    block = b\"\".join(parts) + chunk[chunk.find(b\"\\n\") + 1:cut]\n",
          ("tests/test_import_parallel.py",),
          ("tests/test_import_parallel.py::test_any_read_size_imports_what_whole_files_import",)),
    Fault("i10", "times with more than 6 fractional digits truncated by the full parse, rounded by the fast path",
          "src/costpanel/integrations/_fields.py", "        when = _rfc3339(value, dt.datetime)\n",
          "        when = dt.datetime.fromisoformat(value)\n",
          ("tests/test_claude_code.py",),
          ("tests/test_claude_code.py::test_the_fast_path_reads_every_time_as_the_full_parse_does",)),
    Fault("i11", "import ends its process without flushing its buffered output (a pipe gets nothing)",
          "src/costpanel/cli/main.py", "        try:\n            sys.stdout.flush()\n        except BrokenPipeError:\n",
          "        try:\n            pass\n        except BrokenPipeError:\n",
          ("tests/test_import.py",),
          ("tests/test_import.py::test_import_ends_with_its_ledger_closed_and_its_output_whole_even_into_a_closed_pipe",)),
    Fault("i12", "a COSTPANEL_DB in a folder that does not exist makes the folder (only --db is checked)",
          "src/costpanel/cli/ledger_arg.py", "    env = os.environ.get(ENV_DB)\n", "    env = None\n",
          ("tests/test_import.py",),
          ("tests/test_import.py::test_a_db_in_a_folder_that_does_not_exist_is_refused_and_no_folder_is_made",)),
    Fault("w9", "the Sources line counts deleted and unreadable files among the skipped lines again",
          "src/costpanel/integrations/tail.py",
          "            total.update(followed.reader.skipped)\n        return Skips(",
          "            total.update(followed.reader.skipped)\n        total.update(self.problems)\n        return Skips(",
          ("tests/test_tail.py", "tests/test_watch.py"),
          ("tests/test_tail.py::test_a_deleted_file_is_counted_and_forgotten_with_its_skips_kept",)),
    Fault("d6", "the panel's big total hides that unpriced calls are left out of it (no '+?')", VIEWMODEL,
          '        cost += " +?"\n', "",
          ("tests/test_viewmodel.py",), ("tests/test_viewmodel.py::test_header_texts_come_from_the_snapshot",)),
    Fault("i13", "import workers hand out the smallest folder first (the largest read last, by one worker alone)",
          INGEST, "key=_first,\n                                         reverse=True)]",
          "key=_first,\n                                         reverse=False)]",
          ("tests/test_import_parallel.py",),
          ("tests/test_import_parallel.py::test_workers_claim_whole_folders_the_largest_first_as_each_is_done",)),
    Fault("i14", "a torn last line counted but not named with its file and line", INGEST,
          "            if len(result.waiting) < _MAX_ERRORS:  # named, apart from bad lines: it only waits",
          "            if False:",
          ("tests/test_import.py",),
          ("tests/test_import.py::test_a_torn_last_line_is_skipped_until_it_is_complete",)),
    Fault("i17", "a whole last line without its newline skipped as torn (a finished log's last call never counted)",
          INGEST, "            if is_whole_object(last):", "            if False:",
          ("tests/test_import.py",), ("tests/test_import.py::test_a_whole_last_line_without_its_newline_is_read",)),
    Fault("i15", "blank lines counted as lines but under no skip reason (lines != calls + skipped)", CLAUDE,
          "        if blanks:\n            skipped[BLANK] += blanks\n", "",
          ("tests/test_claude_code.py", "tests/test_import.py"),
          ("tests/test_claude_code.py::test_blank_lines_are_counted_as_lines_and_skipped_as_blank",)),
    Fault("i16", "an import that finds no file still makes an empty ledger", INGEST,
          "open_ledger=count <= 1 and bool(tasks)", "open_ledger=count <= 1",
          ("tests/test_import.py",), ("tests/test_import.py::test_an_import_that_finds_no_file_makes_no_ledger",)),
    Fault("db1", "a --db under a regular file said to be in a folder that does not exist", "src/costpanel/cli/ledger_arg.py",
          "                if not up.is_dir():", "                if False:",
          ("tests/test_import.py",),
          ("tests/test_import.py::test_a_db_under_a_file_or_empty_is_refused_by_what_is_wrong[command0]",)),
    Fault("db2", "an empty --db taken for the current folder", "src/costpanel/cli/ledger_arg.py",
          "    if not text.strip():\n", "    if False:\n",
          ("tests/test_import.py",),
          ("tests/test_import.py::test_a_db_under_a_file_or_empty_is_refused_by_what_is_wrong[command0]",)),
    Fault("cl1", "a mistyped command gets no 'did you mean'", "src/costpanel/cli/main.py",
          '    return f"; did you mean {near[0]!r}?" if near else ""', '    return ""',
          ("tests/test_cli_input.py",),
          ("tests/test_cli_input.py::test_a_mistyped_choice_is_one_line_with_the_nearest_choice[args0-; did you mean 'report'?]",)),
    Fault("w10", "watch counts bad lines but never names them", "src/costpanel/integrations/watch.py",
          "                bad_lines=tuple(self.tail.bad_lines()),\n", "",
          ("tests/test_watch.py",),
          ("tests/test_watch.py::test_catch_up_counts_today_skips_older_lines_and_garbage_then_follows_appends",)),
    Fault("w11", "the Sources line never says a last line waits for its newline (its call silently missing)",
          "src/costpanel/integrations/watch.py", "        if self.waiting:  # a last line", "        if False:  # a last line",
          ("tests/test_watch.py",), ("tests/test_watch.py::test_stats_line_names_every_reason_most_frequent_first",)),
    Fault("w12", "the terminal view cuts a long Sources line at the terminal's edge", "src/costpanel/cli/watch.py",
          "    out = Console(highlight=False)  #", "    out = Console(highlight=False, soft_wrap=True)  #",
          ("tests/test_watch.py",),
          ("tests/test_watch.py::test_the_terminal_view_wraps_a_long_sources_line_in_a_narrow_terminal",)),
    Fault("p13", "the chart's total drawn as wide as a tier's line (hidden under a session's only tier)",
          "src/costpanel/gui/theme.py", "TOTAL_SLOT, TOTAL_WEIGHT = 4, 3.0", "TOTAL_SLOT, TOTAL_WEIGHT = 4, 1.0",
          ("tests/test_panel_rendered.py",),
          ("tests/test_panel_rendered.py::test_with_one_tier_the_total_line_still_shows_beside_that_tiers_line",)),
    Fault("p14", "a short session's chart centred in its time window (empty before its first call)",
          "src/costpanel/gui/ticks.py", "        return first - pad, first + span\n",
          "        return (first + last - span) / 2, (first + last + span) / 2\n",
          ("tests/test_panel_look.py",),
          ("tests/test_panel_look.py::test_a_short_session_starts_at_the_left_edge_and_grows_to_the_right",)),
    Fault("i18", "a bad line's message keeps orjson's 'line 1' beside the file's own line number",
          "src/costpanel/integrations/logs.py", "    if one_line:\n", "    if False:\n",
          ("tests/test_claude_code.py",),
          ("tests/test_claude_code.py::test_a_bad_line_is_named_by_its_file_line_and_column_not_orjsons_line_1",)),
    Fault("w15", "the piped watch summary says the same calls twice", "src/costpanel/cli/watch.py",
          "f\"{stats.line(calls=stats.calls != snap.calls)}\")", "f\"{stats.line()}\")",
          ("tests/test_watch.py",),
          ("tests/test_watch.py::test_headless_with_a_pipe_prints_summary_lines_and_stores_the_calls",)),
    Fault("u6", "a call stored unpriced stays unpriced when imported again after its price was added",
          ROWS, "            if e.usage.total_tokens > tokens or (e.usage.total_tokens == tokens and row[-1] is None",
          "            if e.usage.total_tokens > tokens or (False and row[-1] is None",
          ("tests/test_import.py", "tests/test_upsert.py", "tests/test_ledger_rows.py"),
          ("tests/test_import.py::test_a_price_added_later_prices_the_stored_calls_when_the_logs_are_imported_again",)),
    Fault("w13", "watch waits forever on a whole last line without its newline (import reads it: their totals differ)",
          "src/costpanel/integrations/tail.py", "                if is_whole_object(last):", "                if False:",
          ("tests/test_tail.py",), ("tests/test_tail.py::test_a_torn_last_line_waits_for_its_newline",)),
    Fault("w14", "watch reads a whole last line again when its newline comes (its lines counted twice)",
          "src/costpanel/integrations/tail.py", "            if self.partial_read and not lines[0].strip():",
          "            if False:",
          ("tests/test_tail.py",), ("tests/test_tail.py::test_a_torn_last_line_waits_for_its_newline",)),
    Fault("p15", "a screenshot's chart lags the total above it (the chart's slower refresh not forced)",
          "src/costpanel/gui/panel.py", "changed = self.update(force=shot_at is not None and n + 1 >= shot_at)",
          "changed = self.update()",
          ("tests/test_panel_rendered.py",),
          ("tests/test_panel_rendered.py::test_a_screenshot_shows_the_chart_as_up_to_date_as_the_total",)),
    Fault("p16", "the watch window ignores the daily budget of `budget set` (says 'no budget' over a day past it)",
          "src/costpanel/cli/watch.py", "    if daily is not None:  # the panel shows today", "    if False:  # the panel shows today",
          ("tests/test_panel_look_rendered.py",),
          ("tests/test_panel_look_rendered.py::test_the_watch_window_measures_today_against_the_daily_budget",)),
    Fault("p17", "an empty chart shows Dear PyGui's bare 0-1 numbers on both axes", "src/costpanel/gui/chart.py",
          "        elif not self._limits:  # no call yet", "        elif False:  # no call yet",
          ("tests/test_panel_look_rendered.py",),
          ("tests/test_panel_look_rendered.py::test_an_empty_chart_shows_dollars_and_no_bare_numbers",)),
    Fault("ex1", "export - writes a file named '-' instead of stdout", "src/costpanel/cli/history.py",
          "    if args.file == STDOUT:  #", "    if False:  #",
          ("tests/test_history_cli.py",),
          ("tests/test_history_cli.py::test_export_to_a_dash_writes_stdout_what_it_writes_to_a_file[model]",)),
    Fault("i19", "a file imported with the wrong --source yields no calls without a word", "src/costpanel/cli/import_cmd.py",
          "        warn_other_formats(args.paths, source)\n", "        pass\n",
          ("tests/test_import.py",),
          ("tests/test_import.py::test_a_file_named_with_the_wrong_source_is_read_as_asked_with_a_warning",)),
    Fault("i20", "an import writes into a damaged ledger (the quick check skipped)", "src/costpanel/integrations/ingest.py",
          "            if self._check:\n", "            if False:\n",
          ("tests/test_import_parallel.py",),
          ("tests/test_import_parallel.py::test_a_damaged_ledger_is_refused_before_anything_is_written",)),
    Fault("lt1", "a program's last async LiteLLM call is set aside unstored (LiteLLM's exit flush runs after the ledger closed)",
          "src/costpanel/integrations/litellm.py", "        _flush_litellm_before_the_ledger_closes()\n", "",
          ("tests/test_litellm_logger.py",),
          ("tests/test_litellm_logger.py::test_the_last_async_call_before_the_program_ends_reaches_the_ledger",)),
    Fault("lg3", "a call recorded after the ledger closed is dropped without being kept aside", STORE,
          "                said = self._save_late(event)\n",
          "                said = \"ledger is closed; this call is not stored\"\n",
          ("tests/test_ledger.py",),
          ("tests/test_ledger.py::test_a_call_after_the_ledger_is_closed_is_saved_aside_and_said_not_queued_and_not_raised",)),
    Fault("ot2", "a Claude Code session file under a watched folder does not own its session (telemetry counted twice)",
          "src/costpanel/integrations/watch.py",
          "        if _SESSION_NAME.fullmatch(session_id) and any(\n",
          "        if False and any(\n",
          ("tests/test_watch.py",),
          ("tests/test_watch.py::test_a_claude_code_session_file_owns_its_session_before_any_call_is_read",
           "tests/test_watch.py::test_telemetry_that_beats_its_sessions_log_is_not_counted_twice")),
    Fault("ot3", "telemetry of a session without a log file counts at once (no wait for its log)",
          "src/costpanel/integrations/otlp.py", "        if wait:\n", "        if False:\n",
          ("tests/test_otlp.py",),
          ("tests/test_otlp.py::test_a_claude_code_event_waits_for_its_sessions_log_and_counts_only_if_none_came",)),
    Fault("ot4", "OTLP replies say nothing of the records that could not be calls (no partial success)",
          "src/costpanel/integrations/otlp.py", "        if refused:  # OTLP's partial success", "        if False:  # OTLP's partial success",
          ("tests/test_otlp.py",), ("tests/test_otlp.py::test_the_reply_counts_the_records_that_could_not_be_calls",)),
    Fault("ot5", "the Sources line leaves out the OTLP receiver's counts", "src/costpanel/integrations/watch.py",
          "            parts.append(_otlp_part(self.otlp))\n", "            pass\n",
          ("tests/test_watch.py",), ("tests/test_watch.py::test_stats_line_names_every_reason_most_frequent_first",)),
    Fault("ot6", "a span whose costpanel.tier is no label loses its spend (not counted under default)",
          "src/costpanel/integrations/genai.py",
          "        return DEFAULT_TIER, f\"{key} ignored ({error}); counted under tier {DEFAULT_TIER!r}\"\n",
          "        raise\n",
          ("tests/test_otel.py",),
          ("tests/test_otel.py::test_a_tier_attribute_that_is_no_label_is_ignored_and_the_call_still_counts",)),
    Fault("ag2", "an Agents SDK agent whose name is no tier label loses its spend", "src/costpanel/integrations/openai_agents.py",
          "        tier = self.tier if self.tier is not None else self._tier_of(name)\n",
          "        tier = self.tier if self.tier is not None else name if isinstance(name, str) and name.strip() else DEFAULT_TIER\n",
          ("tests/test_openai_agents.py",),
          ("tests/test_openai_agents.py::test_an_agent_name_that_is_no_tier_label_counts_under_default_said_once",)),
    Fault("va1", "a variant without a price is warned about once per tracker (watch: once per view)", TRACKER,
          "        if billed is None and _first_time(self.catalog, (entry.id, variant)):",
          "        if billed is None:",
          ("tests/test_watch.py",),
          ("tests/test_watch.py::test_a_variant_without_a_price_is_said_once_however_many_views_price_it",)),
    Fault("va2", "an import's unpriced models do not name the variant that has no price", "src/costpanel/integrations/ingest.py",
          "                result.unpriced_models[call.model if call.variant is None or event.matched is None\n",
          "                result.unpriced_models[call.model if True or event.matched is None\n",
          ("tests/test_import.py",), ("tests/test_import.py::test_an_unknown_model_or_variant_is_stored_unpriced_never_at_zero",)),
    Fault("pr1", "pricing list names an embedding model the cheapest model", "src/costpanel/pricing/listing.py",
          " and not r.entry.spec.embedding]", "]",
          ("tests/test_cli.py",), ("tests/test_cli.py::test_pricing_list_sorts_by_output_and_names_the_extremes",)),
    Fault("pr2", "OpenAI's embedding models are not in the catalog (LiteLLM embeddings unpriced)", "pricing/openai.toml",
          'id = "text-embedding-3-small"\n', 'id = "text-embedding-3-smallish"\n',
          ("tests/test_litellm_logger.py", "tests/test_pricing_data.py"),
          ("tests/test_litellm_logger.py::test_an_embedding_is_recorded_at_the_catalogs_price",)),
    Fault("w16", "watch exits 2 on a named file not written yet in a folder that exists", "src/costpanel/cli/watch.py",
          "not p.expanduser().exists() and not p.expanduser().parent.is_dir()]",
          "not p.expanduser().exists()]",
          ("tests/test_watch.py",), ("tests/test_watch.py::test_a_named_file_not_written_yet_is_watched_until_it_appears",)),
    Fault("w17", "watch with its OTLP port in use exits 2, as for a usage slip", "src/costpanel/cli/watch.py",
          "            if receiver is None:  # the port is taken, or the receiver is not installed: not a usage slip\n                return 1\n",
          "            if receiver is None:\n                return 2\n",
          ("tests/test_watch.py",), ("tests/test_watch.py::test_bad_usage_is_one_line_and_exit_2",)),
    Fault("i21", "import --format costpanel says nothing of a file that looks like a Claude Code log", "src/costpanel/cli/import_cmd.py",
          '    if source != "all" and args.paths:\n', '    if source not in ("all", "costpanel") and args.paths:\n',
          ("tests/test_import.py",),
          ("tests/test_import.py::test_a_file_named_with_the_wrong_source_is_read_as_asked_with_a_warning",)),
    Fault("va3", "the panel's unpriced notice names a known model without the variant that has no price",
          "src/costpanel/gui/viewmodel.py", "', '.join(g(m) for m in s.unpriced_labels)}", "', '.join(g(m) for m in s.unpriced)}",
          ("tests/test_viewmodel.py",),
          ("tests/test_viewmodel.py::test_a_known_model_unpriced_under_a_variant_is_named_with_the_variant",)),
    Fault("rp1", "report rows rounded to the cent, a cent off their total, without a word", "src/costpanel/cli/history.py",
          "    if any(not _shown_exactly(r.cost_usd) for r in shown):", "    if False:",
          ("tests/test_history_cli.py",),
          ("tests/test_history_cli.py::test_the_table_says_when_it_rounds_costs_and_where_the_exact_ones_are",)),
    # (the ledger is checked when a tracker opens it for writing, so a damaged one is refused there,
    # before resuming reads it: the fault is planted where the refusal is made)
    Fault("lg4", "a damaged ledger opened for writing raises sqlite3's bare error (no file, no way out)",
          "src/costpanel/ledger/sqlite_storage.py",
          "        if getattr(exc, \"sqlite_errorcode\", 0) & 0xFF == sqlite3.SQLITE_CORRUPT:\n"
          "            raise damaged(path, exc) from None\n",
          "        if getattr(exc, \"sqlite_errorcode\", 0) & 0xFF == sqlite3.SQLITE_CORRUPT:\n            raise\n",
          ("tests/test_ledger.py",),
          ("tests/test_ledger.py::test_resuming_from_a_damaged_ledger_is_a_ledger_error_and_leaves_no_writer_running",)),
    Fault("lg5", "a tracker that failed to resume leaves its ledger's writer thread running", TRACKER,
          "            if self._owns_ledger:\n                with contextlib.suppress(Exception):\n                    self.ledger.close()\n",
          "",
          ("tests/test_ledger.py",),
          ("tests/test_ledger.py::test_a_tracker_whose_resume_fails_leaves_no_writer_running",)),
    Fault("ad1", "an adapter given a float count raises ValueError where Usage() raises TypeError", "src/costpanel/adapters.py",
          "            raise CountTypeError(f\"{name} must be a non-negative integer", "            raise ValueError(f\"{name} must be a non-negative integer",
          ("tests/test_adapters.py",),
          ("tests/test_adapters.py::test_a_count_of_the_wrong_type_is_a_type_error_as_usage_says_and_still_a_value_error",)),
    Fault("us1", "Usage's repr hides requests=0 (eval(repr(u)) is another usage)", "src/costpanel/usage.py",
          "if k in (\"input\", \"output\") or v != (1 if k == \"requests\" else 0))", "if k in (\"input\", \"output\") or v)",
          ("tests/test_buckets.py",), ("tests/test_buckets.py::test_the_repr_rebuilds_the_same_usage",)),
    Fault("gd1", "a guard's error rounds the amounts ($0.013 of $0.010)", "src/costpanel/guards.py",
          '{state}: spent {format_usd_exact(spent)} "', '{state}: spent {format_usd(spent)} "',
          ("tests/test_guards.py",), ("tests/test_guards.py::test_the_error_and_the_repr_say_amounts_exactly_not_rounded",)),
    Fault("lg6", "the SIGTERM handler stays after the last ledger closed", STORE,
          "            if not _open_ledgers:\n                _uninstall_sigterm_flush()\n", "",
          ("tests/test_ledger_crash.py",),
          ("tests/test_ledger_crash.py::test_the_sigterm_handler_goes_once_the_last_ledger_is_closed",)),
    Fault("br1", "burn rates measured from the session's opening, idle time before the run averaged in (watch: since midnight)",
          "src/costpanel/snapshot.py", "        idle = max(0.0, (self.first_call_at - self.started_at).total_seconds())\n",
          "        idle = 0.0\n",
          ("tests/test_viewmodel.py", "tests/test_tracker.py"),
          ("tests/test_viewmodel.py::test_a_run_that_began_after_its_session_opened_is_measured_from_its_first_call",)),
    Fault("br2", "a restart forgets when the session's run began (rates over the seconds since the restart)",
          "src/costpanel/ledger/resume.py", "    state.first_ts = read(", "    state.first_ts = None and read(",
          ("tests/test_ledger.py",), ("tests/test_ledger.py::test_resume_continues_the_open_session_with_exactly_the_same_totals",)),
    Fault("p18", "the Models tab's table sized for rows shorter than Dear PyGui draws (the last model hidden)",
          "src/costpanel/gui/geometry.py", "row=font + 2 * round(3 * s) + round(8 * s))", "row=font + 2 * round(3 * s) + 1)",
          ("tests/test_panel_look_rendered.py",),
          ("tests/test_panel_look_rendered.py::test_the_models_tab_shows_every_model_row_when_there_is_room",)),
    Fault("p19", "after a Reset the chart keeps the last run's lines until new calls come",
          "src/costpanel/gui/chart.py", "            if self._drawing is not None:\n                self.clear()\n", "",
          ("tests/test_panel_headless.py", "tests/test_watch.py"),
          ("tests/test_panel_headless.py::test_reset_zeroes_the_header_and_tables_on_the_next_update",
           "tests/test_watch.py::test_the_filter_shows_one_project_and_all_again")),
    Fault("p20", "after a Reset, watch's header still says its day began at midnight", "src/costpanel/gui/viewmodel.py",
          'elapsed=f"today, since {s.started_at.astimezone():%H:%M}" if since_midnight', 'elapsed="today, since 00:00" if since_midnight',
          ("tests/test_viewmodel.py",), ("tests/test_viewmodel.py::test_a_watched_day_says_since_midnight_rather_than_a_clock_like_length",)),
    Fault("p21", "the Reset dialog's text runs past its edge (no wrap)", "src/costpanel/gui/panel.py",
          'dpg.configure_item(self.tags("reset", "text"), wrap=modal_width - 2 * int(st.window_pad) - 4)', "pass",
          ("tests/test_panel_headless.py",), ("tests/test_panel_headless.py::test_reset_zeroes_the_header_and_tables_on_the_next_update",)),
    Fault("p22", "the Models table's sort arrow sits on Model (rows sorted by name at the first frame)", "src/costpanel/gui/layout.py",
          'DEFAULT_SORT = {"models": "cost"}', "DEFAULT_SORT: dict[str, str] = {}",
          ("tests/test_panel_headless.py",),
          ("tests/test_panel_headless.py::test_the_models_table_shows_its_sort_on_the_cost_column_it_comes_sorted_by",)),
    Fault("p23", "the total's line stays beneath the stacked bands whose top edge it is (item order never adjusted)",
          "src/costpanel/gui/chart.py", "        self._place_total()\n        if total[0]:", "        if total[0]:",
          ("tests/test_panel_headless.py",),
          ("tests/test_panel_headless.py::test_the_total_is_drawn_beneath_the_tier_lines_and_over_the_stacked_bands",)),
    Fault("p25", "a tier without calls yet keeps Dear PyGui's default colour in the legend", "src/costpanel/gui/chart.py",
          "        for label in list(w.series):  # every line in its colour", "        for label in []:  # every line in its colour",
          ("tests/test_panel_headless.py",),
          ("tests/test_panel_headless.py::test_the_total_is_drawn_beneath_the_tier_lines_and_over_the_stacked_bands",)),
    Fault("p24", "the Models table scrolls over empty space (the clipper counts the pool's hidden rows)",
          "src/costpanel/gui/layout.py", "height=height, freeze_rows=1, callback=", "height=height, freeze_rows=1, clipper=height > 0, callback=",
          ("tests/test_panel_look_rendered.py",),
          ("tests/test_panel_look_rendered.py::test_the_models_tab_shows_every_model_row_when_there_is_room",)),
    Fault("i22", "an import passes over a folder inside a tree that cannot be listed without a word", "src/costpanel/integrations/logs.py",
          "            if folder != top:\n                unlistable[folder] = exc.strerror or str(exc)\n", "",
          ("tests/test_import.py", "tests/test_watch.py"),
          ("tests/test_import.py::test_a_folder_inside_that_cannot_be_listed_is_named_unreadable",
           "tests/test_watch.py::test_a_folder_inside_a_watched_tree_that_cannot_be_listed_is_said")),
    Fault("w18", "watch's terminal view says nothing of the burn rate", "src/costpanel/cli/watch.py",
          "    parts = [head, burn, tiers, models]", "    parts = [head, tiers, models]",
          ("tests/test_watch.py",),
          ("tests/test_watch.py::test_headless_on_a_terminal_draws_the_live_tables_and_no_ledger_keeps_nothing",)),
    Fault("i23", "a shared listing is one for all threads: watch's two listing threads serve each other stale listings",
          "src/costpanel/integrations/logs.py", "_local = threading.local()\n", "_local = type(\"Shared\", (), {})()  # one for every thread\n",
          ("tests/test_import.py",),
          ("tests/test_import.py::test_a_listing_shared_in_one_thread_never_serves_another",)),
    Fault("wi3", "whatif --cheapest without a value is refused (overall is what a user means)", "src/costpanel/cli/whatif.py",
          'nargs="?", const="overall", default=None,', "default=None,",
          ("tests/test_whatif_cli.py",), ("tests/test_whatif_cli.py::test_cheapest_picks_from_the_users_list_call_by_call",)),
    Fault("p9", "the view controls never leave the buttons' row (cut at the window's edge at 200 %)",
          "src/costpanel/gui/panel.py", "                            > width - 2 * st.window_pad)",
          "                            > 10 ** 9)",
          ("tests/test_panel_headless.py",),
          ("tests/test_panel_headless.py::test_the_view_controls_take_a_row_of_their_own_when_the_buttons_row_is_full[2.0-True]",)),
    Fault("p10", "the Sources line cut at the window's edge, not wrapped", "src/costpanel/gui/layout.py",
          'tag=t("sources", "line"), wrap=0)', 'tag=t("sources", "line"))',
          ("tests/test_watch.py",), ("tests/test_watch.py::test_the_filter_shows_one_project_and_all_again",)),
    Fault("p11", "the chart's legend draws a CJK tier name in Roboto (boxes) where no CJK font is loaded",
          "src/costpanel/gui/chart.py", "layout.ensure_series(w, self.tags, label, self.glyphs(label))",
          "layout.ensure_series(w, self.tags, label, label)",
          ("tests/test_panel_headless.py",),
          ("tests/test_panel_headless.py::test_without_a_cjk_font_cjk_names_show_as_code_points_not_boxes",)),
    Fault("p12", "the unpriced notice names a CJK model in Roboto though a CJK font is there", "src/costpanel/gui/panel.py",
          "            if name == \"unpriced\":  # model names: a CJK one is drawn in the CJK system font\n"
          "                self._cell_font(tag, text)\n", "",
          ("tests/test_panel_headless.py",),
          ("tests/test_panel_headless.py::test_cjk_names_are_drawn_in_the_system_cjk_font_in_tables_notice_and_legend",)),
    Fault("dm1", "the demo's simulated calls land in the user's own ledger (counted in budgets and reports)",
          "src/costpanel/cli/demo.py", "        args.db = demo_ledger()\n", "        pass\n",
          ("tests/test_ledger.py",),
          ("tests/test_ledger.py::test_the_demo_keeps_its_calls_apart_from_the_users_ledger_unless_told",)),
    Fault("dm2", "the demo's simulated calls say they came from the API, like real ones", "src/costpanel/sim.py",
          "                 source: str = DEMO) -> None:", "                 source: str = \"api\") -> None:",
          ("tests/test_ledger.py",),
          ("tests/test_ledger.py::test_the_demo_keeps_its_calls_apart_from_the_users_ledger_unless_told",)),
    Fault("lg2", "calls left waiting while a bad batch is written one by one go to the back of the queue (order lost)",
          STORE, "            self._queue.extendleft(reversed(events_left))\n", "            self._queue.extend(events_left)\n",
          ("tests/test_ledger_storage.py",),
          ("tests/test_ledger_storage.py::test_calls_left_waiting_while_a_bad_batch_is_sorted_out_keep_their_place_before_later_calls",)),
    Fault("lg1", "a failed batch put back in the queue stays counted in flight too until the writer's next step",
          STORE, "                self._marks.extendleft(reversed(marks))\n                self._in_flight = 0\n",
          "                self._marks.extendleft(reversed(marks))\n",
          ("tests/test_ledger_storage.py",),
          ("tests/test_ledger_storage.py::test_health_counts_each_waiting_call_once_while_the_writer_retries",)),
    Fault("k3", "close() does not wait for calls the lookup's thread is committing (they are lost)", TRACKER,
          "        if self._waiting or self._settling:\n", "        if self._waiting:\n",
          (T_FALLBACK,),
          ("tests/test_fallback.py::test_close_waits_for_calls_the_lookup_thread_is_committing",)),
    # -- session 8: the chart, reports, import and watch details new users met --------------------
    Fault("ch1", "other tiers (main, subagent) draw in Tier 1-4's colours again", "src/costpanel/gui/chart.py",
          "TOTAL_SLOT + 1 + self._others.setdefault(label, len(self._others)) % len(palette.other_lines)",
          "(len(w.series) - 1) % 4", ("tests/test_panel_headless.py",),
          ("tests/test_panel_headless.py::test_the_total_is_drawn_beneath_the_tier_lines_and_over_the_stacked_bands",)),
    Fault("ch2", "a line whose calls left the chart's hour rises from $0 at its left edge", "src/costpanel/series.py",
          "            ys.insert(0, base_cost / UNITS_PER_USD)\n", "            ys.insert(0, 0.0)\n", (T_VIEW,),
          ("tests/test_viewmodel.py::test_a_line_whose_first_calls_left_the_window_starts_at_their_sum_not_at_zero",)),
    Fault("ch3", "a tier's line starts before the total's window (each ring cut at its own)", VIEWMODEL,
          "view.cumulative_usd(start=True, since=since)", "view.cumulative_usd(start=True)", (T_VIEW,),
          ("tests/test_viewmodel.py::test_a_line_whose_first_calls_left_the_window_starts_at_their_sum_not_at_zero",)),
    Fault("ch4", "the chart's title never says it shows only the last hour", "src/costpanel/gui/chart.py",
          "            dpg.configure_item(self.tags(\"plot\"), label=title)\n", "            pass\n",
          ("tests/test_panel_headless.py",),
          ("tests/test_panel_headless.py::test_the_chart_title_names_its_span_once_calls_have_left_it",)),
    Fault("ra1", "a 7-day average of unpriced calls only reads $0.00", QUERIES,
          "Average(None if calls and unpriced == calls else _average(units, window), unpriced)",
          "Average(_average(units, window), unpriced)", ("tests/test_history_cli.py",),
          ("tests/test_history_cli.py::test_a_week_of_only_unpriced_calls_averages_unpriced_never_0",)),
    Fault("ra2", "calls without a project are the group '-' (a name a project can have)", QUERIES,
          "name=lambda k: k or NO_GROUP)", "name=lambda k: k or \"-\")", ("tests/test_history_cli.py",),
          ("tests/test_history_cli.py::test_report_by_source_and_project_split_the_total_exactly",)),
    Fault("ra3", "a ledger damaged at its first pages says `sqlite3 FILE .recover`", "src/costpanel/ledger/schema.py",
          "file = \"FILE\" if where == \"database\" else where", "file = \"FILE\"", ("tests/test_history_cli.py",),
          ("tests/test_history_cli.py::test_a_truncated_ledger_names_itself_in_the_recover_command",)),
    Fault("s8i1", "a binary last line is said to wait for its newline at every import", "src/costpanel/integrations/logs.py",
          "    if not line.lstrip().startswith(b\"{\") or b\"\\0\" in line:\n        return False\n", "",
          ("tests/test_import.py", "tests/test_tail.py"),
          ("tests/test_import.py::test_a_last_line_that_no_newline_can_make_json_is_malformed_not_waiting",)),
    Fault("s8i2", "import says nothing of what replaced calls changed (a price added since)", ROWS,
          "                delta += sum(e.cost_units or 0 for e in replacing) - sum(c or 0 for c in was)\n",
          "                delta += 0\n", ("tests/test_import.py", "tests/test_upsert.py"),
          ("tests/test_import.py::test_an_import_after_a_price_was_added_says_what_the_ledger_gained",)),
    Fault("s8i3", "a Gemini .json chat counts as one line whatever its messages", "src/costpanel/integrations/gemini_cli.py",
          "        self.lines = len(calls) + sum(self.skipped.values())\n", "", ("tests/test_gemini_cli.py",),
          ("tests/test_gemini_cli.py::test_a_legacy_json_document_half_written_then_whole",)),
    Fault("s8w1", "watch into a pipe: the last line printed is from before the final read", "src/costpanel/cli/watch.py",
          "                pipe.line()  # the last line: after the final read, what the ledger keeps\n",
          "                pass\n",
          ("tests/test_watch.py",),
          ("tests/test_watch.py::test_sigterm_ends_it_cleanly_with_every_call_appended_before_in_the_ledger",)),
    Fault("s8w2", "a file deleted and written again stays counted as deleted", "src/costpanel/integrations/tail.py",
          "            self._deleted.discard(path)", "            pass", ("tests/test_tail.py",),
          ("tests/test_tail.py::test_a_deleted_file_is_counted_and_forgotten_with_its_skips_kept",)),
    Fault("s8w3", "the Sources line counts missing folders without naming any", "src/costpanel/integrations/watch.py",
          "            parts.append(f\"not found (yet): {shown_missing}{more_missing}\")",
          "            parts.append(f\"{len(self.missing)} folders not found\")", ("tests/test_watch.py",),
          ("tests/test_watch.py::test_stats_line_names_every_reason_most_frequent_first",)),
    Fault("s8w4", "the headless view shows unpriced spend as a plain total", "src/costpanel/cli/watch.py",
          "    return fmt.cost(snap.total_usd, snap.unpriced_calls)",
          "    return fmt.usd(snap.total_usd)", ("tests/test_watch.py",),
          ("tests/test_watch.py::test_summary_lines_mark_unpriced_spend_as_the_panel_and_report_do",)),
    Fault("s8p1", "a guard's 50 %, 80 % and 100 % crossings stack as three notices", "src/costpanel/gui/panel.py",
          "                self.notify(f\"Guard: {text}\", about=f\"guard:{scope}\")",
          "                self.notify(f\"Guard: {text}\")", ("tests/test_panel_decide_rendered.py",),
          ("tests/test_panel_decide_rendered.py::test_guard_crossings_appear_as_notices_each_guards_latest",)),
    Fault("s8p2", "rows rounded off the total by a cent go unremarked", VIEWMODEL,
          "    return bool(priced) and sum(priced) != shown(total)", "    return False", (T_VIEW,),
          ("tests/test_viewmodel.py::test_a_table_whose_rounded_rows_miss_the_rounded_total_says_so",)),
    Fault("s8p3", "an empty discarded-attempts table shows under its heading", "src/costpanel/gui/panel.py",
          "                    self._configure(self.tags(\"label\", name), show=bool(rows))",
          "                    self._configure(self.tags(\"label\", name), show=True)", ("tests/test_panel_headless.py",),
          ("tests/test_panel_headless.py::test_no_discarded_attempts_no_heading_over_an_empty_table",)),
    Fault("s8p4", "a tier's models show a fixed few names and +N beside empty room", "src/costpanel/gui/panel.py",
          "            if width is not None and c == models_at and len(row.names) > 1:",
          "            if width is not None and c == models_at and len(row.names) > 1 and False:", ("tests/test_panel_headless.py",),
          ("tests/test_panel_headless.py::test_a_tiers_models_fill_the_room_their_column_has",)),
    Fault("s8p5", "History days labelled with times of day (a step of 12 h)", "src/costpanel/gui/ticks.py",
          "_DAY_STEPS = (1, 2, 7, 14)", "_DAY_STEPS = (2, 7, 14)", ("tests/test_panel_look.py",),
          ("tests/test_panel_look.py::test_history_days_are_labelled_in_the_locales_order_never_with_times",)),
    Fault("s8p6", "What if's choices keep their 100 % width at 150 %", "src/costpanel/gui/panel.py",
          "                               (self.tags(\"whatif\", \"scope\"), w[\"whatif_scope\"])):",
          "                               ):", ("tests/test_panel_headless.py",),
          ("tests/test_panel_headless.py::test_the_what_if_choices_widen_with_the_text",)),
    Fault("s8p7", "History's unpriced model reads like a priced one", "src/costpanel/gui/history.py",
          "    name = f\"{r.key} [unpriced]\" if r.cost_usd is None else r.key", "    name = r.key",
          ("tests/test_panel_headless.py",),
          ("tests/test_panel_headless.py::test_history_tab_shows_the_ledger_by_day_model_and_tier",)),
    Fault("s8c1", "an unknown flag is said by the top parser, not the command's", "src/costpanel/cli/main.py",
          "                child.set_defaults(parser=child)\n", "                pass\n", ("tests/test_cli_input.py",),
          ("tests/test_cli_input.py::test_an_unknown_flag_is_said_by_the_command_it_was_given_to",)),
    Fault("s8c2", "import-litellm keeps xai/ in an id, so a real call's name is unpriced",
          "src/costpanel/pricing/litellm_import.py",
          "        return key[len(provider) + 1:]\n", "        return key\n",
          ("tests/test_litellm_import.py", "tests/test_cli.py"),
          ("tests/test_cli.py::test_an_imported_direct_api_model_prices_under_the_name_its_api_reports",)),
    Fault("s8c3", "a price file's several problems printed on one line with literal \\n", "src/costpanel/cli/output.py",
          "        out.print(f\"  {escape(printable(line))}\")", "        pass", ("tests/test_pricing_input.py",),
          ("tests/test_pricing_input.py::test_an_override_with_several_problems_lists_each_on_a_line_of_its_own",)),
    Fault("s8c4", "budget show on a named ledger that is not there reads as $0 without a word", "src/costpanel/cli/budget.py",
          "        if conn is None and named is not None:", "        if False:", ("tests/test_history_cli.py",),
          ("tests/test_history_cli.py::test_budget_show_before_any_ledger_shows_0_spent_and_the_budgets_and_creates_nothing",)),
    Fault("s8c5", "what-if onto a retired model says nothing of it", "src/costpanel/whatif/engine.py",
          "        if is_retired(t.entry.retired):", "        if False:", ("tests/test_whatif.py",),
          ("tests/test_whatif.py::test_a_retired_target_is_priced_at_its_last_price_and_says_it_is_retired",)),
    Fault("s8c6", "price --at past a coming retirement speaks of today", "src/costpanel/cli/price.py",
          "        if q.at.date() >= q.retired:  # --at a day past it", "        if False:  # --at a day past it",
          ("tests/test_retired.py",),
          ("tests/test_retired.py::test_price_says_a_model_is_retired_or_when_it_retires",)),
    Fault("s8c7", "demo --headless shows an unpriced model's share as 0.0%", "src/costpanel/gui/format.py",
          "    return NONE if getattr(row, \"cost_usd\") is None else share(getattr(row, \"share\"))",
          "    return share(getattr(row, \"share\"))", ("tests/test_cli.py", T_VIEW),
          ("tests/test_cli.py::test_demo_prints_the_tier_table_and_a_total",)),
    Fault("s8a1", "an attempt's call under a counted id raises (its other calls discarded with it)", TRACKER,
          "                else:\n                    return state.id, False\n",
          "                else:\n                    raise ValueError(f\"event_id {event_id!r} was already recorded\")\n",
          ("tests/test_upsert.py",),
          ("tests/test_upsert.py::test_an_attempt_repeating_a_counted_id_is_a_duplicate_not_an_error",)),
    Fault("s8a2", "an attempt's final line is counted beside its partial, not in its place", TRACKER,
          "            events[k] = self._upsert_held(state, h, tier, sess, event_id)",
          "            events[k] = h.event(tier, sess, event_id, DUPLICATE)", ("tests/test_upsert.py",),
          ("tests/test_upsert.py::test_an_attempts_call_with_more_tokens_replaces_the_counted_one_when_it_commits",)),
    Fault("s8a3", "a guard stopped at exactly its limit says exceeded", GUARDS,
          "        state = \"reached\" if spent == guard.limit else \"exceeded\"",
          "        state = \"exceeded\"", ("tests/test_guards.py",),
          ("tests/test_guards.py::test_thresholds_already_passed_fire_at_creation_on_the_creating_thread",)),
    Fault("s8d1", "a tracker writes its calls around a damaged page of its ledger", "src/costpanel/ledger/sqlite_storage.py",
          "        if os.access(path, os.R_OK | os.W_OK):\n            check_integrity(path)\n", "",
          ("tests/test_ledger.py",),
          ("tests/test_ledger.py::test_a_new_session_in_a_damaged_ledger_is_refused_before_anything_is_written",)),
    Fault("s8d2", "a second SIGTERM cuts the exit flush short", STORE,
          "    if _flushing or (_terminating and time.monotonic() - _terminating_at < _REPEAT_S):\n        return\n",
          "", ("tests/test_ledger_crash.py",),
          ("tests/test_ledger_crash.py::test_sigterm_twice_ends_a_process_with_non_daemon_threads_and_loses_nothing",)),
    Fault("s8d3", "after a SIGTERM, shutdown waits for threads that never end (the process hangs)", STORE,
          "    threading._register_atexit(_flush_then_end)", "    pass", ("tests/test_ledger_crash.py",),
          ("tests/test_ledger_crash.py::test_sigterm_twice_ends_a_process_with_non_daemon_threads_and_loses_nothing",)),
    Fault("s8d4", "every call recorded after close gets a warning line of its own", STORE,
          "if first else None", "", ("tests/test_ledger.py",),
          ("tests/test_ledger.py::test_a_call_after_the_ledger_is_closed_is_saved_aside_and_said_not_queued_and_not_raised",)),
    Fault("s9a1", "an advisor's tokens left out (only the executor's call counted)", CLAUDE,
          "        return [call, *self._advisors(obj, iterations, call)]", "        return call",
          ("tests/test_claude_code.py", "tests/test_claude_code_corpus.py"),
          ("tests/test_claude_code.py::test_an_advisors_tokens_are_a_call_of_their_own_at_the_advisors_model",)),
    Fault("s9a2", "an advisor's call priced as the executor's model", CLAUDE,
          "model=self._checked.get(model, model),", "model=call.model,",
          ("tests/test_claude_code.py", "tests/test_claude_code_corpus.py"),
          ("tests/test_claude_code.py::test_an_advisors_tokens_are_a_call_of_their_own_at_the_advisors_model",)),
    Fault("s9a3", "the fast path takes an advisor line as the executor's alone", CLAUDE,
          "        if usage.iterations and _ADVISOR_MARK in line:", "        if False:",
          ("tests/test_claude_code.py", "tests/test_claude_code_corpus.py"),
          ("tests/test_claude_code.py::test_the_fast_path_reads_a_realistic_corpus_as_the_full_parse_does",
           "tests/test_claude_code.py::test_an_advisor_line_read_after_its_names_are_known_still_gives_both_calls")),
    Fault("s9a4", "every advisor entry of a line gets the same event id", CLAUDE,
          'event_id=f"{call.event_id}:advisor{k}"', 'event_id=f"{call.event_id}:advisor1"',
          ("tests/test_claude_code.py",),
          ("tests/test_claude_code.py::test_two_advisor_entries_are_two_calls_and_message_iterations_none",)),
    Fault("s9f1", "a /btw side question's replays of its session billed again", CLAUDE,
          "        if self.fork_of is not None and self.replayed(message_id):\n            return REPLAYED\n        event_id = f\"claude-code:{message_id}:{obj.requestId or ''}\"",
          "        event_id = f\"claude-code:{message_id}:{obj.requestId or ''}\"",
          ("tests/test_claude_code.py", "tests/test_claude_code_corpus.py", "tests/test_watch.py"),
          ("tests/test_claude_code.py::test_a_replay_after_the_forks_own_call_is_skipped_on_the_fast_path_too",)),
    Fault("s9f2", "a fork's session file read once only (a replay of a later call billed again)", CLAUDE,
          "        if size != self._billed_size:", "        if self._billed_size < 0:",
          ("tests/test_claude_code.py",),
          ("tests/test_claude_code.py::test_a_fork_read_before_its_session_grew_reads_the_session_again",)),
    Fault("s9f3", "a Task subagent's calls taken for replays of its session", CLAUDE,
          "and path.name.startswith(CONTEXT_FORKS) else None)", "else None)",
          ("tests/test_claude_code.py", "tests/test_claude_code_corpus.py"),
          ("tests/test_claude_code.py::test_an_ordinary_subagents_lines_are_never_taken_for_replays",)),
    Fault("s9o1", "a model priced by the user's override file said to be priced by the catalog", CATALOG,
          "        if self.override:\n            return OVERRIDE_SOURCE\n", "",
          ("tests/test_catalog.py", "tests/test_cli.py"),
          ("tests/test_catalog.py::test_a_model_from_an_override_file_is_priced_by_override_and_a_bundled_one_by_the_catalog",
           "tests/test_cli.py::test_price_names_the_users_own_price_file_when_it_priced_the_model")),
    Fault("s9p1", "guard crossings written \"80 %\" beside every other view's \"80%\"", "src/costpanel/guard_alerts.py",
          'return f"{(threshold * 100).normalize():f}%"', 'return f"{(threshold * 100).normalize():f} %"',
          ("tests/test_guard_alerts.py",),
          ("tests/test_guard_alerts.py::test_crossings_become_lines_and_notices_from_80_percent",)),
    Fault("s9l1", "closing a tracker does not wait for LiteLLM's logging threads (a sync call lost)",
          "src/costpanel/integrations/litellm.py",
          "        tracker.before_close(self.wait)", "        pass",
          ("tests/test_litellm_logger.py",),
          ("tests/test_litellm_logger.py::test_a_sync_call_just_before_the_trackers_block_ends_is_in_its_ledger_and_snapshot",)),
    Fault("s9l2", "hooks an ended event loop left queued are not run by wait() (an asyncio.run call lost at close)",
          "src/costpanel/integrations/litellm.py",
          "            _flush_litellm()\n            asyncio.set_event_loop(None)", "            asyncio.set_event_loop(None)",
          ("tests/test_litellm_logger.py",),
          ("tests/test_litellm_logger.py::test_an_async_call_then_a_close_from_sync_code_is_in_the_ledger",)),
    Fault("s9l3", "a failing before_close hook keeps the ledger from its last flush", TRACKER,
          "            except Exception:  # noqa: BLE001 - a hook's failure must not keep the ledger from its flush\n                import logging\n\n                logging.getLogger(__name__).exception(\"costpanel: a before_close hook failed; closing anyway\")",
          "            finally:\n                pass",
          ("tests/test_litellm_logger.py",),
          ("tests/test_litellm_logger.py::test_before_close_hooks_run_first_and_a_failing_one_does_not_keep_the_ledger_open",)),
    Fault("s9t1", "an OTLP request refused on its size closes before its body is read (the client gets a broken pipe)",
          "src/costpanel/integrations/otlp.py",
          "            self._linger()\n            return\n", "            return\n",
          ("tests/test_otlp.py",),
          ("tests/test_otlp.py::test_a_client_that_sends_a_big_body_whole_before_reading_gets_the_413",)),
    Fault("s9j1", "an event line's null tier dropped as a bad field (not the default tier)",
          "src/costpanel/integrations/jsonl.py",
          "    value = obj.get(field)\n    if value is None:", "    value = obj.get(field, default)\n    if False:",
          ("tests/test_jsonl_format.py",),
          ("tests/test_jsonl_format.py::test_optional_fields_written_as_null_take_their_defaults",)),
    Fault("s9i1", "the import summary names five bad lines and says nothing of the rest",
          "src/costpanel/cli/import_cmd.py",
          "    if result.errors and bad > len(result.errors):", "    if False:",
          ("tests/test_import.py",),
          ("tests/test_import.py::test_the_summary_says_how_many_bad_lines_it_did_not_name",)),
    Fault("s9c1", "Codex's per-response records ignored (a remote compaction's response never billed)",
          "src/costpanel/integrations/codex.py",
          "        if kind == \"token_usage_record\":\n            return self._record(",
          "        if False:\n            return self._record(",
          ("tests/test_codex.py",),
          ("tests/test_codex.py::test_records_bill_each_response_and_the_totals_after_them_are_not_billed_again",)),
    Fault("s9c2", "Codex totals billed again after the records that billed the same responses",
          "src/costpanel/integrations/codex.py",
          "        if self._records and not self._record_failed:", "        if False:",
          ("tests/test_codex.py",),
          ("tests/test_codex.py::test_records_bill_each_response_and_the_totals_after_them_are_not_billed_again",)),
    Fault("s9c3", "Codex's service tier ignored (priority calls priced standard)",
          "src/costpanel/integrations/codex.py",
          "                       self.project, self.variant, SOURCE)\n\n    def _cwd",
          "                       self.project, None, SOURCE)\n\n    def _cwd",
          ("tests/test_codex.py",),
          ("tests/test_codex.py::test_the_service_tier_in_force_prices_the_call_and_fast_is_priority",)),
    Fault("s9c4", "a paginated rollout's checkpoint total billed as its own usage", "src/costpanel/integrations/codex.py",
          "        if payload.get(\"history_mode\") == \"paginated\":\n            self._paginated = True\n", "",
          ("tests/test_codex.py",),
          ("tests/test_codex.py::test_a_paginated_subagent_bills_its_own_records_only",)),
    Fault("s9c5", "Codex's \"fast\" tier taken as an unknown variant (unpriced) instead of priority",
          "pricing/openai.toml",
          'variant_aliases = { fast = "priority" }', "",
          ("tests/test_codex.py",),
          ("tests/test_codex.py::test_the_service_tier_in_force_prices_the_call_and_fast_is_priority",)),
    Fault("s9r1", "price MODEL without counts prints a table of zeros, not the model's prices", "src/costpanel/cli/price.py",
          "    return any(getattr(args, b.name) != b.default for b in REGISTRY)", "    return True",
          ("tests/test_cli.py",),
          ("tests/test_cli.py::test_price_without_token_counts_shows_the_models_rates",)),
    Fault("s9f4", "a fork's replay of a session line still being written is billed again", CLAUDE,
          """        return message_id in self._billed or f'"{message_id}"'.encode() in self._session_tail""",
          "        return message_id in self._billed",
          ("tests/test_claude_code.py",),
          ("tests/test_claude_code.py::test_a_replay_of_the_line_its_session_is_still_writing_is_a_replay",)),
    Fault("s9a5", "iterations of the wrong shape drop the line's own (executor's) call", CLAUDE,
          "                                  f\"{type(iterations).__name__}: its advisor's usage not counted\")\n            return []",
          "                                  f\"{type(iterations).__name__}: its advisor's usage not counted\")\n            raise BadLine(\"iterations\")",
          ("tests/test_claude_code.py",),
          ("tests/test_claude_code.py::test_iterations_of_the_wrong_shape_keep_the_executors_call",)),
    Fault("s9c6", "a Codex record that cannot be read loses its response (no fallback to the running total)",
          "src/costpanel/integrations/codex.py",
          "            self._record_failed = True\n            raise", "            raise",
          ("tests/test_codex.py",),
          ("tests/test_codex.py::test_a_record_that_cannot_be_read_is_said_and_its_response_billed_from_the_next_total",)),
    Fault("s9e1", "a rerun after Reset with the same (own) event ids is dropped from the ledger as the first's duplicates",
          ROWS, "    mine = [e for e in clashed if e.source in USER_ID_SOURCES]\n    if not mine:",
          "    mine = []\n    if not mine:",
          ("tests/test_ledger.py", "tests/test_ledger_rows.py"),
          ("tests/test_ledger.py::test_an_id_used_again_after_reset_is_stored_for_each_session_and_resumes_as_its_own",)),
    Fault("s9e2", "a resumed session does not know its own ids stored under \"<id> (session <session>)\" (counts them again)",
          "src/costpanel/ledger/resume.py", "    state.seen_ids = {own_id(event_id, session_id):",
          "    state.seen_ids = {event_id:",
          ("tests/test_ledger.py",),
          ("tests/test_ledger.py::test_an_id_used_again_after_reset_is_stored_for_each_session_and_resumes_as_its_own",)),
    Fault("s9e3", "failed attempts retried under one id stored once (the tracker counts each)", ROWS,
          "                other += _retry_ids(conn, retries)", "                pass",
          ("tests/test_ledger.py", "tests/test_ledger_rows.py"),
          ("tests/test_ledger.py::test_failed_attempts_retried_under_one_id_are_each_stored_as_the_tracker_counts_them",)),
    Fault("s9e4", "two sessions' calls under one own id in one batch: only one reaches the ledger", ROWS,
          "        key = call_key(e)\n", "        key = e.event_id\n",
          ("tests/test_ledger_rows.py",),
          ("tests/test_ledger_rows.py::test_any_two_batches_land_exactly_as_computed_here",)),
    Fault("s9l4", "threads recording while the ledger closes: a warning line for every late call", STORE,
          "            first = self._late == 1\n", "            first = True\n",
          ("tests/test_ledger.py",),
          ("tests/test_ledger.py::test_threads_still_recording_while_the_ledger_closes_get_one_warning_and_lose_nothing",)),
    Fault("s9x1", "Export writes every source's calls while the filter shows one", "src/costpanel/gui/panel.py",
          "            path = write_export(self.shown_tracker().snapshot(),", "            path = write_export(self.tracker.snapshot(),",
          ("tests/test_watch.py",),
          ("tests/test_watch.py::test_export_writes_the_view_the_filter_shows",)),
    Fault("s9x2", "what if: a tier or total of which some calls are on the target says all are", "src/costpanel/whatif/rows.py",
          "    if same and len(same) < len(rows):", "    if False:",
          ("tests/test_whatif.py",),
          ("tests/test_whatif.py::test_a_sum_of_which_only_some_calls_are_already_on_the_target_says_how_many",)),
    Fault("s9x3", "report of only discarded attempts says no calls were recorded", "src/costpanel/cli/history.py",
          "        out.print(\"no counted calls in this range (only the discarded attempts above)\" if discarded.calls",
          "        out.print(\"no counted calls in this range (only the discarded attempts above)\" if False",
          ("tests/test_history_cli.py",),
          ("tests/test_history_cli.py::test_a_range_of_only_discarded_attempts_says_so",)),
    Fault("s9e5", "an import's batch takes two sessions' calls under one own id for one", INGEST,
          "        per_session = calls[0].source in USER_ID_SOURCES  # call_key, inline: one reader's calls, one source",
          "        per_session = False",
          ("tests/test_import.py",),
          ("tests/test_import.py::test_event_lines_of_two_sessions_under_one_id_are_two_calls_however_they_batch",)),
    Fault("s9v1", "a row's cost tooltip says nothing of its web searches (the tokens do not add up to the cost)", VIEWMODEL,
          "    if row.web_search:  # a fee of its own", "    if False:  # a fee of its own",
          (T_VIEW,),
          ("tests/test_viewmodel.py::test_a_rows_cost_tooltip_names_its_web_searches_a_fee_apart_from_the_tokens",)),
    Fault("s9v2", "History shows the whole ledger under a filter on one source without a word", "src/costpanel/gui/panel.py",
          "        if self.shown != ALL_SOURCES and text:", "        if False and text:",
          ("tests/test_watch.py",),
          ("tests/test_watch.py::test_history_says_it_is_every_sources_when_the_filter_shows_one",)),
    Fault("s9v3", "a row with unpriced calls does not say its $/call averages the priced ones", VIEWMODEL,
          "not included (the $/call column averages the \"\n                f\"{row.priced_calls:,} priced)\")",
          "not included\")",
          (T_VIEW,),
          ("tests/test_viewmodel.py::test_a_row_with_unpriced_calls_says_its_per_call_average_is_over_the_priced_ones",)),
    Fault("s9e6", "a caller's own id like step-1@run-9 meets the name another session's step-1 is stored under", ROWS,
          'SCOPED = "{id} (session {session})"', 'SCOPED = "{id}@{session}"',
          ("tests/test_ledger.py",),
          ("tests/test_ledger.py::test_a_callers_id_that_looks_like_a_scoped_one_is_its_own_call",)),
    # -- session 10: genai-prices 0.2.5, stale known differences, genai-prices' variants, OpenAI Fast / Ultrafast
    Fault("s10a", "pricing diff never reports a known difference that no source shows any more",
          "src/costpanel/pricing/diff.py",
          "        if (model, field) in seen:\n            continue\n",
          "        if (model, field) in seen or True:\n            continue\n",
          ("tests/test_pricing_diff.py",),
          ("tests/test_pricing_diff.py::test_a_known_difference_no_source_shows_is_a_new_stale_row",)),
    Fault("s10b", "stale known differences judged on a one-provider diff (another provider's look stale)",
          "src/costpanel/pricing/diff.py", "        if wanted == everyone:\n", "        if True:\n",
          ("tests/test_pricing_diff.py",),
          ("tests/test_pricing_diff.py::test_stale_is_judged_only_when_every_provider_and_both_sources_are_compared",
           "tests/test_pricing_diff.py::test_the_command_with_litellm_reports_both_sources")),
    Fault("s10c", "genai-prices' price variants are not compared (a missing Flex or Ultrafast goes unseen)",
          "src/costpanel/pricing/diff.py", "                                  names, _genai_variants(m, now)))",
          "                                  names))",
          ("tests/test_pricing_diff.py",),
          ("tests/test_pricing_diff.py::test_a_genai_prices_variant_is_compared_rate_by_rate_and_one_we_lack_is_a_row",)),
    Fault("s10d", "a provider's variant alias is not compiled (OpenAI service_tier fast calls unpriced)", CATALOG,
          "        if name in variants and alias not in variants:", "        if False:",
          ("tests/test_prices_variants.py", T_VARIANTS),
          ("tests/test_prices_variants.py::test_a_variant_or_search_is_priced_as_the_provider_bills_it",)),
    Fault("s10e", "one tier named twice through its alias bills it twice (fast+priority at 4x)", RATES,
          "        if rule is None or (rule.name or name) in own:", "        if rule is None:",
          ("tests/test_prices_variants.py", T_VARIANTS),
          ("tests/test_prices_variants.py::test_an_unoffered_variant_or_unpriced_search_leaves_the_call_unpriced",)),
    Fault("s10f", "an alias stacked with a tier its variant excludes is priced (fast+flex at 1x)", RATES,
          "    if len(own) > 1 and clashes(own):", "    if False:",
          ("tests/test_prices_variants.py", T_VARIANTS),
          ("tests/test_prices_variants.py::test_an_unoffered_variant_or_unpriced_search_leaves_the_call_unpriced",)),
    Fault("s10g", "ultrafast stacks with batch or flex (two service tiers in one call)", "src/costpanel/variants.py",
          'frozenset(("batch", "flex", "priority", "ultrafast")),', 'frozenset(("batch", "flex", "priority")),',
          ("tests/test_prices_variants.py", T_VARIANTS),
          ("tests/test_prices_variants.py::test_openai_ultrafast_stacked_with_batch_or_flex_is_refused_as_two_service_tiers",)),
    Fault("s10h", "GPT-6.2 Astra's Ultrafast stays at 3x after 2027-03-01", "pricing/openai.toml",
          "  note = \"Unchanged standard rates; Ultrafast goes from 3x to 6x standard on 2027-03-01 Pacific time, dated by UTC day as genai-prices 0.2.5 applies it.\"\n\n    [[models.prices.tiers]]\n    above_prompt_tokens = 272000\n    input = 16.00\n    output = 60.00\n    cache_read = 0.80\n    cache_write = 20.00\n\n    [models.prices.variants.priority]\n    multiplier = 2\n\n    [models.prices.variants.ultrafast]\n    multiplier = 6\n",
          "  note = \"Unchanged standard rates; Ultrafast goes from 3x to 6x standard on 2027-03-01 Pacific time, dated by UTC day as genai-prices 0.2.5 applies it.\"\n\n    [[models.prices.tiers]]\n    above_prompt_tokens = 272000\n    input = 16.00\n    output = 60.00\n    cache_read = 0.80\n    cache_write = 20.00\n\n    [models.prices.variants.priority]\n    multiplier = 2\n\n    [models.prices.variants.ultrafast]\n    multiplier = 3\n",
          ("tests/test_prices_variants.py",),
          ("tests/test_prices_variants.py::test_a_variant_or_search_is_priced_as_the_provider_bills_it",)),
    Fault("s10i", "Gemini 4 Neon has no Priority price (its priority calls unpriced)", "pricing/google.toml",
          '  "gemini-4-carbon",\n  "gemini-4-neon",\n]\nnote = "Priority inference',
          '  "gemini-4-carbon",\n]\nnote = "Priority inference',
          ("tests/test_prices_variants.py", "tests/test_pricing_diff.py"),
          ("tests/test_prices_variants.py::test_a_variant_or_search_is_priced_as_the_provider_bills_it",)),
    Fault("s10j", "a variant alias may shadow a variant of its own file (and price differently)",
          "src/costpanel/pricing/schema.py", "            if alias in own:\n", "            if False:\n",
          (T_VARIANTS,),
          ("tests/test_variants.py::test_a_malformed_variant_is_one_clear_problem_naming_the_file_and_field",)),
    Fault("s10l", "Codex's served model (info.latest_response_model) ignored: the requested one is billed",
          "src/costpanel/integrations/codex.py",
          "        model = self.model if served is None else", "        model = self.model if True else",
          ("tests/test_codex.py",),
          ("tests/test_codex.py::test_the_model_the_response_named_is_billed_over_the_one_asked_for",)),
    Fault("s10m", "after Reset the watch panel's Sources line still counts every call since the start",
          "src/costpanel/gui/panel.py", "            self.feed.mark_reset()\n", "",
          ("tests/test_watch.py",),
          ("tests/test_watch.py::test_after_reset_the_sources_line_counts_calls_and_skipped_lines_from_then_on",)),
    Fault("s10n", "OpenAI's fast stacked with flex is counted unpriced instead of refused (priority+flex is refused)",
          "src/costpanel/tracker.py", "            check_variant_aliases(period, variant)  # ``fast+flex``",
          "            pass  # ``fast+flex``",
          ("tests/test_prices_variants.py",),
          ("tests/test_prices_variants.py::test_openai_fast_stacked_with_another_tier_is_refused_as_priority_would_be",)),
    Fault("s10o", "a LiteLLM call whose service_tier is no variant name is dropped from the totals",
          "src/costpanel/integrations/litellm.py",
          "        if why is not None:  # its tokens are real: counted, unpriced, never dropped\n",
          "        if why is not None:\n            raise _Skip(BAD_FIELD, why)\n",
          ("tests/test_litellm_logger.py",),
          ("tests/test_litellm_logger.py::test_a_service_tier_that_is_no_variant_name_counts_the_call_unpriced_not_dropped",)),
    Fault("s10p", "a call whose tier is no variant name is dropped as a bad field (Claude Code, LiteLLM, Agents SDK)",
          "src/costpanel/adapters.py", "        return UNREADABLE, str(error)", "        raise",
          ("tests/test_claude_code.py", "tests/test_litellm_logger.py", "tests/test_openai_agents.py"),
          ("tests/test_claude_code.py::test_a_tier_that_is_no_variant_name_counts_the_call_unpriced_not_dropped",)),
    Fault("s10q", "an Agents SDK response whose service_tier is no variant name is dropped",
          "src/costpanel/integrations/openai_agents.py",
          "        if why is not None:  # its tokens are real: counted, unpriced, never dropped\n",
          "        if why is not None:\n            return 0\n",
          ("tests/test_openai_agents.py",),
          ("tests/test_openai_agents.py::test_a_service_tier_that_is_no_variant_name_counts_the_response_unpriced_not_dropped",)),
    Fault("s10r", "a price file may define the reserved variant 'unreadable' (and price calls whose tier is unknown)",
          "src/costpanel/pricing/schema.py", "    if name == UNREADABLE or name in STANDARD:", "    if name in STANDARD:",
          (T_VARIANTS,),
          ("tests/test_variants.py::test_a_malformed_variant_is_one_clear_problem_naming_the_file_and_field",)),
    Fault("s10s", "price --json's rates are the base ones for a call billed at its long-context tier",
          "src/costpanel/quote.py", "                if limit == self.tier_threshold:", "                if False:",
          ("tests/test_cli.py",),
          ("tests/test_cli.py::test_price_json_rates_are_the_rates_billed_above_a_cliff",)),
    Fault("s10t", "a variant alias may name a variant no model of its file offers (never applies)",
          "src/costpanel/pricing/schema.py", "            if target not in own:", "            if False:",
          (T_VARIANTS,),
          ("tests/test_variants.py::test_a_malformed_variant_is_one_clear_problem_naming_the_file_and_field",)),
    Fault("s10u", "report --by variant counts discarded attempts too", QUERIES,
          '"WHERE c.committed = 1 AND c.ts >= ? AND c.ts < ? GROUP BY 1"', '"WHERE c.ts >= ? AND c.ts < ? GROUP BY 1"',
          ("tests/test_history_cli.py",),
          ("tests/test_history_cli.py::test_report_json_gives_exact_decimal_strings_per_group",)),
    Fault("s10v", "an unreadable Codex service tier leaves the tier before in force (fast calls after '-')",
          "src/costpanel/integrations/codex.py",
          "                self.variant = UNREADABLE\n                raise BadField(f\"thread_settings.service_tier: {exc}\")",
          "                raise BadField(f\"thread_settings.service_tier: {exc}\")",
          ("tests/test_codex.py",),
          ("tests/test_codex.py::test_an_unreadable_service_tier_leaves_the_calls_after_it_unpriced_not_at_the_tier_before",)),
    Fault("s10w", "a Codex running total whose reasoning shrinks is taken for a restart (its call dropped)",
          "src/costpanel/integrations/codex.py",
          "        if min(delta[0], delta[1], delta[2], delta[3], delta[5]) < 0:", "        if min(delta) < 0:",
          ("tests/test_codex.py",),
          ("tests/test_codex.py::test_a_reasoning_count_that_shrinks_is_no_restart",)),
    Fault("s10x", "what-if notes counting calls lose the counts of the rows they merge (1 unpriced of 3)",
          "src/costpanel/whatif/rows.py", "    notes = _summed_notes(rows)\n",
          "    notes = tuple(dict.fromkeys(n for r in rows for n in r.notes))\n",
          ("tests/test_whatif.py",),
          ("tests/test_whatif.py::test_notes_that_count_calls_say_the_sum_over_the_rows_they_merge",)),
    Fault("s10y", "an invoke_agent span without the operation attribute is counted (its calls twice)",
          "src/costpanel/integrations/genai.py",
          "    if operation in SUMMARY_OPERATIONS or (operation is None and name.split(\" \", 1)[0] in SUMMARY_OPERATIONS):",
          "    if operation in SUMMARY_OPERATIONS:",
          ("tests/test_otel.py",),
          ("tests/test_otel.py::test_a_summary_span_known_only_by_its_conventional_name_is_skipped_too",)),
    Fault("s10z", "a GenAI span's cache writes (TTL unknown) are not marked approximate",
          "src/costpanel/integrations/otlp.py",
          "                    self._one(span.name, partial(self._span_call, span, resource), cache_ttl_unknown,",
          "                    self._one(span.name, partial(self._span_call, span, resource), lambda call: False,",
          ("tests/test_otlp.py",),
          ("tests/test_otlp.py::test_a_spans_cache_writes_are_priced_as_5_minute_writes_and_marked_approximate",)),
    Fault("s10aa", "a saved export reads in the warning colour, as a failure does",
          "src/costpanel/gui/panel.py", "        if ok:\n            self._ok_notices.add(message)\n", "",
          ("tests/test_panel_headless.py",),
          ("tests/test_panel_headless.py::test_export_buttons_write_the_current_view",)),
    Fault("s10ab", "the watch panel's Show filter keeps its first width (a long project name is cut)",
          "src/costpanel/gui/panel.py", "        self._configure(w.source_filter, width=int(min(",
          "        (lambda **kw: None)(width=int(min(",
          ("tests/test_watch.py",),
          ("tests/test_watch.py::test_the_show_filter_is_as_wide_as_its_longest_choice_up_to_a_limit",)),
    Fault("s10ac", "a watch with --no-ledger tells the user to pass CostTracker(ledger=True)",
          "src/costpanel/gui/panel.py", "                      if self.feed is not None else", "                      if False else",
          ("tests/test_watch.py",),
          ("tests/test_watch.py::test_history_of_a_watch_without_a_ledger_names_the_flag",)),
    Fault("s10ad", "what-if from sums marks every cell under a cliffed target approximate (and bills one call at base)",
          "src/costpanel/whatif/engine.py",
          "        if item.calls == 1:\n            period = period._replace(base=rates_for(period, item.usage))\n        elif item.usage.prompt_tokens > period.tiers[0][0]:",
          "        if True:",
          ("tests/test_whatif.py",),
          ("tests/test_whatif.py::test_sums_at_or_under_the_first_cliff_are_exact",)),
    Fault("s10ae", "a what-if from a snapshot reprices sums holding fast / batch calls at standard rates as exact",
          "src/costpanel/whatif/engine.py", "            pair.mixed.update(item.mixed)  # batch", "            pass  # batch",
          ("tests/test_whatif.py",),
          ("tests/test_whatif.py::test_sums_holding_variant_calls_say_so_and_are_approximate",)),
    Fault("s10af", "a resumed session forgets which variants its sums hold", "src/costpanel/ledger/resume.py",
          "        state.variants.setdefault((tier, key), set()).add(variant)", "        pass",
          ("tests/test_whatif.py",),
          ("tests/test_whatif.py::test_sums_holding_variant_calls_say_so_and_are_approximate",)),
    Fault("s10ag", "a committed attempt's variant is not noted in the session's sums", "src/costpanel/tracker.py",
          "                    if h.variant is not None:  # (under the lock already)", "                    if False:",
          ("tests/test_whatif.py",),
          ("tests/test_whatif.py::test_sums_holding_variant_calls_say_so_and_are_approximate",)),
    Fault("s10ah", "setting a budget wipes the guards' and exports' notices", "src/costpanel/gui/panel.py",
          '        self._drop_notice("budget")  # an earlier refusal', '        self.dismiss_alerts()  # an earlier refusal',
          ("tests/test_panel_headless.py",),
          ("tests/test_panel_headless.py::test_budget_bar_levels_and_notices",)),
    Fault("s10ai", "an override file's models do not get their provider's variant aliases (fast unpriced)",
          CATALOG, "        aliases.setdefault(pf.provider, {}).update(pf.variant_aliases)",
          "        aliases.setdefault(pf.provider, {})",
          (T_VARIANTS,),
          ("tests/test_variants.py::test_an_override_files_models_take_their_providers_variant_aliases",)),
    Fault("s10aj", "a provider alias overwrites an override model's own variant of that name", CATALOG,
          "        if name in variants and alias not in variants:", "        if name in variants:",
          (T_VARIANTS,),
          ("tests/test_variants.py::test_an_override_files_models_take_their_providers_variant_aliases",)),
    Fault("s10ak", "an override that drops a bundled model's variants is noted without naming them", CATALOG,
          "        if not r.dropped:\n            return \"\"", "        if True:\n            return \"\"",
          ("tests/test_pricing_input.py",),
          ("tests/test_pricing_input.py::test_pricing_check_notes_an_override_that_replaces_a_bundled_model",)),
    Fault("s10al", "pricing check FILE leaves out the user's other overrides (a clash with them passes)", CATALOG,
          "        return build_catalog(provider_paths(folder), [*others, *paths], folder)",
          "        return build_catalog(provider_paths(folder), list(paths), folder)",
          ("tests/test_pricing_input.py",),
          ("tests/test_pricing_input.py::test_pricing_check_of_a_file_meets_the_users_other_overrides_as_a_tracker_would",)),
    Fault("s10am", "a Gemini checkpoint's messages break lines = usage lines + skipped", "src/costpanel/integrations/gemini_cli.py",
          '                    self.lines += len(update["messages"]) - 1  # each a call or a reason, as a line is\n', "",
          ("tests/test_gemini_cli.py",),
          ("tests/test_gemini_cli.py::test_a_checkpoint_set_of_messages_is_read",)),
    Fault("s10an", "a bad Gemini line after a checkpoint is named by a wrong line number", "src/costpanel/integrations/gemini_cli.py",
          '                self.errors.add(f"{self.path}:{self._line_no}: {not_json(exc)}")',
          '                self.errors.add(f"{self.path}:{self.lines}: {not_json(exc)}")',
          ("tests/test_gemini_cli.py",),
          ("tests/test_gemini_cli.py::test_a_bad_line_after_a_checkpoint_is_named_by_its_own_line_number",)),
    Fault("s11a", "a token count up to 10^12 is accepted (a timestamp passes as tokens; a cost past SQLite's integers)",
          "src/costpanel/usage.py", "MAX_COUNT = 10**9\n", "MAX_COUNT = 10**12\n",
          (T_TRACKER, "tests/test_import.py"),
          ("tests/test_tracker.py::test_usage_rejects_bad_counts_naming_the_bucket",
           "tests/test_import.py::test_a_count_past_the_bound_is_a_bad_field_and_the_files_other_calls_are_imported")),
    Fault("s11b", "a narrow table sizes its figures by their headers only (figures cut)", "src/costpanel/cli/tables.py",
          "    sizes = [max(w, _word(c.header)) for w, c in zip(widest, cols, strict=True)]  # headers fold\n",
          "    sizes = [_word(c.header) or w for w, c in zip(widest, cols, strict=True)]  # headers fold\n",
          ("tests/test_cli_tables.py", "tests/test_history_cli.py"),
          ("tests/test_cli_tables.py::test_at_any_width_every_figure_is_whole_and_nothing_is_cut",)),
    Fault("s11c", "a narrow table cuts names with an ellipsis instead of folding them", "src/costpanel/cli/tables.py",
          'justify="left" if c.name else "right", overflow="fold"', 'justify="left" if c.name else "right", overflow="ellipsis"',
          ("tests/test_cli_tables.py", "tests/test_history_cli.py"),
          ("tests/test_cli_tables.py::test_at_any_width_every_figure_is_whole_and_nothing_is_cut",)),
    Fault("s11d", "a table that cannot fit is cropped at the terminal's width", "src/costpanel/cli/tables.py",
          "    out.print(t, width=width, crop=False)\n", "    out.print(t, width=out.width)\n",
          ("tests/test_cli_tables.py",),
          ("tests/test_cli_tables.py::test_a_table_wider_than_the_terminal_even_folded_is_printed_wider_not_cropped",)),
    Fault("s11e", "an empty CSV report has a one-word header", "src/costpanel/ledger/report_files.py",
          "    fields = report_fields(by, averages is not None, priced_by is not None)  # an empty report's too\n",
          "    fields = list(row_dict(by, rows[0], averages, priced_by).keys()) if rows else [by]\n",
          ("tests/test_history_cli.py",),
          ("tests/test_history_cli.py::test_a_csv_of_an_empty_range_has_the_same_header_as_a_full_one",)),
    Fault("s11f", "a model row does not name the price variants its calls were billed under", VIEWMODEL,
          "    if not variants:\n        return label, tip\n", "    if variants or not variants:\n        return label, tip\n",
          (T_VIEW,), ("tests/test_viewmodel.py::test_a_model_some_of_whose_calls_were_billed_at_a_variant_says_which",)),
    Fault("s11g", "a tier's pair row names variants another tier's calls had", "src/costpanel/snapshot.py",
          "if m == model and tier in (None, t) for v in names}", "if m == model for v in names}",
          (T_VIEW,), ("tests/test_viewmodel.py::test_a_model_some_of_whose_calls_were_billed_at_a_variant_says_which",)),
    Fault("s11h", "an import whose sums overflow the ledger's integers ends in a traceback", "src/costpanel/cli/import_cmd.py",
          "    except OverflowError:  # counts are bounded", "    except ZeroDivisionError:  # counts are bounded",
          ("tests/test_import.py",),
          ("tests/test_import.py::test_calls_that_add_up_past_the_ledgers_integers_end_the_import_in_one_line",)),
    Fault("s11i", "demo --headless says nothing of its --budget", "src/costpanel/cli/demo.py",
          "        if args.budget is not None:  # the panel's budget bar, as a line\n",
          "        if args.budget is None:  # the panel's budget bar, as a line\n",
          ("tests/test_cli.py",), ("tests/test_cli.py::test_demo_headless_says_where_the_session_stands_against_its_budget",)),
    Fault("s11j", "a budget of whole cents is shown with a third digit ($0.010)", "src/costpanel/budgets.py",
          'return f"{format_usd(self.spent)} of {format_usd_exact(self.budget)}"',
          'return f"{format_usd(self.spent)} of {format_usd(self.budget)}"',
          ("tests/test_cli.py",), ("tests/test_cli.py::test_demo_headless_says_where_the_session_stands_against_its_budget",)),
    Fault("s11k", "blank lines between usage lines go uncounted", CLAUDE,
          "    if objects == lines:\n        return lines, 0\n", "    if objects <= lines:\n        return lines, 0\n",
          ("tests/test_claude_code.py",),
          ("tests/test_claude_code.py::test_lines_and_blank_lines_between_usage_lines_are_counted_exactly",)),
    Fault("s11l", "the names readers share are never let go (the cache grows without bound)", CLAUDE,
          "        if len(checked) >= MAX_CHECKED:  # bounded: start over rather than stop caching new names\n            checked.clear()\n",
          "",
          ("tests/test_claude_code.py",),
          ("tests/test_claude_code.py::test_names_checked_once_are_shared_by_readers_and_the_cache_stays_bounded",)),
    Fault("s11m", "a narrow pricing list drops its providers and notes", "src/costpanel/cli/pricing.py",
          '            out.print(f"{cells[0]}: {cells[1]}" + (f"; {cells[-1]}" if cells[-1] else ""), highlight=False)\n',
          "            pass\n",
          ("tests/test_cli.py",),
          ("tests/test_cli.py::test_pricing_list_in_a_narrow_terminal_keeps_prices_in_the_table_and_lists_notes_under_it",)),
    Fault("s11n", "a narrow report keeps full token counts (the names fold instead)", "src/costpanel/cli/history.py",
          "    narrow = [[*cells[:2], fmt.tokens(r.tokens, short=True), *cells[3:]]",
          "    narrow = [[*cells[:2], fmt.tokens(r.tokens, short=False), *cells[3:]]",
          ("tests/test_history_cli.py",),
          ("tests/test_history_cli.py::test_a_narrow_terminal_folds_names_and_keeps_every_figure_whole",)),
    Fault("s11o", "a cost prints with twelve places (0.008250000000)", "src/costpanel/money.py",
          '    zeros = min(len(digits) - len(digits.rstrip("0")), -_EXPONENT)\n', "    zeros = 0\n",
          (T_TRACKER, "tests/test_whatif.py"),
          ("tests/test_tracker.py::test_a_cost_is_the_exact_decimal_of_its_units_printed_without_trailing_zeros",
           "tests/test_whatif.py::test_the_docs_reprice_example_shows_the_values_it_returns")),
    Fault("s11p", "a narrow terminal shortens figures where only the headers would fold", "src/costpanel/cli/tables.py",
          "    if shorter is None or needed(cols, rows) <= width:\n", "    if shorter is None or layout(cols, rows, width)[0] is None:\n",
          ("tests/test_cli_tables.py", "tests/test_history_cli.py"),
          ("tests/test_cli_tables.py::test_the_shorter_table_is_chosen_only_where_the_full_one_would_fold_its_names",
           "tests/test_history_cli.py::test_a_narrow_terminal_folds_names_and_keeps_every_figure_whole")),
    Fault("s10k", "a known difference is kept when the pinned sources no longer show it", "pricing/_known_differences.toml",
          'model = "codestral-2508"\nfield = "batch.cache_read"\n', 'model = "codestral-2508"\nfield = "batch.output"\n',
          ("tests/test_pricing_diff.py",),
          ("tests/test_pricing_diff.py::test_every_known_difference_still_occurs_against_the_pinned_sources",)),
)


@dataclasses.dataclass
class Result:
    id: str
    status: str  # CAUGHT | MISSED | ERROR | GREEN | RED (the last two for the baseline)
    first: str = ""  # the first failing test, or what went wrong
    failing: tuple[str, ...] = ()
    seconds: float = 0.0


# -- planting ---------------------------------------------------------------------------------------
def anchor_problem(fault: Fault, root: Path = ROOT) -> str | None:
    """Why ``fault`` cannot be planted in ``root`` as written, or None."""
    path = root / fault.file
    if not path.is_file():
        return f"fault {fault.id}: {fault.file} does not exist — update tools/plant_faults.py"
    text = path.read_text(encoding="utf-8")
    count = text.count(fault.old)
    if count == 0:
        return f"fault {fault.id}: anchor not found in {fault.file} — update tools/plant_faults.py"
    if count > 1:
        return f"fault {fault.id}: anchor found {count} times in {fault.file} (must be once) — update tools/plant_faults.py"
    planted = text.replace(fault.old, fault.new, 1)
    if planted == text:
        return f"fault {fault.id}: the substitution changes nothing — update tools/plant_faults.py"
    if path.suffix == ".py":
        try:
            compile(planted, str(path), "exec")
        except SyntaxError as exc:
            return f"fault {fault.id}: the planted {fault.file} does not compile ({exc}) — update tools/plant_faults.py"
    return None


def copy_repo(dest: Path) -> None:
    for name in COPIED:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=IGNORED)
        elif src.is_file():
            shutil.copy2(src, dest / name)


def plant(fault: Fault, root: Path) -> None:
    path = root / fault.file
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace(fault.old, fault.new, 1), encoding="utf-8")


# -- running ----------------------------------------------------------------------------------------
def failing_tests(output: str) -> tuple[str, ...]:
    """Node ids from pytest's short summary (``FAILED tests/x.py::t - msg``, ``ERROR tests/...``);
    lines before the summary (captured log lines also start with ``ERROR``) are not read."""
    found = []
    in_summary = False
    for line in output.splitlines():
        if "short test summary info" in line:
            in_summary = True
            continue
        for word in ("FAILED ", "ERROR "):
            if in_summary and line.startswith(word + "tests/"):
                rest = line[len(word):]
                nodeid = rest.split(" - ", 1)[0]
                if "[" in nodeid and "]" not in nodeid:  # a parameter id with " - " in it
                    nodeid = rest[: rest.find("]") + 1] if "]" in rest else rest
                found.append(nodeid.strip())
    return tuple(dict.fromkeys(found))


def run(fault: Fault | None, tests: list[str], python: str, stop_at_first: bool) -> Result:
    ident = fault.id if fault else "baseline"
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix=f"costpanel-fault-{ident}-") as tmp:
        root = Path(tmp)
        copy_repo(root)
        if fault is not None:
            problem = anchor_problem(fault, root)
            if problem:
                return Result(ident, "ERROR", problem)
            plant(fault, root)
        env = {k: v for k, v in os.environ.items() if k not in ("COSTPANEL_DB", "COSTPANEL_PRICING")}
        env["PYTHONPATH"] = str(root / "src")
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        where = subprocess.run([python, "-c", "import costpanel; print(costpanel.__file__)"], cwd=root, env=env,
                               capture_output=True, text=True, timeout=120)
        imported = where.stdout.strip()
        if where.returncode != 0 or not Path(imported).resolve().is_relative_to(root.resolve()):
            return Result(ident, "ERROR", f"costpanel imports from {imported or where.stderr.strip()[-200:]}, "
                                          "not from the copy", seconds=time.monotonic() - started)
        cmd = [python, "-m", "pytest", "-q", "-p", "no:cacheprovider", *(["-x"] if stop_at_first else []), *tests]
        try:
            done = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True, timeout=RUN_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            return Result(ident, "ERROR", f"pytest ran longer than {RUN_TIMEOUT_S} s",
                          seconds=time.monotonic() - started)
    seconds = time.monotonic() - started
    output = done.stdout + done.stderr
    failing = failing_tests(output)
    if done.returncode == 0:
        return Result(ident, "MISSED" if fault else "GREEN", "", (), seconds)
    if done.returncode == 1:
        first = failing[0] if failing else "(a test failed; see pytest's output)"
        return Result(ident, "CAUGHT" if fault else "RED", first, failing, seconds)
    tail = " | ".join(line for line in output.strip().splitlines()[-3:])
    return Result(ident, "ERROR", f"pytest exit {done.returncode}: {tail[-300:]}", failing, seconds)


# -- reporting --------------------------------------------------------------------------------------
def table(rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(r[k]) for r in rows) for k in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def list_faults(faults: list[Fault], markdown: bool = False) -> None:
    if markdown:  # the table in docs/testing.md
        print("| fault | what it breaks | planted in | caught by |")
        print("|---|---|---|---|")
        for f in faults:
            caught = "<br>".join(f"`{Path(t.split('::')[0]).name}::{t.split('::')[1]}`" for t in f.catches)
            print(f"| {f.id} | {f.title.replace('|', '/')} | `{f.file.removeprefix('src/costpanel/')}` | {caught} |")
        return
    rows = [("fault", "file", "tests run", "what it breaks")]
    for f in faults:
        rows.append((f.id, f.file.removeprefix("src/costpanel/"), " ".join(Path(t).name for t in f.tests), f.title))
    print(table(rows))


def pick(only: list[str]) -> list[Fault]:
    wanted = [i.strip() for spec in only for i in spec.split(",") if i.strip()]
    known = {f.id: f for f in FAULTS}
    unknown = [i for i in wanted if i not in known]
    if unknown:
        raise SystemExit(f"unknown fault id(s): {', '.join(unknown)}; known: {', '.join(known)}")
    return [known[i] for i in wanted] if wanted else list(FAULTS)


def main(argv: list[str] | None = None) -> int:
    seen = [f.id for f in FAULTS]
    twice = sorted({i for i in seen if seen.count(i) > 1})
    if twice:  # results are kept by id: a second fault of the same id would hide the first's
        print(f"plant_faults: fault id(s) used twice: {', '.join(twice)}", file=sys.stderr)
        return 2
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--only", action="append", default=[], metavar="ID",
                   help="run only this fault (repeat, or give a comma-separated list)")
    p.add_argument("--list", action="store_true", help="list the faults and exit")
    p.add_argument("--markdown", action="store_true", help="with --list: the table docs/testing.md shows")
    p.add_argument("-j", "--jobs", type=int, default=2, help="pytest runs at a time (default 2)")
    p.add_argument("--full", action="store_true", help="run the whole suite for each fault, not only its test files")
    p.add_argument("--all-failures", action="store_true",
                   help="do not stop at the first failure: list every test that catches each fault")
    p.add_argument("--no-baseline", action="store_true", help="skip the run without a fault (not recommended)")
    p.add_argument("--python", default=sys.executable, help="interpreter for pytest (default: this one)")
    args = p.parse_args(argv)
    if args.jobs < 1:
        p.error("-j must be at least 1")

    faults = pick(args.only)
    if args.list:
        list_faults(faults, markdown=args.markdown)
        return 0

    results: dict[str, Result] = {}
    runnable = []
    for fault in faults:
        problem = anchor_problem(fault)
        if problem:
            print(problem, flush=True)
            results[fault.id] = Result(fault.id, "ERROR", problem)
        else:
            runnable.append(fault)

    def tests_for(fault: Fault | None) -> list[str]:
        if args.full:
            return ["tests"]
        if fault is not None:
            return list(fault.tests)
        return list(dict.fromkeys(t for f in runnable for t in f.tests))

    started = time.monotonic()
    if not args.no_baseline and runnable:
        print(f"baseline (no fault): {' '.join(tests_for(None))}", flush=True)
        base = run(None, tests_for(None), args.python, stop_at_first=True)
        if base.status != "GREEN":
            print(f"the baseline is red: {base.status} {base.first}\n"
                  "fix the suite (or the checkout) first: with failing tests every fault looks caught", flush=True)
            return 1
        print(f"baseline: green in {base.seconds:.0f} s", flush=True)

    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        futures = {pool.submit(run, f, tests_for(f), args.python, not args.all_failures): f for f in runnable}
        for future in concurrent.futures.as_completed(futures):
            fault = futures[future]
            try:
                result = future.result()
            except Exception as exc:  # the runner itself failed: report it as this fault's error
                result = Result(fault.id, "ERROR", f"{type(exc).__name__}: {exc}")
            results[fault.id] = result
            print(f"fault {fault.id}: {result.status} {result.first} ({result.seconds:.0f} s)", flush=True)

    rows = [("fault", "result", "first failing test", "what it breaks")]
    for fault in faults:
        r = results[fault.id]
        rows.append((fault.id, r.status, r.first, fault.title))
    print()
    print(table(rows))
    if args.all_failures:
        print()
        for fault in faults:
            r = results[fault.id]
            print(f"fault {fault.id}: {len(r.failing)} failing test(s)")
            for nodeid in r.failing:
                print(f"    {nodeid}")
    counts = {s: sum(r.status == s for r in results.values()) for s in ("CAUGHT", "MISSED", "ERROR")}
    print(f"\n{counts['CAUGHT']} caught, {counts['MISSED']} missed, {counts['ERROR']} error(s) "
          f"of {len(faults)} fault(s) in {time.monotonic() - started:.0f} s")
    return 0 if counts["CAUGHT"] == len(faults) else 1


if __name__ == "__main__":
    sys.exit(main())
