"""The plugin host: discovery, enablement, ordering, loading and calling hooks.

One :class:`PluginHost` per application; there is no module-level plugin manager.
"""

from __future__ import annotations

import asyncio
import functools
import heapq
import importlib
import inspect
import logging
import sys
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Literal

import pluggy
from attrs import define, field, frozen
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from crmkit.core.errors import CrmError, PluginError
from crmkit.hooks import specs
from crmkit.hooks.markers import PROJECT
from crmkit.hooks.parts import Parts, with_parts
from crmkit.hooks.plugin_info import PluginInfo

if sys.version_info >= (3, 12):
    from importlib.metadata import Distribution, entry_points
else:
    from importlib_metadata import Distribution, entry_points

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "crmkit.plugin"
State = Literal["loaded", "disabled", "failed"]


@frozen
class PluginStatus:
    """What became of one installed plugin at start-up."""

    name: str
    version: str | None
    description: str | None
    state: State
    reason: str | None
    depends: tuple[str, ...]
    info: PluginInfo | None


@frozen
class Candidate:
    """A discovered plugin: its metadata, or why the metadata could not be read."""

    name: str
    info: PluginInfo | None
    version: str | None = None
    description: str | None = None
    error: str | None = None


def discover() -> list[Candidate]:
    """Read every ``crmkit.plugin`` entry point; imports only the tiny metadata modules."""
    found: list[Candidate] = []
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        dist: Distribution | None = getattr(ep, "dist", None)
        version = dist.version if dist is not None else None
        description = dist.metadata.get("Summary") if dist is not None else None
        try:
            info = ep.load()
        except Exception as exc:
            found.append(
                Candidate(ep.name, None, version, description, f"metadata failed to load: {exc!r}")
            )
            continue
        found.append(_candidate(ep.name, info, version, description))
    return found


def _candidate(name: str, info: Any, version: str | None, description: str | None) -> Candidate:
    if not isinstance(info, PluginInfo):
        return Candidate(name, None, version, description, "entry point is not a crmkit.PluginInfo")
    try:
        info.validate()
    except PluginError as exc:
        return Candidate(name, None, version, description, exc.reason)
    if info.name != name:
        return Candidate(
            name,
            None,
            version,
            description,
            f"entry point name {name!r} differs from PluginInfo.name {info.name!r}",
        )
    return Candidate(name, info, version, description)


def candidate_from_info(info: PluginInfo) -> Candidate:
    """A candidate for a plugin given directly (tests, embedding) instead of by entry point."""
    return _candidate(info.name, info, None, None)


def topological_order(infos: Mapping[str, PluginInfo]) -> list[str]:
    """Dependencies before dependents, ties broken by name; cycles are left out (see :func:`find_cycle`)."""
    needs = {
        name: {d for d in (*info.depends, *info.optional_depends) if d in infos}
        for name, info in infos.items()
    }
    ready = [name for name, deps in needs.items() if not deps]
    heapq.heapify(ready)
    order: list[str] = []
    while ready:
        name = heapq.heappop(ready)
        order.append(name)
        for other, deps in needs.items():
            if name in deps:
                deps.discard(name)
                if not deps and other not in order:
                    heapq.heappush(ready, other)
    return order


def find_cycle(infos: Mapping[str, PluginInfo], start: str) -> list[str] | None:
    """The dependency cycle through ``start`` (``[start, ..., start]``), or None if it is on none."""

    def needs(name: str) -> list[str]:
        info = infos[name]
        return sorted(d for d in {*info.depends, *info.optional_depends} if d in infos)

    path = [start]
    seen: set[str] = set()

    def walk(name: str) -> bool:
        for dep in needs(name):
            if dep == start:
                path.append(dep)
                return True
            if dep not in seen:
                seen.add(dep)
                path.append(dep)
                if walk(dep):
                    return True
                path.pop()
        return False

    return path if walk(start) else None


