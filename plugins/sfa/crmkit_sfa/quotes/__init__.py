"""The order book: products and price lists, quotations and their versions, sales orders for the ERP.

Where to look: ``money`` (the rounding rule), ``catalogue`` (products, price
lists, volume prices), ``quotations`` (drafting, sending, revising), ``orders``
(acceptance, ``sfa.order_placed``, ERP status), ``routes`` and ``pages`` (HTTP).
"""
