"""One module per run kind, each registering its report renderer with ``@register(kind)``.

Every module in this package is imported by :func:`core.report.registry.load_kinds`,
so adding a kind to the report means adding one file here.
"""
