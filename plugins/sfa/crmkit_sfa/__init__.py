"""Sales force automation: opportunities through pipelines, quotations into orders, targets and forecasts.

Other plugins that read what customers bought and won (campaign attribution, segments,
after-sales triggers, marketing plans) read these tables, with set-based SQL and the
kernel's record rules on ``party_id``; the rest of the package is internal. Amounts are
in the row's ``currency``; an opportunity is won when ``status`` is ``won`` (its
``closed_at`` says when); an order line's ``product_group`` is the product's group when
the order was placed.
"""

from __future__ import annotations

from crmkit_sfa.pipeline.tables import opportunity as opportunity_table
from crmkit_sfa.quotes.tables import order as order_table
from crmkit_sfa.quotes.tables import order_line as order_line_table
from crmkit_sfa.quotes.tables import product as product_table

__all__ = ["opportunity_table", "order_line_table", "order_table", "product_table"]