@define
class PluginHost:
    """Loads enabled plugins into a pluggy manager and calls hooks with crmkit's semantics."""

    api_version: str
    strict: bool = False
    pm: pluggy.PluginManager = field(init=False)
    statuses: dict[str, PluginStatus] = field(init=False, factory=dict)
    settings: dict[str, Any] = field(init=False, factory=dict)
    memo: dict[str, Any] = field(init=False, factory=dict)
    """Values derived from registration hooks, computed once: plugins are loaded once per host."""
    _callees: dict[str, tuple[tuple[pluggy.HookImpl, ...], bool]] = field(init=False, factory=dict)
    """Per hook, its implementations in call order and whether one is async; forgotten
    when :meth:`load` has registered the plugins."""

    def __attrs_post_init__(self) -> None:
        self.pm = pluggy.PluginManager(PROJECT)
        self.pm.add_hookspecs(specs)

    # --- Loading

    def load(
        self,
        candidates: Iterable[Candidate],
        enabled: Callable[[str, bool], bool],
        plugin_settings: Mapping[str, Mapping[str, Any]] | None = None,
        builtins: Iterable[Any] = (),
        settings_source: str = "crmkit.toml",
    ) -> None:
        """Register ``builtins`` (kernel default modules), then every enabled candidate in dependency order."""
        from crmkit.core.settings import structure_settings

        for module in builtins:
            self.pm.register(module, name=f"core.{module.__name__.rsplit('.', 1)[-1]}")
        self.pm.hook.add_hookspecs.call_historic(result_callback=self._add_plugin_hookspecs)

        infos: dict[str, PluginInfo] = {}
        by_name = {c.name: c for c in candidates}
        for cand in sorted(by_name.values(), key=lambda c: c.name):
            if cand.info is None:
                self._fail(cand, None, cand.error or "invalid metadata")
            elif not enabled(cand.name, cand.info.default_enabled):
                self._set(cand, "disabled", "disabled by configuration")
            else:
                infos[cand.name] = cand.info

        unordered = set(infos) - set(topological_order(infos))
        cycles = {name: find_cycle(infos, name) for name in sorted(unordered)}
        for name, cycle in cycles.items():
            if cycle is not None:
                self._fail(by_name[name], infos.pop(name), f"dependency cycle {' -> '.join(cycle)}")
        # What only depended on a cycle is now ordered and fails below, naming the dependency.
        order = topological_order(infos)

        api = Version(self.api_version)
        for name in order:
            cand, info = by_name[name], infos[name]
            if api not in SpecifierSet(info.requires_api):
                self._fail(
                    cand,
                    info,
                    f"requires crmkit API {info.requires_api}, this is {self.api_version}",
                )
                continue
            missing = [d for d in info.depends if self._state(d) != "loaded"]
            if missing:
                dep = missing[0]
                why = self.statuses[dep].reason if dep in self.statuses else None
                state = self._state(dep) or "not installed"
                detail = f" ({why})" if why and state != "not installed" else ""
                self._fail(cand, info, f"depends on {dep!r}, which is {state}{detail}")
                continue
            try:
                module = importlib.import_module(info.hooks)
                if info.parts:
                    parts = Parts(info.hooks_package, info.parts)
                    self._register(name, with_parts(module, name, parts))
                else:
                    self._register(name, module)
                if info.settings:
                    module_path, _, class_name = info.settings.partition(":")
                    settings_cls = getattr(importlib.import_module(module_path), class_name)
                    self.settings[name] = structure_settings(
                        settings_cls,
                        (plugin_settings or {}).get(name, {}),
                        f"{settings_source}: plugins.{name}",
                    )
            except Exception as exc:
                if self.pm.get_plugin(name) is not None:
                    self.pm.unregister(name=name)
                self._fail(cand, info, _describe(exc))
                continue
            self._set(cand, "loaded", None)
        self._callees.clear()

    def _register(self, name: str, hooks: Any) -> None:
        self.pm.register(hooks, name=name)
        for caller in self.pm.get_hookcallers(hooks) or []:
            # optionalhook=True implements another plugin's hook, whose spec arrives with that plugin or never.
            if not caller.has_spec() and not all(
                impl.optionalhook for impl in caller.get_hookimpls() if impl.plugin is hooks
            ):
                self.pm.unregister(hooks)
                raise PluginError(name, f"implements unknown hook {caller.name!r}")

    def _add_plugin_hookspecs(self, module: Any) -> None:
        if module is not None:
            self.pm.add_hookspecs(module)

    def _state(self, name: str) -> State | None:
        status = self.statuses.get(name)
        return status.state if status else None

    def _set(self, cand: Candidate, state: State, reason: str | None) -> None:
        info = cand.info
        self.statuses[cand.name] = PluginStatus(
            name=cand.name,
            version=cand.version,
            description=cand.description,
            state=state,
            reason=reason,
            depends=info.depends if info else (),
            info=info,
        )

    def _fail(self, cand: Candidate, info: PluginInfo | None, reason: str) -> None:
        if self.strict or (info is not None and info.critical):
            raise PluginError(cand.name, reason)
        log.error("plugin %s disabled: %s", cand.name, reason)
        self._set(Candidate(cand.name, info, cand.version, cand.description), "failed", reason)

    @property
    def loaded(self) -> list[str]:
        """Names of the loaded plugins, in registration order."""
        return [s.name for s in self.statuses.values() if s.state == "loaded"]

    # --- Calling

    def _callees_of(self, name: str) -> tuple[tuple[pluggy.HookImpl, ...], bool]:
        found = self._callees.get(name)
        if found is None:
            caller = getattr(self.pm.hook, name)
            # pluggy calls the last registered first; keep that documented order, or its
            # reverse for a hook declared dependencies_first.
            registered = caller.get_hookimpls()
            ordered = registered if name in specs.DEPENDENCIES_FIRST else reversed(registered)
            impls = tuple(i for i in ordered if not (i.hookwrapper or i.wrapper))
            found = impls, any(inspect.iscoroutinefunction(i.function) for i in impls)
            self._callees[name] = found
        return found

    def _impls(self, name: str) -> tuple[pluggy.HookImpl, ...]:
        return self._callees_of(name)[0]

    def _args(self, impl: pluggy.HookImpl, kwargs: Mapping[str, Any]) -> list[Any]:
        return [kwargs[a] for a in impl.argnames]

    def call(self, name: str, **kwargs: Any) -> Any:
        """Call hook ``name`` with its declared semantics from synchronous code."""
        return _run(self.acall(name, **kwargs), self._has_async(name))

    async def acall(self, name: str, *, sync_in_thread: bool = False, **kwargs: Any) -> Any:
        """Call hook ``name`` with its declared semantics, awaiting async implementations.

        With ``sync_in_thread``, synchronous implementations run in a worker thread, so
        that one doing I/O does not hold up an event loop that awaits this call.
        """
        semantics = specs.SEMANTICS[name]
        if semantics in ("collect", "historic"):
            found = await self.acollect_by_plugin(name, sync_in_thread=sync_in_thread, **kwargs)
            return [result for _, result in found]
        if semantics == "first":
            for impl in self._impls(name):
                result = await self._invoke(impl, kwargs, sync_in_thread)
                if result is not None:
                    return result
            return None
        if semantics == "veto":
            allowed = None
            for impl in self._impls(name):
                result = await self._invoke(impl, kwargs, sync_in_thread)
                if result is False:
                    return False
                if result is True:
                    allowed = True
            return allowed
        return await self.aadvise(name, sync_in_thread=sync_in_thread, **kwargs)

    async def _invoke(
        self, impl: pluggy.HookImpl, kwargs: Mapping[str, Any], sync_in_thread: bool
    ) -> Any:
        args = self._args(impl, kwargs)
        if sync_in_thread and not inspect.iscoroutinefunction(impl.function):
            import anyio.to_thread  # only servers get here; the CLI starts without it

            return await anyio.to_thread.run_sync(functools.partial(impl.function, *args))
        return await _resolve(impl.function(*args))

    def collect_by_plugin(self, name: str, **kwargs: Any) -> list[tuple[str, Any]]:
        """Call a collect hook; return ``(plugin name, result)`` for every non-None result."""
        return _run(self.acollect_by_plugin(name, **kwargs), self._has_async(name))

    async def acollect_by_plugin(
        self, name: str, *, sync_in_thread: bool = False, **kwargs: Any
    ) -> list[tuple[str, Any]]:
        """Async :meth:`collect_by_plugin` (``sync_in_thread`` as for :meth:`acall`)."""
        results = []
        for impl in self._impls(name):
            result = await self._invoke(impl, kwargs, sync_in_thread)
            if result is not None:
                results.append((impl.plugin_name, result))
        return results

    def advise(
        self, name: str, only: Iterable[str] | None = None, **kwargs: Any
    ) -> dict[str, BaseException]:
        """Call an advisory hook, optionally only for the plugins named in ``only``; return the failures."""
        return _run(self.aadvise(name, only=only, **kwargs), self._has_async(name))

    async def aadvise(
        self,
        name: str,
        only: Iterable[str] | None = None,
        *,
        sync_in_thread: bool = False,
        **kwargs: Any,
    ) -> dict[str, BaseException]:
        """Async :meth:`advise` (``sync_in_thread`` as for :meth:`acall`)."""
        if specs.SEMANTICS[name] != "advisory":
            raise TypeError(f"hook {name} is not advisory")
        wanted = set(only) if only is not None else None
        failures: dict[str, BaseException] = {}
        for impl in self._impls(name):
            if wanted is not None and impl.plugin_name not in wanted:
                continue
            try:
                await self._invoke(impl, kwargs, sync_in_thread)
            except Exception as exc:
                log.exception("hook %s of plugin %s failed", name, impl.plugin_name)
                failures[impl.plugin_name] = exc
        return failures

    def _has_async(self, name: str) -> bool:
        return self._callees_of(name)[1]

    def has_async(self, name: str) -> bool:
        """Whether an implementation of hook ``name`` is ``async``: then await :meth:`acall`."""
        return self._has_async(name)

    def implementers(self, name: str) -> list[str]:
        """Names of the plugins implementing hook ``name``, in call order."""
        return [impl.plugin_name for impl in self._impls(name)]


async def _resolve(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


def _run(coroutine: Any, has_async: bool) -> Any:
    """Drive a hook call from synchronous code; refuse where an event loop is running."""
    if not has_async:
        # No implementation can suspend, so the coroutine finishes on its first step;
        # this keeps event-loop set-up off the hot path of every entity write.
        try:
            coroutine.send(None)
        except StopIteration as done:
            return done.value
        raise RuntimeError("a synchronous hook implementation suspended")  # pragma: no cover
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    coroutine.close()
    raise RuntimeError("an async hook implementation was called synchronously inside an event loop")


def _describe(exc: BaseException) -> str:
    if isinstance(exc, PluginError):
        return exc.reason
    if isinstance(exc, CrmError):
        return exc.message
    return f"{type(exc).__name__}: {exc}"
