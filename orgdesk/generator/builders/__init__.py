"""Row builders, one per table the generator fills, grouped by the app that owns the table.

A builder draws what its rows need from the run's random stream (draws.Draws) and returns
them as tuples in the order of its table's columns, which are declared once, next to the
builder. The data of a seed depends on the order of the draws, so the run calls the builders
in a fixed order (run.Generator.write_accounts) and a builder must not reorder its draws,
including the ones inside a row: the values of a tuple are evaluated as they are written.
"""

from typing import Any

# A row as the writer takes it: values in the order of the builder's *_COLUMNS. Plain
# tuples, because a NamedTuple per row made building the rows a fifth slower.
Row = tuple[Any, ...]
