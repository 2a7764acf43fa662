"""Feeds from agents costpanel does not run itself: one module per source.

Log files (read by ``costpanel import`` and followed by ``costpanel watch``):
:mod:`.claude_code`, :mod:`.codex`, :mod:`.gemini_cli` and :mod:`.jsonl` (costpanel's own event
line format, for orchestrators in any language). Each is a *log source* as :mod:`.logs` defines:
a reader turns a file's lines (or, for Gemini CLI, its whole JSON document) into
:class:`~.logs.LogCall` tuples and counts what it skipped, and why.

Libraries (one line of setup, each an optional extra): :mod:`.litellm` (``CostpanelLogger``),
:mod:`.otel` (``CostpanelSpanProcessor``; :mod:`.otlp` receives OTLP/HTTP: GenAI spans, and Claude
Code's ``api_request`` log events through :mod:`.claude_code_events`), :mod:`.openai_agents`
(``CostpanelHooks``). :mod:`.genai` holds the GenAI span rules the processor and the receiver
share; :mod:`._fields` the field checks the log readers share.

Every integration reaches only the tracker's public API (``record``, ``attempt``) or, for a
backfill, the ledger's (:meth:`~costpanel.ledger.Ledger.upsert`). Nothing here is imported by
``import costpanel``.
"""
