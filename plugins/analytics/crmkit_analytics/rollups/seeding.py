"""The analytics plugin's demo data: the rollups and purchases rebuilt from every source's
demo data, then each part's own demo (profiles, suggestions … computed from them).

The sources depend on analytics (optionally), so under ``seed_demo``'s
``dependencies_first`` order they seed *after* it: analytics' ``seed_demo`` is marked
``tryfirst``, which for a ``dependencies_first`` hook moves it to the end, after every
plugin's demo data is written in the same transaction. Because the plugin implements
``seed_demo`` itself, the parts' ``demo`` modules are not gathered by crmkit: they are called
here, in ``PluginInfo.parts`` order.
"""

from __future__ import annotations

import importlib
import importlib.util
import random
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Connection

from crmkit_analytics.__crmkit__ import PLUGIN
from crmkit_analytics.rollups.feed import rebuild_source
from crmkit_analytics.rollups.reading import sources
from crmkit_analytics.sources import computing_for

if TYPE_CHECKING:
    from crmkit import Crm


def seed(app: Crm, conn: Connection, rng: random.Random, now: datetime) -> None:
    if app.settings_of["analytics"].rollups.rebuild_after_demo:
        with computing_for(app):
            for source in sources(app):
                rebuild_source(conn, source)
    for part in PLUGIN.parts:
        name = f"crmkit_analytics.{part}.demo"
        if importlib.util.find_spec(name) is None:
            continue
        importlib.import_module(name).seed(app, conn, rng, now)
