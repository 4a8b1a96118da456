"""The mitmproxy addon: analyse each flow, annotate it, never touch the traffic."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import traceback
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import replace
from pathlib import Path
from typing import cast

from mitmproxy import command
from mitmproxy import ctx
from mitmproxy import exceptions
from mitmproxy import flow
from mitmproxy import hooks
from mitmproxy import http
from mitmproxy import types
from mitmproxy.addonmanager import Loader
from mitmproxy.log import ALERT

from authdoctor.config import OPTIONS
from authdoctor.config import ParsedOptions
from authdoctor.config import load_configuration
from authdoctor.config import parse_options
from authdoctor.engine import Analysis
from authdoctor.engine import Analyzer
from authdoctor.engine import RequestSide
from authdoctor.engine import Ruleset
from authdoctor.engine import SessionStore
from authdoctor.engine import Settings
from authdoctor.engine import annotate
from authdoctor.engine import session_summary
from authdoctor.errors import AuthDoctorError
from authdoctor.keys import KeyFetcher
from authdoctor.live.finding_log import FindingLog
from authdoctor.live.hook_times import HookTimes
from authdoctor.live.rejected_requests import RejectedRequestWatcher
from authdoctor.live.rule_watcher import snapshot
from authdoctor.recordings import write_redacted
from authdoctor.redaction import Redactor

logger = logging.getLogger("authdoctor")
RELOAD_INTERVAL_S = 1.0
PENDING_LIMIT = 10_000  # request-side facts of flows still waiting for their response
# A response slower than this first gets a provisional annotation from the request alone
# ("this token expired 3 min ago"); faster ones, nearly all, cost no rule evaluation twice.
PROVISIONAL_AFTER_S = 1.0


@dataclass(slots=True)
class _Pending:
    side: RequestSide
    provisional: asyncio.TimerHandle | None


class AuthDoctor:
    """Diagnoses the Authorization header and 401/403 answers of every relevant flow."""

    def __init__(self) -> None:
        self.analyzer = Analyzer(Ruleset(()), Settings(), SessionStore())
        self._watched: dict[Path, float] = {}
        self._watch_paths: tuple[Path, ...] = ()
        self._watch_task: asyncio.Task[None] | None = None
        self._failures_logged: set[str] = set()
        self._pending: dict[str, _Pending] = {}
        self.provisional_after_s = PROVISIONAL_AFTER_S
        self.finding_log = FindingLog()
        self._running = False
        self.rejected_requests = RejectedRequestWatcher()
        self.key_fetcher = KeyFetcher()  # kept across reloads: its cache outlives a rules edit
        self.hook_times = HookTimes.from_environment()  # for bench/: off unless asked
        if self.hook_times is not None:
            self.hook_times.install(self, ("request", "response", "error"))

    @property
    def settings(self) -> Settings:
        return self.analyzer.settings

    @property
    def sessions(self) -> SessionStore:
        """What the proxy has seen so far: kept across reloads unless its caps change."""
        return cast(SessionStore, self.analyzer.store)  # the proxy's analyzer always has one

    @property
    def ruleset(self) -> Ruleset:
        return self.analyzer.ruleset

    @ruleset.setter
    def ruleset(self, ruleset: Ruleset) -> None:
        """Another addon may add rules of its own (tests/e2e/failing_rule.py does)."""
        self.analyzer = replace(self.analyzer, ruleset=ruleset)

    def load(self, loader: Loader) -> None:
        for name, typespec, default, help_text in OPTIONS:
            loader.add_option(name, typespec, default, help_text)
        self.rejected_requests.install()

    def configure(self, updated: set[str]) -> None:
        if not any(name.startswith("authdoctor_") for name in updated):
            return
        try:
            self._apply(parse_options({name: getattr(ctx.options, name) for name, *_ in OPTIONS}))
        except AuthDoctorError as e:
            if not self._running:
                # At start-up an error logged is enough: mitmproxy exits with this message,
                # without the traceback an exception from a script would add.
                logger.error(f"authdoctor: {e}")
                return
            raise exceptions.OptionsError(f"authdoctor: {e}") from e

    def _apply(self, parsed: ParsedOptions) -> None:
        """Load profiles and rules; on any error keep what was active and raise."""
        settings, ruleset = load_configuration(parsed, self.key_fetcher)
        self.key_fetcher.limits = parsed.fetch_limits
        profiles = settings.profiles
        profile_files = tuple(Path(p.file) for p in profiles)
        store = self.sessions
        if (store.max_tokens, store.max_clients) != (parsed.session_tokens, parsed.session_clients):
            store = SessionStore(parsed.session_tokens, parsed.session_clients)
        self.analyzer = Analyzer(ruleset, settings, store, parsed.hosts)
        self._watch_paths = (*parsed.rule_paths, *profile_files)
        self._watched = snapshot(self._watch_paths)
        names = ", ".join(p.id for p in profiles) or "none"
        logger.info(f"authdoctor: {len(ruleset.rules)} rules loaded; profiles: {names}")

    def running(self) -> None:
        self._running = True
        if self._watch_task is None:
            self._watch_task = asyncio.get_running_loop().create_task(self._watch())

    def done(self) -> None:
        self.rejected_requests.uninstall()
        for pending in self._pending.values():
            if pending.provisional is not None:
                pending.provisional.cancel()
        if self._watch_task is not None:
            self._watch_task.cancel()
            self._watch_task = None
        if self.hook_times is not None:
            try:
                self.hook_times.write()
            except OSError as e:
                logger.error(f"authdoctor: hook times not written to {self.hook_times.path}: {e}")

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(RELOAD_INTERVAL_S)
            self.reload_if_changed()

    def reload_if_changed(self) -> bool:
        """Reload after an edit; a broken edit is reported and the old rules stay."""
        current = snapshot(self._watch_paths)
        if current == self._watched:
            return False
        self._watched = current
        try:
            self._apply(parse_options({name: getattr(ctx.options, name) for name, *_ in OPTIONS}))
        except AuthDoctorError as e:
            logger.error(f"authdoctor: rules not reloaded, the previous rules stay active: {e}")
            return False
        logger.info("authdoctor: rules reloaded after an edit")
        return True

    def request(self, flow: http.HTTPFlow) -> None:
        try:
            side = self.analyzer.request_side(flow)
            if side is None:
                return
            self._pending[flow.id] = _Pending(side, self._schedule_provisional(flow))
            if len(self._pending) > PENDING_LIMIT:
                oldest = self._pending.pop(next(iter(self._pending)))
                if oldest.provisional is not None:
                    oldest.provisional.cancel()
        except Exception as e:
            self._log_failure(flow, e)

    def _schedule_provisional(self, flow: http.HTTPFlow) -> asyncio.TimerHandle | None:
        """Judge the request alone if its response is slow. Without an event loop (offline
        analysis, plain unit tests) there is no waiting, so no provisional step."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return None
        return loop.call_later(self.provisional_after_s, self._provisional, flow)

    def _provisional(self, flow: http.HTTPFlow) -> None:
        """The annotation of a request still waiting for its response; the response (or the
        error) replaces it. Outside a hook, so mitmweb is told of the change."""
        try:
            pending = self._pending.get(flow.id)
            if pending is None or flow.response is not None or flow.error is not None:
                return
            self._annotate(flow, self.analyzer.analyze(flow, pending.side))
            ctx.master.addons.trigger(hooks.UpdateHook([flow]))
        except Exception as e:
            self._log_failure(flow, e)

    def response(self, flow: http.HTTPFlow) -> None:
        self._settle(flow)

    def error(self, flow: http.HTTPFlow) -> None:
        self._settle(flow)

    def _settle(self, flow: http.HTTPFlow) -> None:
        """The final diagnosis, once the response (or the error) is known."""
        try:
            pending = self._pending.pop(flow.id, None)
            if pending is not None and pending.provisional is not None:
                pending.provisional.cancel()
            result = self.analyzer.judge(flow, pending.side if pending is not None else None)
            if result is not None:
                self._annotate(flow, result)
        except Exception as e:
            self._log_failure(flow, e)

    @command.command("authdoctor.summary")
    def summary(self) -> str:
        """Session summary: failures by cause, token requests, tokens in use, clock offset."""
        text = session_summary(self.sessions, time.time())
        logger.log(ALERT, text)
        return text

    @command.command("authdoctor.save")
    def save(self, flows: Sequence[flow.Flow], path: types.Path) -> None:
        """Save flows redacted for a support ticket: a path ending in .har gets HAR, anything
        else mitmproxy flows. Secrets become fingerprints; the diagnosis travels along."""
        chosen = [f for f in flows if isinstance(f, http.HTTPFlow)]
        try:
            count = write_redacted(Path(path).expanduser(), chosen, Redactor())
        except OSError as e:
            raise exceptions.CommandError(f"authdoctor.save: {e.strerror or e}") from e
        logger.log(ALERT, f"authdoctor: {count} flows saved redacted to {path}")

    def _annotate(self, flow: http.HTTPFlow, result: Analysis) -> None:
        annotate(flow, result.diagnosis, result.token_summary())
        self.finding_log.log(flow, result.diagnosis, result.facts["request.url"])

    def _log_failure(self, flow: http.HTTPFlow, error: Exception) -> None:
        """Log a bug of ours once per place it happens. The exception's message is left out:
        it may quote traffic, and traffic carries tokens."""
        frames = traceback.extract_tb(error.__traceback__)
        where = f"{frames[-1].filename}:{frames[-1].lineno} in {frames[-1].name}" if frames else "?"
        key = f"{type(error).__name__} at {where}"
        if key in self._failures_logged:
            return
        self._failures_logged.add(key)
        with contextlib.suppress(Exception):
            logger.error(
                f"authdoctor: internal error while analysing a flow to {flow.request.host} "
                f"(the flow passed through untouched; this error is logged once): {key}"
            )
