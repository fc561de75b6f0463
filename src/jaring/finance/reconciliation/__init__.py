"""Reconciliation with BPJS: the branch's monthly bill / participant statement, imported into a
staging table and compared set-based with Jaring's invoice lines for the same funder and month.

``rules`` (pure: column layout, cell parsing as Polars expressions, kinds, causes, actions),
``models`` (statements, their lines, the differences and the decisions on them), ``services``
(import, compare, act), ``selectors`` (region-scoped reads), ``exports`` (the Excel).
"""
