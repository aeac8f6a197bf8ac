"""`field__lower=value`: LOWER(field) = LOWER(value), the comparison the identifier indexes
and uniqueness constraints use (accounts.models.IDENTIFIER_EXPR).

Django's `iexact` is `UPPER(field) = UPPER(value)` on PostgreSQL (and LIKE on SQLite), which
no lower(…) index serves: at a million accounts each such lookup walked the whole table."""

from typing import Any

from django.db.models import CharField, Lookup


@CharField.register_lookup
class LowerExact(Lookup[str]):
    lookup_name = "lower"

    def as_sql(self, compiler: Any, connection: Any) -> Any:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"LOWER({lhs}) = LOWER({rhs})", (*lhs_params, *rhs_params)
